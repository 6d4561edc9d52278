package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// Selector picks the files a command applies to: one id, or All.
type Selector struct {
	ID  FileID
	All bool
}

// One selects a single file.
func One(id FileID) Selector { return Selector{ID: id} }

// All selects every file.
var All = Selector{All: true}

func (e *Engine) selected(s Selector) ([]*entry, error) {
	if !s.All {
		ent, err := e.lookup(s.ID)
		if err != nil {
			return nil, err
		}
		return []*entry{ent}, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*entry, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.files[id])
	}
	return out, nil
}

// Pause stops files; their finished chunks are kept.
func (e *Engine) Pause(ctx context.Context, s Selector) error {
	return e.command(ctx, s, func(st State) bool { return !st.Finished() && st != Paused }, Paused)
}

// Resume queues paused files again.
func (e *Engine) Resume(ctx context.Context, s Selector) error {
	return e.command(ctx, s, func(st State) bool { return st == Paused }, Queued)
}

// Retry queues failed, skipped, cancelled and retrying files again at once.
func (e *Engine) Retry(ctx context.Context, s Selector) error {
	return e.command(ctx, s, func(st State) bool {
		return st == Failed || st == Skipped || st == Cancelled || st == Retrying
	}, Queued)
}

// Cancel stops files for good (Retry can still bring them back).
func (e *Engine) Cancel(ctx context.Context, s Selector) error {
	return e.command(ctx, s, func(st State) bool { return !st.Finished() }, Cancelled)
}

// command moves every selected file that applies to state to. A running file is stopped
// first; it takes its new state when its goroutine returns.
func (e *Engine) command(ctx context.Context, s Selector, applies func(State) bool, to State) error {
	ents, err := e.selected(s)
	if err != nil {
		return err
	}
	var errs []error
	for _, ent := range ents {
		ent.mu.Lock()
		st := ent.f.State
		if !applies(st) {
			ent.mu.Unlock()
			continue
		}
		if ent.running {
			ent.stop = to
			cancel := ent.cancel
			ent.mu.Unlock()
			cancel(api.ErrUserCancelled)
			continue
		}
		ent.mu.Unlock()
		errs = append(errs, e.transition(ctx, ent, func(f *File) {
			f.State = to
			if to == Queued {
				f.Attempts, f.NextAttempt = 0, time.Time{}
				f.ErrorKind, f.ErrorMessage = "", ""
			}
		}))
	}
	e.poke()
	return errors.Join(errs...)
}

// Remove takes a file out of the list (stopping it first); the file on disk is untouched.
func (e *Engine) Remove(ctx context.Context, id FileID) error {
	ent, err := e.lookup(id)
	if err != nil {
		return err
	}
	ent.mu.Lock()
	if ent.running {
		ent.remove = true
		cancel := ent.cancel
		ent.mu.Unlock()
		cancel(api.ErrUserCancelled)
		return nil
	}
	ent.mu.Unlock()
	return e.forget(ctx, ent)
}

// forget takes a file off the list. An uploaded file's row is kept, hidden: it is the
// record that decides "already uploaded" when the same file is added again. Any other
// file is deleted from the journal.
func (e *Engine) forget(ctx context.Context, ent *entry) error {
	ent.mu.Lock()
	id, done := ent.f.ID, ent.f.State == Done
	ent.mu.Unlock()
	err := e.write(context.WithoutCancel(ctx), func(ctx context.Context) error {
		if done {
			return e.cfg.Journal.Hide(ctx, id)
		}
		return e.cfg.Journal.Remove(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("removing from the upload journal: %w", err)
	}
	e.mu.Lock()
	delete(e.files, id)
	for i, o := range e.order {
		if o == id {
			e.order = append(e.order[:i], e.order[i+1:]...)
			break
		}
	}
	e.dirty = true
	e.mu.Unlock()
	e.cfg.OnEvent(Event{Removed: id})
	return nil
}

// ClearFinished removes every uploaded file from the list.
func (e *Engine) ClearFinished(ctx context.Context) error {
	ents, _ := e.selected(All)
	var errs []error
	for _, ent := range ents {
		ent.mu.Lock()
		done := ent.f.State == Done && !ent.running
		ent.mu.Unlock()
		if done {
			errs = append(errs, e.forget(ctx, ent))
		}
	}
	return errors.Join(errs...)
}
