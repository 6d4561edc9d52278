package upload_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// TestBadInputDeletedAfterQueuing deletes a file that waits its turn behind another:
// when its turn comes it fails with a clear reason and the next file goes on.
func TestBadInputDeletedAfterQueuing(t *testing.T) {
	// One PUT at a time in all: nothing starts beside the first file (a budget of
	// several PUTs would let small files go alongside it).
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 1}})
	r.slowChunks(20 * time.Millisecond)
	paths := r.batch(3)
	r.add(paths...)
	r.waitChunks(paths[0], 1)
	if v, _ := r.view(paths[1]); v.State != core.Queued {
		t.Fatalf("the second file is %s, want still queued", v.State)
	}
	if err := os.Remove(paths[1]); err != nil {
		t.Fatal(err)
	}
	vs := r.waitFinished()
	if v := vs[paths[1]]; v.State != core.Failed || v.ErrorKind != string(api.KindLocalFile) {
		t.Errorf("the deleted file is %s (%s %q), want failed (LocalFile)", v.State, v.ErrorKind, v.Error)
	}
	r.checkIntact(paths[0], paths[2])
	if n := len(r.assetsByName()["clip-01.mov"]); n != 0 {
		t.Errorf("%d assets made for the deleted file", n)
	}
	r.noResend()
	want := doneAll(paths[0], paths[2])
	want[paths[1]] = journalWant{state: core.Failed, kind: api.KindLocalFile}
	r.checkJournal(want)
}

// TestBadInputGrowingFile appends to a file while it is being uploaded, for a while.
// The engine notices the change once the chunks of the first asset are in, waits until
// the file has settled, and uploads its final content under a new asset; the journal
// names that asset.
func TestBadInputGrowingFile(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.staleOK = true
	r.slowChunks(40 * time.Millisecond)
	p := writeFile(t, r.dir, "recording.mov", 8*rigPartSize)
	r.add(p)
	r.waitChunks(p, 1)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for i := range 40 {
			if _, err := f.Write(noise(3000+int64(i), "more")); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	wg.Wait()
	final, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	a := r.checkIntact(p)[p]
	if a.Filesize != final.Size() {
		t.Errorf("the asset has %d bytes, the final file %d", a.Filesize, final.Size())
	}
	if n := len(r.assetsByName()["recording.mov"]); n < 2 {
		t.Errorf("%d assets: the file changed under the first one, so there must be a second", n)
	}
	if !r.sawFileState(p, core.Waiting) {
		t.Errorf("the file was never seen waiting to settle")
	}
	r.noResendAfterJournal()
	recs := r.checkJournal(doneAll(p))
	if len(recs) == 1 && recs[0].File.AssetID != a.ID {
		t.Errorf("the journal names asset %s, want the complete one %s", recs[0].File.AssetID, a.ID)
	}
}

// TestBadInputFileThatKeepsChanging changes a file during each of its first four upload
// passes. The engine starts such a file over a few times; when it gives up it must not
// call the file uploaded (the server holds an older content): it fails with a reason,
// and Retry, once the file is still, uploads the final content.
func TestBadInputFileThatKeepsChanging(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.staleOK = true
	r.slowChunks(150 * time.Millisecond)
	p := writeFile(t, r.dir, "restless.mov", 4*rigPartSize)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// One append as soon as each of the first four assets is made: the engine has
		// checked the file just before, and its chunks take at least 150 ms.
		defer wg.Done()
		seen := 0
		for seen < 4 {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			n := len(r.assetsByName()["restless.mov"])
			if n <= seen {
				continue
			}
			seen = n
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			_, err = f.Write(noise(1000+int64(n), "restless"))
			_ = f.Close()
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	r.add(p)
	v := r.waitFinished()[p]
	close(stop)
	wg.Wait()
	if v.State != core.Done {
		if v.State != core.Failed || v.ErrorKind != string(api.KindLocalFile) || !strings.Contains(v.Error, "changing") {
			t.Fatalf("the file is %s (%s %q), want done, or failed saying it kept changing", v.State, v.ErrorKind, v.Error)
		}
		t.Logf("gave up: %s", v.Error)
		if err := r.svc.Retry(context.Background(), core.One(v.ID)); err != nil {
			t.Fatal(err)
		}
		r.waitFinished()
	}
	r.checkIntact(p)
	r.noResendAfterJournal()
	r.checkJournal(doneAll(p))
}

// TestBadInputThousandSmallFiles queues a folder of 1,000 small files at once.
func TestBadInputThousandSmallFiles(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	dir := filepath.Join(r.dir, "card")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range 1000 {
		paths = append(paths, writeFile(t, dir, fmt.Sprintf("IMG_%04d.JPG", i), int64(100+i*7)))
	}
	// OS litter in the folder is left out silently.
	for _, junk := range []string{".DS_Store", "Thumbs.db", "._IMG_0001.JPG"} {
		writeFile(t, dir, junk, 10)
	}
	res := r.add(dir)
	if len(res.Added) != 1000 || len(res.Rejected) != 0 {
		t.Fatalf("added %d, rejected %d; want 1000 and none", len(res.Added), len(res.Rejected))
	}
	r.run()
	r.waitFinished()
	r.checkIntact(paths...)
	if n := len(r.sim.Assets()); n != 1000 {
		t.Errorf("%d assets, want 1000", n)
	}
	r.noResend()
	r.checkJournal(doneAll(paths...))
}

// TestBadInputDuplicateDrops drops the same file again: while it is queued, once it has
// arrived, twice in one drop, and through its folder; only --force queues it again.
func TestBadInputDuplicateDrops(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	p := writeFile(t, r.dir, "twice.mov", 3*rigPartSize)
	res := r.add(p, p)
	if len(res.Added) != 1 || len(res.Rejected) != 0 {
		t.Fatalf("one drop naming the file twice: added %d, rejected %+v; want it queued once", len(res.Added), res.Rejected)
	}
	id := res.Added[0].ID
	for _, again := range [][]string{{p}, {r.dir}} {
		res = r.add(again...)
		if len(res.Added) != 0 || len(res.Rejected) != 1 || res.Rejected[0].Existing != id ||
			!strings.Contains(res.Rejected[0].Reason, "already") {
			t.Fatalf("dropping %v again while queued: added %d, rejected %+v; want it rejected as already queued",
				again, len(res.Added), res.Rejected)
		}
	}
	r.run()
	r.waitFinished()
	res = r.add(p)
	if len(res.Added) != 0 || len(res.Rejected) != 1 || !res.Rejected[0].AlreadyUploaded() ||
		!strings.HasPrefix(res.Rejected[0].Reason, "already in “"+r.project+"”, uploaded ") {
		t.Fatalf("dropping it once it arrived: added %d, rejected %+v; want \"already in “%s”, uploaded …\"", len(res.Added), res.Rejected, r.project)
	}
	r.checkIntact(p)
	if n := len(r.sim.Assets()); n != 1 {
		t.Errorf("%d assets for one file dropped four times", n)
	}
	forced, err := r.svc.Add(context.Background(), []string{p}, core.AddOptions{Force: true})
	if err != nil || len(forced.Added) != 1 {
		t.Fatalf("forcing it: %v, %+v", err, forced)
	}
	r.waitFinished()
	if n := len(r.sim.Assets()); n != 2 {
		t.Errorf("%d assets after a forced upload, want 2", n)
	}
	r.noResend()
}

// TestBadInputNonUTF8Names uploads files whose names are not valid UTF-8 (bytes from an
// old camera or a Windows card) or are decomposed (as a Mac writes them): the asset name
// is valid UTF-8 in NFC, the path on disk is kept byte for byte, and the upload works.
func TestBadInputNonUTF8Names(t *testing.T) {
	r := newRig(t, rigConfig{})
	latin1 := writeFile(t, r.dir, "clip-\xff.mov", 2*rigPartSize+5)
	decomposed := writeFile(t, r.dir, "Cafe\u0301.mov", rigPartSize/2)
	r.add(r.dir)
	vs := r.waitFinished()
	names := map[string]string{latin1: "clip-\uFFFD.mov", decomposed: "Caf\u00e9.mov"}
	for p, want := range names {
		v := vs[p]
		if v.Name != want || !utf8.ValidString(v.Name) {
			t.Errorf("%q is named %q, want %q", p, v.Name, want)
		}
		if len(r.assetsByName()[want]) != 1 {
			t.Errorf("no asset named %q: %v", want, r.assetsByName())
		}
	}
	r.checkIntact(latin1, decomposed)
	r.checkChunkHygiene()
	recs := r.checkJournal(doneAll(latin1, decomposed))
	for _, rec := range recs {
		if rec.File.Path != latin1 && rec.File.Path != decomposed {
			t.Errorf("the journal changed a path to %q", rec.File.Path)
		}
	}
}

// TestBadInputDeletedWhileUploading deletes a file once its upload is under way. Every
// chunk is read from the file opened at the start (checked unchanged then), so the
// upload completes with the queued content and the file is done, not failed.
func TestBadInputDeletedWhileUploading(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 2}})
	r.slowChunks(20 * time.Millisecond)
	p := writeFile(t, r.dir, "deleted-mid-way.mov", 6*rigPartSize)
	want := fileSHA(t, p)
	content, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r.add(p)
	r.waitChunks(p, 1)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	vs := r.waitFinished()
	if v := vs[p]; v.State != core.Done {
		t.Fatalf("the file deleted mid-upload is %s (%s %q), want done", v.State, v.ErrorKind, v.Error)
	}
	assets := r.assetsByName()["deleted-mid-way.mov"]
	if len(assets) != 1 || !assets[0].Complete || assets[0].SHA256 != want {
		t.Fatalf("assets %+v, want one complete with the queued content %s", assets, want)
	}
	r.noResend()
	// checkJournal compares the asset with the file on disk: put the content back.
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	r.checkJournal(doneAll(p))
}
