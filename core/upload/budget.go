package upload

import (
	"context"
	"sync"
)

// The pool's budget is ParallelFiles × ParallelChunks chunk PUTs in flight. A large file
// takes ParallelChunks of them, so for large files the settings mean just what they say;
// a file of one chunk takes one, and the scheduler starts more of those, up to the same
// budget of PUTs. Without that, a card of stills and sound files (one chunk each) would
// go up two requests at a time, and a lossy link, where one TCP stream carries little,
// would sit mostly idle (docs/field-trial.md).

// putSlots counts the chunk PUTs in flight across every file.
type putSlots struct {
	mu      sync.Mutex
	used    int
	changed chan struct{} // closed (and replaced) when a slot frees or the limit moves
}

// acquire waits for a free slot under limit(), read afresh each time (the settings and
// S3's slow-down move it). It returns false when ctx ends.
func (s *putSlots) acquire(ctx context.Context, limit func() int) bool {
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		if s.used < limit() {
			s.used++
			s.mu.Unlock()
			return true
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

func (s *putSlots) release() {
	s.mu.Lock()
	s.used--
	s.wakeLocked()
	s.mu.Unlock()
}

// wake lets waiters look at the limit again.
func (s *putSlots) wake() {
	s.mu.Lock()
	s.wakeLocked()
	s.mu.Unlock()
}

func (s *putSlots) wakeLocked() {
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// putBudget is how many chunk PUTs may be in flight over all files now.
func (e *Engine) putBudget() int {
	e.mu.Lock()
	files := e.settings.ParallelFiles
	e.mu.Unlock()
	return files * e.chunkLimit()
}

// claimOf is how many PUT slots a file will want: its outstanding chunks, at most
// ParallelChunks; before its asset exists, a guess from its size and the part size the
// server chose last — or ParallelChunks while no asset has shown one, so that a batch
// of large files does not start all at once on a wrong guess. e.mu must be held.
func (e *Engine) claimOf(ent *entry) int {
	ent.mu.Lock()
	defer ent.mu.Unlock()
	chunks := 0
	if ent.f.AssetID != "" && len(ent.done) > 0 {
		for _, d := range ent.done {
			if !d {
				chunks++
			}
		}
	} else if part := e.lastChunkSize; part > 0 {
		chunks = int((ent.f.Size + part - 1) / part)
	} else {
		chunks = e.settings.ParallelChunks
	}
	return min(max(chunks, 1), e.settings.ParallelChunks)
}

// setClaim corrects a running file's claim once its asset shows its real chunk count.
func (e *Engine) setClaim(ent *entry, chunkSize int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if chunkSize > 0 {
		e.lastChunkSize = chunkSize
	}
	ent.mu.Lock()
	running, old := ent.running, ent.claim
	ent.mu.Unlock()
	if !running {
		return
	}
	claim := e.claimOf(ent)
	ent.mu.Lock()
	ent.claim = claim
	ent.mu.Unlock()
	e.claimed += claim - old
	if claim < old {
		e.poke() // room for a small file beside this one
	}
}
