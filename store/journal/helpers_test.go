package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// openT opens a journal that the test closes when it ends.
func openT(t testing.TB, path string, opts options) *Journal {
	t.Helper()
	j, err := open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func tempJournal(t testing.TB) string {
	return filepath.Join(t.TempDir(), "journal.db")
}

// queuedFile is a file as the engine would queue it.
func queuedFile(i int) upload.File {
	now := time.Now()
	return upload.File{
		Path:        fmt.Sprintf("/media/card/clip%04d.mov", i),
		Name:        fmt.Sprintf("clip%04d.mov", i),
		Size:        3*1024 + int64(i),
		ModTime:     now.Add(-time.Hour),
		Fingerprint: fmt.Sprintf("fp%04d", i),
		Filetype:    "video/quicktime",
		State:       upload.Queued,
		AddedAt:     now,
		UpdatedAt:   now,
	}
}

// manyFiles are n queued files numbered from first.
func manyFiles(first, n int) []upload.File {
	files := make([]upload.File, n)
	for i := range files {
		files[i] = queuedFile(first + i)
		files[i].ErrorMessage = strings.Repeat("a long enough message to fill pages ", 4)
	}
	return files
}

// withAsset gives f a new asset of n chunks, as the engine does after creating it.
func withAsset(f upload.File, n int) upload.File {
	f.AssetID = fmt.Sprintf("asset-%d-%d", f.ID, n)
	f.UploadURLs = make([]string, n)
	for i := range f.UploadURLs {
		f.UploadURLs[i] = fmt.Sprintf("https://uploads.example/parts/%s/%d?X-Amz-Signature=abc&n=%d", f.AssetID, i, i)
	}
	f.ChunkSize = 0
	if n > 0 {
		f.ChunkSize = (f.Size + int64(n) - 1) / int64(n)
	}
	f.URLsFetchedAt = time.Now()
	f.State = upload.Uploading
	return f
}

func insertT(t testing.TB, j *Journal, files ...upload.File) []upload.File {
	t.Helper()
	out, err := j.Insert(context.Background(), files)
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	return out
}

// startAssetT gives the stored file f an asset of n chunks (withAsset) and journals it.
func startAssetT(t testing.TB, j *Journal, f upload.File, n int) upload.File {
	t.Helper()
	f = withAsset(f, n)
	if err := j.StartAsset(context.Background(), f); err != nil {
		t.Fatalf("start asset: %v", err)
	}
	return f
}

func loadT(t testing.TB, j *Journal) []upload.Record {
	t.Helper()
	recs, err := j.Load(context.Background())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return recs
}

// sameFile fails unless got is want as the journal should give it back: every time Equal
// (and zero where it was zero), everything else identical.
func sameFile(t testing.TB, got, want upload.File) {
	t.Helper()
	times := func(f *upload.File) []*time.Time {
		return []*time.Time{&f.ModTime, &f.MediaCreated, &f.URLsFetchedAt, &f.NextAttempt, &f.AddedAt, &f.UpdatedAt, &f.DoneAt}
	}
	gt, wt := times(&got), times(&want)
	names := []string{"ModTime", "MediaCreated", "URLsFetchedAt", "NextAttempt", "AddedAt", "UpdatedAt", "DoneAt"}
	for i := range gt {
		if !gt[i].Equal(*wt[i]) || gt[i].IsZero() != wt[i].IsZero() {
			t.Errorf("file %d %s = %v, want %v", want.ID, names[i], *gt[i], *wt[i])
		}
		*gt[i], *wt[i] = time.Time{}, time.Time{}
	}
	if len(want.UploadURLs) == 0 {
		want.UploadURLs = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("file %d:\n got %+v\nwant %+v", want.ID, got, want)
	}
}

// chunkRows reads a file's chunk rows straight from the database: index -> [size, done].
func chunkRows(t testing.TB, j *Journal, id upload.FileID) map[int][2]int64 {
	t.Helper()
	rows, err := j.rdb.Query(`SELECT idx, size, done FROM chunks WHERE file_id = ? ORDER BY idx`, int64(id))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int][2]int64{}
	for rows.Next() {
		var idx int
		var size, done int64
		if err := rows.Scan(&idx, &size, &done); err != nil {
			t.Fatal(err)
		}
		m[idx] = [2]int64{size, done}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}
