package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/ingest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// The durations below bound nothing the tests assert: they only make the watcher quick.
// No test asserts that something happened within a time; waits are polls with the
// generous limit of waitfor, and "never happened" is checked after a later event that
// must come after it (a sentinel file handed, rescans counted on a probe folder).
const (
	settle = 200 * time.Millisecond
	never  = time.Hour // a rescan or give-up that does not come during a test
)

// call is one Hand call, as the recorder saw it.
type call struct {
	root  string
	paths []string
	sizes []int64 // each path's size when it was handed; -1: gone by then
	at    time.Time
	err   error // what Hand returned
}

// recorder records what a Watcher hands over and tells, for the test goroutine to read.
type recorder struct {
	mu    sync.Mutex
	calls []call
	told  []ingest.FolderStatus
	// fail, when set, decides what Hand returns (nil: taken); it is called on the
	// Watcher's goroutine, outside the lock, and may block.
	fail func(root string, paths []string) error
}

func (r *recorder) hand(_ context.Context, root string, paths []string) error {
	c := call{root: root, paths: slices.Clone(paths), at: time.Now()}
	for _, p := range paths {
		size := int64(-1)
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		}
		c.sizes = append(c.sizes, size)
	}
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		c.err = fail(root, paths)
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return c.err
}

func (r *recorder) tell(st ingest.FolderStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.told = append(r.told, st)
}

func (r *recorder) setFail(fail func(root string, paths []string) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

// all is a copy of every Hand call so far.
func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// numCalls is how many times Hand was called.
func (r *recorder) numCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// with is every Hand call that held path, taken or not.
func (r *recorder) with(path string) []call {
	var out []call
	for _, c := range r.all() {
		if slices.Contains(c.paths, path) {
			out = append(out, c)
		}
	}
	return out
}

// handed is how many times path was handed over and taken.
func (r *recorder) handed(path string) int {
	n := 0
	for _, c := range r.with(path) {
		if c.err == nil {
			n++
		}
	}
	return n
}

// attempts is how many times path was handed over, taken or not.
func (r *recorder) attempts(path string) int { return len(r.with(path)) }

// takenPaths counts each path handed over and taken.
func (r *recorder) takenPaths() map[string]int {
	out := map[string]int{}
	for _, c := range r.all() {
		if c.err != nil {
			continue
		}
		for _, p := range c.paths {
			out[p]++
		}
	}
	return out
}

// states is each state told for folder, in order.
func (r *recorder) states(folder string) []ingest.FolderState {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ingest.FolderState
	for _, st := range r.told {
		if st.Folder == folder {
			out = append(out, st.State)
		}
	}
	return out
}

// logWriter sends the Watcher's log to the test's, shown when a test fails.
type logWriter struct{ t testing.TB }

func (l logWriter) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// watcher is a running Watcher and what it handed over.
type watcher struct {
	*ingest.Watcher
	rec  *recorder
	ctx  context.Context
	stop func()
}

// start runs a Watcher with cfg (Hand and Told recorded in rec) until the test ends or
// stop is called, and sets folders.
func start(t *testing.T, cfg ingest.Config, rec *recorder, folders ...string) *watcher {
	t.Helper()
	cfg.Hand = rec.hand
	cfg.Told = rec.tell
	cfg.Logger = slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	w := ingest.New(cfg)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	if err := w.Set(ctx, folders); err != nil {
		t.Fatalf("Set: %v", err)
	}
	return &watcher{Watcher: w, rec: rec, ctx: ctx, stop: stop}
}

// status is the Watcher's Status; as it goes through the Watcher's goroutine, it also
// waits for what that goroutine was doing (a Hand call under way) to be done.
func (w *watcher) status(t *testing.T) []ingest.FolderStatus {
	t.Helper()
	sts, err := w.Status(w.ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return sts
}

func (w *watcher) set(t *testing.T, folders ...string) {
	t.Helper()
	if err := w.Set(w.ctx, folders); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

// waitHanded waits until path was handed over and taken n times.
func (w *watcher) waitHanded(t *testing.T, path string, n int) {
	t.Helper()
	waitfor.Condition(t, fmt.Sprintf("%s handed %d time(s)", path, n), func() bool { return w.rec.handed(path) >= n })
}

// sentinel makes a file in dir, after whatever the test did before, and waits for it to
// be handed over; then it waits for the Watcher's goroutine to be done with that round.
// What would have been handed over before the sentinel has been by then.
func (w *watcher) sentinel(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("sentinel-%d.mov", time.Now().UnixNano()))
	write(t, path, "sentinel")
	w.waitHanded(t, path, 1)
	w.status(t)
	return path
}

// probe makes a folder watched whose one file is refused by Hand every time: it is handed
// again at each walk of that folder, so its attempts count the rescans. The folder must
// be set, with the others, by the caller.
func probe(t *testing.T, rec *recorder) (folder, file string) {
	t.Helper()
	folder = realDir(t)
	file = filepath.Join(folder, "probe.mov")
	writeOld(t, file, "probe")
	rec.setFail(func(root string, _ []string) error {
		if root == folder {
			return errors.New("probe: refused")
		}
		return nil
	})
	return folder, file
}

// waitRescans waits for n more walks of the probe folder (and so about n more of every
// folder set with it: they are due at the same times).
func (w *watcher) waitRescans(t *testing.T, probeFile string, n int) {
	t.Helper()
	from := w.rec.attempts(probeFile)
	waitfor.Condition(t, fmt.Sprintf("%d more rescans", n), func() bool { return w.rec.attempts(probeFile) >= from+n })
	w.status(t)
}

// realDir is a new temporary folder, by the path the Watcher reports it under.
func realDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeOld writes a file whose time is two hours ago: one that has long settled.
func writeOld(t *testing.T, path, content string) {
	t.Helper()
	write(t, path, content)
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func quick(rescan, giveUp time.Duration) ingest.Config {
	return ingest.Config{Settle: settle, Rescan: rescan, GiveUp: giveUp}
}

// expectHandedOnce checks that each path was handed over exactly once, with root.
func expectHandedOnce(t *testing.T, rec *recorder, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		cs := rec.with(p)
		if len(cs) != 1 {
			t.Errorf("%s handed %d times, want once: %+v", p, len(cs), cs)
			continue
		}
		if cs[0].root != root {
			t.Errorf("%s handed with root %s, want %s", p, cs[0].root, root)
		}
	}
}

func TestFileWrittenInPiecesIsHandedOnceAfterItsLastWriteWithItsFinalSize(t *testing.T) {
	// Settle is twice the usual here, and the pauses an eighth of it: a paused writer
	// is not taken for a finished one even when the machine is loaded.
	const settle = 400 * time.Millisecond
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, ingest.Config{Settle: settle, Rescan: never, GiveUp: never}, rec, dir)

	path := filepath.Join(dir, "clip.mov")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	piece := bytes.Repeat([]byte("x"), 64<<10)
	const pieces = 8
	var beforeLast time.Time
	for i := range pieces {
		time.Sleep(settle / 8)
		if i == pieces-1 {
			beforeLast = time.Now()
		}
		if _, err := f.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	w.waitHanded(t, path, 1)
	w.sentinel(t, dir)

	cs := rec.with(path)
	if len(cs) != 1 {
		t.Fatalf("handed %d times, want once: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.root != dir || !slices.Equal(c.paths, []string{path}) {
		t.Errorf("handed as Hand(%s, %v), want Hand(%s, [%s])", c.root, c.paths, dir, path)
	}
	if want := int64(pieces * len(piece)); c.sizes[0] != want {
		t.Errorf("handed at %d bytes, want its final size %d", c.sizes[0], want)
	}
	if !c.at.After(beforeLast) {
		t.Errorf("handed at %v, before its last write (begun at %v)", c.at, beforeLast)
	}
}

func TestFileCopiedUnderPartNameIsHandedOnceByItsFinalNameAndThePartNever(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)

	part := filepath.Join(dir, "clip.mov.part")
	f, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := f.Write(bytes.Repeat([]byte("y"), 32<<10)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(settle / 4)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The .part stays whole and unchanged for a while: long enough to be handed over
	// if it were taken for a file.
	time.Sleep(3 * settle)
	final := filepath.Join(dir, "clip.mov")
	if err := os.Rename(part, final); err != nil {
		t.Fatal(err)
	}

	w.waitHanded(t, final, 1)
	w.sentinel(t, dir)

	expectHandedOnce(t, rec, dir, final)
	if n := rec.attempts(part); n != 0 {
		t.Errorf("the .part was handed %d times", n)
	}
	if c := rec.with(final)[0]; c.sizes[0] != 4*32<<10 {
		t.Errorf("handed at %d bytes, want %d", c.sizes[0], 4*32<<10)
	}
}

func TestFileMovedInFromOutsideIsHandedOnce(t *testing.T) {
	dir, outside := realDir(t), realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)

	// mv keeps a file's time: this one is old, and still handed (once) when moved in.
	src := filepath.Join(outside, "moved.mov")
	writeOld(t, src, "moved in")
	fresh := filepath.Join(outside, "fresh.mov")
	write(t, fresh, "moved in too")
	dstMoved, dstFresh := filepath.Join(dir, "moved.mov"), filepath.Join(dir, "fresh.mov")
	if err := os.Rename(src, dstMoved); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fresh, dstFresh); err != nil {
		t.Fatal(err)
	}

	w.waitHanded(t, dstMoved, 1)
	w.waitHanded(t, dstFresh, 1)
	w.sentinel(t, dir)

	expectHandedOnce(t, rec, dir, dstMoved, dstFresh)
	if n := rec.attempts(src) + rec.attempts(fresh); n != 0 {
		t.Errorf("the outside paths were handed %d times", n)
	}
}

func TestNestedFoldersMadeAfterWatchingStartedAreFollowed(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)

	c := filepath.Join(dir, "a", "b", "c")
	if err := os.MkdirAll(c, 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(c, "deep.mov")
	write(t, deep, "deep")
	w.waitHanded(t, deep, 1)

	// The folders made along the way are followed too, not only the deepest.
	mid := filepath.Join(dir, "a", "b", "mid.mov")
	write(t, mid, "mid")
	deeper := filepath.Join(c, "d", "deeper.mov")
	write(t, deeper, "deeper")
	w.waitHanded(t, mid, 1)
	w.waitHanded(t, deeper, 1)
	w.sentinel(t, dir)

	expectHandedOnce(t, rec, dir, deep, mid, deeper)
}

func TestFolderTreeMovedInAtOnceHasEveryFileHandedOnce(t *testing.T) {
	dir, outside := realDir(t), realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)

	tree := filepath.Join(outside, "card")
	var rels []string
	for i := range 5 {
		rels = append(rels,
			fmt.Sprintf("top%d.mov", i),
			filepath.Join("DCIM", fmt.Sprintf("day%d.mov", i)),
			filepath.Join("DCIM", "100CANON", fmt.Sprintf("IMG_%04d.CR3", i)),
			filepath.Join("PRIVATE", "M4ROOT", "CLIP", fmt.Sprintf("C%04d.MP4", i)))
	}
	for i, rel := range rels {
		if i%2 == 0 {
			writeOld(t, filepath.Join(tree, rel), rel) // copied with its time kept
		} else {
			write(t, filepath.Join(tree, rel), rel)
		}
	}
	moved := filepath.Join(dir, "card")
	if err := os.Rename(tree, moved); err != nil {
		t.Fatal(err)
	}

	var want []string
	for _, rel := range rels {
		want = append(want, filepath.Join(moved, rel))
	}
	waitfor.Condition(t, "every file of the tree handed", func() bool {
		taken := rec.takenPaths()
		for _, p := range want {
			if taken[p] == 0 {
				return false
			}
		}
		return true
	})
	// The tree's folders are followed from then on.
	later := filepath.Join(moved, "DCIM", "100CANON", "later.CR3")
	write(t, later, "later")
	w.waitHanded(t, later, 1)
	w.sentinel(t, dir)

	expectHandedOnce(t, rec, dir, append(want, later)...)
	for p := range rec.takenPaths() {
		if strings.HasPrefix(p, outside) {
			t.Errorf("handed %s, a path outside the watched folder", p)
		}
	}
}

func TestHiddenLitterTemporaryAndHashListFilesAreNeverHanded(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	probeDir, probeFile := probe(t, rec)

	skippedNames := []string{
		".hidden.mov", "Thumbs.db", "thumbs.db", ".DS_Store", "desktop.ini", "._clip.mov",
		"clip.mov.part", "clip.mov.partial", "clip.mov.crdownload", "clip.mov.download",
		"clip.mov.tmp", "CLIP.MOV.TMP", "~$notes.docx",
		filepath.Join(".hidden", "clip.mov"),
		filepath.Join("ascmhl", "0001_card_2024-01-01.mhl"),
		filepath.Join("ascmhl", "ascmhl_chain.xml"),
		filepath.Join("ASCMHL", "clip.mov"),
		filepath.Join("card", "ascmhl", "0001_card.mhl"),
		filepath.Join("card", ".Trashes", "clip.mov"),
	}
	// Found by the first walk: there before watching starts, long settled.
	var skipped []string
	for _, n := range skippedNames {
		p := filepath.Join(dir, "early", n)
		writeOld(t, p, n)
		skipped = append(skipped, p)
	}
	control := filepath.Join(dir, "early", "ok.mov")
	writeOld(t, control, "ok")
	controlDeep := filepath.Join(dir, "early", "card", "ok.mov")
	writeOld(t, controlDeep, "ok")
	if err := os.Mkdir(filepath.Join(dir, "early", "again"), 0o755); err != nil {
		t.Fatal(err)
	}

	w := start(t, quick(300*time.Millisecond, never), rec, dir, probeDir)
	w.waitHanded(t, control, 1)
	w.waitHanded(t, controlDeep, 1)

	// Found by events: made after watching started, in a folder made then too, in one
	// watched from the start, and in the folders passed over that were there before.
	for _, n := range skippedNames {
		for _, p := range []string{filepath.Join(dir, "late", n), filepath.Join(dir, "early", "again", n)} {
			write(t, p, n)
			skipped = append(skipped, p)
		}
		if filepath.Base(n) != n {
			p := filepath.Join(dir, "early", n+".late")
			write(t, p, n)
			skipped = append(skipped, p)
		}
	}
	// Written to again: still passed over.
	for _, p := range skipped[:len(skippedNames)] {
		appendTo(t, p, " again")
	}

	w.sentinel(t, dir)
	w.waitRescans(t, probeFile, 3) // and walked again, a few times

	for _, p := range skipped {
		if n := rec.attempts(p); n != 0 {
			t.Errorf("%s handed %d times, want never", p, n)
		}
	}
	expectHandedOnce(t, rec, dir, control, controlDeep)
}

func TestFilesThereBeforeStartAreHandedAtOnceAndAgainByANewWatcher(t *testing.T) {
	// Settle is an hour: only files that need not wait for it can be handed during the
	// test. Those there before start, long unchanged, are.
	dir := realDir(t)
	var old []string
	for i := range 10 {
		p := filepath.Join(dir, fmt.Sprintf("clip%02d.mov", i))
		if i%3 == 0 {
			p = filepath.Join(dir, "sub", fmt.Sprintf("clip%02d.mov", i))
		}
		writeOld(t, p, p)
		old = append(old, p)
	}
	slices.Sort(old)
	fresh := filepath.Join(dir, "fresh.mov") // written just now: must settle first
	write(t, fresh, "fresh")
	cfg := ingest.Config{Settle: never, Rescan: never, GiveUp: never}

	for run := 1; run <= 2; run++ {
		rec := &recorder{}
		w := start(t, cfg, rec, dir)
		waitfor.Condition(t, "the files there before start handed", func() bool { return rec.numCalls() >= 1 })
		w.status(t)
		calls := rec.all()
		if len(calls) != 1 {
			t.Fatalf("run %d: %d Hand calls, want 1: %+v", run, len(calls), calls)
		}
		got := slices.Sorted(slices.Values(calls[0].paths))
		if calls[0].root != dir || !slices.Equal(got, old) {
			t.Errorf("run %d: Hand(%s, %v), want Hand(%s, %v)", run, calls[0].root, got, dir, old)
		}
		if rec.attempts(fresh) != 0 {
			t.Errorf("run %d: the fresh file was handed before it settled", run)
		}
		w.stop() // the app quits; the next run is a new Watcher, which knows nothing handed
	}
}

func TestChangedFileIsHandedAgainButUnchangedFileIsNotReHandedByRescans(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	probeDir, probeFile := probe(t, rec)
	w := start(t, quick(300*time.Millisecond, never), rec, dir, probeDir)

	clip, still := filepath.Join(dir, "clip.mov"), filepath.Join(dir, "still.mov")
	write(t, clip, "first take")
	write(t, still, "never changes")
	w.waitHanded(t, clip, 1)
	w.waitHanded(t, still, 1)
	w.waitRescans(t, probeFile, 3)

	appendTo(t, clip, ", and more")
	w.waitHanded(t, clip, 2)
	w.waitRescans(t, probeFile, 4)

	if n := rec.attempts(still); n != 1 {
		t.Errorf("the unchanged file was handed %d times, want once", n)
	}
	cs := rec.with(clip)
	if len(cs) != 2 {
		t.Fatalf("the changed file was handed %d times, want twice (before and after the change): %+v", len(cs), cs)
	}
	if cs[0].sizes[0] != int64(len("first take")) || cs[1].sizes[0] != int64(len("first take, and more")) {
		t.Errorf("handed at sizes %d then %d, want %d then %d", cs[0].sizes[0], cs[1].sizes[0],
			len("first take"), len("first take, and more"))
	}
}

func TestRemovedFolderIsMissingThenLostThenWatchedAgainWhenItComesBack(t *testing.T) {
	dir := filepath.Join(realDir(t), "card")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	before := filepath.Join(dir, "before.mov")
	write(t, before, "before")
	rec := &recorder{}
	w := start(t, quick(never, time.Second), rec, dir)
	w.waitHanded(t, before, 1)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "the folder told lost", func() bool { return slices.Contains(rec.states(dir), ingest.Lost) })
	sts := w.status(t)
	if len(sts) != 1 || sts[0].Folder != dir || sts[0].State != ingest.Lost || sts[0].Reason == "" {
		t.Errorf("Status while lost: %+v, want %s lost, with a reason", sts, dir)
	}

	after := filepath.Join(dir, "after.mov")
	write(t, after, "after") // makes the folder again, with a file in it
	waitfor.Condition(t, "the folder told watched again", func() bool { return len(rec.states(dir)) >= 4 })
	w.waitHanded(t, after, 1)
	// Watched again: a file made now is found by its event.
	later := filepath.Join(dir, "later.mov")
	write(t, later, "later")
	w.waitHanded(t, later, 1)
	w.sentinel(t, dir)

	want := []ingest.FolderState{ingest.Watching, ingest.Missing, ingest.Lost, ingest.Watching}
	if got := rec.states(dir); !slices.Equal(got, want) {
		t.Errorf("told %v, want %v", got, want)
	}
	if sts := w.status(t); len(sts) != 1 || sts[0].State != ingest.Watching || sts[0].Reason != "" {
		t.Errorf("Status back: %+v, want watching, no reason", sts)
	}
	expectHandedOnce(t, rec, dir, before, after, later)
}

func TestThousandFilesLandingAtOnceAreEachHandedOnceInBatches(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)

	const n = 1000
	want := make([]string, n)
	for i := range n {
		want[i] = filepath.Join(dir, fmt.Sprintf("IMG_%04d.JPG", i))
		if err := os.WriteFile(want[i], []byte(want[i]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitfor.Condition(t, "all the files handed", func() bool { return len(rec.takenPaths()) >= n })
	w.status(t)
	calls := rec.numCalls()
	w.sentinel(t, dir)

	taken := rec.takenPaths()
	missing, twice := 0, 0
	for _, p := range want {
		switch taken[p] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing != 0 || twice != 0 {
		t.Errorf("of %d files: %d never handed, %d handed more than once", n, missing, twice)
	}
	if len(taken) != n+1 {
		t.Errorf("handed %d distinct paths, want the %d files and the sentinel", len(taken), n)
	}
	for _, c := range rec.all() {
		if c.root != dir {
			t.Errorf("Hand with root %s, want %s", c.root, dir)
		}
	}
	t.Logf("%d files were handed in %d Hand calls", n, calls)
	if calls >= n {
		t.Errorf("%d Hand calls for %d files: not batched", calls, n)
	}
}

func TestFolderDroppedBySetNoLongerHasItsFilesHanded(t *testing.T) {
	kept, dropped := realDir(t), realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, kept, dropped)

	first := filepath.Join(dropped, "first.mov")
	write(t, first, "first")
	w.waitHanded(t, first, 1)

	w.set(t, kept)
	if sts := w.status(t); len(sts) != 1 || sts[0].Folder != kept {
		t.Fatalf("Status after dropping a folder: %+v, want only %s", sts, kept)
	}
	after := filepath.Join(dropped, "after.mov")
	write(t, after, "after")
	deep := filepath.Join(dropped, "sub", "deep.mov")
	write(t, deep, "deep")
	appendTo(t, first, ", changed")
	time.Sleep(3 * settle) // long enough for them to settle
	w.sentinel(t, kept)

	for _, p := range []string{after, deep} {
		if n := rec.attempts(p); n != 0 {
			t.Errorf("%s, in a folder no longer watched, handed %d times", p, n)
		}
	}
	if n := rec.attempts(first); n != 1 {
		t.Errorf("%s, changed after its folder was dropped, handed %d times, want once (before)", first, n)
	}
}

func TestStatusListsFoldersInTheOrderSetWithTheirState(t *testing.T) {
	base := realDir(t)
	a, b, c := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")
	gone, file := filepath.Join(base, "gone"), filepath.Join(base, "file")
	for _, d := range []string{a, b, c} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, file, "not a folder")
	rec := &recorder{}
	w := start(t, quick(never, never), rec)
	if sts := w.status(t); len(sts) != 0 {
		t.Errorf("Status before any folder set: %+v", sts)
	}

	w.set(t, c, gone, a, file)
	expect := func(want ...ingest.FolderStatus) {
		t.Helper()
		got := w.status(t)
		if len(got) != len(want) {
			t.Fatalf("Status: %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i].Folder != want[i].Folder || got[i].State != want[i].State || (got[i].Reason == "") != (want[i].Reason == "") {
				t.Errorf("Status[%d] = %+v, want %+v (a reason: %v)", i, got[i], want[i], want[i].Reason != "")
			}
		}
	}
	some := "some reason"
	expect(
		ingest.FolderStatus{Folder: c, State: ingest.Watching},
		ingest.FolderStatus{Folder: gone, State: ingest.Missing, Reason: some},
		ingest.FolderStatus{Folder: a, State: ingest.Watching},
		ingest.FolderStatus{Folder: file, State: ingest.Missing, Reason: some},
	)
	if sts := w.status(t); !strings.Contains(sts[3].Reason, "file") {
		t.Errorf("the reason for a file set as a folder does not say so: %q", sts[3].Reason)
	}

	// Dropping some and adding others keeps the order of those kept, new ones after.
	w.set(t, c, a, b)
	expect(
		ingest.FolderStatus{Folder: c, State: ingest.Watching},
		ingest.FolderStatus{Folder: a, State: ingest.Watching},
		ingest.FolderStatus{Folder: b, State: ingest.Watching},
	)
	// Relative paths and paths through links are the folders they lead to.
	if err := os.Symlink(a, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	w.set(t, filepath.Join(base, "link"), filepath.Join(base, ".", "c", "..", "b"))
	expect(
		ingest.FolderStatus{Folder: a, State: ingest.Watching},
		ingest.FolderStatus{Folder: b, State: ingest.Watching},
	)
	w.set(t)
	expect()
}

// core.Service.Watching promises the folders "in the order of the settings", and passes
// the settings' folders to Set whenever they change, a new order included.
func TestStatusFollowsTheOrderOfTheLatestSet(t *testing.T) {
	a, b, c := realDir(t), realDir(t), realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, a, b, c)
	w.set(t, c, a, b)
	var got []string
	for _, st := range w.status(t) {
		got = append(got, st.Folder)
	}
	if want := []string{c, a, b}; !slices.Equal(got, want) {
		t.Errorf("Status after Set(%v): folders in the order %v", want, got)
	}
}

func TestFilesRefusedByHandAreHandedAgainAtTheNextRescan(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	probeDir, probeFile := probe(t, rec)
	refusals := 0
	rec.setFail(func(root string, _ []string) error {
		switch {
		case root == probeDir:
			return errors.New("probe: refused")
		case refusals < 2:
			refusals++ // on the Watcher's goroutine only
			return errors.New("the queue is not ready")
		}
		return nil
	})
	w := start(t, quick(300*time.Millisecond, never), rec, dir, probeDir)

	a, b := filepath.Join(dir, "a.mov"), filepath.Join(dir, "sub", "b.mov")
	write(t, a, "a")
	write(t, b, "b")
	w.waitHanded(t, a, 1)
	w.waitHanded(t, b, 1)
	w.waitRescans(t, probeFile, 3)

	taken := 0
	for _, p := range []string{a, b} {
		cs := rec.with(p)
		if len(cs) < 2 {
			t.Errorf("%s handed %d times, want refused then handed again: %+v", p, len(cs), cs)
			continue
		}
		if cs[0].err == nil {
			t.Errorf("%s: the first hand over was taken; the test meant it refused", p)
		}
		for _, c := range cs {
			if c.err == nil {
				taken++
			}
		}
		if last := cs[len(cs)-1]; last.err != nil {
			t.Errorf("%s: refused the last time it was handed; it should be handed again", p)
		}
	}
	if taken != 2 {
		t.Errorf("the two files were taken %d times in all, want once each", taken)
	}
}

// Extra behaviours.

func TestFileRemovedAndPutBackIsHandedAgain(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)
	p := filepath.Join(dir, "clip.mov")
	writeOld(t, p, "same")
	w.waitHanded(t, p, 1)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	w.sentinel(t, dir)
	writeOld(t, p, "same") // the very same version
	w.waitHanded(t, p, 2)
}

func TestSubfolderRenamedInsideTheWatchedFolderIsFollowedUnderItsNewName(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)
	oldSub := filepath.Join(dir, "untitled", "inner")
	in := filepath.Join(oldSub, "clip.mov")
	write(t, in, "clip")
	w.waitHanded(t, in, 1)

	if err := os.Rename(filepath.Join(dir, "untitled"), filepath.Join(dir, "day1")); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "day1", "inner", "clip.mov")
	w.waitHanded(t, renamed, 1) // a new path: handed by it
	later := filepath.Join(dir, "day1", "inner", "later.mov")
	write(t, later, "later")
	w.waitHanded(t, later, 1)
	w.sentinel(t, dir)
	expectHandedOnce(t, rec, dir, in, renamed, later)
}

func TestLinkToAFolderIsWatchedAsTheFolder(t *testing.T) {
	real := realDir(t)
	link := filepath.Join(realDir(t), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w := start(t, quick(never, never), rec, link)
	p := filepath.Join(real, "clip.mov")
	write(t, p, "clip")
	w.waitHanded(t, p, 1)
	expectHandedOnce(t, rec, real, p)
}

func TestSetAndStatusGiveUpWithTheirContextWhenTheWatcherDoesNotRun(t *testing.T) {
	w := ingest.New(ingest.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Set(ctx, []string{t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Set: %v, want context.Canceled", err)
	}
	if _, err := w.Status(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Status: %v, want context.Canceled", err)
	}
}

// Suspected bugs: each test below states what the package's own words promise.

// A watched folder removed and made again (a card re-inserted, a share reconnected)
// before the Watcher took the removal's event is watched again: files made in it later
// are handed over.
func TestFolderRemovedAndMadeAgainBeforeItsEventIsTakenIsStillFollowed(t *testing.T) {
	dir := filepath.Join(realDir(t), "card")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	other := realDir(t)
	first := filepath.Join(dir, "first.mov")
	handing, release := make(chan struct{}), make(chan struct{})
	rec := &recorder{}
	rec.setFail(func(_ string, paths []string) error {
		if slices.Contains(paths, first) {
			close(handing)
			<-release // holds the Watcher's goroutine: it takes no event meanwhile
		}
		return nil
	})
	w := start(t, quick(never, never), rec, dir, other)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the Watcher is stopped: cleanups run last first
	write(t, first, "first")
	select {
	case <-handing:
	case <-time.After(30 * time.Second):
		t.Fatal("gave up waiting for the first file to be handed")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// One system queue carries every event in order: once this file, made after the
	// removal, is handed over, the removal's events have been taken.
	marker := filepath.Join(other, "marker.mov")
	write(t, marker, "marker")
	unblock()
	w.waitHanded(t, marker, 1)
	w.status(t)

	second := filepath.Join(dir, "second.mov")
	write(t, second, "second")
	w.waitHanded(t, second, 1)
}

// Watched folders may nest; a file is the deepest one's ("rootOf"), and handed with it,
// whether it was found by an event or by a walk.
func TestFileInANestedWatchedFolderIsHandedWithTheDeepestFolder(t *testing.T) {
	outer := realDir(t)
	inner := filepath.Join(outer, "inner")
	there := filepath.Join(inner, "there.mov") // found by the first walks
	writeOld(t, there, "there")
	top := filepath.Join(outer, "top.mov")
	writeOld(t, top, "top")
	rec := &recorder{}
	w := start(t, quick(never, never), rec, outer, inner)
	made := filepath.Join(inner, "made.mov") // found by its event
	write(t, made, "made")
	w.waitHanded(t, made, 1)
	w.waitHanded(t, there, 1)
	w.waitHanded(t, top, 1)
	w.sentinel(t, outer)

	expectHandedOnce(t, rec, outer, top)
	expectHandedOnce(t, rec, inner, made, there)
}

// A folder's name is passed over only when hidden, litter or "ascmhl" (skipped: a
// temporary name is a file's); the first walk follows a folder named "x.tmp". One made
// after watching started is followed too: its files are handed over without waiting for
// a rescan.
func TestFolderWithATemporaryLookingNameIsFollowedWhenMadeAfterStartAsAtStart(t *testing.T) {
	dir := realDir(t)
	early := filepath.Join(dir, "renders.tmp", "early.mov")
	writeOld(t, early, "early")
	rec := &recorder{}
	w := start(t, quick(never, never), rec, dir)
	w.waitHanded(t, early, 1) // walked at start: a folder so named is not passed over

	if err := os.Mkdir(filepath.Join(dir, "exports.download"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.sentinel(t, dir) // the folder's Create event has been taken
	late := filepath.Join(dir, "exports.download", "late.mov")
	write(t, late, "late")
	w.waitHanded(t, late, 1)
}

// growingHands records HandGrowing's calls: path → how many times, with the size the
// file had then.
type growingHands struct {
	mu    sync.Mutex
	calls map[string][]int64
}

func (g *growingHands) hand(_ context.Context, _, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = map[string][]int64{}
	}
	g.calls[path] = append(g.calls[path], fi.Size())
	return nil
}

func (g *growingHands) of(path string) []int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls[path])
}

// A file seen growing past GrowingFrom is handed to HandGrowing at once, while it is
// still written, and once only; it is handed with the others when it settles. A file
// that lands whole (moved in), or stays smaller, is never taken for a growing one.
func TestGrowingFileIsHandedOnceWhileItIsWrittenThenWhenItSettles(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	g := &growingHands{}
	cfg := quick(never, never)
	cfg.HandGrowing = g.hand
	cfg.GrowingFrom = func() int64 { return 100 << 10 }
	w := start(t, cfg, rec, dir)

	path := filepath.Join(dir, "A001C001.mov")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	piece := bytes.Repeat([]byte("x"), 32<<10)
	for range 4 {
		if _, err := f.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	// Past 100 KiB and still open: taken as growing before it is closed.
	waitfor.Condition(t, "the growing file handed while it is written", func() bool { return len(g.of(path)) > 0 })
	if rec.handed(path) != 0 {
		t.Errorf("the growing file was handed as settled while it was still written")
	}
	for range 4 {
		if _, err := f.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	w.waitHanded(t, path, 1)

	small := filepath.Join(dir, "small.wav")
	write(t, small, "tiny")
	appendTo(t, small, "still tiny")
	outside := filepath.Join(t.TempDir(), "moved.mov")
	write(t, outside, string(bytes.Repeat([]byte("y"), 300<<10)))
	moved := filepath.Join(dir, "moved.mov")
	if err := os.Rename(outside, moved); err != nil {
		t.Fatal(err)
	}
	w.waitHanded(t, small, 1)
	w.waitHanded(t, moved, 1)
	w.sentinel(t, dir)

	if got := g.of(path); len(got) != 1 || got[0] < 100<<10 {
		t.Errorf("HandGrowing had the clip %d times at sizes %v, want once at 100 KiB or more", len(got), got)
	}
	for _, p := range []string{small, moved} {
		if got := g.of(p); len(got) != 0 {
			t.Errorf("%s was taken for a growing file: %v", filepath.Base(p), got)
		}
	}
}

// SetSettle holds the files waiting and the next ones to the new settle time.
func TestSetSettleChangesHowLongFilesWait(t *testing.T) {
	dir := realDir(t)
	rec := &recorder{}
	w := start(t, ingest.Config{Settle: time.Hour, Rescan: never, GiveUp: never}, rec, dir)
	path := filepath.Join(dir, "waiting.wav")
	write(t, path, "sound")
	w.status(t)
	if rec.handed(path) != 0 {
		t.Fatalf("handed before an hour of settling")
	}
	if err := w.SetSettle(w.ctx, settle); err != nil {
		t.Fatal(err)
	}
	w.waitHanded(t, path, 1)
}
