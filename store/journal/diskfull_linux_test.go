//go:build linux

package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
)

// wantDiskFull fails unless err is the journal's disk-full error for dir.
func wantDiskFull(t *testing.T, what string, err error, dir string) {
	t.Helper()
	t.Logf("%s on a full disk: %.300v", what, err) // the long paths are cut short
	if !errors.Is(err, upload.ErrDiskFull) {
		t.Fatalf("%s on a full disk = %.300v, want upload.ErrDiskFull", what, err)
	}
	var full *DiskFullError
	if !errors.As(err, &full) {
		t.Fatalf("%s on a full disk = %T %.300v, want a *DiskFullError", what, err, err)
	}
	if full.Dir != dir || full.Free < 0 || full.Free >= roomNeeded {
		t.Errorf("%s: DiskFullError{Dir: %q, Free: %d}, want Dir %q and the little space left", what, full.Dir, full.Free, dir)
	}
	if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, format.Bytes(full.Free)+" free") {
		t.Errorf("%s: message %q does not name the folder and the free space", what, msg)
	}
}

// longPathFiles are n queued files whose paths are long enough that their rows (and
// their lines in the record of uploads) need new pages of the disk.
func longPathFiles(first, n int) []upload.File {
	files := manyFiles(first, n)
	for i := range files {
		files[i].Path = "/media/card/" + strings.Repeat("deep folder/", 500) + files[i].Name
	}
	return files
}

// The journal's disk fills up: writes fail with upload.ErrDiskFull (so the engine pauses
// instead of failing files), WaitForSpace waits until there is room, the same writes
// then succeed, and nothing committed before was lost.
func TestFullDiskIsReportedWaitedForAndSurvived(t *testing.T) {
	dir := disktest.Small(t, 8<<20)
	path := filepath.Join(dir, "journal.db")
	j := openT(t, path, options{})
	ctx := context.Background()

	before := insertT(t, j, append(manyFiles(0, 20), longPathFiles(100, 1)...)...)
	earlierDone := finishT(t, j, before[0])
	long := before[len(before)-1]
	filler := disktest.Fill(t, dir)

	// A big insert: SQLite cannot grow its write-ahead log.
	more := longPathFiles(1000, 300)
	_, err := j.Insert(ctx, more)
	wantDiskFull(t, "Insert", err, dir)
	// A file finishing: its line in the record of uploads (longer than a page) cannot
	// be written, so the journal does not mark it done either.
	err = j.Update(ctx, doneVersion(long))
	wantDiskFull(t, "Update to done", err, dir)
	if got := loadT(t, j); len(got) != len(before) || got[len(got)-1].File.State != upload.Queued {
		t.Fatalf("after the failed writes Load = %d records (last %s), want the %d from before, the long one still queued",
			len(got), got[len(got)-1].File.State, len(before))
	}

	// While the disk is full, WaitForSpace waits (here until its context ends)...
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := j.WaitForSpace(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForSpace on a full disk = %v, want it to wait until its context ends", err)
	}
	// ...and returns once there is room again.
	waitCtx, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWait()
	waited := make(chan error, 1)
	go func() { waited <- j.WaitForSpace(waitCtx) }()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("WaitForSpace after the disk was freed = %v, want nil", err)
	}

	// The same writes now succeed.
	inserted, err := j.Insert(ctx, more)
	if err != nil {
		t.Fatalf("Insert once there is room: %v", err)
	}
	longDone := doneVersion(long)
	if err := j.Update(ctx, longDone); err != nil {
		t.Fatalf("Update to done once there is room: %v", err)
	}
	entries := ledgerT(t, path)
	if len(entries) != 2 {
		t.Fatalf("the record of uploads holds %d entries, want the 2 done files (a line cut by the full disk is skipped)", len(entries))
	}
	sameEntry(t, entries[0], earlierDone)
	sameEntry(t, entries[1], longDone)

	// Everything survives a restart.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openT(t, path, options{})
	recs := loadT(t, j)
	if len(recs) != len(before)+len(inserted) {
		t.Fatalf("after Close and Open: %d records, want %d", len(recs), len(before)+len(inserted))
	}
	sameFile(t, recs[0].File, earlierDone)
	for i, f := range before[1 : len(before)-1] {
		sameFile(t, recs[1+i].File, f)
	}
	sameFile(t, recs[len(before)-1].File, longDone)
	for i, f := range inserted {
		sameFile(t, recs[len(before)+i].File, f)
	}
}

// doneVersion is f finished, with fixed values so that it can be compared later.
func doneVersion(f upload.File) upload.File {
	f.State = upload.Done
	f.AssetID = "asset-long"
	f.ProjectID, f.ProjectName = "proj-42", "Holiday Shoot"
	f.DoneAt = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	f.UpdatedAt = f.DoneAt
	return f
}
