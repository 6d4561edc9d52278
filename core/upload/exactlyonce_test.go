package upload_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Clearing the list hides uploaded files but keeps their record: a card put back after
// more shooting (the same files, and some new) sends only the new ones, also after a
// restart; forcing sends one again on purpose.
func TestClearedFilesStayUploaded(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	a := writeFile(t, r.dir, "a.mov", 3*rigPartSize+5)
	b := writeFile(t, r.dir, "b.wav", 100)
	r.add(r.dir)
	r.waitFinished()
	if err := r.svc.ClearFinished(context.Background()); err != nil {
		t.Fatal(err)
	}
	if vs := r.views(); len(vs) != 0 {
		t.Fatalf("after Clear finished the list holds %d files", len(vs))
	}
	r.restart()
	c := writeFile(t, r.dir, "c.mxf", rigPartSize+1) // shot since
	res := r.add(r.dir)
	if len(res.Added) != 1 || res.Added[0].Path != c {
		t.Fatalf("adding the card again queued %+v, want only %s", res.Added, c)
	}
	for _, rej := range res.Rejected {
		if !rej.AlreadyUploaded() || rej.UploadedTo != r.project || rej.Existing != 0 {
			t.Errorf("%s: %+v, want already uploaded to %q (and no longer in the list)", rej.Path, rej, r.project)
		}
	}
	if len(res.Rejected) != 2 {
		t.Errorf("rejected %+v, want %s and %s as uploaded already", res.Rejected, a, b)
	}
	r.waitFinished()
	r.checkIntact(c)
	for _, p := range []string{a, b} {
		if as := r.assetsByName()[filepath.Base(p)]; len(as) != 1 || !as[0].Complete || as[0].SHA256 != fileSHA(t, p) {
			t.Errorf("%s: assets %+v, want the one complete upload from before", p, as)
		}
	}
	r.expectAssets(3)

	forced, err := r.svc.Add(context.Background(), []string{b}, core.AddOptions{Force: true})
	if err != nil || len(forced.Added) != 1 {
		t.Fatalf("forcing %s: %v, %+v", b, err, forced)
	}
	r.waitFinished()
	r.expectAssets(4)
}

// A file that changes while its chunks are being sent never leaves a complete asset with
// the bytes it had before: the part that would complete the asset is stopped short, the
// file waits until it stops changing, and a new asset gets its final content.
func TestAFileChangingMidUploadNeverCompletesWithOldBytes(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 2}})
	r.staleOK = false
	p := writeFile(t, r.dir, "growing.mov", 6*rigPartSize)
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 256 << 10})
	r.add(p)
	r.run()
	r.waitChunks(p, 1)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(noise(2*rigPartSize+7, "appended")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Admin.RemoveFault(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	if v := r.waitFinished()[p]; v.State != core.Done || v.Size != 8*rigPartSize+7 {
		t.Fatalf("the file ended %s with %d bytes, want done with all %d", v.State, v.Size, 8*rigPartSize+7)
	}
	final := fileSHA(t, p)
	complete := 0
	for _, a := range r.assetsByName()["growing.mov"] {
		switch {
		case a.Complete && a.SHA256 == final:
			complete++
		case a.Complete:
			t.Errorf("asset %s is complete with %d bytes of an older content", a.ID, a.Filesize)
		}
	}
	if complete != 1 {
		t.Errorf("%d complete assets with the final content, want 1", complete)
	}
}

// When the device is paired with another project, files queued for the first one are not
// sent to the second: they are held, the person is asked once, and they go to the new
// project only when told to (Redirect); pairing with their own project again sends them
// there by themselves.
func TestRePairedFilesAreHeldForTheirProject(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{})
	first := r.project
	paths := []string{
		writeFile(t, r.dir, "1.mov", rigPartSize*2),
		writeFile(t, r.dir, "2.mov", 300),
		writeFile(t, r.dir, "3.wav", 300),
	}
	r.add(r.dir)
	for _, v := range r.views() {
		if v.Project != first {
			t.Fatalf("%s is queued for %q, want the project paired when it was added (%q)", v.Name, v.Project, first)
		}
	}
	// The project's editor pairs this computer with another project before the queue
	// runs (a revoked device reconnected elsewhere).
	coretest.Pair(t, r.svc, r.sim, "Second Project", waitLong)
	r.run()
	r.waitFor("every file held", func(vs map[string]core.FileView) bool {
		for _, p := range paths {
			if vs[p].State != core.Held {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // room for a wrong asset creation to happen
	r.expectAssets(0)
	asked := 0
	for _, a := range r.alerts() {
		if a.Kind == core.AlertOtherProject {
			asked++
			if len(a.Files) != len(paths) {
				t.Errorf("the alert names %d files, want %d", len(a.Files), len(paths))
			}
		}
	}
	if asked != 1 {
		t.Errorf("the person was asked %d times, want once", asked)
	}
	if _, tot := r.svc.Snapshot(); tot.Held != len(paths) || tot.FilesRemaining != 0 {
		t.Errorf("totals %+v, want %d held and nothing for the engine to do", tot, len(paths))
	}

	// Pairing with the first project again sends them there, unasked.
	coretest.Pair(t, r.svc, r.sim, first, waitLong)
	r.waitFinished()
	for _, a := range r.sim.Assets() {
		if a.Project != first {
			t.Errorf("asset %s (%s) went to %q, want %q", a.ID, a.Name, a.Project, first)
		}
	}
	r.checkIntact(paths...)

	// Back with the second project, a new file goes there, and files sent on purpose
	// (Redirect) too.
	coretest.Pair(t, r.svc, r.sim, "Second Project", waitLong)
	late := writeFile(t, t.TempDir(), "late.mov", 500)
	r.add(late)
	if v, _ := r.view(late); v.Project != "Second Project" {
		t.Fatalf("a file added now is meant for %q", v.Project)
	}
	r.waitFinished()
	if err := r.svc.Redirect(context.Background(), core.All); err != nil {
		t.Fatal(err)
	}
	for _, a := range r.assetsByName()["late.mov"] {
		if a.Project != "Second Project" {
			t.Errorf("late.mov went to %q", a.Project)
		}
	}
}

// A full disk under the journal stops the queue at once, says so once, and the queue
// goes on by itself when there is room again, without sending again what S3 acknowledged
// meanwhile.
func TestDiskFullStopsAndResumesWithoutResending(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 2}})
	big := writeFile(t, r.dir, "big.mov", 8*rigPartSize)
	small := writeFile(t, r.dir, "small.mov", 200) // after big.mov: both originals, big.mov shot first
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 256 << 10})
	r.add(big, small)
	r.run()
	r.waitChunks(big, 1)
	r.rec.setFull(true)
	r.waitFor("the queue to say the disk is full", func(map[string]core.FileView) bool {
		_, t := r.svc.Snapshot()
		return t.DiskFull
	})
	if err := r.sim.Admin.RemoveFault(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	// The chunks in flight are acknowledged by S3, but cannot be written down; the
	// second file must not start meanwhile.
	time.Sleep(500 * time.Millisecond)
	if v, _ := r.view(small); v.State != core.Queued {
		t.Fatalf("%s started while the disk was full (%s)", small, v.State)
	}
	r.rec.setFull(false)
	r.waitFinished()
	r.checkIntact(big, small)
	r.noResend()
	n := 0
	for _, a := range r.alerts() {
		if a.Kind == core.AlertDiskFull {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the full disk was told %d times, want once", n)
	}
	if _, tot := r.svc.Snapshot(); tot.DiskFull {
		t.Error("the totals still say the disk is full")
	}
}

// diskFullError is what the store's journal returns on a full disk, for the rig.
type diskFullError struct{}

func (diskFullError) Error() string        { return "the disk holding the test journal is full (0 B free)" }
func (diskFullError) Is(target error) bool { return target == upload.ErrDiskFull }

// full makes the rig's journal refuse writes as a full disk does while it is set.
type full struct{ on atomic.Bool }

func (f *full) check() error {
	if f.on.Load() {
		return diskFullError{}
	}
	return nil
}
