//go:build linux

package headless

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
)

// TestUploadStopsOnAFullDisk: when the disk holding the data folder fills up in the
// middle of a run, `upload` stops at once with exit 1 and says which disk is full and
// what to do (it used to retry for ever, its log filling the space freed); once there is
// room, the next run finishes the queue, every file arriving exactly once.
func TestUploadStopsOnAFullDisk(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	e.DataDir = filepath.Join(disktest.Small(t, 6<<20), "data")
	pair(ctx, t, e, "Full Disk", nil)

	media := t.TempDir()
	sums := map[string]string{}
	for _, name := range []string{"a.mov", "b.mov", "c.mov", "d.wav", "e.wav", "f.wav"} {
		_, sums[name] = writeFile(t, media, name, 600<<10)
	}
	if _, err := e.Sim.Admin.AddFault(ctx, c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 512 << 10}); err != nil {
		t.Fatal(err)
	}
	up := start(ctx, t, e, nil, "upload", media)
	waitFor(ctx, t, "the first chunk at the simulator", func() (bool, error) {
		for _, rq := range requests(ctx, t, e) {
			if rq.Kind == "s3" && rq.Status == 200 {
				return true, nil
			}
		}
		return false, nil
	})
	filler := disktest.Fill(t, filepath.Dir(e.DataDir))
	began := time.Now()
	r := up.wait(ctx)
	if waited := time.Since(began); waited > 30*time.Second {
		t.Errorf("upload took %s to stop after the disk filled", waited.Round(time.Second))
	}
	expectCode(t, "upload on a full disk", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "the disk holding "+e.DataDir+" is full", "free some space and run it again")
	if strings.Count(r.Stderr, "is full") > 3 {
		t.Errorf("the full disk is told over and over:\n%s", r.Stderr)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	again := run(ctx, t, e, nil, "upload", media)
	expectCode(t, "upload once there is room", again, 0)
	expectArrived(ctx, t, e, sums)
}
