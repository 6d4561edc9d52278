package field

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// report is what the trial prints and docs/field-trial.md keeps ("Results").
type report struct {
	Size       string
	Mode       string
	ModeDetail string
	Race       bool
	PartSize   int64
	TokenTTL   time.Duration
	Started    time.Time
	Duration   time.Duration

	Files, Paused int
	Bytes         int64
	Batches       []batchResult
	Outages       []outageResult
	AfterKill     []time.Duration
	AfterWake     []time.Duration
	AfterRepair   []time.Duration
	AfterRoam     []time.Duration
	LossHolds     int64

	Orphans            int
	ResentAfterKill    int // seen acknowledged by a process killed before it recorded it
	ServerResentKill   int // answered 200 by the simulator, the sender killed meanwhile
	ServerResentUnseen int // answered 200, the answer cut off on the way back
	Refreshes          int
	RefreshesRefused   int
	RotationRaces      int // calls refused because a refresh replaced their token on the way
	TokenLives         float64
	Revocations        int
	LostRefreshes      int // SIGKILLs between a refresh and its keychain write: re-paired
}

// batchResult is one batch's line of the table.
type batchResult struct {
	Profile     profile
	Files       int
	Bytes       int64
	Window      time.Duration // the clean stretch the goodput is measured over
	Goodput     float64       // bits per second over Window
	Streams     float64       // chunk PUTs in flight over Window, on average
	Elapsed     time.Duration // the whole batch, events included
	Resent      int           // chunk PUTs beyond the first of each part
	WastedBytes int64         // bytes of PUTs that were not answered 200
	CPU         time.Duration // of every uploader process that worked on the batch
	PeakRSS     int64
	Events      []string
}

func (b batchResult) fraction() float64 { return b.Goodput / float64(b.Profile.RateBits) }

// outageResult is one outage's line.
type outageResult struct {
	Batch        int
	Length       time.Duration
	Detected     time.Duration // link down -> the uploader logs "connection lost"
	HealthChecks int
	Back         time.Duration // link up -> the uploader logs "connection back"
	FirstByte    time.Duration // link up -> the first chunk PUT reaches the simulator
}

// measure fills the per-batch numbers: goodput over each batch's clean stretch, from the
// simulator's request log, and the CPU and memory of the uploader processes.
func measure(d *day, ev *evidence, r *report) {
	for _, run := range d.batches {
		b := d.cfg.Size.Batches[run.Index]
		br := batchResult{Profile: b.Profile, Files: run.Files, Bytes: run.Bytes, Elapsed: run.End.Sub(run.Start)}
		for _, e := range b.Events {
			s := string(e.Kind)
			if e.For > 0 {
				s += " " + e.For.String()
			}
			br.Events = append(br.Events, fmt.Sprintf("%s at %.0f %%", s, e.At*100))
		}
		// The window opens with the batch's first chunk PUT and closes at its first event,
		// or, in a batch without events, when its last chunk PUT ends.
		var first, last time.Time
		for _, q := range ev.reqs {
			if isPut(q) && !q.Time.Before(run.Start) && (first.IsZero() || q.Time.Before(first)) {
				first = q.Time
			}
			if isPut(q) && !q.Time.Before(run.Start) && q.Time.Before(run.End) && reqEnd(q).After(last) {
				last = reqEnd(q)
			}
		}
		end := run.CleanEnd
		if len(b.Events) == 0 && !last.IsZero() {
			end = minTime(end, last)
		}
		if !first.IsZero() && end.After(first) {
			br.Window = end.Sub(first)
			var bytes float64
			var busy time.Duration
			for _, q := range ev.reqs {
				if !isPut(q) {
					continue
				}
				s, e := q.Time, reqEnd(q)
				if !e.After(first) || !s.Before(end) {
					continue
				}
				if q.Status != 200 && e.Before(end) {
					continue // failed inside the window: not goodput
				}
				frac := 1.0
				if span := e.Sub(s); span > 0 {
					lo, hi := maxTime(s, first), minTime(e, end)
					frac = float64(hi.Sub(lo)) / float64(span)
				}
				bytes += float64(q.BytesIn) * frac
				busy += minTime(e, end).Sub(maxTime(s, first))
			}
			br.Goodput = bytes * 8 / br.Window.Seconds()
			br.Streams = float64(busy) / float64(br.Window)
		}
		for _, p := range ev.procs {
			if p.Batch == run.Index {
				br.CPU += p.CPU
				br.PeakRSS = max(br.PeakRSS, p.MaxRSS)
			}
		}
		r.Batches = append(r.Batches, br)
	}
	for _, f := range d.files {
		r.Files++
		if f.Paused {
			r.Paused++
		} else {
			r.Bytes += f.Size
		}
	}
	r.LossHolds = d.proxy.up.holds.Load() + d.proxy.down.holds.Load()
	r.Revocations = len(d.revokes)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func secs(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// distribution is "min / median / max" of ds, with every value listed when few.
func distribution(ds []time.Duration) string {
	var ok []time.Duration
	for _, d := range ds {
		if d >= 0 {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		return "—"
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	med := ok[len(ok)/2]
	if len(ok)%2 == 0 {
		med = (ok[len(ok)/2-1] + ok[len(ok)/2]) / 2
	}
	vals := make([]string, len(ok))
	for i, d := range ok {
		vals[i] = fmt.Sprintf("%.1f", d.Seconds())
	}
	return fmt.Sprintf("min %.1f s / median %.1f s / max %.1f s (n = %d: %s)",
		ok[0].Seconds(), med.Seconds(), ok[len(ok)-1].Seconds(), len(ok), strings.Join(vals, ", "))
}

// markdown renders the report: the tables of docs/field-trial.md.
func (r *report) markdown(v verdict) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("#### %s trial, %s (%s)\n\n", titleCase(r.Size), r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Duration.Round(time.Second))
	p("- **Mode: %s** — %s\n", r.Mode, r.ModeDetail)
	build := "without the race detector"
	if r.Race {
		build = "WITH the race detector (go test -race): CPU, memory and the fast link's goodput are not representative"
	}
	p("- Uploader: default settings (2 files × 4 chunks in parallel), built %s. Simulator: parts of %s ±50 %%, access tokens of %s.\n",
		build, mib(r.PartSize), r.TokenTTL)
	p("- The day: %d files (%.0f MB to arrive) in %d batches, %d shot during a channel pause window; %s, %s, %s, %s, %s. Loss events (held chunks): %d.\n\n",
		r.Files, float64(r.Bytes)/MB, len(r.Batches), r.Paused, count(len(r.Outages), "outage"), count(len(r.AfterRoam), "roam"),
		count(len(r.AfterWake), "laptop sleep"), count(r.Revocations, "token revocation"), count(len(r.AfterKill), "SIGKILL"), r.LossHolds)

	p("| batch | profile | link | files | MB | clean window | PUTs in flight | goodput | of link rate | target | whole batch | chunks re-sent | MB wasted | peak RSS | CPU s/GB |\n")
	p("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for i, br := range r.Batches {
		met := "met"
		if br.fraction() < br.Profile.Target {
			met = "**missed**"
		}
		p("| %d | %s | %s | %d | %.0f | %s | %.1f | %.1f Mbit/s | %.2f | ≥ %.1f %s | %s | %d | %.1f | %s | %.1f |\n",
			i+1, br.Profile.Name, br.Profile, br.Files, float64(br.Bytes)/MB, secs(br.Window), br.Streams, br.Goodput/1e6,
			br.fraction(), br.Profile.Target, met, secs(br.Elapsed), br.Resent, float64(br.WastedBytes)/MB,
			mib(br.PeakRSS), br.CPU.Seconds()/(float64(br.Bytes)/1e9))
	}
	p("\nEvents per batch (at the share of the batch's bytes sent): ")
	for i, br := range r.Batches {
		if i > 0 {
			p("; ")
		}
		events := strings.Join(br.Events, ", ")
		if events == "" {
			events = "none"
		}
		p("%d: %s", i+1, events)
	}
	p(".\n\n")

	p("| outage | batch | link down for | uploader saw it after | health checks while down | link back → health OK | link back → first chunk at the simulator |\n")
	p("|---:|---:|---:|---:|---:|---:|---:|\n")
	var firsts []time.Duration
	for i, o := range r.Outages {
		p("| %d | %d | %s | %s | %d | %s | %s |\n", i+1, o.Batch+1, secs(o.Length), secs(o.Detected), o.HealthChecks, secs(o.Back), secs(o.FirstByte))
		firsts = append(firsts, o.FirstByte)
	}
	p("\n- Link back → first chunk: %s; the policy allows ≤ 32 s + jitter (≤ 48 s).\n", distribution(firsts))
	p("- Restart after SIGKILL → first chunk: %s. Wake from sleep → first chunk: %s. Re-paired → first chunk: %s. Roam → first chunk: %s.\n",
		distribution(r.AfterKill), distribution(r.AfterWake), distribution(r.AfterRepair), distribution(r.AfterRoam))
	p("- Refreshes: %d for %.1f access-token lifetimes of running uploaders, each refresh token used once; %d refresh attempts refused (the revoked device); %d calls refused because a refresh replaced their token while they were on the way (repeated with the new one).\n",
		r.Refreshes, r.TokenLives, r.RefreshesRefused, r.RotationRaces)
	if r.LostRefreshes > 0 {
		p("- Refreshes lost to a SIGKILL between the simulator's answer and the keychain write (a refresh token is single-use: the device paired again): %d.\n", r.LostRefreshes)
	}
	p("- Chunks the uploader had seen acknowledged and sent again: %d (allowed only when a SIGKILL came within %s of the answer, before the journal write). Parts the simulator received again after answering 200, an answer the uploader never saw: %d with the sender killed meanwhile, %d with the answer cut off by a reset or an outage. Empty extra assets from a creation whose answer the uploader lost (SIGKILL or link cut with the request in flight; not idempotent, traced by request id): %d.\n",
		r.ResentAfterKill, killWindow, r.ServerResentKill, r.ServerResentUnseen, r.Orphans)
	if len(v.failures) == 0 {
		p("- Checks: **all passed** — every file not caught by the pause assembled with the right SHA-256, one complete asset each; the paused files skipped and asked for once; only GET /health while the link was down; one refresh per expiry; the final status matches the simulator.\n")
	} else {
		p("- Checks: **%d FAILED**:\n", len(v.failures))
		for _, f := range v.failures {
			p("  - %s\n", strings.ReplaceAll(f, "\n", " "))
		}
	}
	return b.String()
}

// count is "no outages", "1 outage", "2 outages".
func count(n int, what string) string {
	switch n {
	case 0:
		return "no " + what + "s"
	case 1:
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func titleCase(s string) string {
	if s == "ci" {
		return "CI-sized"
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
