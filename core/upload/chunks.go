package upload

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// slowDownFor is how long S3's SlowDown halves the chunks in flight.
const slowDownFor = time.Minute

// uploadChunks sends every chunk not yet finished, ParallelChunks at a time, each read
// straight from the file through a SectionReader. The first chunk that fails for good
// stops the others; finished chunks stay finished. The file's last chunk is not journaled
// here: it is returned (last >= 0) to be recorded in the same commit as the file's Done
// state, one fsync instead of two for every small file. -1 when every chunk is journaled.
func (e *Engine) uploadChunks(ctx context.Context, ent *entry) (last int, err error) {
	f := ent.file()
	ent.mu.Lock()
	var todo []int
	for i, done := range ent.done {
		if !done {
			todo = append(todo, i)
		}
	}
	ent.mu.Unlock()
	if len(todo) == 0 {
		return -1, nil
	}
	if f.State != Uploading {
		if err := e.transition(ctx, ent, func(f *File) { f.State = Uploading }); err != nil {
			return -1, err
		}
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return -1, &api.LocalFileError{Path: f.Path, Err: err}
	}
	defer file.Close()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int, len(todo))
	for _, i := range todo {
		work <- i
	}
	close(work)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		deferred atomic.Int64
	)
	deferred.Store(-1)
	workers := min(e.Settings().ParallelChunks, len(todo))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// The slot first, then the chunk: a worker held back by a lower limit
				// must not sit on a chunk the workers still allowed could send.
				if !e.waitForSlot(ctx, w, work) {
					return
				}
				i, ok := <-work
				if !ok {
					return
				}
				if !e.slots.acquire(ctx, e.putBudget) {
					return
				}
				err := e.putChunk(ctx, ent, &f, file, i, &deferred)
				e.slots.release()
				if err != nil {
					once.Do(func() { firstErr = err })
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return -1, firstErr
	}
	if err := context.Cause(ctx); err != nil {
		return -1, err
	}
	return int(deferred.Load()), nil
}

// waitForSlot holds worker w while fewer chunks are allowed in flight (after S3 asked to
// slow down, or the setting was lowered). It returns false when ctx ends, or when every
// chunk has been taken by the other workers (nothing is left for this one).
func (e *Engine) waitForSlot(ctx context.Context, w int, work chan int) bool {
	for w >= e.chunkLimit() {
		if len(work) == 0 {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
	return ctx.Err() == nil
}

func (e *Engine) chunkLimit() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.settings.ParallelChunks
	if time.Now().Before(e.slowUntil) {
		n = max(1, n/2)
	}
	return n
}

func (e *Engine) slowDown() {
	e.mu.Lock()
	e.slowUntil = time.Now().Add(slowDownFor)
	e.mu.Unlock()
	e.slots.wake()
}

// putChunk sends chunk i under the retry policy and journals it once S3 said 200 — unless
// it is the file's last one outstanding, which it leaves in deferred for the Done commit.
func (e *Engine) putChunk(ctx context.Context, ent *entry, f *File, file *os.File, i int, deferred *atomic.Int64) error {
	off, n := f.ChunkRange(i)
	err := e.cfg.Policy.Do(ctx, retry.Call{
		Endpoint: api.EndpointChunk,
		Gates:    []*retry.Gate{e.cfg.Online},
	}, func(ctx context.Context, _ int) error {
		actx, acancel := context.WithCancelCause(ctx)
		defer acancel(nil)
		w := e.watches.add(acancel)
		defer e.watches.remove(w)
		sent := &attemptBytes{ent: ent, chunk: i}
		err := e.cfg.Client.PutChunk(actx, api.Chunk{
			URL: f.UploadURLs[i], File: file, Path: f.Path, Offset: off, Length: n,
			ContentType: f.Filetype, Throttle: e.throttle(),
			Progress:  func(k int64) { w.touch(); sent.add(k) },
			Unchanged: func() error { return unchangedSinceQueued(file, f) },
		})
		sent.close(err == nil)
		if api.HasEffect(err, api.EffectLowerConcurrency) {
			e.slowDown()
		}
		return err
	})
	if err != nil {
		return err
	}
	ent.mu.Lock()
	outstanding := 0
	for _, d := range ent.done {
		if !d {
			outstanding++
		}
	}
	last := outstanding == 1 && !ent.done[i] && deferred.CompareAndSwap(-1, int64(i))
	ent.mu.Unlock()
	if last {
		return nil
	}
	// Written before it counts: a chunk acknowledged by S3 is never sent again.
	if err := e.write(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return e.cfg.Journal.ChunkDone(ctx, f.ID, i)
	}); err != nil {
		return err
	}
	ent.mu.Lock()
	ent.markDone(i)
	ent.mu.Unlock()
	return nil
}

// attemptBytes counts the bytes one attempt has sent, so that a failed attempt takes
// back exactly what it added to the file's progress, even if the transport reads a last
// slice after the attempt returned. A successful attempt's bytes stay counted until the
// chunk is journaled (markDone moves them to done): progress never steps back.
type attemptBytes struct {
	ent    *entry
	chunk  int
	mu     sync.Mutex
	n      int64
	closed bool
}

func (a *attemptBytes) add(k int64) {
	a.mu.Lock()
	if !a.closed {
		a.n += k
		a.ent.inflight.Add(k)
	}
	a.mu.Unlock()
}

func (a *attemptBytes) close(ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if !ok {
		a.ent.inflight.Add(-a.n)
		return
	}
	a.ent.mu.Lock()
	if a.ent.sent == nil {
		a.ent.sent = map[int]int64{}
	}
	a.ent.sent[a.chunk] += a.n
	a.ent.mu.Unlock()
}

// watchSet is the stall watchdog's list of chunk attempts in flight.
type watchSet struct {
	mu sync.Mutex
	m  map[*watch]struct{}
}

type watch struct {
	last   atomic.Int64 // unix nanoseconds of the last byte sent
	cancel context.CancelCauseFunc
}

func (w *watch) touch() { w.last.Store(time.Now().UnixNano()) }

func (s *watchSet) add(cancel context.CancelCauseFunc) *watch {
	w := &watch{cancel: cancel}
	w.touch()
	s.mu.Lock()
	if s.m == nil {
		s.m = map[*watch]struct{}{}
	}
	s.m[w] = struct{}{}
	s.mu.Unlock()
	return w
}

func (s *watchSet) remove(w *watch) {
	s.mu.Lock()
	delete(s.m, w)
	s.mu.Unlock()
}

// watchdog cancels a chunk attempt that has moved no byte for StallTimeout (the 5-minute
// deadline alone would leave a dead connection hanging for minutes). Time spent waiting
// for the connection to come back does not count.
func (e *Engine) watchdog(ctx context.Context) {
	tick := time.NewTicker(min(e.cfg.StallTimeout/4, 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		offline := e.cfg.Online != nil && !e.cfg.Online.IsOpen()
		limit := time.Now().Add(-e.cfg.StallTimeout).UnixNano()
		e.watches.mu.Lock()
		for w := range e.watches.m {
			switch {
			case offline:
				w.touch()
			case w.last.Load() < limit:
				w.cancel(api.ErrStalled)
				w.touch() // once is enough
			}
		}
		e.watches.mu.Unlock()
	}
}

// unchangedSinceQueued checks the open file (not its path: a file replaced by another
// under the same name is still read from the one that was queued) against the size and
// mtime it was queued with; every chunk asks before it starts and before its last bytes
// go (api.Chunk.Unchanged).
func unchangedSinceQueued(file *os.File, f *File) error {
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != f.Size || !fi.ModTime().Equal(f.ModTime) {
		return fmt.Errorf("%w (%d → %d bytes)", api.ErrFileChanged, f.Size, fi.Size())
	}
	return nil
}
