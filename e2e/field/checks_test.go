package field

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// evidence is everything the checks read once the day is over: the simulator's truth,
// the uploader's own logs and its final status.
type evidence struct {
	assets []c2csim.AssetInfo
	reqs   []c2csim.Request
	logs   []logLine
	status []map[string]any
	procs  []*proc
}

// logLine is one line of an uploader's log (slog's text format).
type logLine struct {
	Time  time.Time
	Msg   string
	Attrs map[string]string
	Proc  *proc
}

func gather(ctx context.Context, d *day) (*evidence, error) {
	ev := &evidence{}
	p, err := d.inst.start("status", -1, "status", "--json")
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.wait(sctx); err != nil {
		return nil, err
	}
	if p.Code != 0 {
		return nil, fmt.Errorf("status: %s", p.describe())
	}
	ev.status = jsonEvents(p.stdout.String())
	if ev.assets, err = d.admin.Assets(ctx); err != nil {
		return nil, err
	}
	if ev.reqs, err = d.admin.Requests(ctx, 0); err != nil {
		return nil, err
	}
	ev.procs = d.inst.all()
	for _, pr := range ev.procs {
		lines, err := readLog(pr)
		if err != nil {
			return nil, fmt.Errorf("reading the log of %s: %w", pr.Name, err)
		}
		ev.logs = append(ev.logs, lines...)
	}
	return ev, nil
}

// keep writes the evidence to dir for a person to read.
func (ev *evidence) keep(dir string, d *day) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{"requests.json": ev.reqs, "assets.json": ev.assets, "status.json": ev.status} {
		data, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	var events strings.Builder
	for _, k := range d.kills {
		fmt.Fprintf(&events, "%s SIGKILL\n", k.Format(time.RFC3339Nano))
	}
	for _, o := range d.outages {
		fmt.Fprintf(&events, "%s link down\n%s link up\n", o.Down.Format(time.RFC3339Nano), o.Up.Format(time.RFC3339Nano))
	}
	for _, s := range d.stops {
		fmt.Fprintf(&events, "%s SIGSTOP\n%s SIGCONT\n", s[0].Format(time.RFC3339Nano), s[1].Format(time.RFC3339Nano))
	}
	for _, r := range d.roams {
		fmt.Fprintf(&events, "%s roam\n", r.Format(time.RFC3339Nano))
	}
	for _, r := range d.revokes {
		fmt.Fprintf(&events, "%s revoked\n", r.Format(time.RFC3339Nano))
	}
	for _, r := range d.repaired {
		fmt.Fprintf(&events, "%s re-paired\n", r.Format(time.RFC3339Nano))
	}
	for _, b := range d.batches {
		fmt.Fprintf(&events, "%s batch %d start\n%s batch %d clean window ends\n%s batch %d end\n",
			b.Start.Format(time.RFC3339Nano), b.Index+1, b.CleanEnd.Format(time.RFC3339Nano), b.Index+1, b.End.Format(time.RFC3339Nano), b.Index+1)
	}
	if err := os.WriteFile(filepath.Join(dir, "events.txt"), []byte(events.String()), 0o644); err != nil {
		return err
	}
	for i, p := range ev.procs {
		base := filepath.Join(dir, fmt.Sprintf("%02d-%s", i+1, strings.ReplaceAll(p.Name, " ", "-")))
		_ = copyFile(p.Log, base+".log")
		out := fmt.Sprintf("%v\nstart %s end %s exit %d killed %v cpu %s maxrss %d\n--- stdout\n%s\n--- stderr\n%s",
			p.Args, p.Start.Format(time.RFC3339Nano), p.End.Format(time.RFC3339Nano), p.Code, p.Killed, p.CPU, p.MaxRSS, p.stdout.String(), p.stderr.String())
		if err := os.WriteFile(base+".out", []byte(out), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readLog(p *proc) ([]logLine, error) {
	f, err := os.Open(p.Log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		attrs := e2etest.ParseLogLine(sc.Text())
		t, err := time.Parse(time.RFC3339Nano, attrs["time"])
		if err != nil {
			continue
		}
		out = append(out, logLine{Time: t, Msg: attrs["msg"], Attrs: attrs, Proc: p})
	}
	return out, sc.Err()
}

func reqEnd(r c2csim.Request) time.Time {
	return r.Time.Add(time.Duration(r.Duration * float64(time.Millisecond)))
}

func isPut(r c2csim.Request) bool { return r.Kind == "s3" && r.Method == "PUT" }

func isCreate(r c2csim.Request) bool {
	return r.Method == "POST" && r.Path == "/v2/devices/assets"
}

// verdict is the checks' outcome: failures fail the test; notes explain what was
// tolerated and why.
type verdict struct {
	failures []string
	notes    []string
}

func (v *verdict) fail(format string, args ...any) {
	v.failures = append(v.failures, fmt.Sprintf(format, args...))
}

func (v *verdict) note(format string, args ...any) {
	v.notes = append(v.notes, fmt.Sprintf(format, args...))
}

// killWindow is how long before a SIGKILL an answer may have reached the simulator's
// side and still never have been recorded by the uploader (the answer's way back, the
// journal write).
const killWindow = 2 * time.Second

func (d *day) killedAround(from, to time.Time) bool {
	for _, k := range d.kills {
		if !k.Before(from) && !k.After(to) {
			return true
		}
	}
	return false
}

// check asserts what docs/field-trial.md ("What is checked") lists and fills the
// report's counters.
func check(d *day, ev *evidence, r *report) verdict {
	var v verdict
	d.checkFiles(ev, r, &v)
	d.checkChunks(ev, r, &v)
	d.boundResends(r, &v)
	d.checkPaused(ev, &v)
	d.checkOutages(ev, r, &v)
	d.checkRefreshes(ev, r, &v)
	d.checkStatus(ev, &v)
	for _, p := range ev.procs {
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			v.fail("%s: the race detector found a data race:\n%s", p.Name, tail(p.stderr.String(), 60))
		}
	}
	return v
}

// checkFiles: every file not caught by the pause was assembled with the right SHA-256,
// one complete asset per file. An extra asset is tolerated only when it is empty and its
// creation's answer never reached the uploader: the request reached the simulator around
// a SIGKILL, or the uploader logged that very request (by its x-request-id) as failed,
// the link having been cut while the answer was on its way. Asset creation is not
// idempotent and the API has no idempotency key, so the uploader cannot learn the id of
// an asset whose answer it lost (docs/error-policy.md §7: indeterminate, traceable by the
// request ids); these are reported.
func (d *day) checkFiles(ev *evidence, r *report, v *verdict) {
	byName := map[string][]c2csim.AssetInfo{}
	for _, a := range ev.assets {
		byName[a.Name] = append(byName[a.Name], a)
	}
	// The x-request-id of each asset's creation, and the creations the uploader saw fail.
	createdBy := map[string]string{}
	for _, q := range ev.reqs {
		if isCreate(q) && q.AssetID != "" && len(q.Headers["X-Request-Id"]) > 0 {
			createdBy[q.AssetID] = q.Headers["X-Request-Id"][0]
		}
	}
	failedCreate := map[string]bool{}
	for _, l := range ev.logs {
		if l.Msg == "request" && l.Attrs["endpoint"] == "POST /v2/devices/assets" && l.Attrs["kind"] != "" {
			failedCreate[l.Attrs["request_id"]] = true
		}
	}
	for _, f := range d.files {
		as := byName[f.Name]
		if f.Paused {
			if len(as) != 0 {
				v.fail("%s was shot during the pause but has %d assets", f.Name, len(as))
			}
			continue
		}
		complete := 0
		for _, a := range as {
			switch {
			case a.Complete:
				complete++
				if a.SHA256 != f.SHA256 {
					v.fail("%s: assembled with SHA-256 %s, the file's is %s", f.Name, a.SHA256, f.SHA256)
				}
				if a.Filesize != f.Size {
					v.fail("%s: asset of %d bytes, the file has %d", f.Name, a.Filesize, f.Size)
				}
			case a.BytesReceived == 0 && d.killedAround(a.InsertedAt.Add(-killWindow), a.InsertedAt.Add(killWindow)):
				r.Orphans++
				v.note("%s: an empty extra asset %s, created at %s around a SIGKILL: the killed uploader never read the answer", f.Name, a.ID, a.InsertedAt.Format("15:04:05.000"))
			case a.BytesReceived == 0 && failedCreate[createdBy[a.ID]]:
				r.Orphans++
				v.note("%s: an empty extra asset %s, created at %s by request %s, whose answer the uploader lost (it logged the attempt as failed) and tried again",
					f.Name, a.ID, a.InsertedAt.Format("15:04:05.000"), createdBy[a.ID])
			default:
				v.fail("%s: extra asset %s (state %s, %d bytes received)", f.Name, a.ID, a.State, a.BytesReceived)
			}
		}
		if complete != 1 {
			v.fail("%s: %d complete assets, want exactly 1", f.Name, complete)
		}
	}
	for name := range byName {
		if !d.known(name) {
			v.fail("the simulator has an asset %q that is no file of the day", name)
		}
	}
}

func (d *day) known(name string) bool {
	for _, f := range d.files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func batchOf(name string) int {
	if len(name) > 2 && name[0] == 'B' {
		if n, err := strconv.Atoi(name[1:2]); err == nil {
			return n - 1
		}
	}
	return -1
}

// checkChunks: no chunk was sent again once the uploader had seen it acknowledged. The
// uploader's debug log has a line per PUT attempt, written when the attempt ends; one
// that ended in success (no error kind) is an acknowledgement the uploader saw. Any later
// attempt at the same part fails the check, unless the process that saw the answer was
// SIGKILLed within killWindow of it (before it could journal it).
//
// The simulator's side is counted for the report: a part PUT again after the simulator
// answered 200 whose answer the uploader never saw, either because the PUT was still in
// the path when the uploader was killed (the kernel and the proxy deliver what was
// written) or because a reset or an outage cut the answer off on its way back.
func (d *day) checkChunks(ev *evidence, r *report, v *verdict) {
	type attempt struct {
		start, end time.Time
		ok         bool
		proc       *proc
	}
	attempts := map[string][]attempt{}
	logged := 0
	for _, l := range ev.logs {
		if l.Msg != "request" || l.Attrs["endpoint"] != "PUT s3 part" {
			continue
		}
		ms, _ := strconv.Atoi(l.Attrs["ms"])
		a := attempt{start: l.Time.Add(-time.Duration(ms) * time.Millisecond), end: l.Time, proc: l.Proc,
			ok: l.Attrs["kind"] == "" && l.Attrs["err"] == ""}
		attempts[l.Attrs["path"]] = append(attempts[l.Attrs["path"]], a)
		logged++
	}
	// Without a PUT line the check below has nothing to check: the log's format is not
	// what this parse reads (the simulator received chunks, so the uploader sent them).
	if logged == 0 {
		v.fail("the uploaders' logs have no chunk PUT line (msg=request endpoint=\"PUT s3 part\") in %d lines: the log was not read as the checks expect", len(ev.logs))
	}
	for path, as := range attempts {
		for _, s := range as {
			if !s.ok {
				continue
			}
			for _, a := range as {
				if !a.start.After(s.end) {
					continue
				}
				if s.proc.Killed && s.proc != a.proc && s.proc.End.Sub(s.end) <= killWindow {
					r.ResentAfterKill++
					v.note("%s: the uploader saw it answered at %s and was SIGKILLed %s later, before recording it; the next process sent it again",
						path, s.end.Format("15:04:05.000"), s.proc.End.Sub(s.end).Round(time.Millisecond))
					continue
				}
				v.fail("%s: acknowledged to %q at %s, sent again by %q at %s", path, s.proc.Name, s.end.Format("15:04:05.000"), a.proc.Name, a.start.Format("15:04:05.000"))
			}
		}
	}

	assetBatch := map[string]int{}
	for _, a := range ev.assets {
		assetBatch[a.ID] = batchOf(a.Name)
	}
	type key struct {
		asset string
		part  int
	}
	puts := map[key][]c2csim.Request{}
	for _, q := range ev.reqs {
		if isPut(q) {
			k := key{q.AssetID, q.Part}
			puts[k] = append(puts[k], q)
		}
	}
	for k, ps := range puts {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Time.Before(ps[j].Time) })
		if b := assetBatch[k.asset]; b >= 0 && b < len(r.Batches) {
			r.Batches[b].Resent += len(ps) - 1
			for _, q := range ps {
				if q.Status != 200 {
					r.Batches[b].WastedBytes += q.BytesIn
				}
			}
		}
		var acked *c2csim.Request
		for i, q := range ps {
			if acked != nil && q.Time.After(reqEnd(*acked)) {
				if d.killedAround(acked.Time.Add(-killWindow), q.Time) {
					r.ServerResentKill++
				} else {
					r.ServerResentUnseen++
				}
			}
			if q.Status == 200 && acked == nil {
				acked = &ps[i]
			}
		}
	}
}

// putsInFlight is the most chunk PUTs the uploader has on their way with its default
// settings: files × chunks, 2 × 4 (docs/field-trial.md, findings 3: one budget of
// files × chunks PUTs in flight).
const putsInFlight = 2 * 4

// boundResends: a part is sent again only when an event cut it off (docs/field-trial.md,
// findings 4: "a fault throws away every part in flight"), so each event of a batch
// accounts for at most the PUTs then in flight, and a SIGKILL for as many again whose
// answers reached the simulator but not the killed uploader's journal (findings 6). A
// batch that re-sends more is sending parts twice for no cause; one with no events
// re-sends nothing.
func (d *day) boundResends(r *report, v *verdict) {
	for i, br := range r.Batches {
		bound := 0
		for _, e := range d.cfg.Size.Batches[i].Events {
			bound += putsInFlight
			if e.Kind == evKill {
				bound += putsInFlight
			}
		}
		if br.Resent > bound {
			v.fail("batch %d (%s): %d chunk PUTs re-sent, more than %s can cut off (%d: the %d PUTs in flight at each, twice that at a SIGKILL)",
				i+1, br.Profile.Name, br.Resent, count(len(d.cfg.Size.Batches[i].Events), "event"), bound, putsInFlight)
		}
	}
}

// checkPaused: the files shot during the pause were refused (409) once each as far as
// the uploader knows, never asked for again once it knew, and are reported as skipped.
// A refusal whose answer never reached the uploader — the link cut or reset with it on
// its way, or the uploader killed before it wrote the refusal down — is asked again, as
// any creation whose answer was lost: the simulator then counts one more 409 for that
// file's request id than the uploader logged (or a SIGKILL came within killWindow).
func (d *day) checkPaused(ev *evidence, v *verdict) {
	paused := 0
	for _, f := range d.files {
		if f.Paused {
			paused++
		}
	}
	refusedAt := map[string][]time.Time{} // by x-request-id
	for _, q := range ev.reqs {
		if isCreate(q) && q.Status == 409 {
			rid := ""
			if len(q.Headers["X-Request-Id"]) > 0 {
				rid = q.Headers["X-Request-Id"][0]
			}
			refusedAt[rid] = append(refusedAt[rid], q.Time)
		}
	}
	heard := map[string]int{} // refusals the uploader logged, by request id
	for _, l := range ev.logs {
		if l.Msg == "request" && l.Attrs["endpoint"] == "POST /v2/devices/assets" && l.Attrs["status"] == "409" {
			heard[l.Attrs["request_id"]]++
		}
	}
	if len(refusedAt) != paused {
		v.fail("the simulator refused %d files' asset creations (by request id) with 409 Channel Paused; %d files were shot during the pause", len(refusedAt), paused)
	}
	for rid, times := range refusedAt {
		lost := len(times) - heard[rid] // answers the uploader never read
		for _, t := range times[:len(times)-1] {
			if d.killedAround(t.Add(-killWindow), t.Add(killWindow)) {
				lost++
			}
		}
		if again := len(times) - 1; again > lost {
			v.fail("request %s was refused with 409 Channel Paused %d times, and the uploader had read %d of the refusals: it asked again after it knew", rid, len(times), heard[rid])
		} else if again > 0 {
			v.note("request %s was refused %d times: the answer to the first was lost (the link cut or the uploader killed) and the creation asked again", rid, len(times))
		}
	}
	skipped := map[string]int{}
	for _, l := range ev.logs {
		if l.Msg == "upload stopped" && l.Attrs["kind"] == "ChannelPaused" {
			skipped[l.Attrs["file"]]++
		}
	}
	for _, f := range d.files {
		if f.Paused && skipped[f.Name] != 1 {
			v.fail("%s: the uploader logged its Channel Paused refusal %d times, want once", f.Name, skipped[f.Name])
		}
		if !f.Paused && skipped[f.Name] != 0 {
			v.fail("%s was not shot during the pause but the uploader skipped it", f.Name)
		}
	}
}

// offlineGrace is how long after the link goes down a request may still be logged: the
// requests in flight at that moment fail then.
const offlineGrace = time.Second

// checkOutages: while the link was down nothing but GET /health left the uploader (its
// debug log has a line per request attempt), and after it came back the first chunk
// reached the simulator within the policy's backoff (32 s plus at most half of it).
func (d *day) checkOutages(ev *evidence, r *report, v *verdict) {
	for i, o := range d.outages {
		res := outageResult{Length: o.Up.Sub(o.Down), Batch: o.Batch}
		// The log's times have milliseconds only.
		o.Down, o.Up = o.Down.Truncate(time.Millisecond), o.Up.Truncate(time.Millisecond)
		for _, l := range ev.logs {
			if l.Msg != "request" || l.Time.Before(o.Down) || !l.Time.Before(o.Up) {
				continue
			}
			if l.Attrs["endpoint"] == "GET /health" {
				res.HealthChecks++
				continue
			}
			if l.Time.After(o.Down.Add(offlineGrace)) {
				v.fail("outage %d: %s %s at %s, %.1f s into the outage: only GET /health may leave while the link is down",
					i+1, l.Attrs["endpoint"], l.Attrs["path"], l.Time.Format("15:04:05.000"), l.Time.Sub(o.Down).Seconds())
			}
		}
		res.Detected, res.Back = -1, -1
		for _, l := range ev.logs {
			if d := l.Time.Sub(o.Down); l.Msg == "connection lost" && d >= 0 && (res.Detected < 0 || d < res.Detected) {
				res.Detected = d
			}
			if d := l.Time.Sub(o.Up); l.Msg == "connection back" && d >= 0 && (res.Back < 0 || d < res.Back) {
				res.Back = d
			}
		}
		res.FirstByte = firstPutAfter(ev, o.Up)
		if res.FirstByte < 0 {
			v.fail("outage %d: no chunk reached the simulator after the link came back", i+1)
		} else if res.FirstByte > resumeLimit {
			v.fail("outage %d: the first chunk reached the simulator %.1f s after the link came back; the policy allows %s", i+1, res.FirstByte.Seconds(), resumeLimit)
		}
		if res.Length > 2*time.Second && res.HealthChecks == 0 {
			v.fail("outage %d: no health check during %s offline", i+1, res.Length.Round(time.Second))
		}
		r.Outages = append(r.Outages, res)
	}
	for _, k := range d.kills {
		r.AfterKill = append(r.AfterKill, firstPutAfter(ev, k))
	}
	for _, s := range d.stops {
		r.AfterWake = append(r.AfterWake, firstPutAfter(ev, s[1]))
	}
	for _, t := range d.repaired {
		r.AfterRepair = append(r.AfterRepair, firstPutAfter(ev, t))
	}
	for _, t := range d.roams {
		r.AfterRoam = append(r.AfterRoam, firstPutAfter(ev, t.Add(300*time.Millisecond)))
	}
}

// resumeLimit is the policy's longest wait between health checks (32 s) plus its
// largest jitter (half of it), plus a second for the check itself and the first PUT.
const resumeLimit = 32*time.Second + 16*time.Second + time.Second

// firstPutAfter is how long after t the first chunk PUT carrying bytes reached the
// simulator; -1 if none did.
func firstPutAfter(ev *evidence, t time.Time) time.Duration {
	best := time.Duration(-1)
	for _, q := range ev.reqs {
		if isPut(q) && q.BytesIn > 0 && !q.Time.Before(t) {
			if d := q.Time.Sub(t); best < 0 || d < best {
				best = d
			}
		}
	}
	return best
}

// checkRefreshes: one refresh per expiry. Every refresh token that bought new tokens
// was presented once (single flight, no refresh storm); after the laptop slept longer
// than the token lives, exactly one refresh renewed it; and outside the revocation no
// API call was refused as Not Authorized (tokens were renewed before they expired).
func (d *day) checkRefreshes(ev *evidence, r *report, v *verdict) {
	ttl := d.cfg.Size.TokenTTL
	presented := map[string]int{}
	spent := map[string]bool{}
	for _, q := range ev.reqs {
		if q.Grant != "refresh_token" {
			continue
		}
		presented[q.TokenFP]++
		if q.Status == 200 {
			r.Refreshes++
			spent[q.TokenFP] = true
		} else {
			r.RefreshesRefused++
		}
	}
	// A refresh token presented again after a SIGKILL that lost its new pair is no
	// second flight (day.recoverLostRefresh).
	lost := map[string]bool{}
	for _, lr := range d.lostRefreshes {
		if fp := lostToken(ev.reqs, lr[0], lr[1]); fp != "" {
			lost[fp] = true
		}
	}
	for fp := range spent {
		if presented[fp] != 1 && !(lost[fp] && presented[fp] == 2) {
			v.fail("refresh token fp:%s bought new tokens and was presented %d times", fp, presented[fp])
		}
	}
	r.LostRefreshes = len(d.lostRefreshes)
	for _, s := range d.stops {
		n := 0
		for _, q := range ev.reqs {
			if q.Grant == "refresh_token" && q.Status == 200 && !q.Time.Before(s[1]) && q.Time.Before(s[1].Add(ttl/2)) {
				n++
			}
			// A refresh that left just before the SIGSTOP still arrives after it.
			if q.Grant == "refresh_token" && q.Time.After(s[0].Add(lateArrival)) && q.Time.Before(s[1]) {
				v.fail("a refresh at %s while the uploader was stopped (since %s)", q.Time.Format("15:04:05.000"), s[0].Format("15:04:05.000"))
			}
		}
		if n != 1 {
			v.fail("after waking from %s of sleep (longer than the %s token), %d successful refreshes in the next %s, want exactly 1",
				s[1].Sub(s[0]).Round(time.Second), ttl, n, ttl/2)
		}
	}
	revoked := func(t time.Time) bool {
		for _, lr := range d.lostRefreshes {
			if !t.Before(lr[0]) && !t.After(lr[1]) {
				return true // the pairing was lost with the killed process's new tokens
			}
		}
		for i, rv := range d.revokes {
			end := time.Now()
			if i < len(d.repaired) {
				end = d.repaired[i]
			}
			if !t.Before(rv) && !t.After(end) {
				return true
			}
		}
		return false
	}
	// A refresh rotates the pair: a call that left with the old access token just before
	// the refresh and arrives after it is refused (and repeated with the new token). That
	// is no expired token.
	var refreshed []time.Time
	for _, q := range ev.reqs {
		if q.Grant == "refresh_token" && q.Status == 200 {
			refreshed = append(refreshed, q.Time)
		}
	}
	rotated := func(t time.Time) bool {
		for _, rt := range refreshed {
			if !t.Before(rt) && t.Before(rt.Add(lateArrival)) {
				return true
			}
		}
		return false
	}
	for _, q := range ev.reqs {
		if q.Status != 401 || q.Kind == "s3" || revoked(q.Time) {
			continue
		}
		if rotated(q.Time) {
			r.RotationRaces++
			continue
		}
		v.fail("%s %s refused with 401 at %s, outside the revocation and not just after a refresh: a token was used after it expired", q.Method, q.Path, q.Time.Format("15:04:05.000"))
	}
	// Upper bound: a proactive refresh each 0.8 of a lifetime while a process ran,
	// plus one at each start (the kept token may be past its 0.8 mark).
	var running time.Duration
	for _, p := range ev.procs {
		running += p.End.Sub(p.Start)
	}
	r.TokenLives = float64(running) / float64(ttl)
	limit := int(float64(running)/(0.8*float64(ttl))) + len(ev.procs) + 1
	if r.Refreshes > limit {
		v.fail("%d refreshes for %.1f token lifetimes of running uploaders (at most %d expected)", r.Refreshes, r.TokenLives, limit)
	}
}

// lateArrival is how long after it left a request may still arrive: the path's latency,
// a loss hold or two. So a call carrying an access token a refresh has just replaced may
// arrive after the refresh, and a refresh sent just before a SIGSTOP after the stop.
const lateArrival = 5 * time.Second

// checkStatus: the final `status --json` agrees with the simulator.
func (d *day) checkStatus(ev *evidence, v *verdict) {
	states := map[string]string{}
	var totals map[string]any
	paired, online := false, false
	for _, e := range ev.status {
		switch e["type"] {
		case "file":
			p, _ := e["path"].(string)
			s, _ := e["state"].(string)
			states[p] = s
		case "totals":
			totals = e
		case "auth":
			paired = e["state"] == "paired"
		case "connection":
			online = e["state"] == "online"
		}
	}
	if !paired {
		v.fail("status --json does not say paired at the end")
	}
	if !online {
		v.fail("status --json does not say online at the end")
	}
	done, skipped := 0, 0
	for _, f := range d.files {
		want := "done"
		if f.Paused {
			want = "skipped"
			skipped++
		} else {
			done++
		}
		if states[f.Path] != want {
			v.fail("status --json: %s is %q, the simulator's truth says %s", f.Name, states[f.Path], want)
		}
	}
	if len(states) != len(d.files) {
		v.fail("status --json lists %d files, the day had %d", len(states), len(d.files))
	}
	num := func(k string) int {
		f, _ := totals[k].(float64)
		return int(f)
	}
	if totals == nil {
		v.fail("status --json printed no totals")
	} else if num("files") != len(d.files) || num("done") != done || num("skipped") != skipped || num("failed") != 0 || num("files_remaining") != 0 {
		v.fail("status --json totals %v, want %d files, %d done, %d skipped, 0 failed, 0 remaining", totals, len(d.files), done, skipped)
	}
}
