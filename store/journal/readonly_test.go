package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

func openReadOnlyT(t *testing.T, path string) *Journal {
	t.Helper()
	r, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenReadOnly %s: %v", path, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// A second process (a status command while the window runs) reads what the owner has
// committed, and cannot write.
func TestReadOnlyJournalSeesTheWriterButCannotWrite(t *testing.T) {
	path := tempJournal(t)
	w := openT(t, path, options{})
	ctx := context.Background()
	files := insertT(t, w, manyFiles(0, 3)...)
	done := finishT(t, w, files[0])

	r := openReadOnlyT(t, path)
	recs, err := r.Load(ctx)
	if err != nil {
		t.Fatalf("Load through the read-only journal: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("Load = %d records, want the 3 the writer committed", len(recs))
	}
	sameFile(t, recs[0].File, done)
	found, err := r.Uploaded(ctx, []upload.File{done, files[1]})
	if err != nil {
		t.Fatalf("Uploaded through the read-only journal: %v", err)
	}
	if found[0].ID != done.ID || found[1].ID != 0 {
		t.Errorf("Uploaded = files %d and %d, want %d and 0", found[0].ID, found[1].ID, done.ID)
	}

	// What the writer commits later is seen too: the reader does not keep an old snapshot.
	later := insertT(t, w, queuedFile(100))[0]
	if err := w.Hide(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	recs, err = r.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].File.ID != later.ID {
		t.Errorf("Load after the writer's later commits = %d records, want files 2, 3 and %d", len(recs), later.ID)
	}

	// A bounded wait: a read-only journal has no writer, so a write that got past the
	// check would wait for one forever.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	started := withAsset(files[1], 2)
	writes := map[string]func() error{
		"Insert":     func() error { _, err := r.Insert(ctx, []upload.File{queuedFile(200)}); return err },
		"Update":     func() error { return r.Update(ctx, files[1]) },
		"UpdateDone": func() error { f := files[1]; f.State = upload.Done; return r.Update(ctx, f) },
		"Hide":       func() error { return r.Hide(ctx, files[1].ID) },
		"Remove":     func() error { return r.Remove(ctx, files[1].ID) },
		"ChunkDone":  func() error { return r.ChunkDone(ctx, files[1].ID, upload.Part{Index: 0}) },
		"StartAsset": func() error { return r.StartAsset(ctx, started) },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s through the read-only journal = %v, want ErrReadOnly", name, err)
		}
	}
	// Nothing was written behind the writer's back.
	recs = loadT(t, w)
	if len(recs) != 3 || recs[0].File.ID != files[1].ID || recs[0].File.State != upload.Queued {
		t.Errorf("the writer's journal changed: %+v", recs)
	}
	if got := ledgerT(t, path); len(got) != 1 {
		t.Errorf("the record of uploads holds %d entries, want 1", len(got))
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close of the read-only journal: %v", err)
	}
	if _, err := r.Load(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close = %v, want ErrClosed", err)
	}
}

// A read-only open must never make the journal it was asked to read (nor its folder).
func TestReadOnlyOpenOfAMissingJournalFailsAndMakesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "journal.db"), filepath.Join(dir, "sub", "journal.db")} {
		r, err := OpenReadOnly(context.Background(), path)
		if err == nil {
			r.Close()
			t.Fatalf("OpenReadOnly of the missing %s succeeded", path)
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenReadOnly of the missing %s = %v, want it to say the file does not exist", path, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("OpenReadOnly made %s", e.Name())
	}
}
