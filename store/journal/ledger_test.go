package journal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// finishT marks the stored file f uploaded, as the engine does when its asset is
// complete, and returns what it wrote.
func finishT(t testing.TB, j *Journal, f upload.File) upload.File {
	t.Helper()
	if f.AssetID == "" {
		f.AssetID = "asset-of-" + f.Name
	}
	f.ProjectID, f.ProjectName = "proj-42", "Holiday Shoot"
	f.State = upload.Done
	f.DoneAt = time.Now().Add(-time.Minute).Round(time.Millisecond)
	f.UpdatedAt = f.DoneAt
	if err := j.Update(context.Background(), f); err != nil {
		t.Fatalf("update file %d to done: %v", f.ID, err)
	}
	return f
}

// ledgerT reads the record of uploads beside the journal at path.
func ledgerT(t testing.TB, path string) []LedgerEntry {
	t.Helper()
	entries, err := ReadLedger(filepath.Dir(path))
	if err != nil {
		t.Fatalf("ReadLedger: %v", err)
	}
	return entries
}

// sameEntry fails unless e records the finished file f.
func sameEntry(t testing.TB, e LedgerEntry, f upload.File) {
	t.Helper()
	if e.path() != f.Path || e.Name != f.Name || e.Size != f.Size || e.ModTimeNS != f.ModTime.UnixNano() ||
		e.Fingerprint != f.Fingerprint || e.Filetype != f.Filetype || e.ProjectID != f.ProjectID ||
		e.ProjectName != f.ProjectName || e.AssetID != f.AssetID || !e.Done.Equal(f.DoneAt) {
		t.Errorf("ledger entry %+v does not record file %d %+v", e, f.ID, f)
	}
}

func closeT(t testing.TB, j *Journal) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestOnlyDoneAddsALineToTheRecordOfUploads(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	ctx := context.Background()
	files := insertT(t, j, queuedFile(1), queuedFile(2))
	if got := ledgerT(t, path); len(got) != 0 {
		t.Fatalf("queued files are in the record of uploads: %+v", got)
	}

	// Every state but done leaves the record alone, whatever else changes.
	a := startAssetT(t, j, files[0], 2)
	if err := j.Update(ctx, a, upload.Part{Index: 0}); err != nil {
		t.Fatal(err)
	}
	b := files[1]
	for _, s := range []upload.State{upload.Uploading, upload.Retrying, upload.Failed, upload.Queued} {
		b.State = s
		if err := j.Update(ctx, b); err != nil {
			t.Fatalf("update to %s: %v", s, err)
		}
	}
	if got := ledgerT(t, path); len(got) != 0 {
		t.Fatalf("files that are not done are in the record of uploads: %+v", got)
	}

	done := finishT(t, j, a)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), LedgerName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte("\n")); n != 1 || !bytes.HasSuffix(raw, []byte("\n")) {
		t.Fatalf("the record holds %d lines, want exactly one ending in a newline:\n%s", n, raw)
	}
	got := ledgerT(t, path)
	if len(got) != 1 {
		t.Fatalf("%d entries, want 1", len(got))
	}
	sameEntry(t, got[0], done)
	if got[0].Path != done.Path || got[0].PathBytes != nil {
		t.Errorf("a UTF-8 path is written as text: Path %q PathBytes %q", got[0].Path, got[0].PathBytes)
	}

	// Updates after it (here the other file failing) add nothing either.
	b.State = upload.Failed
	if err := j.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := ledgerT(t, path); len(got) != 1 {
		t.Errorf("%d entries after a later update to failed, want 1", len(got))
	}
}

// Any name the file system allows must come back byte for byte: the record is what
// keeps a file from being sent twice when the journal is lost.
func TestLedgerPathsRoundTripExactly(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	notUTF8, newline := queuedFile(1), queuedFile(2)
	notUTF8.Path = "/media/card/clip\xff.mov"
	newline.Path = "/media/card/two\nlines.mov"
	files := insertT(t, j, notUTF8, newline)
	want := []upload.File{finishT(t, j, files[0]), finishT(t, j, files[1])}

	raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), LedgerName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte("\n")); n != 2 {
		t.Errorf("the record holds %d newlines for 2 entries: a newline in a name must be escaped", n)
	}
	got := ledgerT(t, path)
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2", len(got))
	}
	if string(got[0].PathBytes) != notUTF8.Path || got[0].Path != "" {
		t.Errorf("a path that is not UTF-8 came back as Path %q PathBytes %q, want PathBytes %q",
			got[0].Path, got[0].PathBytes, notUTF8.Path)
	}
	if got[1].Path != newline.Path || got[1].PathBytes != nil {
		t.Errorf("a path with a newline came back as Path %q PathBytes %q", got[1].Path, got[1].PathBytes)
	}
	for i := range want {
		sameEntry(t, got[i], want[i])
	}
}

// A journal from before the record existed, or whose record was deleted by hand, writes
// the files it knows are done into a new record when it is opened.
func TestOpenSeedsAnEmptyLedgerWithTheDoneFiles(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	files := insertT(t, j, manyFiles(0, 3)...)
	want := []upload.File{finishT(t, j, files[0]), finishT(t, j, files[2])}
	closeT(t, j)
	if err := os.Remove(filepath.Join(filepath.Dir(path), LedgerName)); err != nil {
		t.Fatal(err)
	}

	j = openT(t, path, options{})
	got := ledgerT(t, path)
	if len(got) != len(want) {
		t.Fatalf("the seeded record holds %d entries, want the %d done files: %+v", len(got), len(want), got)
	}
	for i := range want {
		sameEntry(t, got[i], want[i])
	}

	// Seeding happens once: opening again does not add the same files again.
	closeT(t, j)
	openT(t, path, options{})
	if got := ledgerT(t, path); len(got) != len(want) {
		t.Errorf("%d entries after a second Open, want %d", len(got), len(want))
	}
}

// When the journal is damaged and moved aside, the files the record names come back as
// uploaded (so they are not sent again) but not as queue entries.
func TestDamagedJournalRecoversTheDoneFilesFromTheLedger(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	files := insertT(t, j, manyFiles(0, 4)...)
	var done []upload.File
	for _, f := range files[:3] {
		done = append(done, finishT(t, j, f))
	}
	closeT(t, j)
	garbage := bytes.Repeat([]byte("this is not a database, just bytes\x00\xff"), 500)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}

	j, err := Open(context.Background(), path)
	var moved *MovedAsideError
	if !errors.As(err, &moved) || j == nil {
		t.Fatalf("Open of a damaged journal = %v, %v; want a journal and *MovedAsideError", j, err)
	}
	t.Cleanup(func() { _ = j.Close() })
	if moved.Recovered != len(done) {
		t.Errorf("Recovered = %d, want the %d done files", moved.Recovered, len(done))
	}

	found, err := j.Uploaded(context.Background(), done)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range found {
		w := done[i]
		if f.ID == 0 {
			t.Errorf("file %q is not known as uploaded after the recovery", w.Path)
			continue
		}
		if f.State != upload.Done || f.Path != w.Path || f.Size != w.Size || !f.ModTime.Equal(w.ModTime) ||
			f.Fingerprint != w.Fingerprint || f.AssetID != w.AssetID || f.ProjectID != w.ProjectID ||
			!f.DoneAt.Equal(w.DoneAt) {
			t.Errorf("recovered %+v, want %+v", f, w)
		}
	}
	if recs := loadT(t, j); len(recs) != 0 {
		t.Errorf("recovered uploads are in the queue: %d records", len(recs))
	}

	ds, err := Damages(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("Damages = %+v, want one notice", ds)
	}
	if ds[0].Recovered != len(done) || ds[0].MovedTo != moved.MovedTo {
		t.Errorf("notice %+v, want Recovered %d, MovedTo %s", ds[0], len(done), moved.MovedTo)
	}
	if msg := ds[0].Message(); !strings.Contains(msg, moved.MovedTo) || !strings.Contains(msg, "3 finished uploads") {
		t.Errorf("Message() = %q, want the moved-to path and the count", msg)
	}
	if err := AcknowledgeDamage(path); err != nil {
		t.Fatal(err)
	}
	if ds, err := Damages(path); ds != nil || err != nil {
		t.Errorf("Damages after AcknowledgeDamage = %+v, %v; want nil", ds, err)
	}
}

// A journal deleted by hand (with its -wal and -shm) beside its record: Open imports the
// record quietly; nothing was damaged, so there is no notice.
func TestDeletedJournalIsRebuiltFromTheLedger(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	files := insertT(t, j, manyFiles(0, 3)...)
	done := []upload.File{finishT(t, j, files[0]), finishT(t, j, files[1])}
	closeT(t, j)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}

	j, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open beside a record of uploads: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	found, err := j.Uploaded(context.Background(), done)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range found {
		if f.ID == 0 || f.State != upload.Done || f.AssetID != done[i].AssetID {
			t.Errorf("file %q after the rebuild: %+v, want it known as uploaded", done[i].Path, f)
		}
	}
	if recs := loadT(t, j); len(recs) != 0 {
		t.Errorf("imported uploads are in the queue: %d records", len(recs))
	}
	if ds, err := Damages(path); ds != nil || err != nil {
		t.Errorf("Damages = %+v, %v; want no notice for a deleted journal", ds, err)
	}
	assertNothingMovedAside(t, filepath.Dir(path))
	// The import does not write the record again.
	if got := ledgerT(t, path); len(got) != len(done) {
		t.Errorf("%d entries after the import, want %d", len(got), len(done))
	}
}

// A crash in the middle of an append leaves half a line at the end of the record; the
// next entry starts on a line of its own, so only the cut one is lost.
func TestACutLedgerLineLosesOnlyThatLine(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	files := insertT(t, j, manyFiles(0, 2)...)
	first := finishT(t, j, files[0])
	closeT(t, j)

	ledger := filepath.Join(filepath.Dir(path), LedgerName)
	f, err := os.OpenFile(ledger, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"path":"/media/card/cut-off.mov","name":"cut-o`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	j = openT(t, path, options{})
	second := finishT(t, j, files[1])
	got := ledgerT(t, path)
	if len(got) != 2 {
		t.Fatalf("ReadLedger = %+v, want the first entry and the one written after the cut", got)
	}
	sameEntry(t, got[0], first)
	sameEntry(t, got[1], second)
}
