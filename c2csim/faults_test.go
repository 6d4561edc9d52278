package c2csim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func (e *env) addFault(f c2csim.Fault) c2csim.Fault {
	e.t.Helper()
	added, err := e.sim.Admin.AddFault(e.ctx, f)
	if err != nil {
		e.t.Fatalf("add fault: %v", err)
	}
	if added.ID == 0 {
		e.t.Fatalf("fault without an id: %+v", added)
	}
	return added
}

func (e *env) faultHits(id int) int {
	e.t.Helper()
	fs, err := e.sim.Admin.Faults(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == id {
			return f.Hits
		}
	}
	e.t.Fatalf("no fault %d in %+v", id, fs)
	return 0
}

func TestFaultStatusBodyHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	f := e.addFault(c2csim.Fault{Path: "/health", Times: 1, Status: 429, Body: `{"error":"slow"}`,
		Headers: map[string]string{"Retry-After": "2", "x-ratelimit-remaining": "0"}})
	r := e.get("/health")
	wantBody(t, r, http.StatusTooManyRequests, `{"error":"slow"}`)
	if r.Header.Get("Retry-After") != "2" || r.Header.Get("X-Ratelimit-Remaining") != "0" {
		t.Errorf("headers %v", r.Header)
	}
	// Times: 1, so the next request is served normally.
	wantBody(t, e.get("/health"), http.StatusOK, `{"status":"ok"}`)
	if hits := e.faultHits(f.ID); hits != 1 {
		t.Errorf("hits %d", hits)
	}
	reqs := e.sim.Requests(0)
	if len(reqs) != 2 || reqs[0].Fault != f.ID || reqs[0].Status != 429 || reqs[0].Error != "fault 429" || reqs[1].Fault != 0 {
		t.Errorf("log %+v", reqs)
	}

	// Any content type, or none.
	e.addFault(c2csim.Fault{Path: "/v2/health", Times: 1, Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"})
	r = e.get("/v2/health")
	if r.Status != 502 || string(r.Body) != "<html>Bad Gateway</html>" || r.Header.Get("Content-Type") != "text/html" {
		t.Errorf("got %s %v", r, r.Header)
	}
	e.addFault(c2csim.Fault{Path: "/v2/health", Times: 1, Status: 503})
	r = e.get("/v2/health")
	if r.Status != 503 || len(r.Body) != 0 || r.Header.Get("Content-Type") != "" {
		t.Errorf("empty fault answer: %s %v", r, r.Header)
	}
}

// A fault's body can echo what the request sent, as a careless server does in its
// errors: the redaction tests use it to put credentials where only the log's redactor
// can catch them.
func TestFaultBodyEchoesTheRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-echo", c2csim.Approval{})
	e.addFault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Times: 1, Status: 422,
		Body: `{"message":"bad","errors":[{"detail":"token {bearer} is not allowed"}]}`})
	r := e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10})
	wantBody(t, r, 422, `{"message":"bad","errors":[{"detail":"token `+tok.Access+` is not allowed"}]}`)
}

// A fault answers instead of the handler: nothing is done.
func TestFaultPreemptsHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	e.addFault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Times: 1, Status: 500})
	wantStatus(t, e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10}), 500)
	wantStatus(t, e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10}), 200)
	if assets, _ := e.sim.Admin.Assets(e.ctx); len(assets) != 1 {
		t.Errorf("%d assets, want 1", len(assets))
	}
}

func TestFaultS3Code(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 1000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	f := e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Times: 2, S3Code: "SlowDown", Headers: map[string]string{"Retry-After": "1"}})
	for range 2 {
		r := e.put(a.URLs[0], data)
		wantS3(t, r, http.StatusServiceUnavailable, "SlowDown", "")
		if r.Header.Get("Retry-After") != "1" {
			t.Errorf("headers %v", r.Header)
		}
	}
	wantStatus(t, e.put(a.URLs[0], data), http.StatusOK)
	if hits := e.faultHits(f.ID); hits != 2 {
		t.Errorf("hits %d", hits)
	}
	// The faulted PUTs never reached the part.
	if p := e.asset(a.ID).Parts[0]; p.Attempts != 1 || p.Puts != 1 {
		t.Errorf("part %+v", p)
	}
	reqs := e.sim.Requests(0)
	var codes []string
	for _, q := range reqs {
		if q.Kind == "s3" {
			codes = append(codes, q.Error)
		}
	}
	if strings.Join(codes, ",") != "SlowDown,SlowDown," {
		t.Errorf("logged errors %q", codes)
	}

	b := e.newAsset(tok.Access, "b.mov", len(data))
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/" + b.ID + "/*", Times: 1, S3Code: "InternalError", Status: 502, Message: "custom text"})
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/" + b.ID + "/*", Times: 1, S3Code: "RequestTimeout"})
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/" + b.ID + "/*", Times: 1, S3Code: "ExpiredToken"})
	wantS3(t, e.put(b.URLs[0], data), http.StatusBadGateway, "InternalError", "custom text")
	wantS3(t, e.put(b.URLs[0], data), http.StatusBadRequest, "RequestTimeout", "")
	wantS3(t, e.put(b.URLs[0], data), http.StatusBadRequest, "ExpiredToken", "") // unknown to the table: 400, no message
	wantStatus(t, e.put(b.URLs[0], data), http.StatusOK)
}

func TestFaultTimesSkipMethodPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	skip := e.addFault(c2csim.Fault{Path: "/health", Skip: 2, Times: 2, Status: 500})
	other := e.addFault(c2csim.Fault{Method: "POST", Path: "/v2/health", Status: 500})
	var statuses []int
	for range 6 {
		statuses = append(statuses, e.get("/health").Status)
	}
	if want := []int{200, 200, 500, 500, 200, 200}; !equalInts(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	wantStatus(t, e.get("/v2/health"), http.StatusOK) // GET does not match a POST fault
	if e.faultHits(skip.ID) != 2 || e.faultHits(other.ID) != 0 {
		t.Errorf("hits %d %d", e.faultHits(skip.ID), e.faultHits(other.ID))
	}
	// Exact paths do not match longer ones; a prefix needs the star.
	e.addFault(c2csim.Fault{Path: "/v2", Status: 500})
	wantStatus(t, e.get("/v2/health"), http.StatusOK)
	e.addFault(c2csim.Fault{Path: "/v2/*", Status: 418})
	wantStatus(t, e.get("/v2/health"), http.StatusTeapot)
	wantStatus(t, e.get("/health"), http.StatusOK)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultProbability(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	count := func(path string, n int) int {
		faulted := 0
		for range n {
			switch r := e.get(path); r.Status {
			case 503:
				faulted++
			case 200:
			default:
				t.Fatalf("status %d", r.Status)
			}
		}
		return faulted
	}
	always := e.addFault(c2csim.Fault{Path: "/health", Probability: 1, Status: 503})
	if got := count("/health", 20); got != 20 || e.faultHits(always.ID) != 20 {
		t.Errorf("probability 1: %d of 20 faulted, hits %d", got, e.faultHits(always.ID))
	}
	half := e.addFault(c2csim.Fault{Path: "/v2/health", Probability: 0.5, Status: 503})
	// P(0 or 200 hits of 200) = 2^-199: not flaky.
	if got := count("/v2/health", 200); got == 0 || got == 200 || got != e.faultHits(half.ID) {
		t.Errorf("probability 0.5: %d of 200 faulted, hits %d", got, e.faultHits(half.ID))
	}
	if err := e.sim.Admin.ClearFaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	rare := e.addFault(c2csim.Fault{Path: "/health", Probability: 0.0001, Status: 503})
	// P(more than 3 hits of 100) is about 4e-10.
	if got := count("/health", 100); got > 3 || got != e.faultHits(rare.ID) {
		t.Errorf("probability 0.0001: %d of 100 faulted, hits %d", got, e.faultHits(rare.ID))
	}
	// With Times, a probabilistic fault stops after that many hits.
	capped := e.addFault(c2csim.Fault{Path: "/v2/health", Probability: 0.5, Times: 3, Status: 503})
	if got := count("/v2/health", 200); got != 3 || e.faultHits(capped.ID) != 3 {
		t.Errorf("times 3 with probability: %d faulted", got)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	e.addFault(c2csim.Fault{Path: "/health", Times: 1, Delay: c2csim.Duration(300 * time.Millisecond)})
	start := time.Now()
	wantBody(t, e.get("/health"), http.StatusOK, `{"status":"ok"}`)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("delayed answer after %v", d)
	}
	e.addFault(c2csim.Fault{Path: "/health", Times: 1, Delay: c2csim.Duration(200 * time.Millisecond), Status: 503})
	start = time.Now()
	wantStatus(t, e.get("/health"), http.StatusServiceUnavailable)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("delayed 503 after %v", d)
	}
	// A client that gives up during the delay: the log marks the request aborted.
	f := e.addFault(c2csim.Fault{Path: "/v2/health", Times: 1, Delay: c2csim.Duration(5 * time.Second)})
	c := newClient(t, true)
	c.Timeout = 200 * time.Millisecond
	if _, err := c.Do(newRequest(t, http.MethodGet, e.url("/v2/health"), nil)); err == nil {
		t.Fatal("no timeout")
	}
	eventually(t, 10*time.Second, "the abandoned delay is logged as aborted", func() bool {
		q, ok := e.lastRequest("/v2/health")
		return ok && q.Aborted && q.Fault == f.ID
	})
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	f := e.addFault(c2csim.Fault{Path: "/health", Times: 1, Reset: true})
	c := newClient(t, true) // a fresh connection per request: the transport does not retry
	if resp, err := c.Do(newRequest(t, http.MethodGet, e.url("/health"), nil)); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	eventually(t, 5*time.Second, "the reset is logged", func() bool {
		q, ok := e.lastRequest("/health")
		return ok && q.Aborted && q.Fault == f.ID && q.Status == 0
	})
	wantStatus(t, e.get("/health"), http.StatusOK)

	// After part of a chunk.
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Times: 1, Reset: true, ResetAfter: 1000})
	if resp, err := c.Do(putReq(t, a.URLs[0], chunks(data, 2)[0])); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	eventually(t, 5*time.Second, "the reset PUT is logged", func() bool {
		q, ok := e.lastRequest(urlPath(a.URLs[0]))
		return ok && q.Aborted && q.BytesIn == 1000
	})
	if p := e.asset(a.ID).Parts[0]; p.Received || p.Attempts != 0 {
		t.Errorf("part %+v", p)
	}
	e.upload(a, data)
}

func TestFaultStall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	f := e.addFault(c2csim.Fault{Path: "/health", Times: 1, Stall: true})
	c := newClient(t, true)
	c.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Do(newRequest(t, http.MethodGet, e.url("/health"), nil))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stalled request: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	eventually(t, 5*time.Second, "the stall is logged as aborted once the client left", func() bool {
		q, ok := e.lastRequest("/health")
		return ok && q.Aborted && q.Fault == f.ID
	})

	// Mid-body: the simulator reads stall_after bytes, then nothing.
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Times: 1, Stall: true, StallAfter: 1000, StallFor: c2csim.Duration(500 * time.Millisecond)})
	_, err = c.Do(putReq(t, a.URLs[0], chunks(data, 2)[0]))
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stalled PUT: %v, want a timeout", err)
	}
	eventually(t, 5*time.Second, "the stalled PUT is logged", func() bool {
		q, ok := e.lastRequest(urlPath(a.URLs[0]))
		return ok && q.Aborted && q.BytesIn == 1000
	})
	if p := e.asset(a.ID).Parts[0]; p.Received || p.Attempts != 0 {
		t.Errorf("part %+v", p)
	}
	e.upload(a, data)
}

func TestFaultStallResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	f := e.addFault(c2csim.Fault{Path: "/v2/devices/me", Times: 1, StallResponse: true, StallFor: c2csim.Duration(300 * time.Millisecond)})
	c := newClient(t, true)
	resp, err := c.Do(newRequest(t, http.MethodGet, e.url("/v2/devices/me"), nil, bearer(tok.Access)...))
	if err != nil {
		t.Fatalf("the headers should arrive: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || resp.ContentLength < 100 || int64(len(body)) != resp.ContentLength/2 {
		t.Fatalf("status %d, content-length %d, read %d bytes, err %v: want half the body then an error",
			resp.StatusCode, resp.ContentLength, len(body), err)
	}
	if json.Valid(body) {
		t.Error("half a body is valid JSON")
	}
	eventually(t, 5*time.Second, "logged", func() bool {
		q, ok := e.lastRequest("/v2/devices/me")
		return ok && q.Aborted && q.Fault == f.ID && q.Status == 200
	})
	// The handler did run: the call counted for the device.
	wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
}

func TestFaultBandwidth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{PartSize: 1 << 20})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 200<<10)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	f := e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 1 << 20})
	start := time.Now()
	wantStatus(t, e.put(a.URLs[0], data), http.StatusOK)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("200 KiB at 1 MiB/s took %v", d)
	}
	if info := e.asset(a.ID); !info.Complete || info.SHA256 != sha(data) {
		t.Errorf("asset %+v", info)
	}
	if e.faultHits(f.ID) != 1 {
		t.Errorf("hits %d", e.faultHits(f.ID))
	}
	// Responses are throttled too.
	e.addFault(c2csim.Fault{Path: "/v2/devices/me", Bandwidth: 10000})
	start = time.Now()
	r := e.get("/v2/devices/me", bearer(tok.Access)...)
	d := time.Since(start)
	wantStatus(t, r, http.StatusOK)
	if !json.Valid(r.Body) || len(r.Body) < 2000 {
		t.Fatalf("body of %d bytes", len(r.Body))
	}
	if min := time.Duration(len(r.Body)) * time.Second / 10000 * 3 / 4; d < min {
		t.Errorf("%d bytes at 10 kB/s took %v, want at least %v", len(r.Body), d, min)
	}
}

func TestFaultAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	a := e.addFault(c2csim.Fault{Path: "/health", Status: 500, Times: 1})
	b := e.addFault(c2csim.Fault{Path: "/s3/*", Method: "PUT", S3Code: "SlowDown", Delay: c2csim.Duration(1500 * time.Millisecond)})
	if b.ID <= a.ID {
		t.Errorf("ids %d then %d", a.ID, b.ID)
	}
	wantStatus(t, e.get("/health"), 500)
	wantStatus(t, e.get("/health"), 200)
	fs, err := e.sim.Admin.Faults(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A used-up fault stays listed with its hits.
	if len(fs) != 2 || fs[0].ID != a.ID || fs[0].Hits != 1 || fs[1].ID != b.ID || fs[1].Hits != 0 ||
		fs[1].S3Code != "SlowDown" || time.Duration(fs[1].Delay) != 1500*time.Millisecond {
		t.Errorf("faults %+v", fs)
	}
	// Durations read as JSON strings.
	r := e.get("/_sim/faults")
	if !strings.Contains(string(r.Body), `"delay":"1.5s"`) {
		t.Errorf("listing %s", r.Body)
	}
	if err := e.sim.Admin.RemoveFault(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Admin.RemoveFault(e.ctx, a.ID); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("removing twice: %v", err)
	}
	wantStatus(t, send(t, e.c, newRequest(t, http.MethodDelete, e.url("/_sim/faults/abc"), nil)), 404)
	if fs, _ := e.sim.Admin.Faults(e.ctx); len(fs) != 1 || fs[0].ID != b.ID {
		t.Errorf("after removal: %+v", fs)
	}
	if err := e.sim.Admin.ClearFaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	if fs, _ := e.sim.Admin.Faults(e.ctx); len(fs) != 0 {
		t.Errorf("after clear: %+v", fs)
	}

	// Durations as numbers of seconds or strings.
	r = e.postJSON("/_sim/faults", `{"path":"/health","delay":0.25}`)
	wantStatus(t, r, 200)
	var got c2csim.Fault
	if err := json.Unmarshal(r.Body, &got); err != nil || time.Duration(got.Delay) != 250*time.Millisecond {
		t.Errorf("delay 0.25: %+v %v", got, err)
	}
	r = e.postJSON("/_sim/faults", `{"path":"/health","delay":"2ms","stall_for":null}`)
	wantStatus(t, r, 200)

	// Validation.
	for body, msg := range map[string]string{
		`{}`:                              "a fault needs a path",
		`{"status":500}`:                  "a fault needs a path",
		`{"path":"/health"}`:              "a fault must do something",
		`{"path":"/health","status":42}`:  "status 42 is not an HTTP status",
		`{"path":"/health","status":600}`: "status 600 is not an HTTP status",
		`{"path":"/health","status":500,"probability":1.5}`: "probability must be within 0..1",
		`{"path":"/health","status":500,"probability":-1}`:  "probability must be within 0..1",
		`{"path":`:                          "bad JSON body",
		`{"path":"/health","delay":"soon"}`: "bad JSON body",
		`{"path":"/health","delay":true}`:   "bad JSON body",
	} {
		r := e.postJSON("/_sim/faults", body)
		var ae struct{ Error string }
		_ = json.Unmarshal(r.Body, &ae)
		if r.Status != 400 || !strings.Contains(ae.Error, msg) {
			t.Errorf("%s: %s, want 400 %q", body, r, msg)
		}
	}
	if _, err := e.sim.Admin.AddFault(e.ctx, c2csim.Fault{Path: "/x"}); err == nil || !strings.Contains(err.Error(), "must do something") {
		t.Errorf("admin client: %v", err)
	}
	// Server.AddFault validates too.
	if _, err := e.sim.AddFault(c2csim.Fault{}); err == nil {
		t.Error("Server.AddFault took an empty fault")
	}
}

// Faults never touch the admin API, even with a catch-all path.
func TestFaultSparesAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	e.addFault(c2csim.Fault{Path: "/*", Status: 503})
	wantStatus(t, e.get("/health"), 503)
	wantStatus(t, e.get("/pair"), 503)
	if _, err := e.sim.Admin.Config(e.ctx); err != nil {
		t.Errorf("admin API faulted: %v", err)
	}
	if err := e.sim.Admin.ClearFaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.get("/health"), 200)
}

// Faults that let the request through keep the API's x-client-version check.
func TestFaultKeepsVersionCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	e.addFault(c2csim.Fault{Path: "/health", Bandwidth: 1 << 20})
	e.addFault(c2csim.Fault{Path: "/v2/health", Delay: c2csim.Duration(time.Millisecond)})
	for _, p := range []string{"/health", "/v2/health"} {
		wantSimple(t, e.get(p, "x-client-version", "nope"), http.StatusBadRequest, "Invalid client version")
		wantStatus(t, e.get(p, "x-client-version", "1.0.0"), http.StatusOK)
	}
}

// A request stalled in the middle of its body, with no stall_for, ends when the
// simulator closes (the client leaving cannot be seen while its body is not read).
func TestFaultStallEndsAtClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	e.addFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Stall: true, StallAfter: 1000})
	c := newClient(t, true)
	c.Timeout = 300 * time.Millisecond
	if _, err := c.Do(putReq(t, a.URLs[0], chunks(data, 2)[0])); err == nil {
		t.Fatal("a stalled PUT was answered")
	}
	if err := e.sim.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the stalled PUT is logged as aborted after Close", func() bool {
		for _, q := range e.sim.Requests(0) {
			if q.Path == urlPath(a.URLs[0]) && q.Aborted && q.BytesIn == 1000 {
				return true
			}
		}
		return false
	})
}
