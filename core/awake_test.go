package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// fakeAwake records the holds the service takes and lets go of, in order.
type fakeAwake struct {
	mu     sync.Mutex
	err    error    // Hold fails with it
	log    []string // "hold REASON" and "release REASON", in order
	live   []string // the reasons held now
	tries  int
	maxLiv int // the most holds live at once
}

func (f *fakeAwake) Hold(reason string) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if f.err != nil {
		return nil, f.err
	}
	f.log = append(f.log, "hold "+reason)
	f.live = append(f.live, reason)
	f.maxLiv = max(f.maxLiv, len(f.live))
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.log = append(f.log, "release "+reason)
			i := slices.Index(f.live, reason)
			f.live = slices.Delete(f.live, i, i+1)
		})
	}, nil
}

// held is the reason held now ("" none; the last taken when two overlap).
func (f *fakeAwake) held() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.live) == 0 {
		return ""
	}
	return f.live[len(f.live)-1]
}

// counts are how many holds were asked for, and the most live at once.
func (f *fakeAwake) counts() (tries, maxLive int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries, f.maxLiv
}

func (f *fakeAwake) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// awakeRig is a paired, running service over a simulator whose S3 answers each part
// after delay, with the fake as its Awake.
func awakeRig(t *testing.T, fake *fakeAwake, delay time.Duration, change func(*core.Config)) (*core.Service, context.CancelFunc) {
	t.Helper()
	sim := c2csim.Start(t, c2csim.Options{PartSize: 64 << 10, PollInterval: 100 * time.Millisecond})
	svc, _ := loadedService(t, sim, "awake-"+strings.ToLower(t.Name()), func(c *core.Config) {
		c.Awake = fake
		c.Upload = core.UploadTuning{ProgressInterval: 20 * time.Millisecond}
		if change != nil {
			change(c)
		}
	})
	ctx, stop := context.WithCancel(t.Context())
	t.Cleanup(stop)
	if err := svc.Run(ctx); err != nil {
		t.Fatal(err)
	}
	coretest.Pair(t, svc, sim, "Feature Film", time.Minute)
	if delay > 0 {
		if _, err := sim.AddFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(delay)}); err != nil {
			t.Fatal(err)
		}
	}
	return svc, stop
}

// mediaFiles writes n files of parts 64 KiB parts each, each unlike any other.
func mediaFiles(t *testing.T, n, parts int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("A001C%03d.mov", i+1))
		data := bytes.Repeat([]byte{byte(mediaSeed.Add(1))}, parts*64<<10-100*i)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// addAndWait queues paths and waits until the engine says the queue has finished with n
// files done (its Finished event, which the service's keeper hears too: a snapshot can
// say so before the engine has told anyone).
func addAndWait(t *testing.T, svc *core.Service, paths []string, n int) {
	t.Helper()
	sub := svc.Subscribe()
	defer sub.Close()
	if _, err := svc.Add(t.Context(), paths, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	limit := time.After(time.Minute)
	for {
		for _, ev := range sub.Drain() {
			if ev.Type == core.EventFinished && ev.Finished.Done == n {
				return
			}
		}
		select {
		case <-sub.Ready():
		case <-limit:
			t.Fatalf("the queue did not finish with %d files done", n)
		}
	}
}

// TestKeptAwakeWhileFilesUpload: the computer is held awake from the moment files are
// queued until the last arrives, with a reason naming the files to go and the project;
// as files arrive the reason follows, each new hold taken before the old is let go (never
// a moment without one); once the queue is idle, nothing is held.
func TestKeptAwakeWhileFilesUpload(t *testing.T) {
	fake := &fakeAwake{}
	svc, _ := awakeRig(t, fake, 150*time.Millisecond, func(c *core.Config) { c.AwakeRefresh = 50 * time.Millisecond })
	if got := fake.events(); len(got) != 0 {
		t.Fatalf("held before anything was queued: %q", got)
	}
	addAndWait(t, svc, mediaFiles(t, 3, 6), 3)
	if ev := fake.events(); len(ev) == 0 || ev[0] != "hold Uploading 3 files to Feature Film" {
		t.Fatalf("the first hold was not for the three files: %q", ev)
	}
	waitfor.Condition(t, "the hold released once the queue is idle", func() bool { return fake.held() == "" })
	ev := fake.events()
	if !slices.Contains(ev, "hold Uploading 1 file to Feature Film") {
		t.Errorf("the reason did not follow the files to go: %q", ev)
	}
	live := 0
	for i, e := range ev {
		if strings.HasPrefix(e, "hold ") {
			live++
		} else {
			live--
		}
		if live == 0 && i != len(ev)-1 {
			t.Errorf("a moment without a hold while files uploaded, after %q: %q", e, ev)
		}
	}
	if _, most := fake.counts(); most > 2 {
		t.Errorf("%d holds at once; a change of reason takes one new hold and lets go of the old", most)
	}
}

// TestAwakeFollowsPauseTheSettingAndTheRun: pausing every file lets the computer sleep,
// resuming holds it again; turning keep-awake off lets go at once and on again holds;
// the run's end lets go, and Shutdown waits for it.
func TestAwakeFollowsPauseTheSettingAndTheRun(t *testing.T) {
	fake := &fakeAwake{}
	svc, stop := awakeRig(t, fake, 300*time.Millisecond, nil)
	ctx := t.Context()
	if _, err := svc.Add(ctx, mediaFiles(t, 2, 40), core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "a hold", func() bool { return fake.held() == "Uploading 2 files to Feature Film" })

	if err := svc.Pause(ctx, core.Selector{All: true}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "released while every file is paused", func() bool { return fake.held() == "" })
	if err := svc.Resume(ctx, core.Selector{All: true}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "held again once resumed", func() bool { return fake.held() != "" })

	off := svc.Settings()
	off.KeepAwake = false
	if err := svc.SetSettings(off); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "released once keep-awake is off", func() bool { return fake.held() == "" })
	on := off
	on.KeepAwake = true
	if err := svc.SetSettings(on); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "held again once keep-awake is on", func() bool { return fake.held() != "" })

	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := svc.Shutdown(shutdown); err != nil {
		t.Fatal(err)
	}
	if h := fake.held(); h != "" {
		t.Errorf("still held after the run ended and Shutdown returned: %q", h)
	}
}

// TestNotKeptAwakeWithKeepAwakeOff: with the setting off, no hold is ever asked for.
func TestNotKeptAwakeWithKeepAwakeOff(t *testing.T) {
	fake := &fakeAwake{}
	svc, _ := awakeRig(t, fake, 50*time.Millisecond, func(c *core.Config) { c.Settings.KeepAwake = false })
	addAndWait(t, svc, mediaFiles(t, 2, 4), 2)
	if tries, _ := fake.counts(); tries != 0 {
		t.Errorf("keep-awake off, yet %d holds were asked for: %q", tries, fake.events())
	}
}

// TestUploadsGoOnWithoutAnInhibitor: where nothing can keep the computer awake (no D-Bus
// on a server), the files upload all the same and the log says so once, at info, however
// many times the queue starts again.
func TestUploadsGoOnWithoutAnInhibitor(t *testing.T) {
	fake := &fakeAwake{err: errors.New("no D-Bus system bus")}
	var log lockedBuffer
	svc, _ := awakeRig(t, fake, 100*time.Millisecond, func(c *core.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	for round := range 2 {
		addAndWait(t, svc, mediaFiles(t, 2, 3), 2*(round+1))
	}
	if tries, _ := fake.counts(); tries != 2 {
		t.Errorf("asked %d times; once per start of the queue expected", tries)
	}
	text := log.String()
	if n := strings.Count(text, "nothing keeps the computer awake"); n != 1 || !strings.Contains(text, "level=INFO msg=\"nothing keeps the computer awake") {
		t.Errorf("said %d times (want once, at info):\n%s", n, text)
	}
}

var mediaSeed atomic.Int32

// lockedBuffer is a log's destination, written by the service's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
