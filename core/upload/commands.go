package upload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Selector picks the files a command applies to: one id, or All.
type Selector struct {
	ID FileID
	// IDs are several files (the rows a person picked); those no longer in the queue
	// are passed over.
	IDs []FileID
	All bool
}

// One selects a single file.
func One(id FileID) Selector { return Selector{ID: id} }

// Some selects several files.
func Some(ids ...FileID) Selector { return Selector{IDs: ids} }

// All selects every file.
var All = Selector{All: true}

// commandApplies tells whether the command that moves files to state to applies to a
// file in state st.
func commandApplies(to, st State) bool {
	switch to {
	case Paused, Cancelled:
		return !st.Finished() && st != to
	case Queued: // Resume, Retry and Start
		return st == Paused || st == Failed || st == Skipped || st == Cancelled || st == Retrying || st == OnHold
	}
	return false
}

// to is the change a command makes.
func to(st State) func(*File) {
	return func(f *File) {
		f.State = st
		if st == Queued || st == OnHold {
			f.Attempts, f.NextAttempt = 0, time.Time{}
			f.ErrorKind, f.ErrorMessage = "", ""
		}
	}
}

// Pause stops files; their finished chunks are kept.
func (e *Engine) Pause(ctx context.Context, s Selector) error {
	return e.command(s, func(st State) bool { return commandApplies(Paused, st) }, Paused)
}

// Resume queues paused files again.
func (e *Engine) Resume(ctx context.Context, s Selector) error {
	return e.command(s, func(st State) bool { return st == Paused }, Queued)
}

// Start sends files on hold (added to start by hand), and paused ones: the person says
// go.
func (e *Engine) Start(ctx context.Context, s Selector) error {
	return e.command(s, func(st State) bool { return st == OnHold || st == Paused }, Queued)
}

// Retry queues failed, cancelled and retrying files again at once, and skipped ones
// named one by one. Retrying all leaves the skipped: the project refuses them by their
// date however often they are sent (UploadAnyway sends them as new media).
func (e *Engine) Retry(ctx context.Context, s Selector) error {
	return e.command(s, func(st State) bool {
		return st == Failed || st == Cancelled || st == Retrying || (st == Skipped && !s.All)
	}, Queued)
}

// Cancel stops files for good (Retry can still bring them back).
func (e *Engine) Cancel(ctx context.Context, s Selector) error {
	return e.command(s, func(st State) bool { return commandApplies(Cancelled, st) }, Cancelled)
}

// command moves every selected file that applies to state st. A running file is stopped
// first; it takes its new state when its attempt has ended. A file already stopping for
// an earlier command is judged by the state that command asked for (pause, then resume,
// before the attempt has ended, leaves it queued).
func (e *Engine) command(s Selector, applies func(State) bool, st State) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		ents, err := o.selected(s)
		if err != nil {
			return err
		}
		var idle []*entry
		for _, ent := range ents {
			cur := ent.f.State
			if ent.att != nil && ent.wanted != "" {
				cur = ent.wanted
			}
			if !applies(cur) {
				continue
			}
			if ent.att != nil {
				ent.wanted = st
				o.stopAttempt(ent)
				continue
			}
			idle = append(idle, ent)
		}
		return o.setStates(idle, to(st))
	})
}

var errReadOnly = errors.New("another process holds the data folder: this one can only show the queue")

// setStates writes a change of files that are not running in one journal commit, then
// applies and announces it.
func (o *owner) setStates(ents []*entry, change func(*File)) error {
	if len(ents) == 0 {
		return nil
	}
	files := make([]File, len(ents))
	now := time.Now()
	for i, ent := range ents {
		files[i] = ent.f
		change(&files[i])
		files[i].UpdatedAt = now
	}
	if err := o.write(func(ctx context.Context) error { return o.e.cfg.Journal.UpdateFiles(ctx, files) }); err != nil {
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	for i, ent := range ents {
		ent.f = files[i]
		o.index(ent)
		o.announce(ent)
	}
	o.kick = true
	return nil
}

// Remove takes a file out of the list (stopping it first); the file on disk is untouched.
func (e *Engine) Remove(ctx context.Context, id FileID) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		ent, err := o.lookup(id)
		if err != nil {
			return err
		}
		if ent.att != nil {
			ent.remove = true
			o.stopAttempt(ent)
			return nil
		}
		return o.forget([]*entry{ent})
	})
}

// ClearFinished removes every uploaded file from the list.
func (e *Engine) ClearFinished(ctx context.Context) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		var done []*entry
		for _, id := range o.order {
			if ent := o.files[id]; ent != nil && ent.f.State == Done && ent.att == nil {
				done = append(done, ent)
			}
		}
		return o.forget(done)
	})
}

// forget takes files off the list in one journal commit. An uploaded file's row is kept,
// hidden: it is the record that decides "already uploaded" when the same file is added
// again. Any other file is deleted from the journal.
func (o *owner) forget(ents []*entry) error {
	if len(ents) == 0 {
		return nil
	}
	var hide, remove []FileID
	for _, ent := range ents {
		if ent.f.State == Done {
			hide = append(hide, ent.f.ID)
		} else {
			remove = append(remove, ent.f.ID)
		}
	}
	if err := o.write(func(ctx context.Context) error { return o.e.cfg.Journal.Forget(ctx, hide, remove) }); err != nil {
		return fmt.Errorf("removing from the upload journal: %w", err)
	}
	o.drop(ents)
	return nil
}
