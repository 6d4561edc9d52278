package conn_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// stuckClock never fires: only CheckNow or the context ends a wait.
type stuckClock struct{ retrytest.Clock }

func (c *stuckClock) After(d time.Duration) <-chan time.Time {
	c.Record(d)
	return nil
}

// untilDone fires at once until its context ends, then never: a loop selecting on both
// cannot pick one more tick after the end.
type untilDone struct {
	retrytest.Clock
	ctx context.Context
}

func (c *untilDone) After(d time.Duration) <-chan time.Time {
	if c.ctx.Err() != nil {
		return nil
	}
	return c.Clock.After(d)
}

func zeroJitter() float64 { return 0 }

// backoff is the monitor's expected schedule: 0.5, 1, 2, ... 32, 32, ... s.
func backoff(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = min(500*time.Millisecond<<min(i, 10), 32*time.Second)
	}
	return out
}

// statusLog collects what the monitor publishes.
type statusLog struct {
	mu   sync.Mutex
	list []conn.Status
}

func (l *statusLog) add(s conn.Status) {
	l.mu.Lock()
	l.list = append(l.list, s)
	l.mu.Unlock()
}

func (l *statusLog) all() []conn.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// scriptedHealth fails the first `fail` checks, then succeeds.
type scriptedHealth struct {
	fail  int32
	calls atomic.Int32
}

func (h *scriptedHealth) Health(context.Context) error {
	if h.calls.Add(1) <= h.fail {
		return api.Classify(context.Background(), api.EndpointHealth, fmt.Errorf("dial: %w", syscall.ECONNREFUSED))
	}
	return nil
}

var errRefused = api.Classify(context.Background(), api.EndpointMe, fmt.Errorf("dial: %w", syscall.ECONNREFUSED))

func runMonitor(t *testing.T, m *conn.Monitor) {
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	t.Cleanup(func() { stop(); wg.Wait() })
}

func TestMonitorStartsOnline(t *testing.T) {
	m := conn.New(conn.Config{Health: &scriptedHealth{}})
	if st := m.Status(); st.State != conn.Online || !m.Gate().IsOpen() || !st.NextCheck.IsZero() {
		t.Fatalf("new monitor: %+v, gate open %v", st, m.Gate().IsOpen())
	}
}

// TestMonitorObserve: only a disconnect-class failure of a call other than /health takes
// the connection down (docs/error-policy.md §8).
func TestMonitorObserve(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint string
		err      error
		offline  bool
	}{
		{"success", api.EndpointMe, nil, false},
		{"500_is_not_a_disconnection", api.EndpointMe, api.Decode(api.EndpointMe, 500, nil, nil, false), false},
		{"429_is_not_a_disconnection", api.EndpointMe, api.Decode(api.EndpointMe, 429, nil, nil, false), false},
		{"S3_SlowDown_503_is_not_a_disconnection", api.EndpointChunk, api.Decode(api.EndpointChunk, 503, nil, []byte("<Error><Code>SlowDown</Code></Error>"), true), false},
		{"an_unclassified_error", api.EndpointMe, errors.New("boom"), false},
		{"the_monitor's_own_health_check", api.EndpointHealth, errRefused, false},
		{"502", api.EndpointMe, api.Decode(api.EndpointMe, 502, nil, nil, false), true},
		{"503", api.EndpointAssets, api.Decode(api.EndpointAssets, 503, nil, nil, false), true},
		{"504", api.EndpointHeartbeat, api.Decode(api.EndpointHeartbeat, 504, nil, nil, false), true},
		{"connection_refused", api.EndpointMe, errRefused, true},
		{"per-request_timeout_of_a_chunk", api.EndpointChunk, api.Classify(context.Background(), api.EndpointChunk, context.DeadlineExceeded), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log statusLog
			m := conn.New(conn.Config{Health: &scriptedHealth{}, OnChange: log.add})
			m.Observe(tc.endpoint, tc.err)
			st := m.Status()
			if got := st.State == conn.Offline; got != tc.offline || m.Gate().IsOpen() == tc.offline {
				t.Fatalf("state %s, gate open %v; want offline=%v", st.State, m.Gate().IsOpen(), tc.offline)
			}
			if !tc.offline {
				if len(log.all()) != 0 {
					t.Errorf("published %+v for nothing", log.all())
				}
				return
			}
			e, _ := api.AsError(tc.err)
			if st.Reason != e.UserMessage() || m.Gate().Reason() != st.Reason {
				t.Errorf("reason %q (gate %q), want %q", st.Reason, m.Gate().Reason(), e.UserMessage())
			}
			// A second failure while offline changes nothing.
			m.Observe(tc.endpoint, tc.err)
			if n := len(log.all()); n != 1 {
				t.Errorf("%d statuses published, want 1", n)
			}
		})
	}
}

// TestMonitorPollsWithBackoffForEver: while /health fails, the monitor checks again after
// 0.5, 1, 2, ... s, capped at 32 s, and the first success reopens the gate.
func TestMonitorPollsWithBackoffForEver(t *testing.T) {
	const failures = 10
	clock := retrytest.NewClock(time.Unix(1_000_000, 0))
	health := &scriptedHealth{fail: failures}
	var log statusLog
	m := conn.New(conn.Config{Health: health, Policy: retry.Policy{Clock: clock, Rand: zeroJitter}, OnChange: log.add})
	m.Observe(api.EndpointMe, errRefused)
	runMonitor(t, m)
	waitfor.Condition(t, "the connection to come back", m.Gate().IsOpen)

	if got, want := clock.Waits(), backoff(failures+1); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := health.calls.Load(); n != failures+1 {
		t.Errorf("%d health checks, want %d", n, failures+1)
	}
	var offline, reconnecting int
	prev := conn.Online
	for _, s := range log.all() {
		switch {
		case s.State == conn.Offline:
			if offline > 0 && s.NextCheck.IsZero() {
				t.Errorf("offline without the next check: %+v", s)
			}
			offline++
		case s.State == conn.Reconnecting && prev != conn.Reconnecting:
			reconnecting++
		}
		if s.State != conn.Online && s.Reason == "" {
			t.Errorf("%s without a reason", s.State)
		}
		prev = s.State
	}
	if reconnecting != failures+1 {
		t.Errorf("reconnecting %d times, want once per check (%d)", reconnecting, failures+1)
	}
	if st := m.Status(); st.State != conn.Online || st.Checks != 0 || st.Reason != "" {
		t.Errorf("final status %+v, want online and clean", st)
	}
}

// TestMonitorCheckNow skips the wait before the next check.
func TestMonitorCheckNow(t *testing.T) {
	clock := &stuckClock{}
	health := &scriptedHealth{}
	m := conn.New(conn.Config{Health: health, Policy: retry.Policy{Clock: clock, Rand: zeroJitter}})
	m.Observe(api.EndpointMe, errRefused)
	runMonitor(t, m)
	waitfor.Condition(t, "the monitor to wait for its first check", func() bool {
		return len(clock.Waits()) == 1 && !m.Status().NextCheck.IsZero()
	})
	if health.calls.Load() != 0 {
		t.Fatal("checked before the wait")
	}
	m.CheckNow()
	waitfor.Condition(t, "the connection to come back", m.Gate().IsOpen)
	if health.calls.Load() != 1 {
		t.Errorf("%d checks, want 1", health.calls.Load())
	}
}

// TestHeartbeatBeatsEveryInterval until its context ends.
func TestHeartbeatBeatsEveryInterval(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	clock := &untilDone{ctx: ctx}
	beats := 0
	conn.Heartbeat(ctx, clock, 2*time.Minute, func(context.Context) error {
		beats++
		if beats == 5 {
			cancel()
		}
		return errors.New("ignored")
	}, nil)
	if beats != 5 {
		t.Errorf("%d beats, want 5", beats)
	}
	if got, want := clock.Waits(), slices.Repeat([]time.Duration{2 * time.Minute}, 5); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// observer records every attempt the client reports, with the phase of the test it
// happened in, and passes it on to the monitor.
type observer struct {
	phase *atomic.Value
	next  func(string, error)

	mu   sync.Mutex
	list []observed
}

type observed struct {
	phase, endpoint string
	err             error
}

func (o *observer) Observe(endpoint string, err error) {
	o.mu.Lock()
	o.list = append(o.list, observed{o.phase.Load().(string), endpoint, err})
	o.mu.Unlock()
	o.next(endpoint, err)
}

func (o *observer) all() []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.list)
}

// sendLog records every request the client's transports start to send (their Proxy hook
// sees each one, including the transport's own silent retries), with the phase.
type sendLog struct {
	phase *atomic.Value

	mu   sync.Mutex
	list []observed
}

func (s *sendLog) proxy(r *http.Request) (*url.URL, error) {
	s.mu.Lock()
	s.list = append(s.list, observed{phase: s.phase.Load().(string), endpoint: r.Method + " " + r.URL.Path})
	s.mu.Unlock()
	return nil, nil
}

func (s *sendLog) all() []observed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

type healthFunc func(context.Context) error

func (f healthFunc) Health(ctx context.Context) error { return f(ctx) }

// TestOfflineCallsWaitAtTheGate: the simulator drops off the network with calls in flight.
// The monitor goes offline with its next check due, only GET /health leaves the process
// until the simulator is back, the calls in flight and the calls made meanwhile all wait
// at the connectivity gate, and once the gate opens every one of them succeeds: none
// fails for having been offline, and waiting did not use up attempts or back off.
func TestOfflineCallsWaitAtTheGate(t *testing.T) {
	ctx := t.Context()
	sim := c2csim.Start(t, c2csim.Options{PartSize: 64 << 10, PollInterval: 200 * time.Millisecond})
	setup, err := api.New(api.Config{BaseURL: sim.URL(), ClientVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	cr := api.Credentials{ClientID: "offline-device", ClientSecret: c2csim.DemoClientSecret}
	tok := pair(ctx, t, sim, setup, cr)
	const size = 200_000
	asset, err := setup.CreateAsset(ctx, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: "video/quicktime", Filesize: size})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	_, _ = rand.Read(data)
	chunkSize := (int64(size) + int64(len(asset.UploadURLs)) - 1) / int64(len(asset.UploadURLs))

	phase := &atomic.Value{}
	phase.Store("online")
	sent := &sendLog{phase: phase}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = sent.proxy
	var client *api.Client
	monClock := &retrytest.Scaled{Factor: 100} // the backoff keeps its shape without the test taking minutes
	var statuses statusLog
	mon := conn.New(conn.Config{
		Health:   healthFunc(func(ctx context.Context) error { return client.Health(ctx) }),
		Policy:   retry.Policy{Clock: monClock, Rand: zeroJitter},
		OnChange: statuses.add,
	})
	obs := &observer{phase: phase, next: mon.Observe}
	client, err = api.New(api.Config{
		BaseURL: sim.URL(), ClientVersion: "1.2.3", Transport: tr,
		Online: mon.Gate(), Observe: obs.Observe,
	})
	if err != nil {
		t.Fatal(err)
	}
	runMonitor(t, mon)

	callClock := &retrytest.Clock{}
	policy := retry.Policy{Clock: callClock, Rand: zeroJitter}
	type result struct {
		name     string
		attempts int
		err      error
	}
	results := make(chan result, 16)
	var calls sync.WaitGroup
	t.Cleanup(calls.Wait)
	start := func(name, endpoint string, op func(ctx context.Context) error) {
		calls.Go(func() {
			n := 0
			err := policy.Do(ctx, retry.Call{Endpoint: endpoint, Gates: []*retry.Gate{mon.Gate()}},
				func(ctx context.Context, _ int) error { n++; return op(ctx) })
			results <- result{name, n, err}
		})
	}
	heartbeat := func(ctx context.Context) error { return client.Heartbeat(ctx, tok.AccessToken) }
	put := func(i int) func(ctx context.Context) error {
		off := int64(i) * chunkSize
		ch := api.Chunk{URL: asset.UploadURLs[i], File: bytes.NewReader(data), Path: "clip.mov",
			Offset: off, Length: min(chunkSize, size-off), ContentType: "video/quicktime"}
		return func(ctx context.Context) error { return client.PutChunk(ctx, ch) }
	}

	// Three requests the simulator holds when the link drops. (POST and PUT: net/http
	// would silently resend a GET cut on a reused connection, a request of its own.) The
	// PUT's body is read whole first, so the simulator notices the connection go.
	for _, f := range []c2csim.Fault{
		{Method: "POST", Path: "/v2/devices/heartbeat", Delay: c2csim.Duration(10 * time.Minute), Times: 2},
		{Method: "PUT", Path: "/s3/*", Stall: true, StallAfter: chunkSize, Times: 1},
	} {
		if _, err := sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	inFlight := map[string]bool{"heartbeat-1": true, "heartbeat-2": true, "chunk-1": true}
	start("heartbeat-1", api.EndpointHeartbeat, heartbeat)
	start("heartbeat-2", api.EndpointHeartbeat, heartbeat)
	start("chunk-1", api.EndpointChunk, put(0))
	waitfor.Condition(t, "three requests held by the simulator", func() bool {
		faults, err := sim.Admin.Faults(ctx)
		return err == nil && faults[0].Hits+faults[1].Hits == 3
	})

	phase.Store("offline")
	if err := sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "the calls in flight to fail and wait", func() bool {
		var failed int
		for _, o := range obs.all() {
			if o.phase == "offline" && o.endpoint != api.EndpointHealth {
				failed++
			}
		}
		return failed == 3 && len(callClock.Waits()) == 3
	})
	waitfor.Condition(t, "the monitor to be offline with its next check due", func() bool {
		st := mon.Status()
		return st.State == conn.Offline && !st.NextCheck.IsZero() && st.Reason != ""
	})
	waitfor.Condition(t, "the held requests in the simulator's log", func() bool {
		n := 0
		for _, r := range sim.Requests(0) {
			if r.Aborted {
				n++
			}
		}
		return n == 3
	})
	boundary := int64(0)
	for _, r := range sim.Requests(0) {
		boundary = max(boundary, r.Seq)
	}

	// Calls made while offline wait at the gate.
	start("me", api.EndpointMe, func(ctx context.Context) error { _, err := client.Me(ctx, tok.AccessToken); return err })
	start("create", api.EndpointAssets, func(ctx context.Context) error {
		_, err := client.CreateAsset(ctx, tok.AccessToken, api.AssetRequest{Name: "b.mov", Filetype: "video/quicktime", Filesize: 10})
		return err
	})
	start("chunk-2", api.EndpointChunk, put(1))
	start("heartbeat-3", api.EndpointHeartbeat, heartbeat)
	checks := mon.Status().Checks
	waitfor.Condition(t, "more failed health checks", func() bool { return mon.Status().Checks >= checks+3 })
	if n := len(results); n != 0 {
		t.Fatalf("%d calls returned while offline, want all of them waiting", n)
	}

	phase.Store("back")
	if err := sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	calls.Wait()
	close(results)

	for r := range results {
		want := 1
		if inFlight[r.name] {
			want = 2 // the attempt cut by the outage, then one after the gate opened
		}
		if r.err != nil || r.attempts != want {
			t.Errorf("%s: %d attempts, err %v; want %d attempts and success", r.name, r.attempts, r.err, want)
		}
	}
	if w := callClock.Waits(); !slices.Equal(w, make([]time.Duration, 3)) {
		t.Errorf("the calls' waits %v, want [0 0 0]: the gate replaces the backoff", w)
	}

	// While offline only /health left the process...
	var healthSent int
	for _, s := range sent.all() {
		if s.phase != "offline" {
			continue
		}
		if s.endpoint != "GET /health" {
			t.Errorf("%s was sent while offline", s.endpoint)
		}
		healthSent++
	}
	var offlineFailures []string
	for _, o := range obs.all() {
		if o.phase == "offline" && o.endpoint != api.EndpointHealth {
			offlineFailures = append(offlineFailures, o.endpoint)
			if !api.HasEffect(o.err, api.EffectDisconnect) {
				t.Errorf("%s failed with %v while the link was down", o.endpoint, o.err)
			}
		}
	}
	slices.Sort(offlineFailures)
	if want := []string{api.EndpointHeartbeat, api.EndpointHeartbeat, api.EndpointChunk}; !slices.Equal(offlineFailures, sorted(want)) {
		t.Errorf("attempts that ended while offline: %q, want only the three in flight", offlineFailures)
	}
	if healthSent < 3 {
		t.Errorf("%d health checks while offline, want several", healthSent)
	}
	// ...and the first request the simulator saw when it came back was a health check.
	after := sim.Requests(boundary)
	slices.SortFunc(after, func(a, b c2csim.Request) int { return int(a.Seq - b.Seq) })
	if len(after) == 0 || after[0].Path != "/health" || after[0].Status != 200 {
		t.Errorf("after the outage the simulator first saw %+v, want GET /health", after)
	}

	// The monitor: offline with a reason and the next check due, reconnecting, online;
	// its checks backed off 0.5, 1, 2, ... s.
	var sawOffline, sawReconnecting bool
	for _, s := range statuses.all() {
		sawOffline = sawOffline || (s.State == conn.Offline && s.Reason != "" && !s.NextCheck.IsZero())
		sawReconnecting = sawReconnecting || s.State == conn.Reconnecting
	}
	if !sawOffline || !sawReconnecting || mon.Status().State != conn.Online {
		t.Errorf("statuses %+v: want offline (with reason and next check), reconnecting, then online", statuses.all())
	}
	if w := monClock.Waits(); len(w) < 4 || !slices.Equal(w, backoff(len(w))) {
		t.Errorf("health check waits %v, want the backoff 0.5, 1, 2, ... s", w)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// pair pairs cr's installation as a person would: ask for a code, approve it, poll.
func pair(ctx context.Context, t *testing.T, sim *c2csim.Sim, c *api.Client, cr api.Credentials) api.Tokens {
	t.Helper()
	dc, err := c.RequestDeviceCode(ctx, cr)
	if err != nil {
		t.Fatalf("RequestDeviceCode: %v", err)
	}
	if err := sim.Approve(dc.UserCode, c2csim.Approval{ProjectName: "Offline"}); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case <-ctx.Done():
			t.Fatal(context.Cause(ctx))
		case <-time.After(dc.Interval):
		}
		tok, err := c.PollToken(ctx, cr, dc.DeviceCode)
		if err == nil {
			return tok
		}
		if k := api.KindOf(err); k != api.KindAuthorizationPending && k != api.KindSlowDown {
			t.Fatalf("PollToken: %v", err)
		}
	}
}
