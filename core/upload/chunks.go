package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// chunkResult is a worker's word on one chunk: the hash of what it sent, or why not.
type chunkResult struct {
	index int
	sum   string
	err   error
}

// uploadChunks sends every chunk not yet finished, up to ParallelChunks at a time (as
// the owner grants slots), each read straight from the file through a SectionReader, and
// hashes the bytes sent (fileHash). The first chunk that fails for good stops the others;
// finished chunks stay finished. The attempt's own goroutine journals each chunk S3
// took, with its hash, so its chunk table has one writer; the file's last chunk is not
// journaled here: it is returned (last.Index >= 0) to be recorded in the same commit as
// the file's Done state, one fsync instead of two for every small file. sums are the
// file's hashes in its formats.
func (a *attempt) uploadChunks() (last Part, sums hashes.Sums, err error) {
	last = Part{Index: -1}
	var todo []int
	for i, done := range a.done {
		if !done {
			todo = append(todo, i)
		}
	}
	if a.f.State != Uploading && len(todo) > 0 {
		if err := a.step(func(f *File) { f.State = Uploading }); err != nil {
			return last, nil, err
		}
	}
	f := a.f
	file, err := os.Open(f.Path)
	if err != nil {
		return last, nil, &api.LocalFileError{Path: f.Path, Err: err}
	}
	defer file.Close()
	if len(a.parts) != len(a.done) {
		a.parts = append(a.parts[:0:0], make([]string, len(a.done))...)
	}
	fh := newFileHash(file, &f, a.formats(), a.done, a.parts)
	defer func() { a.reread = fh.reread }()

	ctx, cancel := context.WithCancelCause(a.ctx)
	defer cancel(nil)
	work := make(chan int, len(todo))
	for _, i := range todo {
		work <- i
	}
	close(work)
	results := make(chan chunkResult, len(todo))
	var wg sync.WaitGroup
	for range min(a.settings.ParallelChunks, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// The slot first, then the chunk: a worker held back by a lower limit
				// must not sit on a chunk the workers still allowed could send.
				if !a.acquire(ctx) {
					return
				}
				i, ok := <-work
				if !ok {
					a.release()
					return
				}
				sum, err := a.putChunk(ctx, &f, file, i, fh)
				a.release()
				results <- chunkResult{i, sum, err}
				if err != nil {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	outstanding := len(todo)
	var firstErr error
	stop := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel(err)
		}
	}
	for r := range results {
		outstanding--
		if r.err != nil {
			stop(r.err)
			continue
		}
		part := Part{r.index, r.sum}
		a.parts[r.index] = r.sum
		if outstanding == 0 && firstErr == nil {
			last = part // recorded with the Done state
		} else if err := a.chunkDone(part); err != nil {
			// Written before it counts: a chunk acknowledged by S3 is never sent again;
			// one that arrived while stopping is still kept.
			stop(err)
		}
		if firstErr == nil {
			if err := fh.sent(r.index, r.sum); err != nil {
				if outstanding == 0 {
					// Every part has reached S3: the asset is whole, made of what was sent.
					err = &changedAfterSending{err}
				}
				stop(err)
			}
		}
	}
	if firstErr != nil {
		return Part{Index: -1}, nil, firstErr
	}
	if err := context.Cause(ctx); err != nil && (outstanding > 0 || errors.Is(err, errStopped)) {
		return Part{Index: -1}, nil, err
	}
	// Every part reached S3, even if the run is ending meanwhile (a process stopping
	// after its requests in flight ended, WindDown): the file is written done, so that
	// the next run sends none of it again.
	sums, err = fh.sums()
	if err != nil {
		return Part{Index: -1}, nil, err
	}
	return last, sums, nil
}

// chunkDone journals a part as finished and tells the owner.
func (a *attempt) chunkDone(p Part) error {
	if err := a.journal(func(ctx context.Context) error {
		return a.e.cfg.Journal.ChunkDone(ctx, a.id, p)
	}); err != nil {
		return err
	}
	a.done[p.Index] = true
	a.e.send(func(o *owner) {
		if ent := o.files[a.id]; ent != nil && ent.att == a && p.Index < len(ent.done) {
			ent.done[p.Index] = true
			if p.Index < len(ent.parts) {
				ent.parts[p.Index] = p.Hash
			}
		}
	})
	return nil
}

// putChunk sends chunk i under the retry policy, and returns the hash of the bytes the
// PUT that succeeded sent.
func (a *attempt) putChunk(ctx context.Context, f *File, file *os.File, i int, fh *fileHash) (string, error) {
	off, n := f.ChunkRange(i)
	sum, err := a.putPart(ctx, partPut{
		url: f.UploadURLs[i], file: file, off: off, n: n, contentType: f.Filetype, path: f.Path,
		unchanged: func() error { return unchangedSinceQueued(file, f) },
		body:      func() sentBody { return fh.body(i) },
	})
	switch {
	case err != nil:
		return "", err
	case sum != "":
		return sum, nil
	case n == 0:
		return fh.emptyPart(), nil
	}
	return unknownPart, nil // a client that does not say what it read (a test's fake)
}

// partPut is one part to send: bytes [off, off+n) of file to url.
type partPut struct {
	url         string
	file        *os.File
	path        string
	off, n      int64
	contentType string
	unchanged   func() error    // api.Chunk.Unchanged
	body        func() sentBody // what a body of the PUT writes its bytes to
}

// sentBody hashes the bytes one body of a PUT hands to the transport.
type sentBody interface {
	io.Writer
	Sum() string
}

// putPart sends p under the retry policy, and returns the hash of the bytes the PUT that
// succeeded sent ("" when the client said nothing of what it read: a test's fake).
func (a *attempt) putPart(ctx context.Context, p partPut) (string, error) {
	var body atomic.Pointer[sentBody] // the newest, made by the transport's goroutine
	err := a.e.cfg.Policy.Do(ctx, retry.Call{
		Endpoint: api.EndpointChunk,
		Gates:    []*retry.Gate{a.e.cfg.Online},
	}, func(ctx context.Context, _ int) error {
		actx, acancel := context.WithCancelCause(ctx)
		defer acancel(nil)
		w := a.e.watches.add(acancel)
		defer a.e.watches.remove(w)
		sent := &attemptBytes{total: &a.bytes, wire: &a.e.sent}
		body.Store(nil)
		err := a.e.cfg.Client.PutChunk(actx, api.Chunk{
			URL: p.url, File: p.file, Path: p.path, Offset: p.off, Length: p.n,
			ContentType: p.contentType, Throttle: a.e.throttle(),
			Progress:  func(k int64) { w.touch(); sent.add(k) },
			Unchanged: p.unchanged,
			Reads:     func() io.Writer { b := p.body(); body.Store(&b); return b },
		})
		sent.close(err == nil)
		if api.HasEffect(err, api.EffectLowerConcurrency) {
			a.e.send(func(o *owner) { o.slowDown() })
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if b := body.Load(); b != nil {
		return (*b).Sum(), nil
	}
	return "", nil
}

// attemptBytes counts the bytes one PUT has sent, so that a failed PUT takes back
// exactly what it added to the file's progress, even if the transport reads a last slice
// after the PUT returned. A successful PUT's bytes stay counted: progress never steps
// back.
type attemptBytes struct {
	total  *atomic.Int64
	wire   *atomic.Int64 // every byte sent, kept even when the PUT fails
	mu     sync.Mutex
	n      int64
	closed bool
}

func (b *attemptBytes) add(k int64) {
	b.mu.Lock()
	if !b.closed {
		b.n += k
		b.total.Add(k)
		b.wire.Add(k)
	}
	b.mu.Unlock()
}

func (b *attemptBytes) close(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if !ok {
		b.total.Add(-b.n)
	}
}

// watchSet is the stall watchdog's list of chunk PUTs in flight.
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

// watchdog cancels a chunk PUT that has moved no byte for StallTimeout (the 5-minute
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
