package upload_test

// Rows of docs/error-policy.md proven at the engine: what happens to a file, to the
// chunks in flight and to the alerts when the simulator answers with a failure.

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// overlap is the most of the given requests the simulator was handling at once.
func overlap(reqs []c2csim.Request) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, q := range reqs {
		edges = append(edges, edge{q.Time, 1}, edge{q.Time.Add(time.Duration(q.Duration * float64(time.Millisecond))), -1})
	}
	// Ends before starts at the same instant: back-to-back PUTs do not overlap.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	most, n := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// sawFileError reports whether the service published the file at path in state st with
// an error of that kind.
func (r *rig) sawFileError(path string, st core.State, kind api.Kind) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Type == core.EventFile && ev.File.Path == path && ev.File.State == st && ev.File.ErrorKind == string(kind) {
			return true
		}
	}
	return false
}

// alertsOf are the alerts of kind k the service published so far.
func (r *rig) alertsOf(k core.AlertKind) []core.Alert {
	var out []core.Alert
	for _, a := range r.alerts() {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// TestSlowDownHalvesChunksInFlight: after S3 answers SlowDown, the engine keeps half as
// many chunks in flight (docs/error-policy.md §5): four PUTs at once before it, never
// more than two among those sent after it, for the rest of the file (well within the
// minute the slow-down lasts), and the file still arrives whole.
func TestSlowDownHalvesChunksInFlight(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4}})
	// The ninth chunk PUT, once four are going, is answered SlowDown after 50 ms; every
	// other PUT takes 200 ms, so the chunks overlap as much as the engine lets them, and
	// the three sent beside the slowed one are still in flight (none is started) when
	// the engine learns of the SlowDown.
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: "SlowDown", Skip: 8, Times: 1,
		Delay: c2csim.Duration(50 * time.Millisecond)})
	r.slowChunks(200 * time.Millisecond)
	clip := writeFile(t, r.dir, "slowed.mov", 40*rigPartSize+123)
	r.add(clip)
	r.finishFaultTest([]string{clip})
	r.expectFired("SlowDown", slow, 1)

	var puts []c2csim.Request
	var slowed *c2csim.Request
	for _, q := range r.sim.Requests(0) {
		if q.Kind != "s3" {
			continue
		}
		if q.Fault == slow.ID {
			slowed = &q
			continue
		}
		puts = append(puts, q)
	}
	if slowed == nil {
		t.Fatal("the simulator's log has no SlowDown answer")
	}
	told := slowed.Time.Add(time.Duration(slowed.Duration * float64(time.Millisecond)))
	var before, after []c2csim.Request
	last := told
	for _, q := range puts {
		end := q.Time.Add(time.Duration(q.Duration * float64(time.Millisecond)))
		switch {
		case q.Time.Before(slowed.Time):
			before = append(before, q)
		case q.Time.After(told):
			after = append(after, q)
			if end.After(last) {
				last = end
			}
		}
	}
	if n := overlap(before); n != 4 {
		t.Errorf("before the SlowDown, up to %d chunk PUTs at once; want the 4 of ParallelChunks", n)
	}
	if len(after) < 20 {
		t.Fatalf("only %d chunk PUTs after the SlowDown: too few to measure", len(after))
	}
	if n := overlap(after); n != 2 {
		t.Errorf("after the SlowDown, up to %d chunk PUTs at once; want 2 (half of 4)", n)
	}
	if d := last.Sub(told); d >= time.Minute {
		t.Errorf("the file took %v after the SlowDown: past the minute the slow-down lasts, the measure says nothing", d)
	}
}

// TestS3RejectedCodeFailsTheFile: an S3 code that means our request was wrong (§5,
// UploadRejected) is tried once more, then the file fails with the code in its reason;
// it is not put back in the queue to be tried again. The queue goes on with the next
// file, and the journal keeps the failure.
func TestS3RejectedCodeFailsTheFile(t *testing.T) {
	for _, code := range []string{"SignatureDoesNotMatch", "InvalidArgument"} {
		t.Run(code, func(t *testing.T) {
			r := newRig(t, rigConfig{})
			// Exactly the request's two attempts: a file sent back to the queue would
			// find S3 willing the third time and arrive.
			refused := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: code, Times: 2})
			bad := writeFile(t, r.dir, "refused.wav", rigPartSize/2)
			r.add(bad)
			r.waitFinished()
			v, _ := r.view(bad)
			if v.State != core.Failed || v.ErrorKind != string(api.KindUploadRejected) || !strings.Contains(v.Error, code) {
				t.Errorf("the refused file is %s (%s %q), want failed (UploadRejected) naming %s", v.State, v.ErrorKind, v.Error, code)
			}
			if r.sawFileState(bad, core.Retrying) {
				t.Error("the refused file was put back in the queue (retrying)")
			}
			r.expectFired(code, refused, 2)

			good := writeFile(t, r.dir, "next.wav", rigPartSize/2)
			r.add(good)
			r.waitState(good, core.Done)
			r.checkIntact(good)
			if v, _ := r.view(bad); v.State != core.Failed {
				t.Errorf("the refused file is %s after the next one arrived, want still failed", v.State)
			}
			var sent int
			for _, q := range r.sim.Requests(0) {
				if q.Kind == "s3" && q.Fault == refused.ID {
					sent++
				}
			}
			if sent != 2 {
				t.Errorf("%d chunk PUTs for the refused file, want 2 (one try more)", sent)
			}
			r.checkChunkHygiene()
			want := doneAll(good)
			want[bad] = journalWant{state: core.Failed, kind: api.KindUploadRejected}
			r.checkJournal(want)
		})
	}
}

// TestEngineAlertsFromTheAPI: an upload the API refuses for a reason only a person can
// act on raises that reason's alert (docs/error-policy.md §9) — from the simulator's own
// answers: an account that cannot pay (402 on asset creation), a client version it does
// not accept (its version check), and client credentials it does not accept (a refresh
// with another secret).
func TestEngineAlertsFromTheAPI(t *testing.T) {
	t.Run("payment-required", func(t *testing.T) {
		r := newRig(t, rigConfig{})
		ctx := context.Background()
		cfg, err := r.sim.Admin.Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg.PaymentRequired = true
		if _, err := r.sim.Admin.SetConfig(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		p := writeFile(t, r.dir, "unpaid.mov", 3*rigPartSize)
		r.add(p)
		v := r.waitState(p, core.Failed)
		if v.ErrorKind != string(api.KindPaymentRequired) {
			t.Errorf("the file failed with %s (%q), want PaymentRequired", v.ErrorKind, v.Error)
		}
		r.expectAlert(core.AlertPaymentRequired, v.Name)
		r.expectCreations(http.StatusPaymentRequired, "", 1)
	})
	t.Run("version-rejected", func(t *testing.T) {
		r := newRig(t, rigConfig{})
		// The same installation, updated to a build whose version the API refuses.
		r.stop()
		var since int64
		for _, q := range r.sim.Requests(0) {
			since = max(since, q.Seq)
		}
		r.cfg.service = func(c *core.Config) { c.ClientVersion = "1.0" }
		r.open()
		r.run()
		p := writeFile(t, r.dir, "old-build.mov", 3*rigPartSize)
		r.add(p)
		v := r.waitState(p, core.Failed)
		if v.ErrorKind != string(api.KindInvalidClientVersion) {
			t.Errorf("the file failed with %s (%q), want InvalidClientVersion", v.ErrorKind, v.Error)
		}
		r.expectAlert(core.AlertVersionRejected, v.Name)
		r.expectRefusedVersion(since)
	})
	t.Run("client-rejected", func(t *testing.T) {
		r := newRig(t, rigConfig{})
		// The same installation with a client secret the API does not accept; its
		// access token has expired meanwhile, so the next call needs a refresh.
		r.stop()
		if err := r.sim.Admin.ExpireAccess(context.Background(), r.clientID); err != nil {
			t.Fatal(err)
		}
		r.cfg.service = func(c *core.Config) { c.Credentials.ClientSecret = "not-this-build's-secret" }
		r.open()
		r.run()
		p := writeFile(t, r.dir, "refused-client.mov", 3*rigPartSize)
		r.add(p)
		defer func() {
			if t.Failed() {
				t.Logf("alerts %+v; auth %+v", r.alerts(), r.svc.AuthStatus())
				for _, q := range r.sim.Requests(0) {
					t.Logf("%s %s %s %d %q grant=%s", q.Time.Format("15:04:05.000"), q.Method, q.Path, q.Status, q.Error, q.Grant)
				}
			}
		}()
		r.waitFor("the device to need reconnecting", func(map[string]core.FileView) bool {
			return r.svc.AuthStatus().State == core.NeedsReconnect
		})
		waitfor.Condition(t, "the client-rejected alert", func() bool {
			return len(r.alertsOf(core.AlertClientRejected)) > 0
		})
		if n := len(r.alertsOf(core.AlertClientRejected)); n != 1 {
			t.Errorf("%d client-rejected alerts, want 1", n)
		}
		if n := len(r.alertsOf(core.AlertReconnect)); n != 0 {
			t.Errorf("%d plain reconnect alerts beside the client-rejected one", n)
		}
		var refused int
		for _, q := range r.sim.Requests(0) {
			if q.Grant == "refresh_token" {
				if q.Status != http.StatusBadRequest || q.Error != "invalid_client" {
					t.Errorf("a refresh was answered %d %q, want 400 invalid_client", q.Status, q.Error)
				}
				refused++
			}
		}
		if refused != 1 {
			t.Errorf("%d refreshes, want the 1 refused", refused)
		}
		// The file is not failed: it waits, queued, for the app to be fixed and paired.
		if v, _ := r.view(p); v.State.Finished() {
			t.Errorf("the file is %s (%s), want it kept in the queue", v.State, v.ErrorKind)
		}
		if as := r.assetsByName()["refused-client.mov"]; len(as) != 0 {
			t.Errorf("an asset was created with the credentials refused: %+v", as)
		}
	})
}

// expectAlert checks that exactly one alert of kind k was published, naming file.
func (r *rig) expectAlert(k core.AlertKind, file string) {
	r.t.Helper()
	waitfor.Condition(r.t, "the "+string(k)+" alert", func() bool { return len(r.alertsOf(k)) > 0 })
	as := r.alertsOf(k)
	if len(as) != 1 || !slices.Contains(as[0].Files, file) || as[0].Message == "" {
		r.t.Errorf("%s alerts %+v, want one naming %s with a message", k, as, file)
	}
}

// expectCreations checks that the simulator answered n asset creations, all with status
// (and, when set, the error message msg).
func (r *rig) expectCreations(status int, msg string, n int) {
	r.t.Helper()
	var got int
	for _, q := range r.sim.Requests(0) {
		if q.Path != "/v2/devices/assets" {
			continue
		}
		got++
		if q.Status != status || (msg != "" && q.Error != msg) {
			r.t.Errorf("an asset creation was answered %d %q, want %d %q", q.Status, q.Error, status, msg)
		}
	}
	if got != n {
		r.t.Errorf("%d asset creations, want %d (the answer is final)", got, n)
	}
}

// expectRefusedVersion checks that, since the request numbered since, the simulator's
// version check refused every API call the app made, and that no asset was created.
func (r *rig) expectRefusedVersion(since int64) {
	r.t.Helper()
	var refused []string
	for _, q := range r.sim.Requests(since) {
		if q.Status == http.StatusBadRequest && q.Error == "Invalid client version" {
			refused = append(refused, q.Method+" "+q.Path)
		} else if q.Kind == "api" {
			r.t.Errorf("%s %s was answered %d %q with a client version the API refuses", q.Method, q.Path, q.Status, q.Error)
		}
	}
	if len(refused) == 0 {
		r.t.Error("the simulator's version check refused nothing")
	}
	if n := len(r.sim.Assets()); n != 0 {
		r.t.Errorf("%d assets created with a client version the API refuses", n)
	}
}

// dialLog is a transport that notes every host the app dials and refuses those under
// refuse.
type dialLog struct {
	refuse string
	mu     sync.Mutex
	hosts  []string
}

func (d *dialLog) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var dialer net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.mu.Lock()
		d.hosts = append(d.hosts, addr)
		d.mu.Unlock()
		if strings.HasPrefix(addr, d.refuse) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError("refused by the test")}
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return tr
}

func (d *dialLog) dialed(prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, h := range d.hosts {
		if strings.HasPrefix(h, prefix) {
			out = append(out, h)
		}
	}
	return out
}

// TestInsecureUploadURLFailsTheFile: the API hands out upload URLs in plain http to a
// host that is not this machine (§10): not one byte of the file is sent — the app does
// not even connect there —, the file fails saying why, and it is not retried.
func TestInsecureUploadURLFailsTheFile(t *testing.T) {
	const s3Host = "uploads.example.com"
	dials := &dialLog{refuse: s3Host}
	r := newRig(t, rigConfig{
		sim:     c2csim.Options{PublicURL: "http://" + s3Host},
		service: func(c *core.Config) { c.Transport = dials.transport() },
	})
	p := writeFile(t, r.dir, "in-the-clear.mov", 3*rigPartSize)
	r.add(p)
	r.waitFor("the file to fail, or a connection to the upload host", func(vs map[string]core.FileView) bool {
		return vs[p].State.Finished() || len(dials.dialed(s3Host)) > 0
	})
	if d := dials.dialed(s3Host); len(d) != 0 {
		t.Errorf("the app connected to the plain-http upload host: %q", d)
	}
	v, _ := r.view(p)
	if v.State != core.Failed || v.ErrorKind != string(api.KindUploadRejected) || !strings.Contains(v.Error, "not secure") {
		t.Errorf("the file is %s (%s %q), want failed (UploadRejected) saying the address is not secure", v.State, v.ErrorKind, v.Error)
	}
	if r.sawFileState(p, core.Retrying) {
		t.Error("the file was put back in the queue (retrying)")
	}
	as := r.assetsByName()["in-the-clear.mov"]
	if len(as) != 1 {
		t.Fatalf("%d assets, want the one whose URLs point to http://%s", len(as), s3Host)
	}
	for _, part := range as[0].Parts {
		if part.Received {
			t.Errorf("part %d of the asset was received", part.Number)
		}
	}
	r.checkJournal(map[string]journalWant{p: {state: core.Failed, kind: api.KindUploadRejected}})
}

// TestCaptivePortalAnswerIsRetried: a success status whose body is not the API's JSON —
// a captive portal's login page answering for the API (§10) — is UnknownAPIError, class
// once: the asset creation is tried once more, then the file goes back to the queue
// (retrying, not failed) and arrives once the API answers again. The page created no
// asset, so there is still one per file.
func TestCaptivePortalAnswerIsRetried(t *testing.T) {
	r := newRig(t, rigConfig{})
	portal := r.fault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Status: 200, Times: 2,
		ContentType: "text/html", Body: "<html><body>Please log in to the hotel Wi-Fi</body></html>"})
	p := writeFile(t, r.dir, "hotel.mov", 3*rigPartSize)
	r.add(p)
	r.finishFaultTest([]string{p})
	r.expectFired("the captive portal", portal, 2)
	if !r.sawFileError(p, core.Retrying, api.KindUnknownAPIError) {
		t.Error("the file was not seen retrying with UnknownAPIError after the portal's two answers")
	}
	var creations int
	for _, q := range r.sim.Requests(0) {
		if q.Path == "/v2/devices/assets" {
			creations++
		}
	}
	if creations != 3 {
		t.Errorf("%d asset creations, want 3 (the portal's two, then the API's)", creations)
	}
	r.expectAssets(1)
}
