package upload

import (
	"context"
	"errors"
)

// A full disk: when the disk holding the journal is full, the engine says so once
// (AlertDiskFull) and starts no file until it has room. An attempt's write waits for the
// room and is made again, so what S3 acknowledged meanwhile is not lost, and nothing is
// sent twice when the space comes back. A write of the owner's (a command) fails instead:
// the owner never waits.

// journal makes one of the attempt's journal writes, waiting for room when the disk is
// full while the engine runs.
func (a *attempt) journal(op func(ctx context.Context) error) error {
	for {
		err := op(context.WithoutCancel(a.ctx))
		if !errors.Is(err, ErrDiskFull) {
			return err
		}
		a.e.send(func(o *owner) { o.diskFullBegins(err) })
		werr := a.e.cfg.Journal.WaitForSpace(a.runCtx)
		a.e.send(func(o *owner) { o.diskFullEnds() })
		if werr != nil {
			return err
		}
	}
}

// write makes one of the owner's journal writes. On a full disk it fails, and, while the
// engine runs, nothing starts until the disk has room.
func (o *owner) write(op func(ctx context.Context) error) error {
	err := op(context.Background())
	if !errors.Is(err, ErrDiskFull) {
		return err
	}
	o.diskFullBegins(err)
	if ctx := o.runCtx; ctx != nil {
		e := o.e
		go func() {
			_ = e.cfg.Journal.WaitForSpace(ctx)
			e.send(func(o *owner) { o.diskFullEnds() })
		}()
	} else {
		o.diskFullEnds()
	}
	return err
}

func (o *owner) diskFullBegins(err error) {
	o.diskWaits++
	o.dirty = true
	if o.diskWaits == 1 {
		o.e.cfg.Logger.Error("the journal cannot be written: disk full", "err", err)
		// The journal's words say which disk and how much is free.
		o.alert(&Alert{Kind: AlertDiskFull, Message: err.Error()})
	}
}

func (o *owner) diskFullEnds() {
	o.diskWaits--
	o.dirty, o.kick = true, true
	if o.diskWaits == 0 {
		o.e.cfg.Logger.Info("the journal's disk has room again; the queue goes on")
	}
}
