package upload

import (
	"context"
	"slices"
	"time"
)

// The pool's budget is ParallelFiles × ParallelChunks requests in flight: asset creations
// and chunk PUTs alike, granted by the owner one at a time, in the order they were asked
// for. A large file takes ParallelChunks of them, so for large files the settings mean
// just what they say; a file of one chunk takes one, and the scheduler starts more of
// those, up to the same budget. Without that, a card of stills and sound files (one chunk
// each) would go up two requests at a time, and a lossy link, where one TCP stream
// carries little, would sit mostly idle (docs/field-trial.md).

// slowDownFor is how long S3's SlowDown halves the chunks in flight.
const slowDownFor = time.Minute

// schedule starts files while there is room, in the queue's order (order.go): always
// ParallelFiles of them, and more while the files running are expected to want fewer
// requests than the budget (small files). A file that goes before one running (sound
// added while originals upload) starts even when the running files claim the whole
// budget: it takes the next request slot one of them frees (grant), instead of waiting
// for a large file to end, which can take an hour on set. It returns when the next
// retrying file, or the end of a slow-down, is due.
func (o *owner) schedule() (next time.Time) {
	o.grant()
	if o.windingDown {
		return next
	}
	if !o.slowUntil().IsZero() && len(o.slots.waiting) > 0 {
		next = o.slowUntil()
	}
	if !o.isRunning() || o.diskFull() {
		return next // nothing starts that could not be written down
	}
	o.holdOthers()
	now := time.Now()
	budget := o.settings.ParallelFiles * o.settings.ParallelChunks
	// The running file that goes last: a file before it may overtake (see above).
	var last *entry
	overtaking, holding := 0, 0
	for _, r := range o.live {
		if r.released {
			continue
		}
		holding++
		if last == nil || o.compare(r, last) > 0 {
			last = r
		}
		if r.overtook {
			overtaking++
		}
	}
	if holding <= o.settings.ParallelFiles && overtaking > 0 {
		// The files they overtook have ended: they are the pool's files now, and a file
		// moved to the top may overtake them in turn.
		for _, r := range o.live {
			r.overtook = false
		}
		overtaking = 0
	}
	for i := 0; i < len(o.ready); i++ {
		// Full: no file starts now but one that overtakes.
		full := o.running >= budget || o.running >= o.settings.ParallelFiles && o.claimed >= budget
		if full && (last == nil || overtaking >= o.settings.ParallelFiles) {
			break
		}
		ent := o.ready[i]
		if ent.f.State == Retrying && ent.f.NextAttempt.After(now) {
			if next.IsZero() || ent.f.NextAttempt.Before(next) {
				next = ent.f.NextAttempt
			}
			continue
		}
		claim := o.claimOf(ent)
		over := false
		if full || o.running >= o.settings.ParallelFiles && o.claimed+claim > budget {
			// At most ParallelFiles files overtake at once, so that a card of sound
			// added during a day of originals does not start all at once.
			if last == nil || o.compare(ent, last) >= 0 || overtaking >= o.settings.ParallelFiles {
				if full {
					break // the files behind this one go after it too
				}
				continue // a larger file waits for a place; a smaller one behind it may go
			}
			over = true
			overtaking++
		}
		o.startAttempt(ent, claim)
		ent.overtook = over
		i-- // it left ready
	}
	return next
}

// claimOf is how many request slots a file will want: its outstanding chunks, at most
// ParallelChunks; before its asset exists, a guess from its size and the part size the
// server chose last — or ParallelChunks while no asset has shown one, so that a batch of
// large files does not start all at once on a wrong guess.
func (o *owner) claimOf(ent *entry) int {
	chunks := 0
	if ent.f.AssetID != "" && len(ent.done) > 0 {
		for _, d := range ent.done {
			if !d {
				chunks++
			}
		}
	} else if part := o.lastChunkSize; part > 0 {
		chunks = int((ent.f.Size + part - 1) / part)
	} else {
		chunks = o.settings.ParallelChunks
	}
	return min(max(chunks, 1), o.settings.ParallelChunks)
}

// reclaim corrects a running file's claim once its asset shows its real chunk count.
func (o *owner) reclaim(ent *entry) {
	if ent.att == nil || ent.released {
		return
	}
	if ent.f.ChunkSize > 0 && !ent.f.Realtime {
		// The server's choice (a real-time file's part size is the settings').
		o.lastChunkSize = ent.f.ChunkSize
	}
	claim := o.claimOf(ent)
	o.claimed += claim - ent.claim
	if claim < ent.claim {
		o.kick = true // room for a small file beside this one
	}
	ent.claim = claim
}

// releasePlace gives a running file's place in the pool to the next file: when it has
// ended, or earlier, while it writes its last commit (the next file's first journal
// write can share it).
func (o *owner) releasePlace(ent *entry) {
	if ent.att == nil || ent.released {
		return
	}
	ent.released = true
	o.running--
	o.claimed -= ent.claim
	ent.claim = 0
	o.kick = true
}

// slotBudget counts the requests in flight.
type slotBudget struct {
	inFlight  int
	perFile   map[FileID]int
	waiting   []*slotRequest // oldest first
	slowUntil time.Time      // S3 asked to slow down: fewer chunks per file until then
}

// slotRequest is an attempt waiting for a request slot. granted is buffered: the owner
// never waits for the attempt.
type slotRequest struct {
	id      FileID
	granted chan struct{}
	given   bool
}

func (o *owner) slowUntil() time.Time {
	if time.Now().Before(o.slots.slowUntil) {
		return o.slots.slowUntil
	}
	return time.Time{}
}

// chunkLimit is how many requests one file may have in flight now.
func (o *owner) chunkLimit() int {
	n := o.settings.ParallelChunks
	if !o.slowUntil().IsZero() {
		n = max(1, n/2)
	}
	return n
}

func (o *owner) requestBudget() int { return o.settings.ParallelFiles * o.chunkLimit() }

// grant hands free slots to the requests waiting: those of the file that goes first
// first (a sound file's creation before an original's next chunk), in the order asked
// within a file.
// realtimeLanes is how many times a file's parts in flight a clip being recorded may have.
const realtimeLanes = 2

func (o *owner) grant() {
	if o.windingDown {
		return // WindDown: the requests in flight end, and no other starts
	}
	s := &o.slots
	limit, per := o.requestBudget(), o.chunkLimit()
	if len(s.waiting) > 1 {
		slices.SortStableFunc(s.waiting, func(a, b *slotRequest) int {
			ea, eb := o.files[a.id], o.files[b.id]
			switch { // a file gone (its request is withdrawn anyway) last
			case ea == nil && eb == nil:
				return 0
			case ea == nil:
				return 1
			case eb == nil:
				return -1
			}
			return o.compare(ea, eb)
		})
	}
	kept := s.waiting[:0]
	for _, r := range s.waiting {
		lane, mine := limit, per
		if ent := o.files[r.id]; ent != nil && ent.cardGone {
			kept = append(kept, r) // its card went: nothing more starts (CardRemoved)
			continue
		} else if ent != nil && ent.f.Realtime {
			// A clip being recorded has a lane of its own beside the budget: its parts
			// never wait for another file's to end, which on a slow link is a part's
			// whole transfer time. It is twice as wide as a file's: a camera writes
			// faster than one lossy connection carries (BenchmarkGlassToCloudHotel).
			mine = realtimeLanes * per
			lane += mine
		}
		if s.inFlight < lane && s.perFile[r.id] < mine {
			s.inFlight++
			s.perFile[r.id]++
			r.given = true
			r.granted <- struct{}{}
			continue
		}
		kept = append(kept, r)
	}
	clear(s.waiting[len(kept):])
	s.waiting = kept
}

func (o *owner) request(r *slotRequest) {
	o.slots.waiting = append(o.slots.waiting, r)
	o.grant()
}

func (o *owner) releaseSlot(id FileID) {
	s := &o.slots
	s.inFlight--
	if s.perFile[id]--; s.perFile[id] <= 0 {
		delete(s.perFile, id)
		if ent := o.files[id]; ent != nil && ent.cardGone && ent.att != nil {
			o.stopAttempt(ent) // its last request in flight has ended (CardRemoved)
		}
	}
	o.grant()
	o.windDownCheck()
}

// withdraw takes back a request whose attempt stopped waiting; a slot already given is
// released.
func (o *owner) withdraw(r *slotRequest) {
	if r.given {
		o.releaseSlot(r.id)
		return
	}
	for i, w := range o.slots.waiting {
		if w == r {
			o.slots.waiting = append(o.slots.waiting[:i], o.slots.waiting[i+1:]...)
			return
		}
	}
}

func (o *owner) slowDown() {
	o.slots.slowUntil = time.Now().Add(slowDownFor)
	o.kick = true
}

// acquire waits for a request slot from the owner; false when ctx ends first.
func (a *attempt) acquire(ctx context.Context) bool {
	r := &slotRequest{id: a.id, granted: make(chan struct{}, 1)}
	if !a.e.send(func(o *owner) { o.request(r) }) {
		return false
	}
	select {
	case <-r.granted:
		return true
	case <-ctx.Done():
		a.e.send(func(o *owner) { o.withdraw(r) })
		return false
	}
}

// release gives a slot back.
func (a *attempt) release() { a.e.send(func(o *owner) { o.releaseSlot(a.id) }) }
