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
		ID: f.ID, Name: f.Name, Path: f.Path, Size: f.Size, State: f.State,
		Rate:   ent.meter.rate,
		Chunks: len(ent.done), Detail: ent.detail, ErrorKind: f.ErrorKind, Error: f.ErrorMessage,
		NextAttempt: f.NextAttempt, AddedAt: f.AddedAt, DoneAt: f.DoneAt,
		Project: f.ProjectName, AssetID: f.AssetID,
	}
	v.ChunksDone, v.BytesAcked = finishedChunks(f, ent.done)
	v.BytesDone = v.BytesAcked
	running := ent.att != nil
	if running {
		v.BytesDone = ent.att.bytes.Load()
	}
	v.Sending = running && v.State == Uploading
	if v.State == Done {
		v.BytesDone, v.BytesAcked, v.Rate = v.Size, v.Size, 0
	}
	v.BytesDone = max(0, min(v.BytesDone, v.Size))
	v.BytesAcked = max(0, min(v.BytesAcked, v.BytesDone))
	// A closed gate holds what passes through it: every request while offline, but only the
	// API calls while access is renewed or the device needs reconnecting; chunk PUTs go to
	// presigned URLs and keep moving then.
	if running && (v.State == Creating || v.State == Uploading) {
		switch {
		case o.e.cfg.Online != nil && !o.e.cfg.Online.IsOpen():
			v.State, v.Detail = Waiting, "Offline: waiting for the connection to come back."
		case v.State == Creating && o.e.cfg.AuthGate != nil && !o.e.cfg.AuthGate.IsOpen():
			v.State, v.Detail = Waiting, "Waiting for access to the project ("+o.e.cfg.AuthGate.Reason()+")."
		}
	}
	if !running {
		v.Rate = 0
		if o.diskFull() && (v.State == Queued || v.State == Retrying) {
			v.Detail = "Waiting for room on the disk that holds the upload journal."
		}
	}
	v.ETA = eta(v.Size-v.BytesDone, v.Rate)
	return v
}

// snapshot is every file and the totals now.
func (o *owner) snapshot() ([]FileView, Totals) {
	views := o.views()
	t := o.totals(views)
	o.addEstimate(&t)
	return views, t
}

func (o *owner) views() []FileView {
	views := make([]FileView, 0, len(o.files))
	for _, id := range o.order {
		if ent := o.files[id]; ent != nil {
			views = append(views, o.view(ent))
		}
	}
	return views
}

// totals sums views up, without the estimate.
func (o *owner) totals(views []FileView) Totals {
	t := totalsOf(views)
	t.DiskFull = o.diskFull()
	t.BytesSent = o.e.sent.Load()
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
			t.BytesAcked += v.BytesAcked
		}
		// A held file waits for a person, not for the engine.
		if !v.State.Finished() && v.State != Held {
			t.FilesRemaining++
			t.BytesRemaining += v.Size - v.BytesAcked
			t.BytesInFlight += v.BytesDone - v.BytesAcked
			if v.State != Paused {
				pausedOnly = false
			}
		}
		if v.State == Uploading || v.State == Creating {
			t.Active++
		}
	}
	t.Paused = t.FilesRemaining > 0 && pausedOnly
	return t
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
	t := o.totals(o.views())
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
	o.settings = s
	o.e.applyBandwidth(s.BandwidthLimit)
	o.kick = true
}
