package journal

import (
	"context"
	"errors"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// A command on many files (pause all, clear finished) is one transaction: every row
// changes, or none does.
func TestUpdateFilesWritesEveryRowOrNone(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	files := insertT(t, j, manyFiles(1, 50)...)
	for i := range files {
		files[i].State = upload.Paused
	}
	if err := j.UpdateFiles(ctx, files); err != nil {
		t.Fatal(err)
	}
	for _, r := range loadT(t, j) {
		if r.File.State != upload.Paused {
			t.Fatalf("file %d is %s after UpdateFiles, want paused", r.File.ID, r.File.State)
		}
	}

	// One file that is not in the journal: nothing is written.
	for i := range files {
		files[i].State = upload.Cancelled
	}
	ghost := files[0]
	ghost.ID = 9999
	err := j.UpdateFiles(ctx, append(files, ghost))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpdateFiles with an unknown file: %v, want ErrNotFound", err)
	}
	for _, r := range loadT(t, j) {
		if r.File.State != upload.Paused {
			t.Fatalf("file %d is %s after a failed UpdateFiles, want it unchanged (paused)", r.File.ID, r.File.State)
		}
	}
}

// Forget hides the uploaded files (still known as uploaded) and deletes the others, in
// one transaction.
func TestForgetHidesTheUploadedAndRemovesTheRest(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	files := insertT(t, j, queuedFile(1), queuedFile(2), queuedFile(3))
	done := finishT(t, j, startAssetT(t, j, files[0], 1))
	if err := j.Forget(ctx, []upload.FileID{done.ID}, []upload.FileID{files[1].ID}); err != nil {
		t.Fatal(err)
	}
	recs := loadT(t, j)
	if len(recs) != 1 || recs[0].File.ID != files[2].ID {
		t.Fatalf("after Forget the queue holds %d files, want only file %d", len(recs), files[2].ID)
	}
	found, err := j.Uploaded(ctx, []upload.File{done, files[1]})
	if err != nil {
		t.Fatal(err)
	}
	if found[0].ID != done.ID || found[1].ID != 0 {
		t.Fatalf("Uploaded after Forget = %d, %d; want the hidden file found and the removed one gone", found[0].ID, found[1].ID)
	}
	if err := j.Forget(ctx, nil, []upload.FileID{files[2].ID, 777}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Forget with an unknown file: %v, want ErrNotFound", err)
	}
	if recs := loadT(t, j); len(recs) != 1 {
		t.Fatalf("a failed Forget removed files: %d left, want 1", len(recs))
	}
}
