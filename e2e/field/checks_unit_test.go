package field

import (
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// The checks on evidence made up for them, without playing a day.

func failedWith(v verdict, text string) bool {
	for _, f := range v.failures {
		if strings.Contains(f, text) {
			return true
		}
	}
	return false
}

// A day whose uploader logs hold no chunk PUT line (a log format the parse does not
// read) fails, rather than passing the no-resend check with nothing to check.
func TestCheckChunksFailsWithoutPutLines(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	put := c2csim.Request{Time: at, Kind: "s3", Method: "PUT", Path: "/s3/a1/1", AssetID: "a1", Part: 1, Status: 200, BytesIn: 100}
	health := logLine{Time: at, Msg: "request", Attrs: map[string]string{"endpoint": "GET /health", "ms": "3"}, Proc: &proc{}}
	putLine := logLine{Time: at, Msg: "request", Attrs: map[string]string{"endpoint": "PUT s3 part", "path": "/s3/a1/1", "ms": "40"}, Proc: &proc{}}
	d := &day{cfg: dayConfig{Size: ciSize}}

	var v verdict
	d.checkChunks(&evidence{reqs: []c2csim.Request{put}, logs: []logLine{health}}, &report{}, &v)
	if !failedWith(v, "no chunk PUT line") {
		t.Errorf("logs without a PUT line: failures %q, want the missing PUT lines named", v.failures)
	}
	v = verdict{}
	d.checkChunks(&evidence{reqs: []c2csim.Request{put}, logs: []logLine{health, putLine}}, &report{}, &v)
	if len(v.failures) != 0 {
		t.Errorf("logs with a PUT line: failures %q, want none", v.failures)
	}
}

// Each event of a batch may cut off the PUTs in flight (8), a SIGKILL twice that; a
// batch re-sending more fails, and a batch without events may re-send nothing.
func TestBoundResends(t *testing.T) {
	sz := size{Batches: []batch{
		{Profile: office, Events: []event{{At: 0.5, Kind: evKill}}},
		{Profile: hotel, Events: []event{{At: 0.3, Kind: evOutage}, {At: 0.5, Kind: evOutage}, {At: 0.6, Kind: evRoam}, {At: 0.75, Kind: evKill}}},
		{Profile: longFast},
	}}
	d := &day{cfg: dayConfig{Size: sz}}
	for _, c := range []struct {
		resent []int
		fails  []int // batches that must fail, 1-based
	}{
		{[]int{16, 40, 0}, nil},
		{[]int{17, 40, 0}, []int{1}},
		{[]int{16, 41, 0}, []int{2}},
		{[]int{0, 0, 1}, []int{3}},
	} {
		r := &report{}
		for i, n := range c.resent {
			r.Batches = append(r.Batches, batchResult{Profile: sz.Batches[i].Profile, Resent: n})
		}
		var v verdict
		d.boundResends(r, &v)
		if len(v.failures) != len(c.fails) {
			t.Errorf("re-sent %v: failures %q, want batches %v to fail", c.resent, v.failures, c.fails)
			continue
		}
		for i, b := range c.fails {
			if !strings.HasPrefix(v.failures[i], "batch "+string(rune('0'+b))+" ") {
				t.Errorf("re-sent %v: failure %q, want batch %d", c.resent, v.failures[i], b)
			}
		}
	}
}

// A refresh that left just before the SIGSTOP arrives after it, held by the shaped path's
// latency and loss: that is no refresh while stopped. One arriving well into the sleep is.
func TestRefreshWhileStopped(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	ttl := ciSize.TokenTTL
	stop, cont := at, at.Add(ttl+5*time.Second)
	refresh := func(t time.Time) c2csim.Request {
		return c2csim.Request{Time: t, Method: "POST", Path: "/v2/auth/token", Grant: "refresh_token", Status: 200, TokenFP: t.Format("150405.000")}
	}
	woke := refresh(cont.Add(time.Second)) // the one refresh after waking
	for _, c := range []struct {
		after time.Duration
		fail  bool
	}{{1400 * time.Millisecond, false}, {lateArrival + time.Second, true}} {
		d := &day{cfg: dayConfig{Size: ciSize}, stops: [][2]time.Time{{stop, cont}}}
		var v verdict
		d.checkRefreshes(&evidence{reqs: []c2csim.Request{refresh(stop.Add(c.after)), woke}}, &report{}, &v)
		if got := failedWith(v, "while the uploader was stopped"); got != c.fail {
			t.Errorf("a refresh arriving %s after the SIGSTOP: failures %q, want a refresh-while-stopped failure: %v", c.after, v.failures, c.fail)
		}
	}
}

// A refusal the uploader never read (its answer lost on the way) may be asked again; one
// it had read may not.
func TestRefusedOnceAsFarAsTheUploaderKnows(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	refusal := func(rid string, t time.Time) c2csim.Request {
		return c2csim.Request{Time: t, Kind: "api", Method: "POST", Path: "/v2/devices/assets", Status: 409,
			Headers: map[string][]string{"X-Request-Id": {rid}}}
	}
	heard := func(rid string) logLine {
		return logLine{Time: at, Msg: "request", Attrs: map[string]string{"endpoint": "POST /v2/devices/assets", "status": "409", "request_id": rid}, Proc: &proc{}}
	}
	d := &day{cfg: dayConfig{Size: ciSize}, files: []genFile{{Name: "a.jpg", Paused: true}, {Name: "b.jpg", Paused: true}}}
	for _, c := range []struct {
		name string
		reqs []c2csim.Request
		logs []logLine
		fail bool
	}{
		{"each once", []c2csim.Request{refusal("r1", at), refusal("r2", at)}, []logLine{heard("r1"), heard("r2")}, false},
		{"the first answer lost", []c2csim.Request{refusal("r1", at), refusal("r1", at.Add(5*time.Second)), refusal("r2", at)}, []logLine{heard("r1"), heard("r2")}, false},
		{"asked again after hearing", []c2csim.Request{refusal("r1", at), refusal("r1", at.Add(5*time.Second)), refusal("r2", at)}, []logLine{heard("r1"), heard("r1"), heard("r2")}, true},
		{"one file never asked", []c2csim.Request{refusal("r1", at)}, []logLine{heard("r1")}, true},
	} {
		var v verdict
		d.checkPaused(&evidence{reqs: c.reqs, logs: c.logs}, &v)
		var refusalFailures []string
		for _, f := range v.failures {
			if strings.Contains(f, "409") {
				refusalFailures = append(refusalFailures, f)
			}
		}
		if got := len(refusalFailures) > 0; got != c.fail {
			t.Errorf("%s: failures %q, want a refusal failure: %v", c.name, refusalFailures, c.fail)
		}
	}
}

// A SIGKILL between a refresh the simulator answered and the keychain write of the new
// pair: the restarted process presents the spent refresh token, is refused, and the day
// re-pairs. lostRefresh recognises it only when the kill came between the two
// presentations; the checks then take the second for no second flight, and the 401s
// until the re-pairing for no expired token.
func TestARefreshLostToASIGKILL(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 11, 11, 0, time.UTC)
	token := func(t time.Time, fp string, status int) c2csim.Request {
		return c2csim.Request{Time: t, Method: "POST", Path: "/v2/auth/token", Grant: "refresh_token", Status: status, TokenFP: fp}
	}
	bought := token(at, "aa", 200)
	kill := at.Add(2300 * time.Millisecond)
	again := token(kill.Add(800*time.Millisecond), "aa", 400)
	// Past the time a call with a token the refresh replaced may arrive late.
	refused := c2csim.Request{Time: at.Add(lateArrival + time.Second), Method: "POST", Path: "/v2/devices/assets", Status: 401, Kind: "api"}
	reqs := []c2csim.Request{bought, again, refused}
	end := kill.Add(time.Minute)
	if lostToken(reqs, kill, end) != "aa" {
		t.Error("a refresh token bought just before the kill and presented after it: not recognised")
	}
	for what, c := range map[string]struct {
		reqs      []c2csim.Request
		kill, end time.Time
	}{
		"no kill between the two presentations": {reqs, at.Add(-time.Second), end},
		"another token refused after the kill":  {[]c2csim.Request{bought, token(kill.Add(time.Second), "bb", 400)}, kill, end},
		"a refresh long before the kill":        {reqs, at.Add(lostRefreshWindow + time.Second), end},
		"a newer refresh before the kill":       {[]c2csim.Request{bought, token(at.Add(time.Second), "cc", 200), again}, kill, end},
		"presented again after the process":     {reqs, kill, kill.Add(time.Millisecond)},
	} {
		if fp := lostToken(c.reqs, c.kill, c.end); fp != "" {
			t.Errorf("%s: recognised as a lost refresh (%s)", what, fp)
		}
	}

	d := &day{cfg: dayConfig{Size: ciSize}}
	var v verdict
	d.checkRefreshes(&evidence{reqs: reqs}, &report{}, &v)
	if !failedWith(v, "presented 2 times") || !failedWith(v, "refused with 401") {
		t.Errorf("without the re-pairing noted, failures %q, want a second flight and an expired token", v.failures)
	}
	d.lostRefreshes = [][2]time.Time{{kill, refused.Time.Add(time.Second)}}
	v = verdict{}
	r := &report{}
	d.checkRefreshes(&evidence{reqs: reqs}, r, &v)
	if len(v.failures) != 0 || r.LostRefreshes != 1 {
		t.Errorf("with the re-pairing noted: failures %q, %d lost refreshes reported", v.failures, r.LostRefreshes)
	}
}
