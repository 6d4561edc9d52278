package upload

import (
	"context"
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
}

func (m *meter) update(bytes int64, now time.Time) float64 {
	if m.lastTime.IsZero() || bytes < m.lastBytes {
		m.lastBytes, m.lastTime, m.rate = bytes, now, 0
		return 0
	}
	dt := now.Sub(m.lastTime)
	if dt <= 0 {
		return m.rate
	}
	inst := float64(bytes-m.lastBytes) / dt.Seconds()
	alpha := 1 - math.Exp(-float64(dt)/float64(rateTau))
	m.rate += alpha * (inst - m.rate)
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
func (e *Engine) view(ent *entry) FileView {
	diskFull := e.DiskFull()
	ent.mu.Lock()
	f := ent.f
	v := FileView{
		ID: f.ID, Name: f.Name, Path: f.Path, Size: f.Size, State: f.State,
		BytesDone: ent.doneBytes + ent.inflight.Load(), Rate: ent.meter.rate,
		Chunks: len(ent.done), Detail: ent.detail, ErrorKind: f.ErrorKind, Error: f.ErrorMessage,
		NextAttempt: f.NextAttempt, AddedAt: f.AddedAt, DoneAt: f.DoneAt,
		Project: f.ProjectName, AssetID: f.AssetID,
	}
	for _, d := range ent.done {
		if d {
			v.ChunksDone++
		}
	}
	running := ent.running
	ent.mu.Unlock()
	v.Sending = running && v.State == Uploading
	if v.State == Done {
		v.BytesDone, v.Rate = v.Size, 0
	}
	v.BytesDone = min(v.BytesDone, v.Size)
	// A closed gate holds what passes through it: every request while offline, but only the
	// API calls while access is renewed or the device needs reconnecting; chunk PUTs go to
	// presigned URLs and keep moving then.
	if running && (v.State == Creating || v.State == Uploading) {
		switch {
		case e.cfg.Online != nil && !e.cfg.Online.IsOpen():
			v.State, v.Detail = Waiting, "Offline: waiting for the connection to come back."
		case v.State == Creating && e.cfg.AuthGate != nil && !e.cfg.AuthGate.IsOpen():
			v.State, v.Detail = Waiting, "Waiting for access to the project ("+e.cfg.AuthGate.Reason()+")."
		}
	}
	if !running {
		v.Rate = 0
		if diskFull && (v.State == Queued || v.State == Retrying) {
			v.Detail = "Waiting for room on the disk that holds the upload journal."
		}
	}
	v.ETA = eta(v.Size-v.BytesDone, v.Rate)
	return v
}

// Snapshot returns every file and the totals, for a front end that starts or catches up.
func (e *Engine) Snapshot() ([]FileView, Totals) {
	ids := e.IDs()
	views := make([]FileView, 0, len(ids))
	for _, id := range ids {
		if ent, err := e.lookup(id); err == nil {
			views = append(views, e.view(ent))
		}
	}
	t := totalsOf(views)
	t.DiskFull = e.DiskFull()
	return views, t
}

// Totals sums the queue up now.
func (e *Engine) Totals() Totals {
	_, t := e.Snapshot()
	return t
}

func totalsOf(views []FileView) Totals {
	var t Totals
	pausedOnly := true
	for _, v := range views {
		t.Files++
		switch v.State {
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
		}
		if v.State != Cancelled {
			t.BytesTotal += v.Size
		}
		// A held file waits for a person, not for the engine.
		if !v.State.Finished() && v.State != Held {
			t.FilesRemaining++
			t.BytesRemaining += v.Size - v.BytesDone
			t.Rate += v.Rate
			if v.State != Paused {
				pausedOnly = false
			}
		}
		if v.State == Uploading || v.State == Creating {
			t.Active++
		}
	}
	t.Paused = t.FilesRemaining > 0 && pausedOnly
	t.ETA = eta(t.BytesRemaining, t.Rate)
	return t
}

// publishLoop publishes the progress of running files and the totals a few times a
// second, and Finished when the queue has nothing left to do.
func (e *Engine) publishLoop(ctx context.Context) {
	tick := time.NewTicker(e.cfg.ProgressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			e.publishProgress(now)
		}
	}
}

func (e *Engine) publishProgress(now time.Time) {
	e.mu.Lock()
	var active []*entry
	for _, id := range e.order {
		ent := e.files[id]
		ent.mu.Lock()
		if ent.running {
			active = append(active, ent)
		} else if ent.meter.rate != 0 || !ent.meter.lastTime.IsZero() {
			ent.meter.reset()
		}
		ent.mu.Unlock()
	}
	dirty := e.dirty || len(active) > 0
	e.dirty = false
	e.mu.Unlock()
	for _, ent := range active {
		ent.mu.Lock()
		ent.meter.update(ent.doneBytes+ent.inflight.Load(), now)
		ent.mu.Unlock()
		e.publish(ent)
	}
	if !dirty {
		return
	}
	_, t := e.Snapshot()
	e.cfg.OnEvent(Event{Totals: &t})
	e.mu.Lock()
	finished := e.busy && e.running == 0 && t.FilesRemaining == 0
	if finished {
		e.busy = false
	}
	e.mu.Unlock()
	if finished {
		e.cfg.OnEvent(Event{Finished: &t})
	}
}
