package upload

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// A watched folder hands a file over again when it changed (a clip still being written
// that settled twice, a rescan): while the file's upload is on its way it gets no second
// entry — a second asset of one clip — and a failed one is not retried unasked.
func TestAWatchedFolderNeverQueuesAPathTwice(t *testing.T) {
	c := &fakeClient{parts: 1}
	rejected := error(&api.Error{Kind: api.KindUploadRejected, Retry: api.RetryNo, Status: 400})
	c.createErr.Store(&rejected)
	r := newOwnerRig(t, Settings{ParallelFiles: 1, ParallelChunks: 1}, c)
	r.run()
	folder := r.dir
	failing := filepath.Join(folder, "A001", "failing.mov")
	if err := os.MkdirAll(filepath.Dir(failing), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(failing, []byte("first take"), 0o644); err != nil {
		t.Fatal(err)
	}
	watched := AddOptions{Folder: folder}
	res, err := r.e.Add(context.Background(), []string{failing}, watched)
	if err != nil || len(res.Added) != 1 {
		t.Fatalf("first hand-over: %+v, %v", res, err)
	}
	v := res.Added[0]
	if v.Root != folder {
		t.Errorf("the file's batch root is %q, want the watched folder %q", v.Root, folder)
	}
	waitState(t, r, v.ID, Failed)
	c.createErr.Store(nil)

	// Found again unchanged (a rescan): neither retried nor queued a second time.
	res, err = r.e.Add(context.Background(), []string{failing}, watched)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 0 || len(res.Again) != 0 || len(res.Rejected) != 1 || res.Rejected[0].Existing != v.ID {
		t.Fatalf("found again unchanged: %d added, %d again, rejected %+v; want it left as it is", len(res.Added), len(res.Again), res.Rejected)
	}
	if st := r.state(v.ID); st != Failed {
		t.Errorf("the failed file is %s, want it left failed for a person", st)
	}

	// Another take under its name (written again): its entry goes again, with the file as
	// it is now — still one entry for the path.
	if err := os.WriteFile(failing, []byte("second take, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = r.e.Add(context.Background(), []string{failing}, watched)
	if err != nil || len(res.Added) != 0 || len(res.Again) != 1 || res.Again[0].ID != v.ID {
		t.Fatalf("another take: %+v, %v; want its entry queued again", res, err)
	}
	waitState(t, r, v.ID, Done)
	views, _ := r.e.Snapshot()
	if len(views) != 1 {
		t.Errorf("%d files in the queue, want 1", len(views))
	}
	if f, _ := r.j.row(v.ID); f.Size != int64(len("second take, longer")) {
		t.Errorf("uploaded at %d bytes, want the second take's %d", f.Size, len("second take, longer"))
	}
}

// The files a watched folder hands over on one day join one batch (AddedAt), and what
// hides among them — hidden files, the system's litter, the offload's hash lists — is
// passed over without a word.
func TestAWatchedFolderJoinsItsBatchAndPassesOverLitter(t *testing.T) {
	r := newOwnerRig(t, Settings{ParallelFiles: 1, ParallelChunks: 1, ManualStart: true}, &fakeClient{parts: 1})
	folder := r.dir
	write := func(rel string) string {
		p := filepath.Join(folder, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	day := time.Date(2026, 12, 3, 9, 0, 0, 0, time.Local)
	clip := write("A001/clip.mov")
	res, err := r.e.Add(context.Background(), []string{clip, write(".hidden.mov"), write("Thumbs.db"), write("ascmhl/0001_x.mhl"), write("ascmhl/ascmhl_chain.xml")},
		AddOptions{Folder: folder, AddedAt: day})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || res.Added[0].Path != clip || len(res.Rejected) != 0 {
		t.Fatalf("added %d, rejected %+v; want clip.mov alone, the rest passed over", len(res.Added), res.Rejected)
	}
	later, err := r.e.Add(context.Background(), []string{write("A002/sound.wav")}, AddOptions{Folder: folder, AddedAt: day})
	if err != nil || len(later.Added) != 1 {
		t.Fatal(later, err)
	}
	if a, b := res.Added[0].AddedAt, later.Added[0].AddedAt; !a.Equal(day) || !b.Equal(day) {
		t.Errorf("batches %v and %v, want both %v", a, b, day)
	}
}

// WindDown lets the request in flight end and starts nothing more: no other file, no
// other chunk. The channel closes once nothing is in flight.
func TestWindDownLetsTheRequestsInFlightEndAndStartsNothing(t *testing.T) {
	c := &fakeClient{parts: 4, putDelay: 300 * time.Millisecond}
	r := newOwnerRig(t, Settings{ParallelFiles: 1, ParallelChunks: 1}, c)
	r.run()
	paths := r.files(3, 4000)
	views := r.add(paths...)
	waitState(t, r, views[0].ID, Uploading)
	idle, err := r.e.WindDown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-idle:
	case <-time.After(30 * time.Second):
		t.Fatal("the requests in flight never ended")
	}
	c.mu.Lock()
	inFlight, created := c.inFlight, c.n
	c.mu.Unlock()
	if inFlight != 0 {
		t.Errorf("%d requests in flight once wound down", inFlight)
	}
	time.Sleep(3 * c.putDelay) // time enough for a chunk or a file that would start
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight != 0 || c.n != created || created != 1 {
		t.Errorf("after winding down: %d in flight, %d assets created (1 before); want nothing more", c.inFlight, c.n)
	}
	for _, v := range views {
		if st := r.state(v.ID); st == Done {
			t.Errorf("%s is done: its chunks went on", v.Name)
		}
	}
}
