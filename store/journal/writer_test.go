package journal

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

func TestConcurrentWritersAreAllPersisted(t *testing.T) {
	const writers, chunks = 32, 4
	path := tempJournal(t)
	j := openT(t, path, options{})
	ctx := context.Background()
	start := j.stats()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			errs <- func() error {
				files, err := j.Insert(ctx, []upload.File{queuedFile(w)})
				if err != nil {
					return err
				}
				f := withAsset(files[0], chunks)
				if err := j.StartAsset(ctx, f); err != nil {
					return err
				}
				var cw sync.WaitGroup
				cerrs := make([]error, chunks)
				for i := range chunks { // a file's chunks finish in parallel too
					cw.Go(func() { cerrs[i] = j.ChunkDone(ctx, f.ID, upload.Part{Index: i}) })
				}
				cw.Wait()
				if err := errors.Join(cerrs...); err != nil {
					return err
				}
				f.State, f.DoneAt = upload.Done, time.Now()
				return j.Update(ctx, f)
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	writes := writers * (3 + chunks)
	t.Logf("%d writes in %d transactions", writes, j.stats()-start)

	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs := loadT(t, openT(t, path, options{}))
	if len(recs) != writers {
		t.Fatalf("%d files persisted, want %d", len(recs), writers)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if r.File.State != upload.Done || r.File.DoneAt.IsZero() || !reflect.DeepEqual(r.DoneChunks, []int{0, 1, 2, 3}) {
			t.Errorf("file %d: state %s, done chunks %v", r.File.ID, r.File.State, r.DoneChunks)
		}
		seen[r.File.Path] = true
	}
	if len(seen) != writers {
		t.Errorf("%d distinct files, want %d", len(seen), writers)
	}
}

// gate holds the writer in its first armed batch until released, so that a test knows
// exactly which operations share a transaction.
type gate struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	sizes   []int
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) hook(n int) {
	if !g.armed.Load() {
		return
	}
	g.mu.Lock()
	g.sizes = append(g.sizes, n)
	first := len(g.sizes) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
}

func (g *gate) batches() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// waitQueued waits until n operations wait for the writer.
func waitQueued(t *testing.T, j *Journal, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(j.ops) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d operations queued, want %d", len(j.ops), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitPutsWaitingWritesInOneTransaction(t *testing.T) {
	const n = 100
	g := newGate()
	j := openT(t, tempJournal(t), options{batchHook: g.hook})
	ctx := context.Background()
	f := queuedFile(1)
	f.Size = n
	f = startAssetT(t, j, insertT(t, j, f)[0], n)

	g.armed.Store(true)
	start := j.stats()
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = j.ChunkDone(ctx, f.ID, upload.Part{Index: 0}) })
	<-g.entered // the writer is in a transaction with chunk 0; the rest queue up
	for i := 1; i < n; i++ {
		wg.Go(func() { errs[i] = j.ChunkDone(ctx, f.ID, upload.Part{Index: i}) })
	}
	waitQueued(t, j, n-1)
	close(g.release)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	if commits := j.stats() - start; commits != 2 {
		t.Errorf("%d ChunkDone calls took %d transactions, want 2", n, commits)
	}
	if got := g.batches(); !reflect.DeepEqual(got, []int{1, n - 1}) {
		t.Errorf("batch sizes = %v, want [1 %d]", got, n-1)
	}
	if got := loadT(t, j)[0].DoneChunks; len(got) != n {
		t.Errorf("%d chunks done, want %d", len(got), n)
	}
}

func TestBatchesAreBounded(t *testing.T) {
	const n, max = 20, 8
	g := newGate()
	j := openT(t, tempJournal(t), options{batchHook: g.hook, maxBatch: max})
	ctx := context.Background()
	f := queuedFile(1)
	f.Size = n
	f = startAssetT(t, j, insertT(t, j, f)[0], n)
	g.armed.Store(true)
	var wg sync.WaitGroup
	wg.Go(func() { _ = j.ChunkDone(ctx, f.ID, upload.Part{Index: 0}) })
	<-g.entered
	for i := 1; i < n; i++ {
		wg.Go(func() { _ = j.ChunkDone(ctx, f.ID, upload.Part{Index: i}) })
	}
	waitQueued(t, j, max) // the channel holds at most max
	close(g.release)
	wg.Wait()
	total := 0
	for _, s := range g.batches() {
		if s > max {
			t.Errorf("a batch of %d, more than %d", s, max)
		}
		total += s
	}
	if total != n {
		t.Errorf("%d operations ran, want %d", total, n)
	}
}

// insertOp is an operation that adds a file named name, for a test to hand to the writer
// directly (handOver).
func insertOp(name string) *op {
	return &op{done: make(chan error, 1), run: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO files (path, name) VALUES (?, ?)`, []byte("/"+name), name)
		return err
	}}
}

// handOver queues o and waits until the writer has taken it from the queue.
func handOver(t *testing.T, j *Journal, o *op) {
	t.Helper()
	j.ops <- o
	waitfor.Condition(t, "the writer to take the operation", func() bool { return len(j.ops) == 0 })
}

// names are the files in the journal at path, opened again.
func names(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range loadT(t, openT(t, path, options{})) {
		out = append(out, r.File.Name)
	}
	return out
}

// A write that finds the writer idle waits within the window for company: a second write
// arriving while the first is held shares its commit, and a batch that is full commits
// at once (with a window of an hour, this test ends only if it does).
func TestWritesWithinTheWindowShareACommit(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{window: time.Hour, maxBatch: 2})
	first := insertOp("A001C001.mov")
	handOver(t, j, first)
	select {
	case err := <-first.done:
		t.Fatalf("the first write was answered (%v) before its window ended or its batch filled", err)
	case <-time.After(50 * time.Millisecond):
	}
	second := insertOp("A001C002.mov")
	j.ops <- second
	if err := errors.Join(<-first.done, <-second.done); err != nil {
		t.Fatal(err)
	}
	if commits := j.stats(); commits != 1 {
		t.Errorf("two writes within the window took %d commits, want 1", commits)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, path); !reflect.DeepEqual(got, []string{"A001C001.mov", "A001C002.mov"}) {
		t.Errorf("files = %v, want both", got)
	}
}

// Writes that queue while a commit runs are a batch already: they commit as soon as it
// ends, without a window (with a window of an hour, this test ends only if they do).
func TestWritesQueuedDuringACommitDoNotWaitForTheWindow(t *testing.T) {
	path := tempJournal(t)
	g := newGate()
	j := openT(t, path, options{window: time.Hour, maxBatch: 3, batchHook: g.hook})
	g.armed.Store(true)
	first := []*op{insertOp("A001C001.mov"), insertOp("A001C002.mov"), insertOp("A001C003.mov")}
	handOver(t, j, first[0])
	j.ops <- first[1]
	j.ops <- first[2] // the batch is full: it commits, and the gate holds the writer there
	<-g.entered
	queued := []*op{insertOp("A001C004.mov"), insertOp("A001C005.mov")}
	for _, o := range queued {
		j.ops <- o
	}
	close(g.release)
	for _, o := range append(first, queued...) {
		if err := <-o.done; err != nil {
			t.Fatal(err)
		}
	}
	if got := g.batches(); !reflect.DeepEqual(got, []int{3, 2}) {
		t.Errorf("batch sizes = %v, want [3 2]", got)
	}
}

// Closing ends the window: the writes handed over are committed without waiting for it.
func TestCloseCommitsWithoutWaitingForTheWindow(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{window: time.Hour})
	held := insertOp("A001C001.mov")
	handOver(t, j, held)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-held.done; err != nil {
		t.Fatalf("the write held in the window: %v", err)
	}
	if got := names(t, path); !reflect.DeepEqual(got, []string{"A001C001.mov"}) {
		t.Errorf("files after closing = %v, want the write held in the window", got)
	}
}

// batchOf runs the given operations in one batch: the writer is held until all are queued.
func batchOf(t *testing.T, j *Journal, g *gate, ops ...func() error) []error {
	t.Helper()
	g.armed.Store(true)
	errs := make([]error, len(ops)+1)
	var wg sync.WaitGroup
	// A harmless first write holds the writer while the others queue.
	wg.Go(func() { errs[0] = j.do(context.Background(), func(context.Context, *sql.Tx) error { return nil }) })
	<-g.entered
	for i, o := range ops {
		wg.Go(func() { errs[i+1] = o() })
		waitQueued(t, j, i+1) // in order, so the batch is in this order
	}
	close(g.release)
	wg.Wait()
	return errs[1:]
}

func TestAFailingWriteFailsOnlyItsCaller(t *testing.T) {
	g := newGate()
	j := openT(t, tempJournal(t), options{batchHook: g.hook})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 3)
	start := j.stats()
	halfDone := errors.New("failed after writing")
	var inserted []upload.File
	errs := batchOf(t, j, g,
		func() error { return j.ChunkDone(ctx, f.ID, upload.Part{Index: 0}) },
		func() error { return j.ChunkDone(ctx, f.ID, upload.Part{Index: 7}) }, // no such chunk
		func() error {
			// Writes a row, then fails: the row must go with it.
			return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO files (path, name) VALUES (?, 'ghost')`, []byte("/ghost")); err != nil {
					return err
				}
				return halfDone
			})
		},
		func() error {
			var err error
			inserted, err = j.Insert(ctx, []upload.File{queuedFile(2)})
			return err
		},
		func() error { return j.ChunkDone(ctx, f.ID, upload.Part{Index: 2}) },
	)
	want := []error{nil, ErrNoChunk, halfDone, nil, nil}
	for i := range want {
		if !errors.Is(errs[i], want[i]) || (want[i] == nil) != (errs[i] == nil) {
			t.Errorf("operation %d: %v, want %v", i, errs[i], want[i])
		}
	}
	if got := j.stats() - start; got != 2 {
		t.Errorf("%d transactions, want 2 (the holder, then the batch)", got)
	}
	recs := loadT(t, j)
	if len(recs) != 2 || recs[1].File.ID != inserted[0].ID {
		t.Fatalf("files = %+v, want the first and the inserted one, no ghost", recs)
	}
	if !reflect.DeepEqual(recs[0].DoneChunks, []int{0, 2}) {
		t.Errorf("done chunks = %v, want [0 2]", recs[0].DoneChunks)
	}
}

// When an operation breaks the whole transaction (as SQLite does on a full disk or an I/O
// error), the others are run again alone and still succeed.
func TestABrokenTransactionIsRetriedPerOperation(t *testing.T) {
	g := newGate()
	j := openT(t, tempJournal(t), options{batchHook: g.hook})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 3)
	start := j.stats()
	broke := errors.New("disk I/O error")
	var runs atomic.Int32
	errs := batchOf(t, j, g,
		func() error { return j.ChunkDone(ctx, f.ID, upload.Part{Index: 0}) },
		func() error {
			return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				runs.Add(1)
				if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
					return err
				}
				return broke
			})
		},
		func() error { return j.ChunkDone(ctx, f.ID, upload.Part{Index: 1}) },
	)
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], broke) {
		t.Errorf("errors = %v, want only the breaking one to fail", errs)
	}
	if runs.Load() != 3 {
		t.Errorf("the breaking operation ran %d times, want 3 (in the batch, in a savepoint, then alone)", runs.Load())
	}
	if got := j.stats() - start; got != 3 {
		t.Errorf("%d transactions committed, want 3 (the holder, then each good write alone)", got)
	}
	if got := loadT(t, j)[0].DoneChunks; !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("done chunks = %v, want [0 1]", got)
	}
}

func TestACallerThatStopsWaitingDoesNotAbortItsBatch(t *testing.T) {
	g := newGate()
	j := openT(t, tempJournal(t), options{batchHook: g.hook})
	ctx := context.Background()
	f := startAssetT(t, j, insertT(t, j, queuedFile(1))[0], 3)

	// Cancelled before the call: nothing is written.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.ChunkDone(cancelled, f.ID, upload.Part{Index: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("ChunkDone with a cancelled context = %v", err)
	}

	// Cancelled while the write is in a batch: the caller returns, the write happens.
	g.armed.Store(true)
	impatient, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- j.ChunkDone(impatient, f.ID, upload.Part{Index: 0}) }()
	<-g.entered
	other := make(chan error, 1)
	go func() { other <- j.ChunkDone(ctx, f.ID, upload.Part{Index: 1}) }()
	waitQueued(t, j, 1)
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the impatient caller got %v, want context.Canceled", err)
	}
	close(g.release)
	if err := <-other; err != nil {
		t.Errorf("the other caller got %v", err)
	}
	if got := loadT(t, j)[0].DoneChunks; !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("done chunks = %v, want [0 1]: the impatient write still happens, the cancelled one not", got)
	}
}

// Writers racing with Close either succeed (and their write is on disk) or get ErrClosed;
// none hangs.
func TestCloseWhileWritingNeitherHangsNorLosesAcknowledgedWrites(t *testing.T) {
	path := tempJournal(t)
	j, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		wg    sync.WaitGroup
	)
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				f := queuedFile(w*100000 + i)
				_, err := j.Insert(ctx, []upload.File{f})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("insert: %v", err)
					return
				}
				mu.Lock()
				acked[f.Path] = true
				mu.Unlock()
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("writers hang after Close")
	}

	recs := loadT(t, openT(t, path, options{}))
	onDisk := map[string]bool{}
	for _, r := range recs {
		onDisk[r.File.Path] = true
	}
	for p := range acked {
		if !onDisk[p] {
			t.Errorf("acknowledged %s is not on disk", p)
		}
	}
	if len(acked) == 0 {
		t.Error("no write succeeded before Close")
	}
	t.Logf("%d acknowledged, %d on disk", len(acked), len(recs))
}
