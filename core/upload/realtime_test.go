package upload_test

// Clips uploaded while they are recorded (core/upload/realtime.go): a file that grows in
// a watched folder is a real-time asset whose parts go as they are written, the final
// one once it settles; a header rewritten at close is sent again.

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// realtimePart is the part size of these tests: the least S3 takes.
const realtimePart = upload.MinPartSize

// newRecordingRig is a rig watching its media folder, with clips uploaded as they are
// written in parts of realtimePart.
func newRecordingRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, rigConfig{sim: c2csim.Options{PartSize: 8 << 20}})
	r.watchRealtime(300 * time.Millisecond)
	return r
}

// watchRealtime sets the run's settings: the media folder watched with settle, real-time
// on.
func (r *rig) watchRealtime(settle time.Duration) {
	r.t.Helper()
	st := r.svc.Settings()
	st.Watch, st.Settle, st.Realtime, st.PartSize = r.dir, settle, true, realtimePart
	if err := r.svc.SetSettings(st); err != nil {
		r.t.Fatalf("SetSettings: %v", err)
	}
}

// recorder writes a clip into the watched folder a block at a time, as a camera does.
type recorder struct {
	t    testing.TB
	path string
	f    *os.File
	data []byte
	pos  int
}

func record(t testing.TB, dir, name string, size int) *recorder {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return &recorder{t: t, path: path, f: f, data: data}
}

// write appends the next n bytes of the clip, in blocks of 256 KiB a few milliseconds
// apart (a growing file, not one landing whole).
func (c *recorder) write(n int) {
	c.t.Helper()
	end := min(c.pos+n, len(c.data))
	for c.pos < end {
		k := min(256<<10, end-c.pos)
		if _, err := c.f.Write(c.data[c.pos : c.pos+k]); err != nil {
			c.t.Fatal(err)
		}
		c.pos += k
		time.Sleep(5 * time.Millisecond)
	}
}

// rewriteHeader overwrites the clip's first bytes, as a recorder finishing a MOV's or an
// MXF's header at close does, and closes it.
func (c *recorder) rewriteHeader(n int) {
	c.t.Helper()
	header := make([]byte, n)
	_, _ = rand.Read(header)
	copy(c.data, header)
	if _, err := c.f.WriteAt(header, 0); err != nil {
		c.t.Fatal(err)
	}
	c.close()
}

func (c *recorder) close() {
	c.t.Helper()
	if err := c.f.Close(); err != nil {
		c.t.Fatal(err)
	}
}

// realtimeAsset is the simulator's real-time asset of name, once there is one.
func (r *rig) realtimeAsset(name string) (c2csim.AssetInfo, bool) {
	for _, a := range r.assetsByName()[name] {
		if a.Realtime {
			return a, true
		}
	}
	return c2csim.AssetInfo{}, false
}

// waitPartReceived waits until the simulator holds part n of name's real-time asset.
func (r *rig) waitPartReceived(name string, n int) {
	r.t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if a, ok := r.realtimeAsset(name); ok {
			for _, p := range a.Parts {
				if p.Number == n && p.Received {
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("part %d of %s never reached the simulator while it was being written", n, name)
}

func TestAClipIsUploadedWhileItIsRecordedAndItsRewrittenHeaderSentAgain(t *testing.T) {
	r := newRecordingRig(t)
	clip := record(t, r.dir, "A001C003.mov", 3*realtimePart+12345)
	clip.write(2*realtimePart + 1000)
	// The first part reaches the project while the camera still rolls.
	r.waitPartReceived("A001C003.mov", 1)
	clip.write(len(clip.data))
	clip.rewriteHeader(4096)

	v := r.waitState(clip.path, core.Done)
	r.checkIntact(clip.path)
	a, _ := r.realtimeAsset("A001C003.mov")
	if len(a.Parts) != 4 {
		t.Fatalf("the clip went in %d parts, want 4 (three of %d bytes and the rest)", len(a.Parts), realtimePart)
	}
	for _, p := range a.Parts {
		want := 1
		if p.Number == 1 {
			want = 2 // its header was rewritten at close
		}
		if p.Puts != want {
			t.Errorf("part %d was sent %d times, want %d", p.Number, p.Puts, want)
		}
	}
	if n := len(r.assetsByName()["A001C003.mov"]); n != 1 {
		t.Errorf("%d assets were made for the clip, want 1", n)
	}
	if len(v.Hashes) == 0 {
		t.Errorf("the clip is done without the hashes of what was sent")
	}
}

func TestAClipRecordedAcrossARestartSendsNoUnchangedPartAgain(t *testing.T) {
	r := newRecordingRig(t)
	clip := record(t, r.dir, "A002C001.mov", 4*realtimePart+777)
	clip.write(2*realtimePart + 1)
	r.waitPartReceived("A002C001.mov", 2)
	r.waitChunks(clip.path, 2)
	r.restart()
	clip.write(len(clip.data))
	clip.close()

	r.waitState(clip.path, core.Done)
	r.checkIntact(clip.path)
	if n := len(r.assetsByName()["A002C001.mov"]); n != 1 {
		t.Errorf("%d assets were made for the clip, want 1", n)
	}
	a, _ := r.realtimeAsset("A002C001.mov")
	for _, p := range a.Parts {
		if p.Puts != 1 {
			t.Errorf("part %d was sent %d times, want once", p.Number, p.Puts)
		}
	}
}

func TestAClipThatShrinksIsUploadedWholeAsANewAsset(t *testing.T) {
	r := newRecordingRig(t)
	clip := record(t, r.dir, "A003C001.mov", 3*realtimePart)
	clip.write(2*realtimePart + 10)
	r.waitPartReceived("A003C001.mov", 1)
	// The recorder starts the clip again: it is cut short and written anew.
	if err := clip.f.Truncate(1000); err != nil {
		t.Fatal(err)
	}
	if _, err := clip.f.Seek(1000, 0); err != nil {
		t.Fatal(err)
	}
	clip.data, clip.pos = clip.data[:realtimePart/2], 1000
	clip.write(len(clip.data))
	clip.close()

	r.waitState(clip.path, core.Done)
	r.staleOK = true // the abandoned real-time asset is never completed
	got := r.checkIntact(clip.path)
	if got[clip.path].Realtime {
		t.Errorf("the clip that shrank was finished as the real-time asset it was abandoning")
	}
	for _, a := range r.assetsByName()["A003C001.mov"] {
		if a.Realtime && a.Complete {
			t.Errorf("the abandoned real-time asset %s was completed", a.ID)
		}
	}
}

// A clip being recorded does not wait for the files running: it goes to the top of the
// queue and overtakes them, its first part sent while they are still under way.
func TestAClipBeingRecordedOvertakesTheFilesRunning(t *testing.T) {
	s := upload.DefaultSettings()
	s.ParallelFiles, s.ParallelChunks = 1, 2
	r := newRig(t, rigConfig{settings: s, sim: c2csim.Options{PartSize: 8 << 20}})
	r.watchRealtime(300 * time.Millisecond)
	// The offload running: its first two chunks are held 8 s each.
	big := writeFile(t, t.TempDir(), "A002C001.MOV", 24<<20)
	r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(8 * time.Second), Times: 2})
	r.add(big)
	r.waitFor("the offload sending", func(vs map[string]core.FileView) bool { return vs[big].State == core.Uploading })

	clip := record(t, r.dir, "A001C009.mov", 2*realtimePart+4096)
	clip.write(realtimePart + 1000)
	r.waitPartReceived("A001C009.mov", 1)
	if v, _ := r.view(big); v.State == core.Done {
		t.Errorf("the clip's first part went only once the offload was done")
	}
	if v, _ := r.view(clip.path); v.MovedTo() != core.Top {
		t.Errorf("the clip being recorded is not at the top of the queue (moved %q)", v.MovedTo())
	}
	clip.write(len(clip.data))
	clip.close()
	r.waitState(clip.path, core.Done)
	r.waitState(big, core.Done)
	r.checkIntact(clip.path, big)
}
