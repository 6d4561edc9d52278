package upload

import (
	"context"
	"errors"
)

// write makes one journal write. When the disk holding the journal is full, the engine
// says so once (AlertDiskFull), starts no new file, and the write waits for space and is
// made again: what S3 acknowledged meanwhile is not lost, and nothing is sent twice when
// the space comes back. Without a running engine (a command before Run) it does not wait.
func (e *Engine) write(ctx context.Context, op func(ctx context.Context) error) error {
	for {
		err := op(ctx)
		if !errors.Is(err, ErrDiskFull) {
			return err
		}
		e.mu.Lock()
		first, runCtx := !e.diskFull, e.runCtx
		e.diskFull = true
		e.dirty = true
		e.mu.Unlock()
		if first {
			e.cfg.Logger.Error("the journal cannot be written: disk full", "err", err)
			// The journal's words say which disk and how much is free.
			e.cfg.OnEvent(Event{Alert: &Alert{Kind: AlertDiskFull, Message: err.Error()}})
		}
		if runCtx == nil || runCtx.Err() != nil {
			return err
		}
		if werr := e.cfg.Journal.WaitForSpace(runCtx); werr != nil {
			return err
		}
		e.mu.Lock()
		if e.diskFull {
			e.diskFull = false
			e.cfg.Logger.Info("the journal's disk has room again; the queue goes on")
		}
		e.mu.Unlock()
		e.poke()
	}
}

// DiskFull tells whether the engine is stopped by a full disk.
func (e *Engine) DiskFull() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.diskFull
}
