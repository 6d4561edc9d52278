package upload_test

// The harness of the engine's integration tests: a simulator, a real SQLite journal in
// the test's temp dir, an in-memory token store and the service facade, paired the way a
// person would pair it (Service.Pair, then the simulator's Approve). Nothing here shares
// a name with the other test files of this package.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// rigPartSize is the simulator's part size in these tests: files of a few hundred KiB
// have many parts.
const rigPartSize = 64 << 10

// waitLong is how long a test waits for something that should happen within seconds.
// It is a deadline against a hang, never a performance bound.
const waitLong = 3 * time.Minute

// rigPolicy is the retry policy of these tests: the production classes and attempt
// counts, with waits capped at 100 ms (the file-level retry uses time.Now and
// Policy.Backoff, so the cap is what keeps it short) and run ten times faster.
func rigPolicy() retry.Policy {
	return retry.Policy{Clock: &retrytest.Scaled{Factor: 10}, MaxDelay: 100 * time.Millisecond}
}

// rigConfig is what a test may change about its rig.
type rigConfig struct {
	sim      c2csim.Options
	settings upload.Settings
	tuning   core.UploadTuning
	// service, when set, changes the service's configuration before each run opens it
	// (a client version or secret the API refuses).
	service func(*core.Config)
}

// rig is one installation of the uploader under test, against one simulator.
type rig struct {
	t        testing.TB
	cfg      rigConfig
	sim      *c2csim.Sim
	dir      string // the media
	jpath    string
	keys     journal.KeyStore // the key of the journal's upload links, over every run
	tokens   *authtest.MemoryStore
	clientID string
	project  string    // the name of the project it is paired with
	rec      *recState // what the journal recorded, over every run
	// lostCreations are the x-request-ids of the asset creations the service saw fail,
	// over every run, from its log.
	lostCreations requestLog

	// The current run.
	j      *journal.Journal
	svc    *core.Service
	cancel context.CancelFunc
	done   chan struct{} // the event collector stopped

	// staleOK accepts complete assets with an older content of a file beside the one
	// with its final content (a file that changed while it was being uploaded).
	staleOK bool

	mu     sync.Mutex
	events []core.Event
}

// newRig starts a simulator and a service, pairs it, and runs it.
func newRig(t testing.TB, cfg rigConfig) *rig {
	t.Helper()
	r := newIdleRig(t, cfg)
	r.run()
	return r
}

// newIdleRig is newRig without running the engine: files can be queued and tampered with
// before anything is uploaded. Call run to start.
func newIdleRig(t testing.TB, cfg rigConfig) *rig {
	t.Helper()
	if cfg.sim.PartSize == 0 {
		cfg.sim.PartSize = rigPartSize
	}
	if cfg.sim.PollInterval == 0 {
		cfg.sim.PollInterval = 200 * time.Millisecond
	}
	r := &rig{
		t:        t,
		cfg:      cfg,
		sim:      c2csim.Start(t, cfg.sim),
		dir:      t.TempDir(),
		jpath:    filepath.Join(t.TempDir(), "journal.db"),
		keys:     journal.NewMemoryKey(),
		tokens:   &authtest.MemoryStore{},
		clientID: "upload-test-" + uuid.NewString(),
		project:  "Upload Tests",
	}
	t.Cleanup(r.stop)
	r.open()
	r.pair()
	return r
}

// open opens the journal and makes a service on it, loaded but not running.
func (r *rig) open() {
	r.t.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, r.jpath, journal.WithKeyStore(r.keys))
	if err != nil {
		r.t.Fatalf("opening the journal: %v", err)
	}
	tuning := r.cfg.tuning
	if tuning.SettleTime == 0 {
		tuning.SettleTime = 300 * time.Millisecond
	}
	if tuning.ProgressInterval == 0 {
		tuning.ProgressInterval = 50 * time.Millisecond
	}
	if r.rec == nil {
		r.rec = &recState{}
	}
	cfg := core.Config{
		APIURL:        r.sim.URL(),
		ClientVersion: "1.0.0-test",
		Credentials:   api.Credentials{ClientID: r.clientID, ClientSecret: c2csim.DemoClientSecret},
		Tokens:        r.tokens,
		Journal:       &recJournal{j: j, st: r.rec},
		Settings:      coreSettings(r.cfg.settings),
		Policy:        rigPolicy(),
		Upload:        tuning,
		Heartbeat:     time.Hour,
		Logger:        slog.New(&r.lostCreations),
	}
	if r.cfg.service != nil {
		r.cfg.service(&cfg)
	}
	svc, err := core.New(cfg)
	if err != nil {
		_ = j.Close()
		r.t.Fatalf("core.New: %v", err)
	}
	if _, err := svc.Load(ctx); err != nil {
		_ = j.Close()
		r.t.Fatalf("Load: %v", err)
	}
	r.j, r.svc = j, svc
	sub := svc.Subscribe()
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
				evs := sub.Drain()
				r.mu.Lock()
				r.events = append(r.events, evs...)
				r.mu.Unlock()
			}
		}
	}()
}

// run starts the connection monitor, the token manager and the engine.
func (r *rig) run() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	prev := r.cancel
	r.cancel = func() { cancel(); prev() }
	if err := r.svc.Run(ctx); err != nil {
		r.t.Fatalf("Run: %v", err)
	}
}

// pair runs the device-code flow and approves the code in the simulator, as the
// project's editor would.
func (r *rig) pair() {
	r.t.Helper()
	coretest.Pair(r.t, r.svc, r.sim, r.project, waitLong)
}

// stop ends the current run and closes the journal. The engine's goroutines end on
// their own a moment later; a journal write they still attempt fails as it would in a
// crash, which the journal's promises cover.
func (r *rig) stop() {
	if r.svc == nil {
		return
	}
	r.cancel()
	<-r.done
	if err := r.j.Close(); err != nil {
		r.t.Errorf("closing the journal: %v", err)
	}
	r.svc, r.j = nil, nil
}

// restart stops the service and starts a new one on the same journal and tokens, as
// after quitting and opening the app again.
func (r *rig) restart() {
	r.t.Helper()
	r.stop()
	r.open()
	r.run()
}

// add queues paths and fails the test on an error.
func (r *rig) add(paths ...string) core.AddResult {
	r.t.Helper()
	res, err := r.svc.Add(context.Background(), paths, core.AddOptions{})
	if err != nil {
		r.t.Fatalf("Add: %v", err)
	}
	return res
}

// views is the queue now, by path.
func (r *rig) views() map[string]core.FileView {
	vs, _ := r.svc.Snapshot()
	out := make(map[string]core.FileView, len(vs))
	for _, v := range vs {
		out[v.Path] = v
	}
	return out
}

// view is one file's view by path; ok is false when it is not in the queue.
func (r *rig) view(path string) (core.FileView, bool) {
	v, ok := r.views()[path]
	return v, ok
}

// waitFor polls the queue until cond holds.
func (r *rig) waitFor(what string, cond func(map[string]core.FileView) bool) {
	r.t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		vs := r.views()
		if cond(vs) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s; the queue:\n%s", what, describeViews(vs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitState waits until the file at path is in state st.
func (r *rig) waitState(path string, st core.State) core.FileView {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%s to be %s", filepath.Base(path), st), func(vs map[string]core.FileView) bool {
		return vs[path].State == st
	})
	v, _ := r.view(path)
	return v
}

// waitFinished waits until every file in the queue needs nothing more from the engine.
func (r *rig) waitFinished() map[string]core.FileView {
	r.t.Helper()
	r.waitFor("every file to finish", func(vs map[string]core.FileView) bool {
		for _, v := range vs {
			if !v.State.Finished() {
				return false
			}
		}
		return len(vs) > 0
	})
	return r.views()
}

// waitChunks waits until the file at path has at least n chunks finished.
func (r *rig) waitChunks(path string, n int) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d chunks of %s", n, filepath.Base(path)), func(vs map[string]core.FileView) bool {
		return vs[path].ChunksDone >= n
	})
}

func describeViews(vs map[string]core.FileView) string {
	var b strings.Builder
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := vs[k]
		fmt.Fprintf(&b, "  %d %q %s %d/%d bytes, chunks %d/%d, detail %q, error %s %q\n",
			v.ID, v.Name, v.State, v.BytesDone, v.Size, v.ChunksDone, v.Chunks, v.Detail, v.ErrorKind, v.Error)
	}
	return b.String()
}

// alerts are the alerts the service published so far.
func (r *rig) alerts() []core.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.Alert
	for _, ev := range r.events {
		if ev.Type == core.EventAlert {
			out = append(out, *ev.Alert)
		}
	}
	return out
}

// sawConnection reports whether the service published a connection state st.
func (r *rig) sawConnection(st string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Type == core.EventConnection && string(ev.Connection.State) == st {
			return true
		}
	}
	return false
}

// waitPublished waits until the service has published an event of the file at path in
// state st: the queue's views change before the subscriber has drained the event that
// tells them, so a test reading r.events after waitFinished can miss the last one.
func (r *rig) waitPublished(path string, st core.State) {
	r.t.Helper()
	waitfor.Condition(r.t, fmt.Sprintf("an event of %s %s", filepath.Base(path), st), func() bool { return r.sawFileState(path, st) })
}

// sawFileState reports whether the service published the file at path in state st.
func (r *rig) sawFileState(path string, st core.State) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Type == core.EventFile && ev.File.Path == path && ev.File.State == st {
			return true
		}
	}
	return false
}

// fault scripts a simulator fault.
func (r *rig) fault(f c2csim.Fault) c2csim.Fault {
	r.t.Helper()
	added, err := r.sim.AddFault(f)
	if err != nil {
		r.t.Fatalf("adding fault %+v: %v", f, err)
	}
	return added
}

// faultHits is how often the fault with id fired.
func (r *rig) faultHits(id int) int {
	r.t.Helper()
	fs, err := r.sim.Admin.Faults(context.Background())
	if err != nil {
		r.t.Fatalf("reading faults: %v", err)
	}
	for _, f := range fs {
		if f.ID == id {
			return f.Hits
		}
	}
	r.t.Fatalf("no fault %d", id)
	return 0
}

// expectFired checks that the scripted fault f fired exactly want times.
func (r *rig) expectFired(what string, f c2csim.Fault, want int) {
	r.t.Helper()
	if h := r.faultHits(f.ID); h != want {
		r.t.Errorf("%s fired %d times, want %d", what, h, want)
	}
}

// expectAssets checks that the simulator holds n assets: one per file, none orphaned.
func (r *rig) expectAssets(n int) {
	r.t.Helper()
	if got := len(r.sim.Assets()); got != n {
		r.t.Errorf("%d assets for %d files", got, n)
	}
}

// expectAssetsAcrossACut is expectAssets for a test that took the simulator offline,
// which cuts every open connection. Asset creation is not idempotent and the API has no
// idempotency key, so a creation the simulator handled as the connection was cut lost
// its answer on the way back and was made again (docs/error-policy.md §7: an empty extra
// asset whose answer was lost is tolerated and traced by its request id). Each file
// still has exactly one complete asset; an extra one must be empty and made by a
// creation the service logged as failed (by its x-request-id), and there can be no more
// of them than creations in flight at once (one per file in flight).
func (r *rig) expectAssetsAcrossACut(files []string, inFlight int) {
	r.t.Helper()
	createdBy := map[string]string{}
	for _, q := range r.sim.Requests(0) {
		if q.Method == http.MethodPost && q.Path == "/v2/devices/assets" && q.AssetID != "" {
			if id := q.Headers["X-Request-Id"]; len(id) > 0 {
				createdBy[q.AssetID] = id[0]
			}
		}
	}
	byName := r.assetsByName()
	extra := 0
	for _, p := range files {
		name := filepath.Base(p)
		complete := 0
		for _, a := range byName[name] {
			switch {
			case a.Complete:
				complete++
			case a.BytesReceived == 0 && r.lostCreations.failed(createdBy[a.ID]):
				extra++
				r.t.Logf("%s: an empty extra asset %s, made by request %s, whose answer the service lost", name, a.ID, createdBy[a.ID])
			default:
				r.t.Errorf("%s: extra asset %s (state %s, %d bytes received, made by request %q, which the service did not see fail)",
					name, a.ID, a.State, a.BytesReceived, createdBy[a.ID])
			}
		}
		if complete != 1 {
			r.t.Errorf("%s: %d complete assets, want 1", name, complete)
		}
	}
	if extra > inFlight {
		r.t.Errorf("%d empty extra assets, more than the %d creations that can be in flight at the cut", extra, inFlight)
	}
	if total := len(r.sim.Assets()); total != len(files)+extra {
		r.t.Errorf("%d assets for %d files and %d lost answers", total, len(files), extra)
	}
}

// requestLog is a log handler that keeps the x-request-ids of the asset creations the
// service logged as failed (core/api logs every request at debug level, with its kind
// when it failed).
type requestLog struct {
	mu   sync.Mutex
	lost map[string]bool
}

func (l *requestLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *requestLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *requestLog) WithGroup(string) slog.Handler            { return l }

func (l *requestLog) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "request" {
		return nil
	}
	var endpoint, kind, id string
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "endpoint":
			endpoint = a.Value.String()
		case "kind":
			kind = a.Value.String()
		case "request_id":
			id = a.Value.String()
		}
		return true
	})
	if endpoint == api.EndpointAssets && kind != "" && id != "" {
		l.mu.Lock()
		if l.lost == nil {
			l.lost = map[string]bool{}
		}
		l.lost[id] = true
		l.mu.Unlock()
	}
	return nil
}

func (l *requestLog) failed(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return id != "" && l.lost[id]
}

// assetsByName groups the simulator's assets by name, in creation order.
func (r *rig) assetsByName() map[string][]c2csim.AssetInfo {
	out := map[string][]c2csim.AssetInfo{}
	for _, a := range r.sim.Assets() {
		out[a.Name] = append(out[a.Name], a)
	}
	return out
}

// --- files ---

// writeFile writes size bytes of reproducible noise to dir/name and returns its path.
func writeFile(t testing.TB, dir, name string, size int64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, noise(size, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func noise(size int64, seed string) []byte {
	var s [32]byte
	copy(s[:], seed)
	binary.LittleEndian.PutUint64(s[24:], uint64(size))
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// fileSHA is the SHA-256 of the file at path, in hex.
func fileSHA(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// --- the checks every test ends with ---

// checkIntact asserts that each file at paths is Done and that the asset the simulator
// assembled for it holds exactly the file's bytes (its SHA-256), for the file as it is on
// disk now. It returns the complete asset of each path.
func (r *rig) checkIntact(paths ...string) map[string]c2csim.AssetInfo {
	r.t.Helper()
	vs := r.views()
	byName := r.assetsByName()
	out := map[string]c2csim.AssetInfo{}
	for _, p := range paths {
		v, ok := vs[p]
		if !ok {
			r.t.Errorf("%s is not in the queue", p)
			continue
		}
		if v.State != core.Done {
			r.t.Errorf("%s is %s (%s), want done", v.Name, v.State, v.Error)
			continue
		}
		want := fileSHA(r.t, p)
		var complete, matching []c2csim.AssetInfo
		for _, a := range byName[v.Name] {
			if a.Complete {
				complete = append(complete, a)
				if a.SHA256 == want && a.Filesize == v.Size {
					matching = append(matching, a)
				}
			}
		}
		switch {
		case len(matching) != 1:
			var held []string
			for _, a := range complete {
				held = append(held, fmt.Sprintf("%s: %d bytes, %s", a.ID, a.Filesize, a.SHA256))
			}
			r.t.Errorf("%s: %d complete assets hold the file's %d bytes (SHA-256 %s), want 1; complete assets: %q",
				v.Name, len(matching), v.Size, want, held)
			continue
		case len(complete) != 1 && !r.staleOK:
			r.t.Errorf("%s: %d complete assets, want 1", v.Name, len(complete))
		}
		out[p] = matching[0]
	}
	return out
}

// checkChunkHygiene asserts that every chunk PUT the simulator saw carried
// Content-Length, the asset's Content-Type and x-amz-acl: private, and neither the
// bearer token nor any API header (docs/api-notes.md §3.4, docs/error-policy.md §7). It returns
// the number of chunk requests checked.
func (r *rig) checkChunkHygiene() int {
	r.t.Helper()
	types := map[string]string{}
	for _, a := range r.sim.Assets() {
		types[a.ID] = a.Filetype
	}
	n := 0
	for _, q := range r.sim.Requests(0) {
		if q.Kind != "s3" {
			continue
		}
		n++
		if q.AssetID == "" {
			// A faulted request is answered before the handler notes its asset.
			if rest, ok := strings.CutPrefix(q.Path, "/s3/"); ok {
				q.AssetID, _, _ = strings.Cut(rest, "/")
			}
		}
		h := func(name string) []string { return q.Headers[name] }
		where := fmt.Sprintf("request %d (PUT %s part %d)", q.Seq, q.AssetID, q.Part)
		if q.Method != "PUT" {
			r.t.Errorf("%s: method %s", where, q.Method)
		}
		if cl := h("Content-Length"); len(cl) != 1 {
			r.t.Errorf("%s: Content-Length %q, want exactly one", where, cl)
		}
		if te := h("Transfer-Encoding"); len(te) != 0 {
			r.t.Errorf("%s: Transfer-Encoding %q", where, te)
		}
		if ct, want := h("Content-Type"), types[q.AssetID]; len(ct) != 1 || ct[0] != want {
			r.t.Errorf("%s: Content-Type %q, want the asset's filetype %q", where, ct, want)
		}
		if acl := h("X-Amz-Acl"); len(acl) != 1 || acl[0] != "private" {
			r.t.Errorf("%s: x-amz-acl %q, want private", where, acl)
		}
		for _, banned := range []string{"Authorization", "X-Client-Version", "Cookie"} {
			if v := h(banned); len(v) != 0 {
				r.t.Errorf("%s carried %s %q", where, banned, v)
			}
		}
		if q.TokenFP != "" {
			r.t.Errorf("%s carried a credential (fingerprint %s)", where, q.TokenFP)
		}
	}
	return n
}

// journalWant is what the reopened journal must say about one file.
type journalWant struct {
	state core.State
	kind  api.Kind // the error kind of a failed or skipped file ("" for any)
}

// checkJournal stops the service, reopens the journal from disk and checks that it tells
// the truth: each file's state, and for every file with an asset, that the asset exists
// in the simulator with the URLs, chunk size and size the journal recorded, and that every
// chunk the journal calls finished was received. A done file's asset must be complete,
// every chunk finished, and hold the file's bytes. Paths not in want must not be in the
// journal. The rig is left stopped; restart it to go on.
func (r *rig) checkJournal(want map[string]journalWant) []upload.Record {
	r.t.Helper()
	r.stop()
	j, err := journal.Open(context.Background(), r.jpath, journal.WithKeyStore(r.keys))
	if err != nil {
		r.t.Fatalf("reopening the journal: %v", err)
	}
	defer j.Close()
	recs, err := j.Load(context.Background())
	if err != nil {
		r.t.Fatalf("loading the journal: %v", err)
	}
	assets := map[string]c2csim.AssetInfo{}
	for _, a := range r.sim.Assets() {
		assets[a.ID] = a
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		f := rec.File
		seen[f.Path] = true
		w, ok := want[f.Path]
		if !ok {
			r.t.Errorf("journal: %q is there (%s), it should not be", f.Path, f.State)
			continue
		}
		if f.State != w.state {
			r.t.Errorf("journal: %s is %s (%s %q), want %s", f.Name, f.State, f.ErrorKind, f.ErrorMessage, w.state)
		}
		if w.kind != "" && f.ErrorKind != string(w.kind) {
			r.t.Errorf("journal: %s has error kind %q, want %q", f.Name, f.ErrorKind, w.kind)
		}
		if f.AssetID == "" {
			if f.State == core.Done {
				r.t.Errorf("journal: %s is done without an asset", f.Name)
			}
			if len(rec.DoneChunks) != 0 {
				r.t.Errorf("journal: %s has finished chunks %v but no asset", f.Name, rec.DoneChunks)
			}
			continue
		}
		a, ok := assets[f.AssetID]
		if !ok {
			r.t.Errorf("journal: %s names asset %s, which the simulator never made", f.Name, f.AssetID)
			continue
		}
		if a.Name != f.Name || a.Filesize != f.Size || a.Filetype != f.Filetype {
			r.t.Errorf("journal: %s (%d bytes, %s) names asset %s of %q (%d bytes, %s)",
				f.Name, f.Size, f.Filetype, a.ID, a.Name, a.Filesize, a.Filetype)
		}
		if f.ChunkCount() != a.PartCount || (f.Size > 0 && f.ChunkSize != a.PartSize) {
			r.t.Errorf("journal: %s has %d URLs of %d bytes; the asset has %d parts of %d",
				f.Name, f.ChunkCount(), f.ChunkSize, a.PartCount, a.PartSize)
		}
		for _, i := range rec.DoneChunks {
			if i < 0 || i >= len(a.Parts) || !a.Parts[i].Received {
				r.t.Errorf("journal: %s calls chunk %d finished; the simulator did not receive it", f.Name, i)
			}
		}
		if f.State == core.Done {
			if !a.Complete {
				r.t.Errorf("journal: %s is done but its asset %s is %s", f.Name, a.ID, a.State)
			}
			if len(rec.DoneChunks) != f.ChunkCount() {
				r.t.Errorf("journal: %s is done with %d of %d chunks finished", f.Name, len(rec.DoneChunks), f.ChunkCount())
			}
			if sum := fileSHA(r.t, f.Path); a.SHA256 != sum {
				r.t.Errorf("journal: %s is done, but its asset holds %s and the file is %s", f.Name, a.SHA256, sum)
			}
		}
	}
	for p := range want {
		if !seen[p] {
			r.t.Errorf("journal: %s is missing", p)
		}
	}
	return recs
}

// doneAll is a journalWant of Done for every path.
func doneAll(paths ...string) map[string]journalWant {
	m := map[string]journalWant{}
	for _, p := range paths {
		m[p] = journalWant{state: core.Done}
	}
	return m
}

// noResend asserts that no part of any asset was sent again after the simulator had
// acknowledged it. That holds whenever the client never abandons a chunk in flight (a
// pause, a cancel, or a file stopped by another chunk's failure abandon them, and the
// simulator may still acknowledge such a chunk to nobody).
func (r *rig) noResend() {
	r.t.Helper()
	for _, a := range r.sim.Assets() {
		for _, p := range a.Parts {
			if p.ResentAfterAck != 0 {
				r.t.Errorf("asset %s (%s) part %d was sent %d more times after it was acknowledged",
					a.ID, a.Name, p.Number, p.ResentAfterAck)
			}
		}
	}
}

// recJournal passes every call to the real journal of one run and notes, in the rig's
// recState, when each chunk was recorded finished, by asset, so a test can check the
// promise that matters: a chunk the journal holds as finished is never sent again (the
// simulator's ResentAfterAck also counts chunks whose acknowledgement was lost on the
// way, which may legitimately be sent again). A run's late writes, after it was stopped,
// go to its own (closed) journal, as in a crash.
type recJournal struct {
	j  upload.Journal
	st *recState
}

type recState struct {
	disk    full // set: every write fails as on a full disk
	mu      sync.Mutex
	assetOf map[core.FileID]string
	done    map[chunkKey]time.Time
}

type chunkKey struct {
	asset string
	index int
}

func (s *recState) noteAsset(id core.FileID, asset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.assetOf == nil {
		s.assetOf, s.done = map[core.FileID]string{}, map[chunkKey]time.Time{}
	}
	s.assetOf[id] = asset
}

func (s *recState) noteChunk(id core.FileID, index int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := chunkKey{s.assetOf[id], index}
	if _, ok := s.done[k]; !ok {
		s.done[k] = at
	}
}

// journaled is the set of chunks recorded finished so far, with when.
func (s *recState) journaled() map[chunkKey]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.done)
}

func (r *recJournal) Load(ctx context.Context) ([]upload.Record, error) {
	recs, err := r.j.Load(ctx)
	for _, rec := range recs {
		r.st.noteAsset(rec.File.ID, rec.File.AssetID)
	}
	return recs, err
}

func (s *recState) setFull(on bool) { s.disk.on.Store(on) }

func (r *recJournal) Insert(ctx context.Context, files []upload.File) ([]upload.File, error) {
	if err := r.st.disk.check(); err != nil {
		return nil, err
	}
	return r.j.Insert(ctx, files)
}

func (r *recJournal) Update(ctx context.Context, f upload.File, parts ...upload.Part) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	err := r.j.Update(ctx, f, parts...)
	if err == nil {
		r.st.noteAsset(f.ID, f.AssetID)
		for _, p := range parts {
			r.st.noteChunk(f.ID, p.Index, time.Now())
		}
	}
	return err
}

func (r *recJournal) UploadURLs(ctx context.Context, id upload.FileID, assetID string) ([]string, error) {
	return r.j.UploadURLs(ctx, id, assetID)
}

func (r *recJournal) StartAsset(ctx context.Context, f upload.File) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	err := r.j.StartAsset(ctx, f)
	if err == nil {
		r.st.noteAsset(f.ID, f.AssetID)
	}
	return err
}

func (r *recJournal) AddParts(ctx context.Context, f upload.File, from int) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	err := r.j.AddParts(ctx, f, from)
	if err == nil {
		r.st.noteAsset(f.ID, f.AssetID)
	}
	return err
}

func (r *recJournal) ChunkDone(ctx context.Context, id core.FileID, p upload.Part) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	err := r.j.ChunkDone(ctx, id, p)
	if err == nil {
		r.st.noteChunk(id, p.Index, time.Now())
	}
	return err
}

func (r *recJournal) Reorder(ctx context.Context, ranks map[upload.FileID]int64) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	return r.j.Reorder(ctx, ranks)
}

func (r *recJournal) Receipted(ctx context.Context, ids []upload.FileID, at time.Time) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	return r.j.Receipted(ctx, ids, at)
}

func (r *recJournal) UpdateFiles(ctx context.Context, files []upload.File) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	err := r.j.UpdateFiles(ctx, files)
	if err == nil {
		for _, f := range files {
			r.st.noteAsset(f.ID, f.AssetID)
		}
	}
	return err
}

func (r *recJournal) Forget(ctx context.Context, hide, remove []core.FileID) error {
	if err := r.st.disk.check(); err != nil {
		return err
	}
	return r.j.Forget(ctx, hide, remove)
}

func (r *recJournal) Uploaded(ctx context.Context, files []upload.File) ([]upload.File, error) {
	return r.j.Uploaded(ctx, files)
}

func (r *recJournal) Cleared(ctx context.Context, added []time.Time) ([]upload.File, error) {
	return r.j.Cleared(ctx, added)
}

func (r *recJournal) UnreceiptedCleared(ctx context.Context) ([]time.Time, error) {
	return r.j.UnreceiptedCleared(ctx)
}

func (r *recJournal) WaitForSpace(ctx context.Context) error {
	for r.st.disk.on.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return r.j.WaitForSpace(ctx)
}

// noResendAfterJournal asserts that no chunk PUT reached the simulator after the journal
// had recorded that chunk finished.
func (r *rig) noResendAfterJournal() {
	r.t.Helper()
	done := r.rec.journaled()
	if len(done) == 0 {
		r.t.Errorf("the journal recorded no finished chunk")
	}
	for _, q := range r.sim.Requests(0) {
		if q.Kind != "s3" {
			continue
		}
		if at, ok := done[chunkKey{q.AssetID, q.Part - 1}]; ok && q.Time.After(at) {
			r.t.Errorf("request %d sent part %d of asset %s at %s, after the journal recorded it finished at %s",
				q.Seq, q.Part, q.AssetID, q.Time.Format("15:04:05.000000"), at.Format("15:04:05.000000"))
		}
	}
}

// coreSettings are the service's settings with the engine's part u (zero: the defaults).
func coreSettings(u upload.Settings) core.Settings {
	if u == (upload.Settings{}) {
		return core.Settings{}
	}
	return core.DefaultSettings().WithUpload(u)
}
