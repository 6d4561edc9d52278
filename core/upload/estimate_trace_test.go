package upload

import (
	"bufio"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Recorded runs: the progress of the field trial's cards on shaped links (office, hotel
// Wi-Fi with outages, cellular with a laptop sleep and a revocation), as
// scripts/estimate-traces.sh keeps them from `upload --json`. Each card's runs follow
// one another; the estimators are replayed over them and what they said is compared with
// how long the card really went on.

type traceEvent struct {
	Type           string    `json:"type"`
	At             time.Time `json:"at"`
	State          string    `json:"state"`
	Files          int       `json:"files"`
	FilesRemaining int       `json:"files_remaining"`
	Done           int       `json:"done"`
	BytesRemaining int64     `json:"bytes_remaining"`
	BytesInFlight  int64     `json:"bytes_in_flight"`
	BytesSent      int64     `json:"bytes_sent"`
	Paused         bool      `json:"paused"`
}

func loadTraces(tb testing.TB) map[string][]traceEvent {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "estimate", "*.jsonl"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no recorded runs in testdata/estimate (%v)", err)
	}
	out := map[string][]traceEvent{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var ev traceEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				tb.Fatalf("%s: %v", p, err)
			}
			out[filepath.Base(p)] = append(out[filepath.Base(p)], ev)
		}
		f.Close()
	}
	return out
}

// guesser is an estimator under trial.
type guesser interface {
	restart()
	observe(ev traceEvent, moving bool)
	timeLeft(bytesLeft int64, filesLeft int) (time.Duration, bool)
}

// windowed is the queue's estimator.
type windowed struct{ e estimator }

func (w *windowed) restart() { w.e.restart() }
func (w *windowed) observe(ev traceEvent, moving bool) {
	w.e.observe(ev.At, ev.BytesSent, ev.Done, moving)
}
func (w *windowed) timeLeft(bytesLeft int64, filesLeft int) (time.Duration, bool) {
	_, left, ok := w.e.estimate(bytesLeft, filesLeft)
	return left, ok
}

// averaged is what the queue did before: an exponential average of the bytes sent
// (rateTau), the bytes left at that rate, whatever happened meanwhile.
type averaged struct{ m meter }

func (a *averaged) restart() { a.m.reset() }
func (a *averaged) observe(ev traceEvent, _ bool) {
	a.m.update(ev.BytesSent, ev.At)
}
func (a *averaged) timeLeft(bytesLeft int64, _ int) (time.Duration, bool) {
	left := eta(bytesLeft, a.m.rate)
	return left, left > 0
}

// guess is one estimate said while the card moved (at the sample-th totals of the
// card), and the time it really had left.
type guess struct {
	sample       int
	said, actual time.Duration
}

// replay plays a card's progress to g and collects its estimates. The truth an estimate
// is held to is the time the card went on moving after it: outages, a laptop's sleep, a
// restart after a crash or a re-pairing are not the network's speed, and no estimate can
// see them coming.
func replay(events []traceEvent, g guesser) []guess {
	type point struct {
		ev     traceEvent
		moving bool
		start  bool // the first sample of a run
	}
	var points []point
	online, start := true, true
	for _, ev := range events {
		switch ev.Type {
		case "start":
			online, start = true, true
		case "connection":
			online = ev.State == "online"
		case "totals", "finished":
			points = append(points, point{ev: ev, moving: online && !ev.Paused && ev.FilesRemaining > 0 && ev.Type == "totals", start: start})
			start = false
		}
	}
	// movingLeft[i]: how long the card moved from point i on. An interval counts when
	// the queue moved at its start, and it did not span a restart or a sleep (the totals
	// come every 200 ms while the process runs: a longer gap is a stopped process).
	movingLeft := make([]time.Duration, len(points)+1)
	for i := len(points) - 1; i >= 0; i-- {
		movingLeft[i] = movingLeft[i+1]
		if i+1 < len(points) && points[i].moving && !points[i+1].start {
			if gap := points[i+1].ev.At.Sub(points[i].ev.At); gap < 2*time.Second {
				movingLeft[i] += gap
			}
		}
	}
	var out []guess
	for i, p := range points {
		if p.start {
			g.restart()
		}
		g.observe(p.ev, p.moving)
		if !p.moving || movingLeft[i] < time.Second {
			continue
		}
		if said, ok := g.timeLeft(p.ev.BytesRemaining, p.ev.FilesRemaining); ok {
			out = append(out, guess{i, said, movingLeft[i]})
		}
	}
	return out
}

// scores sum a replay up: the median and 90th percentile of the relative error, and
// the worst overestimate when under ten seconds were left (said ÷ actual).
type scores struct {
	guesses         int
	median, p90     float64
	worstShortEnd   float64
	withinTwentyPct float64
}

func score(gs []guess) scores {
	s := scores{guesses: len(gs)}
	if len(gs) == 0 {
		return s
	}
	errs := make([]float64, len(gs))
	within := 0
	for i, g := range gs {
		errs[i] = math.Abs(g.said.Seconds()-g.actual.Seconds()) / g.actual.Seconds()
		if errs[i] <= 0.2 {
			within++
		}
		if g.actual < 10*time.Second {
			s.worstShortEnd = max(s.worstShortEnd, g.said.Seconds()/g.actual.Seconds())
		}
	}
	slices.Sort(errs)
	s.median = errs[len(errs)/2]
	s.p90 = errs[len(errs)*9/10]
	s.withinTwentyPct = float64(within) / float64(len(gs))
	return s
}

func replayAll(traces map[string][]traceEvent, g func() guesser) scores {
	var all []guess
	for _, name := range slices.Sorted(maps.Keys(traces)) {
		all = append(all, replay(traces[name], g())...)
	}
	return score(all)
}

// TestEstimateOnRecordedRuns holds the queue's estimator to the recorded runs: its
// large errors smaller than those of the average it replaced (the 90th percentile), and
// never a long estimate for what ends in seconds (the editor's "about 10 min 55 s" for
// what took seconds). Its median error is logged, not held: over runs this disturbed
// (outages, a sleep, crashes) it is no better than the average's, which carries the
// rate from before an outage over it; the estimate starts over instead, and says
// nothing until it has seconds of the link as it is now.
func TestEstimateOnRecordedRuns(t *testing.T) {
	traces := loadTraces(t)
	now := replayAll(traces, func() guesser { return &windowed{} })
	before := replayAll(traces, func() guesser { return &averaged{} })
	t.Logf("windowed: %d estimates, median error %.0f %%, 90th %.0f %%, within 20 %%: %.0f %%, worst with under 10 s left: %.1f×",
		now.guesses, 100*now.median, 100*now.p90, 100*now.withinTwentyPct, now.worstShortEnd)
	t.Logf("averaged: %d estimates, median error %.0f %%, 90th %.0f %%, within 20 %%: %.0f %%, worst with under 10 s left: %.1f×",
		before.guesses, 100*before.median, 100*before.p90, 100*before.withinTwentyPct, before.worstShortEnd)
	if now.guesses == 0 {
		t.Fatal("the estimator said nothing over the recorded runs")
	}
	if now.p90 >= before.p90 {
		t.Errorf("90th percentile of the error %.0f %%, the exponential average's %.0f %%", 100*now.p90, 100*before.p90)
	}
	if now.worstShortEnd > 5 {
		t.Errorf("with under 10 s left it said up to %.1f times the time left", now.worstShortEnd)
	}
}

// BenchmarkEstimate replays the recorded runs through the queue's estimator and reports
// its error beside the exponential average's, measured in the same run.
func BenchmarkEstimate(b *testing.B) {
	traces := loadTraces(b)
	var now scores
	for b.Loop() {
		now = replayAll(traces, func() guesser { return &windowed{} })
	}
	before := replayAll(traces, func() guesser { return &averaged{} })
	b.ReportMetric(100*now.median, "median-err-%")
	b.ReportMetric(100*before.median, "avg-median-err-%")
	b.ReportMetric(100*now.p90, "p90-err-%")
	b.ReportMetric(100*before.p90, "avg-p90-err-%")
	b.ReportMetric(now.p90/before.p90, "p90-ratio")
	b.ReportMetric(now.worstShortEnd, "worst-short-end-x")
	b.ReportMetric(before.worstShortEnd, "avg-worst-short-end-x")
}
