package upload_test

// The hashes of the bytes sent (core/upload/filehash.go), end to end: through the
// simulator over HTTP and the SQLite journal. The hashes they are checked against are
// computed here with xxhash, xxh3 and crypto/md5 directly, never through core/hashes, from the
// file on disk and from what the simulator stored.

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

func sumXXH64(b []byte) string { return fmt.Sprintf("%016x", xxhash.Sum64(b)) }

func sumMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// sumIn is the hash of b in format f, computed without core/hashes.
func sumIn(t testing.TB, f hashes.Format, b []byte) string {
	t.Helper()
	switch f {
	case hashes.XXH64:
		return sumXXH64(b)
	case hashes.XXH3:
		return fmt.Sprintf("%016x", xxh3.Hash(b))
	case hashes.MD5:
		return sumMD5(b)
	}
	t.Fatalf("no independent hash of %s here", f)
	return ""
}

func readAll(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored is what the simulator assembled for an asset.
func stored(t testing.TB, a c2csim.AssetInfo) []byte {
	t.Helper()
	if a.Path == "" {
		t.Fatalf("the simulator keeps no file for asset %s (%s, %s)", a.ID, a.Name, a.State)
	}
	return readAll(t, a.Path)
}

// assetByID is the simulator's asset with id.
func (r *rig) assetByID(id string) (c2csim.AssetInfo, bool) {
	for _, a := range r.sim.Assets() {
		if a.ID == id {
			return a, true
		}
	}
	return c2csim.AssetInfo{}, false
}

// checkPartHashes checks that the journal holds, for each finished chunk of rec, the hash
// of that chunk's bytes in data (what was sent) in the part hashes' format
// (filehash.go's partFormat, or the file's own for a file of one part), and that every chunk of a done file is finished.
func checkPartHashes(t testing.TB, rec upload.Record, data []byte) {
	t.Helper()
	f := rec.File
	if len(rec.PartHashes) != len(rec.DoneChunks) {
		t.Errorf("journal: %s has %d part hashes for %d finished chunks", f.Name, len(rec.PartHashes), len(rec.DoneChunks))
		return
	}
	if f.State == core.Done && len(rec.DoneChunks) != f.ChunkCount() {
		t.Errorf("journal: %s is done with %d of %d chunks", f.Name, len(rec.DoneChunks), f.ChunkCount())
	}
	// A file of one part hashed in one format has its part hashed in that format, after
	// the format's name.
	format, tag := upload.PartFormatForTests, ""
	if formats := f.HashFormats; f.ChunkCount() == 1 && len(formats) == 1 && formats[0] != format {
		format, tag = formats[0], string(formats[0])+":"
	}
	for k, i := range rec.DoneChunks {
		off, n := f.ChunkRange(i)
		if want := tag + sumIn(t, format, data[off:off+n]); rec.PartHashes[k] != want {
			t.Errorf("journal: %s chunk %d (bytes %d..%d) has part hash %q, want %s of its bytes",
				f.Name, i, off, off+n, rec.PartHashes[k], want)
		}
	}
}

// readJournal reads the journal of a stopped rig from disk.
func (r *rig) readJournal() map[string]upload.Record {
	r.t.Helper()
	j, err := journal.Open(context.Background(), r.jpath, journal.WithKeyStore(r.keys))
	if err != nil {
		r.t.Fatalf("opening the journal: %v", err)
	}
	defer j.Close()
	recs, err := j.Load(context.Background())
	if err != nil {
		r.t.Fatalf("loading the journal: %v", err)
	}
	out := map[string]upload.Record{}
	for _, rec := range recs {
		out[rec.File.Path] = rec
	}
	return out
}

// changeKeepingSizeAndTime overwrites n bytes of the file at off with other bytes and puts
// its modification time back, as a tool rewriting a file in place and restoring its date
// would: only the file's content tells it changed.
func changeKeepingSizeAndTime(t testing.TB, path string, off int64, n int) {
	t.Helper()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] ^= 0xff
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("the change shows in the file's size or time: %d bytes at %s, then %d at %s",
			before.Size(), before.ModTime(), after.Size(), after.ModTime())
	}
}

// --- what the engine logs of the hashes ---

// hashLog keeps the records the service logs (rigConfig.service installs it in front of
// the rig's own log handler): the engine says there how many bytes of a file its hash read
// again, and why it abandoned an asset.
type hashLog struct {
	mu      sync.Mutex
	records []loggedRecord
}

type loggedRecord struct {
	msg   string
	attrs map[string]string
}

// tap is a rigConfig.service.
func (l *hashLog) tap(c *core.Config) {
	c.Logger = slog.New(&hashLogHandler{next: c.Logger.Handler(), log: l})
}

// find is the attributes of the records of msg about the file named name.
func (l *hashLog) find(msg, name string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		if r.msg == msg && r.attrs["file"] == name {
			out = append(out, r.attrs)
		}
	}
	return out
}

// Messages of core/upload/attempt.go.
const (
	logReread  = "hashed the file's parts sent out of order by reading them again"
	logChanged = "the file changed during its upload; its asset is abandoned"
)

// reread is how many bytes of the file named name its hash read again, as the engine
// logged when the file was done (0 when it logged nothing: nothing was read again).
func (l *hashLog) reread(t testing.TB, name string) int64 {
	t.Helper()
	recs := l.find(logReread, name)
	if len(recs) == 0 {
		return 0
	}
	var n int64
	if _, err := fmt.Sscan(recs[len(recs)-1]["bytes"], &n); err != nil {
		t.Fatalf("the log's %q says bytes %q", logReread, recs[len(recs)-1]["bytes"])
	}
	return n
}

type hashLogHandler struct {
	next  slog.Handler
	log   *hashLog
	attrs []slog.Attr
}

func (h *hashLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *hashLogHandler) Handle(ctx context.Context, rec slog.Record) error {
	attrs := map[string]string{}
	for _, a := range h.attrs {
		attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	h.log.mu.Lock()
	h.log.records = append(h.log.records, loggedRecord{rec.Message, attrs})
	h.log.mu.Unlock()
	if !h.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.next.Handle(ctx, rec)
}

func (h *hashLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &hashLogHandler{next: h.next.WithAttrs(as), log: h.log, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *hashLogHandler) WithGroup(name string) slog.Handler {
	return &hashLogHandler{next: h.next.WithGroup(name), log: h.log, attrs: h.attrs}
}

// --- holding a part back ---

// holdFirstChunkPUT makes the first chunk PUT to reach the simulator wait, unanswered,
// until the connections are cut (cutConnections): with one file of ParallelChunks at a
// time, one of its first ParallelChunks chunks, while every other chunk finishes — before
// the file's hash (whose front cannot pass the held chunk) reaches them.
func (r *rig) holdFirstChunkPUT() {
	r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Times: 1, Delay: c2csim.Duration(10 * time.Minute)})
}

// cutConnections takes the simulator off the network for a moment: the held PUT fails and
// is sent again, answered at once this time.
func (r *rig) cutConnections() {
	r.t.Helper()
	if err := r.sim.Admin.Offline(context.Background(), 300*time.Millisecond); err != nil {
		r.t.Fatal(err)
	}
}

// heldPart is the index of the one part of the file's asset the simulator has not
// received (holdFirstChunkPUT's).
func (r *rig) heldPart(path string) (c2csim.AssetInfo, int) {
	r.t.Helper()
	v, _ := r.view(path)
	a, ok := r.assetByID(v.AssetID)
	if !ok {
		r.t.Fatalf("%s has no asset in the simulator (%q)", v.Name, v.AssetID)
	}
	held := -1
	for i, p := range a.Parts {
		if !p.Received {
			if held >= 0 {
				r.t.Fatalf("%s: parts %d and %d not received, want only the held one", v.Name, held+1, i+1)
			}
			held = i
		}
	}
	if held < 0 {
		r.t.Fatalf("%s: every part received; none was held", v.Name)
	}
	return a, held
}

// waitAssembled waits until the simulator has settled the asset with every part received.
func (r *rig) waitAssembled(id string) c2csim.AssetInfo {
	r.t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		a, _ := r.assetByID(id)
		if a.Complete || a.State == "failed" || time.Now().After(deadline) {
			return a
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --- the tests ---

// The hash of a file is the hash of the bytes its chunks sent, whatever its size and however
// its chunks finish, in the format of the settings: the service's view, the journal read
// back from disk and the simulator's stored copy agree with a hash of the file computed
// here. The journal's hash of each chunk is the hash of that chunk's bytes.
func TestTheHashIsOfTheBytesSentAtEverySize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting hashes.Format // "" leaves it to the default
		want    hashes.Format
	}{
		{"default", "", hashes.XXH64},
		{"md5", hashes.MD5, hashes.MD5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newIdleRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 4, HashFormat: tc.setting}})
			sizes := map[string]int64{
				"empty.mov":       0,
				"one-byte.wav":    1,
				"one-part.mp4":    rigPartSize,
				"part-plus-1.jpg": rigPartSize + 1,
				"many-parts.mxf":  9*rigPartSize + 4321, // ten parts, four at a time
			}
			var paths []string
			for name, size := range sizes {
				paths = append(paths, writeFile(t, r.dir, name, size))
			}
			r.add(r.dir)
			r.run()
			r.waitFinished()
			assets := r.checkIntact(paths...)
			vs := r.views()
			for _, p := range paths {
				v, data := vs[p], readAll(t, p)
				want := sumIn(t, tc.want, data)
				if got := v.Hashes.Get(tc.want); got != want || len(v.Hashes) != 1 {
					t.Errorf("%s (%d bytes): the view's hashes are %v, want only %s %s", v.Name, len(data), v.Hashes, tc.want, want)
				}
				if a, ok := assets[p]; ok {
					if got := sumIn(t, tc.want, stored(t, a)); got != want {
						t.Errorf("%s: the simulator stored bytes that hash to %s, the file to %s", v.Name, got, want)
					}
				}
			}
			recs := r.checkJournal(doneAll(paths...))
			if len(recs) != len(paths) {
				t.Fatalf("the journal holds %d files, want %d", len(recs), len(paths))
			}
			for _, rec := range recs {
				data := readAll(t, rec.File.Path)
				if got, want := rec.File.Hashes.Get(tc.want), sumIn(t, tc.want, data); got != want || len(rec.File.Hashes) != 1 {
					t.Errorf("journal: %s has hashes %v, want only %s %s", rec.File.Name, rec.File.Hashes, tc.want, want)
				}
				if !slices.Equal(rec.File.HashFormats, []hashes.Format{tc.want}) {
					t.Errorf("journal: %s is hashed in %v, want %s", rec.File.Name, rec.File.HashFormats, tc.want)
				}
				checkPartHashes(t, rec, data)
			}
		})
	}
}

// Chunks that finish before the chunk ahead of them are read again from the file when the
// file's hash reaches them, and the hash is of the file's bytes in order. One of the first
// four chunks is held at the simulator until every other chunk has finished, so the six or
// more after it finish first, whatever the timing.
func TestPartsFinishingBeforeTheFrontAreReadAgainAndHashedInOrder(t *testing.T) {
	log := &hashLog{}
	r := newIdleRig(t, rigConfig{
		settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4},
		tuning:   core.UploadTuning{StallTimeout: 10 * time.Minute}, // the held PUT is not retried on its own
		service:  log.tap,
	})
	const parts = 10
	p := writeFile(t, r.dir, "out-of-order.mov", parts*rigPartSize)
	data := readAll(t, p)
	r.holdFirstChunkPUT()
	r.add(p)
	r.run()
	r.waitChunks(p, parts-1)
	_, held := r.heldPart(p)
	if held >= 4 {
		t.Fatalf("part %d was held; the first PUT is one of the first 4", held+1)
	}
	r.cutConnections()

	v := r.waitFinished()[p]
	a := r.checkIntact(p)[p]
	if got, want := v.Hashes.Get(hashes.XXH64), sumXXH64(data); got != want {
		t.Errorf("the view's xxh64 is %s, want %s", got, want)
	}
	if got, want := sumXXH64(stored(t, a)), v.Hashes.Get(hashes.XXH64); got != want {
		t.Errorf("the simulator stored bytes that hash to %s, the view says %s", got, want)
	}
	// Every part after the held one finished before the hash could pass the held one.
	if got, least := log.reread(t, v.Name), int64(parts-1-held)*rigPartSize; got < least {
		t.Errorf("the hash read %d bytes again, want at least the %d of the %d parts that finished after part %d was held",
			got, least, parts-1-held, held+1)
	}
	r.expectAssets(1)
	recs := r.checkJournal(doneAll(p))
	for _, rec := range recs {
		checkPartHashes(t, rec, data)
	}
}

// pausedHalfway queues a file of n parts sent slowly, pauses it once some are sent, stops
// the rig and reads the journal: a file half uploaded, for a restart. It returns the
// file's path and id, and its record.
func (r *rig) pausedHalfway(name string, n int) (string, core.FileID, upload.Record) {
	r.t.Helper()
	r.slowChunks(50 * time.Millisecond)
	p := writeFile(r.t, r.dir, name, int64(n)*rigPartSize)
	id := r.add(p).Added[0].ID
	r.waitChunks(p, 4)
	if err := r.svc.Pause(context.Background(), core.One(id)); err != nil {
		r.t.Fatal(err)
	}
	r.waitState(p, core.Paused)
	r.stop()
	rec, ok := r.readJournal()[p]
	if !ok || len(rec.DoneChunks) == 0 || len(rec.DoneChunks) == rec.File.ChunkCount() {
		r.t.Fatalf("journal: %s has %d of %d chunks finished, want some", name, len(rec.DoneChunks), rec.File.ChunkCount())
	}
	return p, id, rec
}

// A file stopped half way and resumed after a restart goes on with its asset; the parts
// sent before the restart are read again from the file and checked against the hashes the
// journal kept of them, and the file's hash is of every byte sent.
func TestAResumedFileHashesThePartsSentBeforeTheRestart(t *testing.T) {
	log := &hashLog{}
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4}, service: log.tap})
	p, id, before := r.pausedHalfway("resumed.mov", 40)
	data := readAll(t, p)
	checkPartHashes(t, before, data)
	var sentBefore int64
	for _, i := range before.DoneChunks {
		_, n := before.File.ChunkRange(i)
		sentBefore += n
	}

	r.restart()
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	v := r.waitFinished()[p]
	a := r.checkIntact(p)[p]
	if a.ID != before.File.AssetID {
		t.Errorf("the file ended with asset %s, want the one it went on with, %s", a.ID, before.File.AssetID)
	}
	if got, want := v.Hashes.Get(hashes.XXH64), sumXXH64(data); got != want {
		t.Errorf("the view's xxh64 is %s, want %s", got, want)
	}
	if got := sumXXH64(stored(t, a)); got != v.Hashes.Get(hashes.XXH64) {
		t.Errorf("the simulator stored bytes that hash to %s, the view says %s", got, v.Hashes.Get(hashes.XXH64))
	}
	if got := log.reread(t, v.Name); got < sentBefore {
		t.Errorf("the hash read %d bytes again, want at least the %d of the %d parts sent before the restart",
			got, sentBefore, len(before.DoneChunks))
	}
	r.expectAssets(1)
	r.noResendAfterJournal()
	for _, rec := range r.checkJournal(doneAll(p)) {
		checkPartHashes(t, rec, data)
		if got, want := rec.File.Hashes.Get(hashes.XXH64), sumXXH64(data); got != want {
			t.Errorf("journal: the file's xxh64 is %s, want %s", got, want)
		}
	}
}

// A part sent before a restart, then changed on disk with the file's size and time kept, is
// caught when the file resumes: it reads differently from the hash the journal kept of what
// was sent. The asset, made of the bytes before the change and still missing parts, is
// abandoned; a new one gets the file as it is now, and the file's hash is of that.
func TestAPartChangedWhileStoppedIsCaughtWhenTheFileResumes(t *testing.T) {
	log := &hashLog{}
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4}, service: log.tap})
	p, id, before := r.pausedHalfway("changed-while-stopped.mov", 40)
	changed := slices.Min(before.DoneChunks)
	if after := before.File.ChunkCount() - len(before.DoneChunks); after < 8 {
		t.Fatalf("only %d parts left to send; the change must be found while the old asset lacks some", after)
	}
	off, _ := before.File.ChunkRange(changed)
	changeKeepingSizeAndTime(t, p, off+100, 1000)
	data := readAll(t, p)

	r.restart()
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	v := r.waitFinished()[p]
	if v.State != core.Done {
		t.Fatalf("the file is %s (%s), want done with a new asset", v.State, v.Error)
	}
	caught := log.find(logChanged, v.Name)
	if len(caught) == 0 || !strings.Contains(caught[0]["err"], fmt.Sprintf("part %d reads differently", changed+1)) {
		t.Errorf("the engine did not say part %d read differently from what was sent: %v", changed+1, caught)
	}
	assets := r.assetsByName()[v.Name]
	if len(assets) != 2 || assets[0].ID != before.File.AssetID || assets[0].Complete || assets[1].ID != v.AssetID {
		t.Fatalf("assets %+v; want the first (%s) left incomplete and a second, the file's", assets, before.File.AssetID)
	}
	a := r.checkIntact(p)[p]
	if got, want := v.Hashes.Get(hashes.XXH64), sumXXH64(data); got != want {
		t.Errorf("the view's xxh64 is %s, want %s, of the file as it is now", got, want)
	}
	if got := sumXXH64(stored(t, a)); got != v.Hashes.Get(hashes.XXH64) {
		t.Errorf("the simulator stored bytes that hash to %s, the view says %s", got, v.Hashes.Get(hashes.XXH64))
	}
	for _, rec := range r.checkJournal(doneAll(p)) {
		checkPartHashes(t, rec, data)
	}
}

// A part changed on disk after it was sent (the file's size and time kept), found only when
// the last part has gone: every part has reached the project, so the asset there is whole,
// made of the bytes sent. Sending the file again would make a second copy of it in the
// project; the file fails instead, saying it changed while it was uploaded (filehash.go,
// changedAfterSending). Whatever happens, a file never ends done with a hash other than
// that of what its asset holds.
func TestAChangeFoundOnceEveryPartWasSentFailsTheFileWithoutASecondAsset(t *testing.T) {
	r := newIdleRig(t, rigConfig{
		settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4},
		tuning:   core.UploadTuning{StallTimeout: 10 * time.Minute},
	})
	const parts = 10
	p := writeFile(t, r.dir, "changed-after-sending.mov", parts*rigPartSize)
	sent := readAll(t, p)
	r.holdFirstChunkPUT()
	r.add(p)
	r.run()
	r.waitChunks(p, parts-1)
	first, held := r.heldPart(p)
	const changed = parts - 2 // finished, and behind the held part: not hashed yet
	if held >= changed {
		t.Fatalf("part %d was held; the first PUT is one of the first 4", held+1)
	}
	changeKeepingSizeAndTime(t, p, changed*rigPartSize+100, 1000)
	r.cutConnections() // the held part goes, the last: then the file's hash reads part 9

	v := r.waitFinished()[p]
	if v.State == core.Done {
		a, ok := r.assetByID(v.AssetID)
		if !ok {
			t.Fatalf("the file is done with asset %q, which the simulator does not have", v.AssetID)
		}
		if got, want := sumXXH64(stored(t, a)), v.Hashes.Get(hashes.XXH64); got != want {
			t.Errorf("the file is done with xxh64 %s, but its asset %s holds bytes that hash to %s", want, a.ID, got)
		}
	}
	if a := r.waitAssembled(first.ID); !a.Complete {
		t.Errorf("the first asset is %s with every part received, want complete", a.State)
	} else if got, want := sumXXH64(stored(t, a)), sumXXH64(sent); got != want {
		t.Errorf("the first asset holds bytes that hash to %s, want %s, the file as it was sent", got, want)
	}
	if assets := r.assetsByName()[v.Name]; len(assets) != 1 {
		var held []string
		for _, a := range assets {
			held = append(held, fmt.Sprintf("%s (%s)", a.ID, a.State))
		}
		t.Errorf("%d assets for the file, %v; want only the first: it was whole in the project when the change was found", len(assets), held)
	}
	if v.State != core.Failed || v.ErrorKind != string(api.KindLocalFile) || !strings.Contains(v.Error, "changed") {
		t.Errorf("the file is %s (%s %q), want failed saying it changed while it was uploaded", v.State, v.ErrorKind, v.Error)
	}
}

// An offload's ASC MHL history in a file's folder or above gives the hash the bytes sent
// must have. Files whose bytes match end done and "matched"; one whose bytes differ
// reaches the project but fails, "differs"; one the history does not list is
// "not-listed"; a history with md5 only has the files hashed in md5 too. The history's own
// files are never uploaded, and a manifest that cannot be read is told, while the files it
// covers still go.
func TestAnOffloadsHashListIsComparedWithTheBytesSent(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	offload := mhl.Creator{Tool: "Offload Test", ToolVersion: "1.0"}
	entry := func(root, p string, hs ...mhl.Hash) mhl.Entry {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		return mhl.Entry{Path: filepath.ToSlash(rel), Size: fi.Size(), ModTime: fi.ModTime(), Hashes: hs}
	}
	xxh := func(v string) mhl.Hash { return mhl.Hash{Format: hashes.XXH64, Value: v, Action: mhl.Original} }

	// A card whose history is at its root, its clips in a folder below.
	card := filepath.Join(r.dir, "A001")
	clips := filepath.Join(card, "CLIPS")
	if err := os.MkdirAll(clips, 0o755); err != nil {
		t.Fatal(err)
	}
	good1 := writeFile(t, clips, "a.mov", 3*rigPartSize+11)
	good2 := writeFile(t, clips, "b.wav", 1)
	wrong := writeFile(t, clips, "c.mov", 2*rigPartSize)
	unlisted := writeFile(t, clips, "d.mov", 500)
	if _, _, err := mhl.Create(card, []mhl.Entry{
		entry(card, good1, xxh(sumXXH64(readAll(t, good1)))),
		entry(card, good2, xxh(sumXXH64(readAll(t, good2)))),
		entry(card, wrong, xxh(sumXXH64([]byte("another file")))),
	}, offload); err != nil {
		t.Fatal(err)
	}
	// A card whose history has md5 only.
	md5Card := filepath.Join(r.dir, "B001")
	if err := os.MkdirAll(md5Card, 0o755); err != nil {
		t.Fatal(err)
	}
	md5File := writeFile(t, md5Card, "e.mov", rigPartSize+3)
	md5Wrong := writeFile(t, md5Card, "g.mov", 700)
	md5h := func(v string) mhl.Hash { return mhl.Hash{Format: hashes.MD5, Value: v, Action: mhl.Original} }
	if _, _, err := mhl.Create(md5Card, []mhl.Entry{
		entry(md5Card, md5File, md5h(sumMD5(readAll(t, md5File)))),
		entry(md5Card, md5Wrong, md5h(sumMD5([]byte("another file")))),
	}, offload); err != nil {
		t.Fatal(err)
	}
	// A card whose history has a manifest that is not XML beside a good one.
	badCard := filepath.Join(r.dir, "C001")
	if err := os.MkdirAll(badCard, 0o755); err != nil {
		t.Fatal(err)
	}
	besideBad := writeFile(t, badCard, "f.mov", 2*rigPartSize+5)
	if _, _, err := mhl.Create(badCard, []mhl.Entry{entry(badCard, besideBad, xxh(sumXXH64(readAll(t, besideBad))))}, offload); err != nil {
		t.Fatal(err)
	}
	badManifest := filepath.Join(badCard, mhl.Folder, "0002_C001_2030-01-01_000000Z.mhl")
	if err := os.WriteFile(badManifest, []byte("<?xml version=\"1.0\"?><hashlist version=\"2.0\"><hash>"), 0o644); err != nil {
		t.Fatal(err)
	}

	res := r.add(card, md5Card)
	if len(res.HashListProblems) != 0 {
		t.Errorf("hash list problems %q, want none", res.HashListProblems)
	}
	bad := r.add(badCard)
	if len(bad.HashListProblems) == 0 {
		t.Errorf("a manifest that is not XML, and not in the chain, gave no hash list problem")
	} else if !strings.Contains(strings.Join(bad.HashListProblems, "\n"), filepath.Base(badManifest)) {
		t.Errorf("the hash list problems %q do not name %s", bad.HashListProblems, filepath.Base(badManifest))
	}
	var added []string
	for _, v := range slices.Concat(res.Added, bad.Added) {
		added = append(added, v.Path)
	}
	for _, rej := range slices.Concat(res.Rejected, bad.Rejected) {
		t.Errorf("%s rejected: %s", rej.Path, rej.Reason)
	}
	slices.Sort(added)
	want := []string{good1, good2, wrong, unlisted, md5File, md5Wrong, besideBad}
	slices.Sort(want)
	if !slices.Equal(added, want) {
		t.Errorf("added %q, want %q (never the history's own files)", added, want)
	}
	r.run()
	vs := r.waitFinished()

	for _, c := range []struct {
		path    string
		root    string
		state   core.State
		verdict string
		offload hashes.Format
		formats []hashes.Format
	}{
		{good1, card, core.Done, core.VerdictMatched, hashes.XXH64, []hashes.Format{hashes.XXH64}},
		{good2, card, core.Done, core.VerdictMatched, hashes.XXH64, []hashes.Format{hashes.XXH64}},
		{wrong, card, core.Failed, core.VerdictDiffers, hashes.XXH64, []hashes.Format{hashes.XXH64}},
		{unlisted, card, core.Done, core.VerdictNotListed, "", []hashes.Format{hashes.XXH64}},
		{md5File, md5Card, core.Done, core.VerdictMatched, hashes.MD5, []hashes.Format{hashes.XXH64, hashes.MD5}},
		{md5Wrong, md5Card, core.Failed, core.VerdictDiffers, hashes.MD5, []hashes.Format{hashes.XXH64, hashes.MD5}},
		{besideBad, badCard, core.Done, core.VerdictMatched, hashes.XXH64, []hashes.Format{hashes.XXH64}},
	} {
		v := vs[c.path]
		data := readAll(t, c.path)
		if v.State != c.state || v.Verdict() != c.verdict {
			t.Errorf("%s is %s (%s %q), verdict %q; want %s, %q", v.Name, v.State, v.ErrorKind, v.Error, v.Verdict(), c.state, c.verdict)
		}
		if v.HashList != c.root || v.Offload.Format != c.offload {
			t.Errorf("%s: hash list %q, offload %v; want %q and a hash in %q", v.Name, v.HashList, v.Offload, c.root, c.offload)
		}
		if len(v.Hashes) != len(c.formats) {
			t.Errorf("%s: hashes %v, want one in each of %v", v.Name, v.Hashes, c.formats)
		}
		for _, f := range c.formats {
			if got, want := v.Hashes.Get(f), sumIn(t, f, data); got != want {
				t.Errorf("%s: %s %q, want %s", v.Name, f, got, want)
			}
		}
	}
	for _, p := range []string{wrong, md5Wrong} {
		v := vs[p]
		if v.ErrorKind != upload.DiffersKind || !strings.Contains(v.Error, "differs from the offload's hash list") {
			t.Errorf("%s failed with %s %q, want %s saying it differs from the offload's hash list", v.Name, v.ErrorKind, v.Error, upload.DiffersKind)
		}
		// A file that differs reached the project all the same: the bytes sent are the
		// file's, and its hash says so.
		if a, ok := r.assetByID(v.AssetID); !ok || !a.Complete || sumXXH64(stored(t, a)) != sumXXH64(readAll(t, p)) {
			t.Errorf("%s, which differs, has asset %+v, want complete with its bytes", v.Name, a)
		}
	}
	if e := vs[md5Wrong].Error; !strings.Contains(e, "md5 "+sumMD5(readAll(t, md5Wrong))) {
		t.Errorf("%s: %q does not give the md5 of the bytes sent", vs[md5Wrong].Name, e)
	}
	r.checkIntact(good1, good2, unlisted, md5File, besideBad)
	for name := range r.assetsByName() {
		if strings.HasSuffix(name, mhl.Extension) || name == mhl.ChainFile {
			t.Errorf("the history's %s was uploaded", name)
		}
	}
	r.expectAssets(len(want))

	// The journal keeps what was compared.
	states := doneAll(good1, good2, unlisted, md5File, besideBad)
	states[wrong] = journalWant{state: core.Failed, kind: api.Kind(upload.DiffersKind)}
	states[md5Wrong] = states[wrong]
	for _, rec := range r.checkJournal(states) {
		v := vs[rec.File.Path]
		if rec.File.HashList != v.HashList || rec.File.Offload != v.Offload || !slices.Equal(rec.File.Hashes, v.Hashes) {
			t.Errorf("journal: %s has hash list %q, offload %v, hashes %v; the view had %q, %v, %v",
				rec.File.Name, rec.File.HashList, rec.File.Offload, rec.File.Hashes, v.HashList, v.Offload, v.Hashes)
		}
	}
}
