package cli

import (
	"bytes"
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for mpb's render goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The live display ends with every file's line and the totals as they end: the last
// file used to have no "done" line (it finished between two updates, never seen under
// way), and the total stayed at "1 to go" (its bar had ended with an earlier update).
func TestBarDisplayEndsWithEveryFileAndTheFinalTotals(t *testing.T) {
	var out syncBuffer
	d := newBarDisplay(context.Background(), &out)
	a := core.FileView{ID: 1, Name: "A001_C001.mov", Size: 1000, State: core.Uploading, BytesDone: 500}
	d.file(a)
	d.totals(core.Totals{Files: 2, FilesRemaining: 2, BytesTotal: 1100, BytesRemaining: 600})
	// The total's bar goes on until close: it used to complete at its first figures and
	// stay there, empty to the end (an editor's trial in tmux).
	if d.total.Completed() {
		t.Errorf("the total's bar completed at %d of 1,100 bytes", d.total.Current())
	}
	a.State, a.BytesDone = core.Done, 1000
	d.file(a)
	d.totals(core.Totals{Files: 2, FilesRemaining: 1, BytesTotal: 1100, BytesRemaining: 0, Done: 1})
	d.file(core.FileView{ID: 2, Name: "SOUND_001.wav", Size: 100, State: core.Done, BytesDone: 100})
	d.totals(core.Totals{Files: 2, FilesRemaining: 0, BytesTotal: 1100, Done: 2})
	d.close()
	got := out.String()
	for _, want := range []string{"done  A001_C001.mov", "done  SOUND_001.wav"} {
		if !strings.Contains(got, want) {
			t.Errorf("the display does not say %q:\n%s", want, got)
		}
	}
	last := got[strings.LastIndex(got, "total"):]
	if !strings.Contains(last, " 0 to go") {
		t.Errorf("the display ends with the totals %q, want 0 to go:\n%s", last, got)
	}
	if d.total.Current() != 1100 {
		t.Errorf("the total's bar ends at %d of 1,100 bytes, want it full", d.total.Current())
	}
}

// A name is padded to its column.
func TestNamesArePaddedToTheirColumn(t *testing.T) {
	if got := fitName("A001.mov", 12); got != "A001.mov    " {
		t.Errorf("fitName padded to %q, want 12 columns", got)
	}
}

// Piped output (a log, CI) says only what is known: no placeholder for a rate or a time
// left not measured yet, and a waiting file's reason without the state said twice.
func TestLinesSayOnlyWhatIsKnown(t *testing.T) {
	var out bytes.Buffer
	d := &lineDisplay{w: &out}
	d.totals(core.Totals{Files: 3, FilesRemaining: 3, Active: 1, BytesTotal: 3 << 20, BytesRemaining: 3 << 20})
	d.file(core.FileView{ID: 1, Name: "A001.mov", State: core.Waiting, Detail: "Offline: waiting for the connection to come back."})
	got := out.String()
	for _, bad := range []string{"—", "about", "waiting   A001.mov"} {
		if strings.Contains(got, bad) {
			t.Errorf("the lines say %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"3 files to go, 3.0 MiB left", "A001.mov: Offline: waiting for the connection to come back."} {
		if !strings.Contains(got, want) {
			t.Errorf("the lines do not say %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "waiting"); n != 1 {
		t.Errorf("%q said %d times:\n%s", "waiting", n, got)
	}
}
