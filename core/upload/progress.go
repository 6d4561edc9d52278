package upload

import (
	"math"
	"time"
)

// rateTau is the time constant of the smoothed rate: long enough to ride over one
// chunk's ups and downs, short enough to follow a change of network within seconds.
const rateTau = 4 * time.Second

// meter smooths a byte counter into a rate (an exponentially weighted moving average).
type meter struct {
	lastBytes int64
	lastTime  time.Time
	rate      float64
	measured  bool // rate holds a measurement
}

func (m *meter) update(bytes int64, now time.Time) float64 {
	if m.lastTime.IsZero() || bytes < m.lastBytes {
		m.lastBytes, m.lastTime, m.rate, m.measured = bytes, now, 0, false
		return 0
	}
	dt := now.Sub(m.lastTime)
	if dt <= 0 {
		return m.rate
	}
	inst := float64(bytes-m.lastBytes) / dt.Seconds()
	if !m.measured {
		// The first measurement is the rate: averaging it with the zero before it would
		// show a fraction of the real rate for the first seconds of every run.
		m.rate, m.measured = inst, true
	} else {
		alpha := 1 - math.Exp(-float64(dt)/float64(rateTau))
		m.rate += alpha * (inst - m.rate)
	}
	m.lastBytes, m.lastTime = bytes, now
	return m.rate
}

func (m *meter) reset() { *m = meter{} }

func eta(remaining int64, rate float64) time.Duration {
	if rate < 1 || remaining <= 0 {
		return 0
	}
	return time.Duration(float64(remaining) / rate * float64(time.Second))
}

// view is the FileView of an entry now.
func (o *owner) view(ent *entry) FileView {
	f := &ent.f
	v := FileView{
		ID: f.ID, Name: f.Name, Path: f.Path, Size: f.Size,
		Chunks: len(ent.done), ErrorKind: f.ErrorKind, Error: f.ErrorMessage,
		NextAttempt: f.NextAttempt, AddedAt: f.AddedAt, DoneAt: f.DoneAt,
		Project: f.ProjectName, AssetID: f.AssetID,
		Category: f.Category, Rank: f.Rank, Shot: f.MediaCreated, Realtime: f.Realtime,
		Hashes: f.Hashes, HashList: f.HashList, Offload: f.Offload,
		Root: f.Root, ModTime: f.ModTime, Attempts: f.Attempts, StartedAt: f.StartedAt, Receipted: f.Receipted,
	}
	p := o.standing(ent)
	v.State, v.Detail, v.Sending = p.state, p.detail, p.sending
	v.ChunksDone, v.BytesDone, v.BytesAcked = p.chunksDone, p.bytesDone, p.bytesAcked
	if ent.att != nil && f.State != Done {
		v.Rate = ent.meter.rate
	}
	if !f.Realtime || f.State == Done {
		v.ETA = eta(v.Size-v.BytesDone, v.Rate)
	}
	return v
}

// standing is where a file stands as the front ends see it: what the totals need, and
// what a view shows beside them.
type standing struct {
	state                 State
	detail                string
	sending               bool
	chunksDone            int
	bytesDone, bytesAcked int64
}

func (o *owner) standing(ent *entry) standing {
	f := &ent.f
	p := standing{state: f.State, detail: ent.detail}
	p.chunksDone, p.bytesAcked = finishedChunks(f, ent.done)
	p.bytesDone = p.bytesAcked
	running := ent.att != nil
	if running {
		p.bytesDone = ent.att.bytes.Load()
	}
	p.sending = running && p.state == Uploading
	if p.state == Done {
		p.bytesDone, p.bytesAcked = f.Size, f.Size
	}
	p.bytesDone = max(0, min(p.bytesDone, f.Size))
	p.bytesAcked = max(0, min(p.bytesAcked, p.bytesDone))
	// A closed gate holds what passes through it: every request while offline, but only the
	// API calls while access is renewed or the device needs reconnecting; chunk PUTs go to
	// presigned URLs and keep moving then.
	if running && (p.state == Creating || p.state == Uploading) {
		switch {
		case o.e.cfg.Online != nil && !o.e.cfg.Online.IsOpen():
			p.state, p.detail = Waiting, "Offline: waiting for the connection to come back."
		case p.state == Creating && o.e.cfg.AuthGate != nil && !o.e.cfg.AuthGate.IsOpen():
			p.state, p.detail = Waiting, "Waiting for access to the project ("+o.e.cfg.AuthGate.Reason()+")."
		}
	}
	if !running && o.diskFull() && (p.state == Queued || p.state == Retrying) {
		p.detail = "Waiting for room on the disk that holds the upload journal."
	}
	return p
}

// snapshot is every file and the totals now.
func (o *owner) snapshot() ([]FileView, Totals) {
	views := make([]FileView, 0, len(o.files))
	var c tally
	for _, id := range o.order {
		if ent := o.files[id]; ent != nil {
			v := o.view(ent)
			views = append(views, v)
			c.add(v.State, v.Size, v.BytesDone, v.BytesAcked)
		}
	}
	t := o.finishTotals(&c)
	o.addEstimate(&t)
	return views, t
}

// totals sums every file up, without the estimate and without making a view of each:
// progress asks for them several times a second.
func (o *owner) totals() Totals {
	var c tally
	for _, id := range o.order {
		if ent := o.files[id]; ent != nil {
			p := o.standing(ent)
			c.add(p.state, ent.f.Size, p.bytesDone, p.bytesAcked)
		}
	}
	return o.finishTotals(&c)
}

// finishTotals adds to the sum what belongs to the queue rather than to one file.
func (o *owner) finishTotals(c *tally) Totals {
	t := c.t
	t.Paused = t.FilesRemaining > 0 && !c.moving
	t.DiskFull = o.diskFull()
	t.BytesSent = o.e.sent.Load()
	t.Limit, t.LimitUntil = o.limit, o.limitUntil
	return t
}

// addEstimate puts the queue's rate and time left in t. Files of one chunk start and
// finish between two updates of their own rates: the queue's rate is measured on every
// byte sent instead. The time left is for the bytes not acknowledged yet: those in
// socket buffers and on a slow link's queue still take their time.
func (o *owner) addEstimate(t *Totals) {
	if o.runCtx != nil && o.busy {
		if rate, left, ok := o.estimate.estimate(t.BytesRemaining, t.FilesRemaining); ok {
			t.Rate, t.ETA = rate, left
		}
	}
}

// tally sums files up into Totals.
type tally struct {
	t      Totals
	moving bool // a file remains that is not paused
}

// add counts one file.
func (c *tally) add(st State, size, bytesDone, bytesAcked int64) {
	t := &c.t
	t.Files++
	switch st {
	case Done:
		t.Done++
	case Failed:
		t.Failed++
	case Skipped:
		t.Skipped++
	case Cancelled:
		t.Cancelled++
	case Held:
		t.Held++
	case OnHold:
		t.OnHold++
	}
	if st != Cancelled {
		t.BytesTotal += size
		t.BytesAcked += bytesAcked
	}
	// A held file, and one on hold, waits for a person, not for the engine.
	if !st.Finished() && st != Held && st != OnHold {
		t.FilesRemaining++
		t.BytesRemaining += size - bytesAcked
		t.BytesInFlight += bytesDone - bytesAcked
		if st != Paused {
			c.moving = true
		}
	}
	if st == Uploading || st == Creating {
		t.Active++
	}
}

// publishProgress announces the running files and, when anything changed, the totals;
// and Finished when the queue has nothing left to do.
func (o *owner) publishProgress(now time.Time) {
	if o.busy {
		o.dirty = true
	} else {
		o.estimate.restart()
	}
	for _, ent := range o.live {
		ent.meter.update(ent.att.bytes.Load(), now)
		o.announce(ent)
	}
	if !o.dirty {
		return
	}
	o.dirty = false
	t := o.totals()
	if o.busy {
		// The estimate takes every byte sent and the files uploaded (not those cancelled
		// or refused, which cost no upload), and whether the queue moves at the network's
		// pace (not while offline or all paused).
		online := o.e.cfg.Online == nil || o.e.cfg.Online.IsOpen()
		o.estimate.observe(now, t.BytesSent, t.Done, online && t.FilesRemaining > 0 && !t.Paused)
	}
	o.addEstimate(&t)
	o.e.cfg.OnEvent(Event{Totals: &t})
	if o.busy && len(o.live) == 0 && t.FilesRemaining == 0 {
		o.busy = false
		o.e.cfg.OnEvent(Event{Finished: &t})
	}
}

// setSettings puts new settings in force.
func (o *owner) setSettings(s Settings) {
	reorder := s.Order != o.settings.Order
	keep := s.KeepFinished != o.settings.KeepFinished
	o.settings = s
	if keep {
		o.prune()
	}
	if reorder {
		o.reorder()
	}
	o.applyLimit()
	o.kick = true
}
