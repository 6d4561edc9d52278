package upload

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/schedule"
)

// owner is the state of the queue. Only the owner goroutine (loop) touches it; see
// Engine.
type owner struct {
	e        *Engine
	settings Settings

	files map[FileID]*entry
	order []FileID // oldest first; ids no longer in files are skipped, and compacted away
	gone  int      // ids in order that are no longer in files
	ready []*entry // queued and retrying files that are not running, in the order they go (order.go)
	live  map[FileID]*entry

	runCtx   context.Context // while Run runs; nil otherwise
	attempts sync.WaitGroup
	kick     bool // something changed that may let a file start

	running       int   // files holding a place in the pool
	claimed       int   // request slots the running files are expected to want
	lastChunkSize int64 // the part size of the last asset created, to guess claims
	slots         slotBudget

	project  Project
	reassign bool // the project changed: the queue must be looked over (holdOthers)

	diskWaits int // writes waiting for room on the journal's disk; none starts meanwhile

	// windingDown (WindDown): nothing more starts; idleWaiters are closed once no
	// request is in flight.
	windingDown bool
	idleWaiters []chan struct{}

	// limit is the bandwidth limit in force, by the schedule or the fixed limit, until
	// limitUntil (zero: until the settings change).
	limit      int64
	limitUntil time.Time

	nextPrune time.Time // when the list is next looked over for files uploaded long ago (prune)

	estimate estimator // the queue's rate and time left, from every byte sent (a file's own meter misses small files)
	dirty    bool      // the totals need publishing
	busy     bool      // something ran since the last Finished event
}

// entry is a file in the queue.
type entry struct {
	f      File
	done   []bool   // finished chunks of its asset, as the journal has them
	parts  []string // the hashes of those chunks' bytes as sent ("" unknown)
	detail string
	meter  meter

	att      *attempt // while the file runs
	claim    int      // request slots it is expected to want (budget.go)
	released bool     // it is finishing and gave its place in the pool to the next file
	overtook bool     // it started beside files running, before them (budget.go)
	// What commands decided while it ran; the owner applies it when the attempt ends.
	wanted   State
	remove   bool
	cardGone bool // its card was removed (CardRemoved)
}

func newOwner(e *Engine) *owner {
	return &owner{
		e:        e,
		settings: e.cfg.Settings,
		files:    map[FileID]*entry{},
		live:     map[FileID]*entry{},
		slots:    slotBudget{perFile: map[FileID]int{}},
	}
}

// loop runs messages one at a time, publishes progress while the queue runs (and, on the
// same ticks, takes files uploaded long ago off the list: prune), and starts files
// whenever a message may have made room or a retrying file falls due. It waits on
// channels only: nothing polls.
func (o *owner) loop() {
	ticker := time.NewTicker(o.e.cfg.ProgressInterval)
	defer ticker.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case m := <-o.e.inbox:
			m(o)
		case now := <-ticker.C:
			if o.runCtx != nil {
				o.publishProgress(now)
				if o.pruneDue(o.e.cfg.Now()) {
					o.prune()
				}
			}
			if !o.limitDue() {
				continue
			}
			// A period's edge passed while the timer could not tell (a laptop that
			// slept: the timer counts the time awake).
		case <-timer.C:
			o.kick = true
		case <-o.e.closed:
			return
		}
		if o.limitDue() {
			o.applyLimit() // a period of the schedule starts or ends
			o.kick = true
		}
		if !o.kick {
			continue
		}
		o.kick = false
		next := o.schedule()
		if !o.limitUntil.IsZero() {
			// The schedule's clock may be another than the system's (a test's): the
			// wait is measured on it, and the timer runs on the system's.
			at := time.Now().Add(o.limitUntil.Sub(o.e.cfg.Now()))
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
	}
}

func (o *owner) load(recs []Record) {
	var newest time.Time // of the assets read back: the server's latest part size
	o.classifyOld(recs)
	fresh := make([]*entry, 0, len(recs))
	for _, r := range recs {
		ent := &entry{f: r.File}
		ent.done = make([]bool, r.File.ChunkCount())
		ent.parts = make([]string, r.File.ChunkCount())
		for k, i := range r.DoneChunks {
			if i >= 0 && i < len(ent.done) {
				ent.done[i] = true
				if k < len(r.PartHashes) {
					ent.parts[i] = r.PartHashes[k]
				}
			}
		}
		switch ent.f.State {
		case Waiting, Creating, Uploading:
			if !o.e.cfg.ReadOnly {
				ent.f.State = Queued // in memory only: the next step is written anyway
			}
		}
		o.files[ent.f.ID] = ent
		o.order = append(o.order, ent.f.ID)
		fresh = append(fresh, ent)
		if ent.f.ChunkSize > 0 && !ent.f.URLsFetchedAt.Before(newest) {
			newest, o.lastChunkSize = ent.f.URLsFetchedAt, ent.f.ChunkSize
		}
	}
	o.indexAll(fresh)
	o.dirty, o.kick = true, true
	o.prune()
}

// classifyOld gives a category to files queued by a version that did not decide one:
// judged together, as if added again at once.
func (o *owner) classifyOld(recs []Record) {
	var old []File
	var where []int
	for i := range recs {
		if recs[i].File.Category == "" {
			old = append(old, recs[i].File)
			where = append(where, i)
		}
	}
	if len(old) == 0 {
		return
	}
	roots := make([]string, len(old))
	for i := range old {
		roots[i] = old[i].Path // the folder it was added with is not known: its own name counts
	}
	classify(old, roots)
	for k, i := range where {
		recs[i].File.Category = old[k].Category
	}
}

func (o *owner) start(ctx context.Context) error {
	if o.e.cfg.ReadOnly {
		return errors.New("the journal is another process's: this one only reads it")
	}
	if o.runCtx != nil {
		return errors.New("the upload queue is already running")
	}
	o.runCtx, o.kick = ctx, true
	return nil
}

// stop ends scheduling; the attempts end with the context Run was given.
func (o *owner) stop() *sync.WaitGroup {
	o.runCtx = nil
	return &o.attempts
}

// limitDue: a period of the schedule started or ended since the limit was put in force.
func (o *owner) limitDue() bool {
	return !o.limitUntil.IsZero() && !o.e.cfg.Now().Before(o.limitUntil)
}

// applyLimit puts in force the bandwidth limit of now: the schedule's period, or the
// fixed limit outside them.
func (o *owner) applyLimit() {
	sched, err := schedule.Parse(o.settings.Schedule, minBandwidth)
	if err != nil {
		sched = schedule.Schedule{} // Settings.Validate refused it: not expected
	}
	now := o.e.cfg.Now()
	limit, until := sched.At(now, o.settings.BandwidthLimit)
	if !until.After(now) {
		until = time.Time{} // never a time past, which would wake the owner without end
	}
	if limit != o.limit || o.limitUntil.IsZero() {
		o.e.cfg.Logger.Info("bandwidth limit", "bytes_per_s", limit, "until", until)
	}
	o.limit, o.limitUntil = limit, until
	o.e.applyBandwidth(limit)
	o.dirty = true
}

func (o *owner) isRunning() bool { return o.runCtx != nil && o.runCtx.Err() == nil }

func (o *owner) diskFull() bool { return o.diskWaits > 0 }

// index keeps ready true to the entry: the files the scheduler may start. What an entry's
// place depends on (keyOf) must not change while it is in ready: unindex it first.
func (o *owner) index(ent *entry) {
	i, found := o.findReady(ent)
	want := o.waitsToRun(ent)
	switch {
	case want && !found:
		o.ready = slices.Insert(o.ready, i, ent)
		o.kick = true
	case !want && found:
		o.ready = slices.Delete(o.ready, i, i+1)
	}
}

// indexAll is index for many entries new to the queue (a card added, the journal read):
// one sort instead of an insertion each, which would move the rest of ready every time.
func (o *owner) indexAll(ents []*entry) {
	n := len(o.ready)
	for _, ent := range ents {
		if o.waitsToRun(ent) {
			o.ready = append(o.ready, ent)
		}
	}
	if len(o.ready) > n {
		slices.SortFunc(o.ready, o.compare)
		o.kick = true
	}
}

// waitsToRun: ent belongs in ready — queued or retrying, not running, in the queue.
func (o *owner) waitsToRun(ent *entry) bool {
	return ent.att == nil && (ent.f.State == Queued || ent.f.State == Retrying) && o.files[ent.f.ID] == ent
}

// unindex takes the entry out of ready, whatever its state.
func (o *owner) unindex(ent *entry) {
	if i, found := o.findReady(ent); found {
		o.ready = slices.Delete(o.ready, i, i+1)
	}
}

// findReady is where ent is in ready, or where it would go.
func (o *owner) findReady(ent *entry) (int, bool) {
	i, found := slices.BinarySearchFunc(o.ready, ent, o.compare)
	return i, found && o.ready[i] == ent
}

func (o *owner) lookup(id FileID) (*entry, error) {
	ent := o.files[id]
	if ent == nil {
		return nil, ErrUnknownFile
	}
	return ent, nil
}

func (o *owner) selected(s Selector) ([]*entry, error) {
	if len(s.IDs) > 0 {
		out := make([]*entry, 0, len(s.IDs))
		for _, id := range s.IDs {
			if ent, ok := o.files[id]; ok {
				out = append(out, ent)
			}
		}
		return out, nil
	}
	if !s.All {
		ent, err := o.lookup(s.ID)
		if err != nil {
			return nil, err
		}
		return []*entry{ent}, nil
	}
	out := make([]*entry, 0, len(o.files))
	for _, id := range o.order {
		if ent, ok := o.files[id]; ok {
			out = append(out, ent)
		}
	}
	return out, nil
}

// drop takes entries out of the queue in memory and tells the front ends. Their ids
// leave order in one pass once they are half of it, so clearing a day of cards is linear.
func (o *owner) drop(ents []*entry) {
	for _, ent := range ents {
		delete(o.files, ent.f.ID)
		o.index(ent)
		o.gone++
	}
	if o.gone > len(o.order)/2 {
		o.order = slices.DeleteFunc(o.order, func(id FileID) bool { return o.files[id] == nil })
		o.gone = 0
	}
	o.dirty = true
	for _, ent := range ents {
		o.e.cfg.OnEvent(Event{Removed: ent.f.ID})
	}
}

// announce tells the front ends a file's view as it is now.
func (o *owner) announce(ent *entry) FileView {
	v := o.view(ent)
	o.e.cfg.OnEvent(Event{File: &v})
	o.dirty = true
	return v
}

func (o *owner) alert(a *Alert) {
	if a != nil {
		o.e.cfg.OnEvent(Event{Alert: a})
	}
}

// finishedChunks counts the finished chunks of f and their bytes.
func finishedChunks(f *File, done []bool) (chunks int, bytes int64) {
	for i, d := range done {
		if d {
			_, l := f.ChunkRange(i)
			chunks, bytes = chunks+1, bytes+l
		}
	}
	return chunks, bytes
}
