package upload

import (
	"context"
	"fmt"
	"time"
)

// transition writes a change of a file to the journal, then applies and announces it.
func (e *Engine) transition(ctx context.Context, ent *entry, change func(*File)) error {
	return e.transitionWithChunks(ctx, ent, nil, change)
}

// transitionWithChunks is transition that also records finished chunks in the same
// journal commit.
func (e *Engine) transitionWithChunks(ctx context.Context, ent *entry, doneChunks []int, change func(*File)) error {
	ent.wmu.Lock()
	defer ent.wmu.Unlock()
	ent.mu.Lock()
	f := ent.f
	ent.mu.Unlock()
	change(&f)
	f.UpdatedAt = time.Now()
	// The write outlives a cancelled caller: a state that was decided must be kept.
	if err := e.write(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return e.cfg.Journal.Update(ctx, f, doneChunks...)
	}); err != nil {
		e.cfg.Logger.Error("journal write failed", "file", f.Name, "err", err)
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	ent.mu.Lock()
	ent.f = f
	for _, i := range doneChunks {
		ent.markDone(i)
	}
	ent.mu.Unlock()
	e.changed(ent)
	return nil
}

// releaseSlot lets the scheduler start another file while this one finishes its last
// bookkeeping; the file itself stays marked running until its goroutine ends.
func (ent *entry) releaseSlot() {
	ent.mu.Lock()
	release := ent.release
	ent.mu.Unlock()
	if release != nil {
		release()
	}
}

// markDone records chunk i as finished in memory, moving its bytes from in flight to
// done; ent.mu must be held.
func (ent *entry) markDone(i int) {
	if n, ok := ent.sent[i]; ok {
		ent.inflight.Add(-n)
		delete(ent.sent, i)
	}
	if i >= 0 && i < len(ent.done) && !ent.done[i] {
		ent.done[i] = true
		_, n := ent.f.ChunkRange(i)
		ent.doneBytes += n
	}
}

// settleProgress forgets bytes sent but never journaled once a file's run is over: those
// chunks will be sent again.
func (ent *entry) settleProgress() {
	ent.mu.Lock()
	ent.dropSentLocked()
	ent.mu.Unlock()
}

// dropSentLocked takes back the bytes of chunks sent but not journaled (their asset is
// being replaced, or the run is over); ent.mu must be held.
func (ent *entry) dropSentLocked() {
	for _, n := range ent.sent {
		ent.inflight.Add(-n)
	}
	ent.sent = nil
}

// changed announces a file and marks the totals for publishing.
func (e *Engine) changed(ent *entry) {
	e.mu.Lock()
	e.dirty = true
	e.mu.Unlock()
	e.publish(ent)
}

// publish announces a file's view as it is now. A transition and the progress ticker both
// announce files; taking the view and handing it on under one lock keeps a view taken
// earlier (uploading, say) from reaching the front ends after a later one (done), which
// would otherwise stay on screen: front ends keep only the newest event of a file.
func (e *Engine) publish(ent *entry) FileView {
	ent.pub.Lock()
	defer ent.pub.Unlock()
	v := e.view(ent)
	e.cfg.OnEvent(Event{File: &v})
	return v
}
