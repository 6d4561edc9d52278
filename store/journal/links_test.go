package journal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// onDisk is every byte SQLite keeps of the journal at path.
func onDisk(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// The links of an asset (presigned URLs, each with a signature that lets whoever holds
// it write into the asset for a day) never reach the disk in the clear: the journal seals
// them under the key of its key store, and a journal opened with that key reads them back.
func TestUploadLinksAreSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	path := tempJournal(t)
	keys := &memoryKey{}
	j, err := Open(ctx, path, WithKeyStore(keys))
	if err != nil {
		t.Fatal(err)
	}
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 3)
	if keys.key == nil {
		t.Fatal("no key was made for the links")
	}
	if disk := onDisk(t, path); bytes.Contains(disk, []byte("uploads.example/parts")) || bytes.Contains(disk, []byte("X-Amz-Signature")) {
		t.Fatal("the journal holds upload links in the clear")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, err = Open(ctx, path, WithKeyStore(keys))
	if err != nil {
		t.Fatal(err)
	}
	if recs := loadT(t, j); !reflect.DeepEqual(recs[0].File.UploadURLs, f.UploadURLs) {
		t.Fatalf("links read back %q, want %q", recs[0].File.UploadURLs, f.UploadURLs)
	}
	if urls, err := j.UploadURLs(ctx, f.ID, f.AssetID); err != nil || !reflect.DeepEqual(urls, f.UploadURLs) {
		t.Fatalf("UploadURLs = %q, %v", urls, err)
	}
	if _, err := j.UploadURLs(ctx, f.ID, "another-asset"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UploadURLs of another asset: %v, want ErrNotFound", err)
	}
	_ = j.Close()

	// Another key (the keychain was wiped): blanks, one per part, and a clear error.
	other, err := Open(ctx, path, WithKeyStore(&memoryKey{}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	got := loadT(t, other)[0].File
	if len(got.UploadURLs) != 3 || got.UploadURLs[0] != "" || got.ChunkCount() != 3 {
		t.Fatalf("links under another key: %q, want 3 blanks", got.UploadURLs)
	}
	if _, err := other.UploadURLs(ctx, f.ID, f.AssetID); !errors.Is(err, upload.ErrLinksLost) {
		t.Fatalf("UploadURLs under another key: %v, want ErrLinksLost", err)
	}
	// Writing the file then (a pause) keeps the sealed links for the key that opens them.
	got.State = upload.Paused
	if err := other.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	_ = other.Close()
	j, err = Open(ctx, path, WithKeyStore(keys))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if back := loadT(t, j)[0].File; back.State != upload.Paused || !reflect.DeepEqual(back.UploadURLs, f.UploadURLs) {
		t.Fatalf("after a write without the key: %s, links %q", back.State, back.UploadURLs)
	}
	// A new asset cannot be started with links nobody knows.
	blank := got
	blank.AssetID = "asset-new"
	if err := j.StartAsset(ctx, blank); err == nil {
		t.Fatal("StartAsset took blank links")
	}
}

// A finished file keeps how many parts its asset had, and no links: they serve no more.
func TestFinishedFilesKeepNoLinks(t *testing.T) {
	ctx := context.Background()
	path := tempJournal(t)
	j := openT(t, path, options{})
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 2)
	f.State = upload.Done
	if err := j.Update(ctx, f, upload.Part{Index: 0}, upload.Part{Index: 1}); err != nil {
		t.Fatal(err)
	}
	got := loadT(t, j)[0].File
	if got.ChunkCount() != 2 || got.UploadURLs[0] != "" {
		t.Fatalf("a finished file read back with links %q", got.UploadURLs)
	}
	var stored string
	if err := j.rdb.QueryRowContext(ctx, `SELECT upload_urls FROM files WHERE id = ?`, int64(f.ID)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != `{"parts":2}` {
		t.Fatalf("a finished file's row holds %s", stored)
	}
}

// Links an older version kept in the clear are read, then sealed by SealLinks (those of
// finished files dropped), and no copy is left in the file: not in the rows, not in the
// free space of pages (a row the older version had already cleared), not in the
// write-ahead log.
func TestSealLinksOfAnOlderVersion(t *testing.T) {
	ctx := context.Background()
	path := tempJournal(t)
	keys := &memoryKey{}
	// Made by a version before 4, as that version wrote its links: the schema of version
	// 3, and rows with its columns.
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, old, path, migrations[:3]); err != nil {
		t.Fatal(err)
	}
	files := make([]upload.File, 3)
	for i := range files {
		f := queuedFile(i + 1)
		res, err := old.ExecContext(ctx, `INSERT INTO files (path, name, size, state) VALUES (?, ?, ?, 'queued')`, []byte(f.Path), f.Name, f.Size)
		if err != nil {
			t.Fatal(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			t.Fatal(err)
		}
		f.ID = upload.FileID(id)
		files[i] = f
	}
	running, done, cleared := withAsset(files[0], 2), withAsset(files[1], 1), withAsset(files[2], 3)
	done.State = upload.Done
	for _, f := range []upload.File{running, done, cleared} {
		clear, err := json.Marshal(f.UploadURLs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.ExecContext(ctx, `UPDATE files SET state = ?, asset_id = ?, upload_urls = ? WHERE id = ?`,
			string(f.State), f.AssetID, string(clear), int64(f.ID)); err != nil {
			t.Fatal(err)
		}
	}
	// The older version dropped this asset (its links expired): the row holds [] now,
	// the free space of its page the old links.
	if _, err := old.ExecContext(ctx, `UPDATE files SET asset_id = '', upload_urls = '[]' WHERE id = ?`, int64(cleared.ID)); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(onDisk(t, path), []byte("X-Amz-Signature")) {
		t.Fatal("the older version's journal holds no links to seal: the test proves nothing")
	}

	j := openT(t, path, options{keys: keys})
	if got := loadT(t, j)[0].File.UploadURLs; !reflect.DeepEqual(got, running.UploadURLs) {
		t.Fatalf("links in the clear read back %q, want %q", got, running.UploadURLs)
	}
	n, err := j.SealLinks(ctx)
	if err != nil || n != 2 {
		t.Fatalf("SealLinks = %d, %v; want 2 rows", n, err)
	}
	if disk := onDisk(t, path); bytes.Contains(disk, []byte("X-Amz-Signature")) || bytes.Contains(disk, []byte("uploads.example")) {
		t.Fatal("the journal's files still hold links in the clear")
	}
	recs := loadT(t, j)
	if !reflect.DeepEqual(recs[0].File.UploadURLs, running.UploadURLs) || recs[1].File.ChunkCount() != 1 || recs[1].File.UploadURLs[0] != "" {
		t.Fatalf("after sealing: %q and %q", recs[0].File.UploadURLs, recs[1].File.UploadURLs)
	}
	if n, err := j.SealLinks(ctx); err != nil || n != 0 {
		t.Fatalf("SealLinks again = %d, %v; want 0", n, err)
	}
}

// A journal made by this version never held links in the clear: SealLinks has nothing
// to do and does not rewrite it.
func TestSealLinksOfANewJournalDoesNothing(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 2)
	if n, err := j.SealLinks(context.Background()); err != nil || n != 0 {
		t.Fatalf("SealLinks = %d, %v; want 0", n, err)
	}
}

// The key's store: while it cannot tell (locked), links wait (ErrLinksUnavailable) and
// are not given up; once it answers, they open. A store that refuses to keep a new key
// still lets new links be sealed, with a key of this process.
func TestLinksWaitForALockedKeyStore(t *testing.T) {
	ctx := context.Background()
	path := tempJournal(t)
	keys := &memoryKey{}
	j := openT(t, path, options{keys: keys})
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 2)
	_ = j.Close()

	locked := &lockable{KeyStore: keys, locked: true}
	j = openT(t, path, options{keys: locked})
	if got := loadT(t, j)[0].File; got.UploadURLs[0] != "" {
		t.Fatalf("links opened with the store locked: %q", got.UploadURLs)
	}
	if _, err := j.UploadURLs(ctx, f.ID, f.AssetID); !errors.Is(err, upload.ErrLinksUnavailable) {
		t.Fatalf("UploadURLs with the store locked: %v, want ErrLinksUnavailable", err)
	}
	locked.locked = false
	if urls, err := j.UploadURLs(ctx, f.ID, f.AssetID); err != nil || !reflect.DeepEqual(urls, f.UploadURLs) {
		t.Fatalf("UploadURLs once unlocked = %q, %v", urls, err)
	}

	refusing := &lockable{KeyStore: &memoryKey{}, refuseSave: true}
	r := openT(t, tempJournal(t), options{keys: refusing})
	g := startAssetT(t, r, insertT(t, r, queuedFile(1))[0], 2)
	if got := loadT(t, r)[0].File.UploadURLs; !reflect.DeepEqual(got, g.UploadURLs) {
		t.Fatalf("links sealed with this process's key read back %q", got)
	}
}

// lockable is a key store that can be locked (it cannot tell) or refuse to save.
type lockable struct {
	KeyStore
	locked, refuseSave bool
}

func (l *lockable) LoadKey(ctx context.Context) ([]byte, error) {
	if l.locked {
		return nil, errors.New("the keychain is locked")
	}
	return l.KeyStore.LoadKey(ctx)
}

func (l *lockable) SaveKey(ctx context.Context, key []byte) error {
	if l.refuseSave {
		return errors.New("the keychain refused")
	}
	return l.KeyStore.SaveKey(ctx, key)
}

// A reader (another process holds the folder) has no key: it knows how many parts an
// asset has, not its links.
func TestReaderSeesPartsNotLinks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openT(t, path, options{keys: &memoryKey{}})
	startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 4)
	r, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := loadT(t, r)[0].File; got.ChunkCount() != 4 || got.UploadURLs[0] != "" {
		t.Fatalf("a reader got links %q", got.UploadURLs)
	}
}
