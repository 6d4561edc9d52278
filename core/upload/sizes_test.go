package upload_test

import (
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// TestUploadSizes uploads files at the edges of the chunk arithmetic (docs/api-notes.md §3.2)
// and checks that the simulator assembled exactly each file's bytes, that every chunk
// request was well formed, that nothing was sent twice, and that the reopened journal
// agrees; a restart then sends nothing more.
func TestUploadSizes(t *testing.T) {
	r := newRig(t, rigConfig{})
	sizes := map[string]int64{
		"empty.mov":       0,
		"one-byte.wav":    1,
		"one-part.mp4":    rigPartSize,
		"part-plus-1.jpg": rigPartSize + 1,
		"many-parts.mxf":  40*rigPartSize + 12345,
		// 5 parts of ceil(300001/5) = 60001 bytes, the last one 59997: the URLs do not
		// divide the size evenly.
		"uneven.braw": 300001,
		"no-ext":      3*rigPartSize - 7, // a type sniffed from the content
	}
	var paths []string
	for name, size := range sizes {
		paths = append(paths, writeFile(t, r.dir, name, size))
	}
	res := r.add(r.dir)
	if len(res.Added) != len(sizes) || len(res.Rejected) != 0 {
		t.Fatalf("Add(dir) added %d, rejected %v; want %d added", len(res.Added), res.Rejected, len(sizes))
	}
	r.waitFinished()
	assets := r.checkIntact(paths...)

	for _, p := range paths {
		a := assets[p]
		v, _ := r.view(p)
		wantParts := 1
		if v.Size > 0 {
			wantParts = int((v.Size + rigPartSize - 1) / rigPartSize)
		}
		if a.PartCount != wantParts || v.Chunks != wantParts || v.ChunksDone != wantParts {
			t.Errorf("%s: %d parts in the simulator, %d/%d chunks in the view; want %d",
				v.Name, a.PartCount, v.ChunksDone, v.Chunks, wantParts)
		}
		if a.Filetype != upload.Filetype(p) {
			t.Errorf("%s: filetype %q, want %q", v.Name, a.Filetype, upload.Filetype(p))
		}
		for _, part := range a.Parts {
			if part.Attempts != 1 || part.Puts != 1 {
				t.Errorf("%s part %d: %d attempts, %d acknowledged PUTs; want 1 each", v.Name, part.Number, part.Attempts, part.Puts)
			}
		}
	}
	if a := assets[paths[0]]; a.Filetype == "" {
		t.Errorf("no filetype sent")
	}
	uneven := assets[filepath.Join(r.dir, "uneven.braw")]
	if uneven.PartCount != 5 || uneven.PartSize != 60001 || uneven.Parts[4].Size != 59997 {
		t.Errorf("uneven.braw: %d parts of %d, last %d; want 5 of 60001, last 59997",
			uneven.PartCount, uneven.PartSize, uneven.Parts[len(uneven.Parts)-1].Size)
	}
	if n := r.checkChunkHygiene(); n < 50 {
		t.Errorf("only %d chunk requests in the log", n)
	} else {
		t.Logf("%d chunk requests, all well formed", n)
	}
	r.noResend()
	if n := len(r.sim.Assets()); n != len(sizes) {
		t.Errorf("%d assets made, want one per file (%d)", n, len(sizes))
	}
	r.checkJournal(doneAll(paths...))

	// Opened again, the queue is the same and nothing is sent again.
	before := len(r.sim.Requests(0))
	r.restart()
	vs := r.views()
	for _, p := range paths {
		if vs[p].State != core.Done || vs[p].BytesDone != vs[p].Size {
			t.Errorf("after a restart %s is %s with %d/%d bytes", vs[p].Name, vs[p].State, vs[p].BytesDone, vs[p].Size)
		}
	}
	// Naming the same files again is refused as already uploaded.
	res, err := r.svc.Add(context.Background(), []string{r.dir}, core.AddOptions{})
	if err != nil || len(res.Added) != 0 || len(res.Rejected) != len(sizes) {
		t.Fatalf("adding the folder again: %v, added %d, rejected %d", err, len(res.Added), len(res.Rejected))
	}
	for _, rej := range res.Rejected {
		if !rej.AlreadyUploaded() || rej.UploadedTo != r.project || rej.Existing == 0 {
			t.Errorf("%s rejected with %q (existing %d, uploaded to %q at %s), want already uploaded to %q", rej.Path, rej.Reason, rej.Existing, rej.UploadedTo, rej.UploadedAt, r.project)
		}
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong request to be made
	for _, q := range r.sim.Requests(0)[before:] {
		if q.Kind == "s3" || q.Path == "/v2/devices/assets" {
			t.Errorf("after the restart: %s %s", q.Method, q.Path)
		}
	}
}
