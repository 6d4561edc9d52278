package upload

import (
	"math"
	"testing"
	"time"
)

// feed plays a queue that sends rate bytes per second and finishes a file every
// filesEvery (0: none) for d, sampled every 250 ms, from the estimator's last sample.
func feed(e *estimator, start time.Time, bytes int64, files int, d time.Duration, rate float64, filesEvery time.Duration) (time.Time, int64, int) {
	at, b, f := start, bytes, files
	var sinceFile time.Duration
	for step := 250 * time.Millisecond; at.Sub(start) < d; {
		at = at.Add(step)
		b += int64(rate * step.Seconds())
		if filesEvery > 0 {
			sinceFile += step
			for sinceFile >= filesEvery {
				sinceFile -= filesEvery
				f++
			}
		}
		e.observe(at, b, f, true)
	}
	return at, b, f
}

func near(got, want time.Duration, tolerance float64) bool {
	return math.Abs(got.Seconds()-want.Seconds()) <= tolerance*want.Seconds()
}

// A steady transfer: the rate, and the time its bytes take at that rate; nothing said
// before the estimate has three seconds to go on.
func TestEstimateSteadyTransfer(t *testing.T) {
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	e.observe(t0, 0, 0, true)
	at, b, f := feed(&e, t0, 0, 0, 2*time.Second, 10e6, 0)
	if _, _, ok := e.estimate(100e6, 1); ok {
		t.Error("an estimate after 2 s")
	}
	feed(&e, at, b, f, 8*time.Second, 10e6, 0)
	rate, left, ok := e.estimate(100e6, 1)
	if !ok || math.Abs(rate-10e6) > 0.01*10e6 || !near(left, 10*time.Second, 0.02) {
		t.Errorf("10 MB/s with 100 MB left: rate %.0f, left %s, ok %v; want 10 MB/s and 10 s", rate, left, ok)
	}
}

// After an outage the estimate starts over: nothing until the queue has moved again for
// three seconds, then the rate it moves at now, not one averaged with the outage.
func TestEstimateStartsOverAfterAnOutage(t *testing.T) {
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	e.observe(t0, 0, 0, true)
	at, b, f := feed(&e, t0, 0, 0, 15*time.Second, 2e6, 0)
	for i := range 120 { // 30 s offline
		at = at.Add(250 * time.Millisecond)
		e.observe(at, b, f, false)
		if i == 0 {
			if _, _, ok := e.estimate(30e6, 3); ok {
				t.Error("an estimate while offline")
			}
		}
	}
	e.observe(at, b, f, true)
	at, b, f = feed(&e, at, b, f, 2*time.Second, 8e6, 0)
	if _, _, ok := e.estimate(30e6, 3); ok {
		t.Error("an estimate 2 s after the connection came back")
	}
	feed(&e, at, b, f, 2*time.Second, 8e6, 0)
	rate, left, ok := e.estimate(32e6, 3)
	if !ok || math.Abs(rate-8e6) > 0.02*8e6 || !near(left, 4*time.Second, 0.05) {
		t.Errorf("4 s after the outage at 8 MB/s: rate %.0f, left %s, ok %v; want 8 MB/s and 4 s for 32 MB", rate, left, ok)
	}
}

// Progress that steps back (chunks in flight dropped) starts the estimate over.
func TestEstimateStartsOverWhenProgressStepsBack(t *testing.T) {
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	e.observe(t0, 0, 0, true)
	at, b, _ := feed(&e, t0, 0, 0, 10*time.Second, 5e6, 0)
	e.observe(at.Add(time.Second), b-1, 0, true)
	if _, _, ok := e.estimate(10e6, 1); ok {
		t.Error("an estimate right after progress stepped back")
	}
}

// A card of stills after clips: each file costs round trips whatever its size. The
// window saw both kinds, so the time left for fifty small stills counts what each of
// them costs, not only their few bytes at the clips' rate.
func TestEstimateCountsWhatEachFileCosts(t *testing.T) {
	const (
		throughput = 10e6                   // bytes per second while sending
		perFile    = 150 * time.Millisecond // a file's round trips
	)
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	at, b, f := t0, int64(0), 0
	e.observe(at, b, f, true)
	// Alternate: a 20 MB clip, then five 0.5 MB stills, sampled as each finishes.
	for range 3 {
		at = at.Add(time.Duration(20e6/throughput*float64(time.Second)) + perFile)
		b += 20e6
		f++
		e.observe(at, b, f, true)
		for range 5 {
			at = at.Add(time.Duration(0.5e6/throughput*float64(time.Second)) + perFile)
			b += 0.5e6
			f++
			e.observe(at, b, f, true)
		}
	}
	const stills = 50
	truth := time.Duration(stills * (0.5e6/throughput*float64(time.Second) + float64(perFile)))
	_, left, ok := e.estimate(stills*0.5e6, stills)
	if !ok || !near(left, truth, 0.1) {
		t.Errorf("50 stills of 0.5 MB left: estimate %s (ok %v), want %s within 10 %%", left, ok, truth)
	}
	// And a clip alone left costs its bytes and one file's round trips.
	truth = time.Duration(40e6/throughput*float64(time.Second) + float64(perFile))
	if _, left, _ := e.estimate(40e6, 1); !near(left, truth, 0.1) {
		t.Errorf("one 40 MB clip left: estimate %s, want %s within 10 %%", left, truth)
	}
}

// Uploaded files cleared from the list lower the count of files uploaded: the estimate
// goes on, counting from there, instead of starting over ("speed —" after every Clear).
func TestEstimateGoesOnWhenFinishedFilesAreCleared(t *testing.T) {
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	e.observe(t0, 0, 0, true)
	at, b, f := feed(&e, t0, 0, 0, 5*time.Second, 4e6, time.Second)
	e.observe(at.Add(250*time.Millisecond), b+1e6, f-3, true)
	if _, _, ok := e.estimate(10e6, 5); !ok {
		t.Error("no estimate after uploaded files were cleared")
	}
}

// A near stall with terabytes left says a month at most, not a negative overflow.
func TestEstimateOfANearStallStaysInRange(t *testing.T) {
	var e estimator
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	e.observe(t0, 0, 0, true)
	feed(&e, t0, 0, 0, 10*time.Second, 10, 0)
	if _, left, ok := e.estimate(1<<42, 1); !ok || left <= 0 || left > maxEstimate {
		t.Errorf("4 TiB at 10 B/s: %s (ok %v), want at most %s", left, ok, maxEstimate)
	}
}
