package upload

import (
	"time"
)

// The queue's rate and time left come from what moved in a sliding window, not from an
// exponential average: after an outage an average kept showing the outage's near-zero
// rate ("46.9 KiB/s · about 10 min 55 s" for 30 MiB that then took seconds).
const (
	// estimateWindow is how far back the estimate looks: long enough to hold a few
	// files of a card and to ride over one chunk's ups and downs, short enough to
	// follow a change of network.
	estimateWindow = 20 * time.Second
	// estimateBasis is how much moving the estimate needs before it says anything.
	estimateBasis = 3 * time.Second
	// maxEstimate is the longest time left said: beyond it a number means nothing.
	maxEstimate = 30 * 24 * time.Hour
)

// estimator estimates the queue's rate and time left from samples of its progress. It
// starts over whenever the queue stops moving for a reason of its own (offline, paused)
// and when progress steps back (chunks in flight dropped by a cut), so what it says
// comes from the queue as it moves now. Time left counts the bytes to send and, apart,
// the files to start: a file costs round trips (its asset's creation, its completion)
// whatever its size, which is most of the time of a card of stills.
type estimator struct {
	samples []estimateSample // oldest first, within estimateWindow of the newest
}

type estimateSample struct {
	at    time.Time
	bytes int64 // every byte sent so far, chunks sent again included
	files int   // uploaded
}

// observe takes the queue's progress at a moment: the bytes sent and the files
// uploaded; moving is false while it waits for something other than the network's
// speed.
func (e *estimator) observe(at time.Time, bytes int64, files int, moving bool) {
	n := len(e.samples)
	if n > 0 && files < e.samples[n-1].files {
		// Uploaded files left the list (Clear finished): count on from their number.
		drop := e.samples[n-1].files - files
		for i := range e.samples {
			e.samples[i].files -= drop
		}
	}
	if !moving || (n > 0 && (bytes < e.samples[n-1].bytes || !at.After(e.samples[n-1].at))) {
		e.restart()
		if !moving {
			return
		}
	}
	e.samples = append(e.samples, estimateSample{at: at, bytes: bytes, files: files})
	// Keep one sample at or before the window's start, so the window is full.
	cut := 0
	for cut+1 < len(e.samples) && at.Sub(e.samples[cut+1].at) >= estimateWindow {
		cut++
	}
	if cut > 0 {
		e.samples = append(e.samples[:0], e.samples[cut:]...)
	}
}

func (e *estimator) restart() { e.samples = e.samples[:0] }

// estimate is the rate in bytes per second and the time left for bytesLeft bytes in
// filesLeft files; ok is false until the window holds estimateBasis of movement.
func (e *estimator) estimate(bytesLeft int64, filesLeft int) (rate float64, left time.Duration, ok bool) {
	if len(e.samples) < 2 {
		return 0, 0, false
	}
	first, last := e.samples[0], e.samples[len(e.samples)-1]
	span := last.at.Sub(first.at).Seconds()
	moved := last.bytes - first.bytes
	if span < estimateBasis.Seconds() || (moved <= 0 && last.files == first.files) {
		return 0, 0, false
	}
	rate = float64(moved) / span
	perByte, perFile := e.costs(span, moved, last.files-first.files)
	secs := perByte*float64(max(0, bytesLeft)) + perFile*float64(max(0, filesLeft))
	// A near stall with terabytes left would overflow a Duration.
	secs = min(secs, maxEstimate.Seconds())
	return rate, time.Duration(secs * float64(time.Second)), true
}

// costs fits the window's intervals to seconds = perByte·bytes + perFile·files (least
// squares, both at least zero): what a byte costs and, apart, what starting and
// finishing a file costs. Where the window cannot tell them apart (files all of one
// size, or none finished) the cost is put on the bytes, or on the files if no bytes
// moved.
func (e *estimator) costs(span float64, moved int64, finished int) (perByte, perFile float64) {
	var sbb, sff, sbf, stb, stf float64
	for i := 1; i < len(e.samples); i++ {
		a, b := e.samples[i-1], e.samples[i]
		dt := b.at.Sub(a.at).Seconds()
		db := float64(b.bytes - a.bytes)
		df := float64(b.files - a.files)
		sbb += db * db
		sff += df * df
		sbf += db * df
		stb += dt * db
		stf += dt * df
	}
	det := sbb*sff - sbf*sbf
	if finished > 0 && moved > 0 && det > 1e-9*sbb*sff {
		perByte = (stb*sff - stf*sbf) / det
		perFile = (stf*sbb - stb*sbf) / det
		if perByte >= 0 && perFile >= 0 {
			return perByte, perFile
		}
	}
	if moved > 0 {
		return span / float64(moved), 0
	}
	return 0, span / float64(finished)
}
