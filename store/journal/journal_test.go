package journal

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

func TestInsertAndLoadRoundTripEveryField(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	cest := time.FixedZone("CEST", 2*3600)
	full := upload.File{
		Path:            "/tmp/\xff\xfe.mov", // not UTF-8: kept byte for byte
		Name:            "été ✓.mov",
		Size:            10_000_000_123,
		ModTime:         time.Date(2024, 5, 6, 7, 8, 9, 123456789, cest),
		Fingerprint:     "xxh3:0123456789abcdef",
		Filetype:        "video/quicktime",
		MediaCreated:    time.Now(), // carries a monotonic reading, which is dropped
		State:           upload.Retrying,
		AssetID:         "9f1c2b3a-asset",
		UploadURLs:      []string{"https://s3.example/parts/a?X-Amz-Signature=1&b=2", "https://s3.example/parts/b?c=%20\"q\""},
		URLsFetchedAt:   time.Date(2262, 4, 11, 23, 47, 16, 0, time.UTC), // near the last time kept
		ChunkSize:       5_000_000_062,
		ErrorKind:       "network",
		ErrorMessage:    "connection reset; 'quoted' \"text\"\nsecond line ✓",
		RequestID:       "req-ours-1",
		ServerRequestID: "req-server-1",
		Attempts:        3,
		NextAttempt:     time.Date(1700, 1, 1, 0, 0, 0, 1, time.UTC), // before 1970
		AddedAt:         time.Unix(0, 1),
		UpdatedAt:       time.Date(2025, 1, 2, 3, 4, 5, 999999999, time.Local),
		DoneAt:          time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC),
		ProjectID:       "proj-42",
		ProjectName:     "Holiday Shoot",
		DatedOnArrival:  true,
		Category:        media.Proxies,
	}
	bare := upload.File{Path: "/b.jpg"} // every time zero, every string empty, no URLs
	empty := upload.File{Path: "/c.jpg", UploadURLs: []string{}}

	got := insertT(t, j, full, bare, empty)
	if len(got) != 3 {
		t.Fatalf("Insert returned %d files, want 3", len(got))
	}
	for i, f := range got {
		if f.ID == 0 {
			t.Errorf("file %d got no id", i)
		}
		if i > 0 && f.ID <= got[i-1].ID {
			t.Errorf("ids not increasing: %d after %d", f.ID, got[i-1].ID)
		}
	}
	recs := loadT(t, j)
	if len(recs) != 3 {
		t.Fatalf("Load returned %d records, want 3", len(recs))
	}
	for i, want := range []upload.File{full, bare, empty} {
		want.ID = got[i].ID
		sameFile(t, recs[i].File, want)
		if recs[i].DoneChunks != nil {
			t.Errorf("file %d has done chunks %v before any asset", want.ID, recs[i].DoneChunks)
		}
	}
	if recs[0].File.Path != "/tmp/\xff\xfe.mov" {
		t.Errorf("path bytes changed: %q", recs[0].File.Path)
	}
	if loc := recs[0].File.ModTime.Location(); loc != time.UTC {
		t.Errorf("times should load in UTC, got %v", loc)
	}
}

// Where the person moved a file is written by Reorder alone: writes of the file's row
// (its upload going on) keep it, and a file already gone is passed over.
func TestReorderKeepsItsPlaceThroughUpdates(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	files := insertT(t, j, queuedFile(1), queuedFile(2))
	if err := j.Reorder(context.Background(), map[upload.FileID]int64{files[0].ID: -3, files[1].ID: 2, 999: 1}); err != nil {
		t.Fatal(err)
	}
	f := files[0]
	f.State, f.Rank = upload.Uploading, 0 // as an attempt that started before the move has it
	if err := j.Update(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := j.UpdateFiles(context.Background(), []upload.File{files[1]}); err != nil {
		t.Fatal(err)
	}
	recs := loadT(t, j)
	if recs[0].File.Rank != -3 || recs[0].File.State != upload.Uploading || recs[1].File.Rank != 2 {
		t.Fatalf("read back %s at rank %d and rank %d; want uploading at -3, and 2",
			recs[0].File.State, recs[0].File.Rank, recs[1].File.Rank)
	}
}

func TestInsertRefusesWhatItCannotKeep(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	cases := map[string]upload.File{
		"an id already":   {ID: 7, Path: "/a"},
		"no path":         {Name: "a"},
		"time too late":   {Path: "/a", ModTime: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
		"time too early":  {Path: "/a", ModTime: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)},
		"done time wrong": {Path: "/a", DoneAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, f := range cases {
		if _, err := j.Insert(ctx, []upload.File{queuedFile(1), f}); err == nil {
			t.Errorf("%s: Insert accepted %+v", name, f)
		}
	}
	if recs := loadT(t, j); len(recs) != 0 {
		t.Errorf("a refused Insert left %d files", len(recs))
	}
	if out, err := j.Insert(ctx, nil); err != nil || out != nil {
		t.Errorf("Insert(nil) = %v, %v", out, err)
	}
}

func TestUpdateRewritesTheRowButNotTheChunks(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := insertT(t, j, queuedFile(1), queuedFile(2))[0]
	f = withAsset(f, 3)
	if err := j.StartAsset(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 1}); err != nil {
		t.Fatal(err)
	}

	f.State = upload.Failed
	f.ErrorKind, f.ErrorMessage = "channel_paused", "the project is paused"
	f.RequestID, f.ServerRequestID = "r2", "s2"
	f.Attempts = 5
	f.NextAttempt = time.Now().Add(time.Minute)
	f.UpdatedAt = time.Now()
	f.Path = "/media/card/renamed\x80.mov"
	if err := j.Update(ctx, f); err != nil {
		t.Fatal(err)
	}
	recs := loadT(t, j)
	sameFile(t, recs[0].File, f)
	if !reflect.DeepEqual(recs[0].DoneChunks, []int{1}) {
		t.Errorf("done chunks after Update = %v, want [1]", recs[0].DoneChunks)
	}
	if len(chunkRows(t, j, f.ID)) != 3 {
		t.Errorf("Update changed the chunks")
	}
	if recs[1].File.State != upload.Queued {
		t.Errorf("Update touched another file: %+v", recs[1].File)
	}

	f.ID = 999
	if err := j.Update(ctx, f); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of an unknown file: %v, want ErrNotFound", err)
	}
}

func TestStartAssetReplacesTheChunks(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := queuedFile(1)
	f.Size = 10
	f = insertT(t, j, f)[0]

	first := withAsset(f, 4) // chunk size 3: 3, 3, 3, 1
	if err := j.StartAsset(ctx, first); err != nil {
		t.Fatal(err)
	}
	want := map[int][2]int64{0: {3, 0}, 1: {3, 0}, 2: {3, 0}, 3: {1, 0}}
	if got := chunkRows(t, j, f.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("chunks = %v, want %v", got, want)
	}
	for _, i := range []int{3, 0, 2} {
		if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: i}); err != nil {
			t.Fatal(err)
		}
	}
	if got := loadT(t, j)[0].DoneChunks; !reflect.DeepEqual(got, []int{0, 2, 3}) {
		t.Errorf("done chunks = %v, want [0 2 3] in order", got)
	}

	// URLs expired: a new asset with two chunks; nothing of the old one counts.
	second := withAsset(f, 2)
	second.AssetID = "asset-new"
	if err := j.StartAsset(ctx, second); err != nil {
		t.Fatal(err)
	}
	want = map[int][2]int64{0: {5, 0}, 1: {5, 0}}
	if got := chunkRows(t, j, f.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("chunks after a new asset = %v, want %v", got, want)
	}
	rec := loadT(t, j)[0]
	sameFile(t, rec.File, second)
	if rec.DoneChunks != nil {
		t.Errorf("done chunks after a new asset = %v, want none", rec.DoneChunks)
	}

	// An empty file: one URL, chunk size 0, one chunk of 0 bytes.
	z := queuedFile(2)
	z.Size = 0
	z = startAssetT(t, j, insertT(t, j, z)[0], 1)
	if got := chunkRows(t, j, z.ID); !reflect.DeepEqual(got, map[int][2]int64{0: {0, 0}}) {
		t.Errorf("chunks of an empty file = %v", got)
	}

	missing := withAsset(queuedFile(3), 2)
	missing.ID = 999
	if err := j.StartAsset(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("StartAsset of an unknown file: %v, want ErrNotFound", err)
	}
	if got := chunkRows(t, j, 999); len(got) != 0 {
		t.Errorf("StartAsset of an unknown file made chunks %v", got)
	}
}

func TestStartAssetRefusesChunksThatDoNotCoverTheFile(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	f := queuedFile(1)
	f.Size = 10
	f = insertT(t, j, f)[0]
	for _, c := range []struct {
		n    int
		size int64
	}{{2, 4}, {0, 0}, {3, 0}, {1, -1}} {
		g := withAsset(f, c.n)
		g.ChunkSize = c.size
		if err := j.StartAsset(context.Background(), g); err == nil {
			t.Errorf("%d chunks of %d bytes accepted for a 10-byte file", c.n, c.size)
		}
	}
}

func TestChunkDone(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 3)
	for _, i := range []int{2, 2, 0} { // twice is harmless
		if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: i}); err != nil {
			t.Errorf("ChunkDone(%d): %v", i, err)
		}
	}
	if got := loadT(t, j)[0].DoneChunks; !reflect.DeepEqual(got, []int{0, 2}) {
		t.Errorf("done chunks = %v, want [0 2]", got)
	}
	for _, c := range []struct {
		id  upload.FileID
		idx int
	}{{f.ID, 3}, {f.ID, -1}, {f.ID + 100, 0}} {
		if err := j.ChunkDone(ctx, c.id, upload.Part{Index: c.idx}); !errors.Is(err, ErrNoChunk) {
			t.Errorf("ChunkDone(%d, %d) = %v, want ErrNoChunk", c.id, c.idx, err)
		}
	}
}

func TestChunkDoneOfAReplacedAssetFails(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 4)
	if err := j.StartAsset(ctx, withAsset(f, 2)); err != nil {
		t.Fatal(err)
	}
	// A late answer for chunk 3 of the old asset must not be recorded.
	if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 3}); !errors.Is(err, ErrNoChunk) {
		t.Errorf("ChunkDone of a stale chunk = %v, want ErrNoChunk", err)
	}
}

func TestRemoveDeletesTheFileAndItsChunks(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	files := insertT(t, j, queuedFile(1), queuedFile(2))
	for _, f := range files {
		if err := j.StartAsset(ctx, withAsset(f, 3)); err != nil {
			t.Fatal(err)
		}
		if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Remove(ctx, files[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := chunkRows(t, j, files[0].ID); len(got) != 0 {
		t.Errorf("chunks of a removed file remain: %v", got)
	}
	if got := chunkRows(t, j, files[1].ID); len(got) != 3 {
		t.Errorf("the other file's chunks = %v, want 3", got)
	}
	recs := loadT(t, j)
	if len(recs) != 1 || recs[0].File.ID != files[1].ID {
		t.Errorf("after Remove, Load = %+v", recs)
	}
	if err := j.Remove(ctx, files[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove twice = %v, want ErrNotFound", err)
	}
}

func TestJournalSurvivesCloseAndOpen(t *testing.T) {
	path := tempJournal(t)
	ctx := context.Background()
	keys := &memoryKey{} // kept where the tokens are, across runs
	j, err := Open(ctx, path, WithKeyStore(keys))
	if err != nil {
		t.Fatal(err)
	}
	files := insertT(t, j, queuedFile(1), queuedFile(2), queuedFile(3))
	a := withAsset(files[1], 3)
	if err := j.StartAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if err := j.ChunkDone(ctx, a.ID, upload.Part{Index: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Remove(ctx, files[2].ID); err != nil {
		t.Fatal(err)
	}
	before := loadT(t, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j2, err := Open(ctx, path, WithKeyStore(keys))
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	after := loadT(t, j2)
	if len(after) != 2 || len(before) != 2 {
		t.Fatalf("before %d files, after %d; want 2", len(before), len(after))
	}
	for i := range after {
		sameFile(t, after[i].File, before[i].File)
		if !reflect.DeepEqual(after[i].DoneChunks, before[i].DoneChunks) {
			t.Errorf("done chunks %v, want %v", after[i].DoneChunks, before[i].DoneChunks)
		}
	}
	if !reflect.DeepEqual(after[1].DoneChunks, []int{0, 2}) {
		t.Errorf("done chunks = %v, want [0 2]", after[1].DoneChunks)
	}
	// Ids are never given twice, not even the removed last one's.
	if g := insertT(t, j2, queuedFile(4)); g[0].ID <= files[2].ID {
		t.Errorf("new id %d reuses old ids (last %d)", g[0].ID, files[2].ID)
	}
}

// What was acknowledged is on disk the moment the call returns: a copy of the files taken
// then, without Close (as after a power cut), holds it.
func TestAcknowledgedWritesSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	keys := &memoryKey{}
	j := openT(t, path, options{keys: keys})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, manyFiles(0, 30)...)[7], 3)
	if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 1}); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(t.TempDir(), "journal.db")
	for _, suffix := range []string{"", "-wal"} { // the -shm is rebuilt from the WAL
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	recs := loadT(t, openT(t, crashed, options{keys: keys}))
	if len(recs) != 30 || !reflect.DeepEqual(recs[7].DoneChunks, []int{1}) {
		t.Fatalf("after a crash: %d files, done chunks %v", len(recs), recs[7].DoneChunks)
	}
	sameFile(t, recs[7].File, f)
}

func TestCallsAfterCloseFail(t *testing.T) {
	j, err := Open(context.Background(), tempJournal(t))
	if err != nil {
		t.Fatal(err)
	}
	f := withAsset(insertT(t, j, queuedFile(1))[0], 2)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	_, ierr := j.Insert(ctx, []upload.File{queuedFile(2)})
	_, lerr := j.Load(ctx)
	for name, err := range map[string]error{
		"Insert":     ierr,
		"Load":       lerr,
		"Update":     j.Update(ctx, f),
		"StartAsset": j.StartAsset(ctx, f),
		"ChunkDone":  j.ChunkDone(ctx, f.ID, upload.Part{Index: 0}),
		"Remove":     j.Remove(ctx, f.ID),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestOpenMakesAPrivateFolderAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "journal.db")
	j := openT(t, path, options{})
	insertT(t, j, queuedFile(1))
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s mode %v, want %v", p, got, want)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "50% sure?#x=1&y \xff")
	path := filepath.Join(dir, "j?ournal#1.db")
	j := openT(t, path, options{})
	insertT(t, j, queuedFile(1))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"j?ournal#1.db", LedgerName}) {
		t.Fatalf("files made: %q, want only the journal and the record of uploads", names)
	}
	if recs := loadT(t, openT(t, path, options{})); len(recs) != 1 {
		t.Errorf("reopened journal has %d files, want 1", len(recs))
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries beside the folder, want 1: the path was cut or mangled", len(entries))
	}
}

func TestRelativePathIsMadeAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	j := openT(t, "journal.db", options{})
	if !filepath.IsAbs(j.Path()) || !strings.HasSuffix(j.Path(), "journal.db") {
		t.Errorf("Path() = %q", j.Path())
	}
}

func TestConnectionsUseTheRequiredPragmas(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000"}
	got := map[string]string{}
	err := j.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		for p := range want {
			var v string
			if err := tx.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
				return err
			}
			got[p] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("writer pragmas = %v, want %v", got, want)
	}
	var qo int
	if err := j.rdb.QueryRow("PRAGMA query_only").Scan(&qo); err != nil || qo != 1 {
		t.Errorf("reader query_only = %d, %v; want 1", qo, err)
	}
}

// A file uploaded as it is written: its real-time asset starts with no parts, each
// registration adds chunks (with their links, sealed), the final one shorter, and a run
// reading it back has every part, which ones were sent and with what hash.
func TestAddPartsGrowsARealtimeAssetPartByPart(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	ctx := context.Background()
	f := queuedFile(1)
	f.Size, f.Realtime = 25, true
	f = insertT(t, j, f)[0]
	f.AssetID, f.ChunkSize, f.State = "asset-rt", 10, upload.Uploading
	if err := j.StartAsset(ctx, f); err != nil {
		t.Fatalf("StartAsset of a real-time asset without parts: %v", err)
	}
	f.UploadURLs = []string{"https://s3.example/rt/1?X-Amz-Signature=one"}
	if err := j.AddParts(ctx, f, 0); err != nil {
		t.Fatal(err)
	}
	if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 0, Hash: "h1"}); err != nil {
		t.Fatal(err)
	}
	// The file stopped at 25 bytes: the second part and the final one (5 bytes).
	f.UploadURLs = append(f.UploadURLs, "https://s3.example/rt/2?X-Amz-Signature=two", "https://s3.example/rt/3?X-Amz-Signature=three")
	if err := j.AddParts(ctx, f, 1); err != nil {
		t.Fatal(err)
	}
	if got, want := chunkRows(t, j, f.ID), map[int][2]int64{0: {10, 1}, 1: {10, 0}, 2: {5, 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("chunks = %v, want %v", got, want)
	}
	// A registration that does not follow the parts there are writes nothing.
	if err := j.AddParts(ctx, f, 1); !errors.Is(err, ErrNoChunk) {
		t.Errorf("AddParts from a part already there = %v, want ErrNoChunk", err)
	}
	// A part sent again (its bytes changed) is marked with its new hash.
	if err := j.ChunkDone(ctx, f.ID, upload.Part{Index: 0, Hash: "h1-again"}); err != nil {
		t.Fatal(err)
	}
	rec := loadT(t, j)[0]
	if !rec.File.Realtime || rec.File.ChunkSize != 10 || !reflect.DeepEqual(rec.File.UploadURLs, f.UploadURLs) {
		t.Errorf("read back: realtime %v, chunk size %d, links %q", rec.File.Realtime, rec.File.ChunkSize, rec.File.UploadURLs)
	}
	if !reflect.DeepEqual(rec.DoneChunks, []int{0}) || !reflect.DeepEqual(rec.PartHashes, []string{"h1-again"}) {
		t.Errorf("done chunks %v with hashes %q, want [0] with [h1-again]", rec.DoneChunks, rec.PartHashes)
	}
	g := f
	g.Realtime = false
	if err := j.AddParts(ctx, g, 3); err == nil {
		t.Errorf("AddParts of a file not uploaded as it is written was accepted")
	}
}
