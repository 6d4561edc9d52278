package journal

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Clearing a finished file from the list must not forget that it was uploaded: its row
// is what stops the same content from being sent again.
func TestHideKeepsTheRowButTakesItOutOfTheQueue(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	files := insertT(t, j, queuedFile(1), queuedFile(2))
	f := startAssetT(t, j, files[0], 3)
	for i := range 3 {
		if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: i}); err != nil {
			t.Fatal(err)
		}
	}
	done := finishT(t, j, f)
	if n := len(chunkRows(t, j, done.ID)); n != 3 {
		t.Fatalf("the done file has %d chunk rows before Hide, want 3", n)
	}

	if err := j.Hide(ctx, done.ID); err != nil {
		t.Fatalf("Hide: %v", err)
	}
	recs := loadT(t, j)
	if len(recs) != 1 || recs[0].File.ID != files[1].ID {
		t.Errorf("Load after Hide = %d records, want only file %d", len(recs), files[1].ID)
	}
	if rows := chunkRows(t, j, done.ID); len(rows) != 0 {
		t.Errorf("the hidden file still has chunk rows %v", rows)
	}
	found, err := j.Uploaded(ctx, []upload.File{done})
	if err != nil {
		t.Fatal(err)
	}
	if found[0].ID != done.ID || found[0].State != upload.Done || found[0].AssetID != done.AssetID {
		t.Errorf("Uploaded of the hidden file = %+v, want file %d, done", found[0], done.ID)
	}

	// The hidden row is not in the queue after a restart either.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openT(t, j.Path(), options{})
	if recs := loadT(t, j); len(recs) != 1 {
		t.Errorf("Load after reopening = %d records, want 1", len(recs))
	}
}

// A batch's receipts name its files cleared from the list too: Cleared finds them by
// when they were added, oldest first, and not the files still listed or another batch's;
// more batches than one query takes are looked up in several.
func TestClearedFindsTheHiddenFilesOfTheBatchesAsked(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	day := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var queued []upload.File
	for i := range 600 {
		f := queuedFile(i)
		f.AddedAt = day.Add(time.Duration(i%3) * time.Hour) // three batches
		queued = append(queued, f)
	}
	files := insertT(t, j, queued...)
	var want []upload.FileID
	for i, f := range files {
		if i%2 == 1 {
			continue // listed, not cleared
		}
		done := finishT(t, j, f)
		if err := j.Forget(ctx, []upload.FileID{done.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if i%3 != 2 {
			want = append(want, done.ID)
		}
	}
	var asked []time.Time
	for i := range 600 {
		asked = append(asked, day.Add(-time.Duration(i+1)*time.Minute)) // batches with nothing cleared
	}
	asked = append(asked, day.Add(time.Hour), day) // past the first query's
	got, err := j.Cleared(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	var ids []upload.FileID
	for _, f := range got {
		if f.State != upload.Done || f.AssetID == "" {
			t.Errorf("cleared file %d is %s with asset %q, want done with its asset", f.ID, f.State, f.AssetID)
		}
		ids = append(ids, f.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("Cleared = %d files %v, want %d files %v", len(ids), ids, len(want), want)
	}
}

// A batch whose receipts are due for a file cleared from the list is found at start
// (UnreceiptedCleared): not one whose cleared files were written since they were done,
// nor one whose due file is still listed (the list tells that), nor a file added
// without a folder (no batch).
func TestUnreceiptedClearedFindsTheBatchesWithClearedFilesDue(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	day := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	batch := func(i int, root string) upload.File {
		f := queuedFile(i)
		f.AddedAt, f.Root = day.Add(time.Duration(i)*time.Hour), root
		return f
	}
	files := insertT(t, j, batch(1, "/card/A001"), batch(2, "/card/A002"), batch(3, "/card/A003"), batch(4, ""))
	for i, f := range files {
		done := finishT(t, j, f)
		if i == 1 {
			if err := j.Receipted(ctx, []upload.FileID{done.ID}, done.DoneAt.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if i == 2 {
			continue // stays listed
		}
		if err := j.Forget(ctx, []upload.FileID{done.ID}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.UnreceiptedCleared(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Equal(day.Add(time.Hour)) {
		t.Errorf("UnreceiptedCleared = %v, want only the batch added at %v", got, day.Add(time.Hour))
	}
}

func TestHideOfAnUnknownFileIsNotFound(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	f := insertT(t, j, queuedFile(1))[0]
	err := j.Hide(context.Background(), f.ID+100)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Hide of an unknown id = %v, want ErrNotFound", err)
	}
	if recs := loadT(t, j); len(recs) != 1 {
		t.Errorf("Hide of an unknown id changed the queue: %d records", len(recs))
	}
}

func TestUploadedIsZeroForFilesNeverUploaded(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	files := insertT(t, j, queuedFile(1), queuedFile(2))
	done := finishT(t, j, files[0])
	queued := files[1] // in the journal, but not done

	otherContent := done
	otherContent.Fingerprint = "fp-of-new-content"
	otherTime := done
	otherTime.ModTime = done.ModTime.Add(time.Second)
	otherSize := done
	otherSize.Size++
	never := queuedFile(3)

	asked := []upload.File{queued, otherContent, otherTime, otherSize, never, done}
	found, err := j.Uploaded(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(asked) {
		t.Fatalf("Uploaded returned %d files for %d asked", len(found), len(asked))
	}
	for i, f := range found[:5] {
		if f.ID != 0 {
			t.Errorf("Uploaded(%d: %q) = file %d (%s), want a zero File", i, asked[i].Path, f.ID, f.State)
		}
	}
	if found[5].ID != done.ID {
		t.Errorf("Uploaded of the done file = %d, want %d", found[5].ID, done.ID)
	}
}

// The same content uploaded three times: the newest upload (by done time, not by id) is
// the one that counts. The newest has the middle id, so neither order of ids finds it.
func TestUploadedReturnsTheNewestUpload(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := queuedFile(1)
	files := insertT(t, j, f, f, f) // three entries of one content
	for i, day := range []int{1, 3, 2} {
		g := files[i]
		g.State, g.AssetID, g.DoneAt = upload.Done, fmt.Sprintf("asset-day-%d", day), time.Date(2026, 3, day, 10, 0, 0, 0, time.UTC)
		if err := j.Update(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	found, err := j.Uploaded(ctx, []upload.File{f})
	if err != nil {
		t.Fatal(err)
	}
	if found[0].ID != files[1].ID || found[0].AssetID != "asset-day-3" {
		t.Errorf("Uploaded = file %d asset %q done %v, want the newest: file %d asset-day-3",
			found[0].ID, found[0].AssetID, found[0].DoneAt, files[1].ID)
	}
}
