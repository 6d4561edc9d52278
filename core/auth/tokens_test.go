package auth_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// The token manager against the simulator: single-flight refresh behind the auth gate,
// needs-reconnect, proactive refresh, rotation, devices/me after every refresh, tokens
// saved before use, and unpairing (docs/error-policy.md §8, docs/api-notes.md §2.5-2.8).

const pairedProject = "Auth Project"

// orderLog is the order in which tokens were saved and used, by fingerprint.
type orderLog struct {
	mu   sync.Mutex
	list []string
}

func (e *orderLog) add(what, token string) {
	e.mu.Lock()
	e.list = append(e.list, what+" "+c2csim.Fingerprint(token))
	e.mu.Unlock()
}

func (e *orderLog) index(what, token string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Index(e.list, what+" "+c2csim.Fingerprint(token))
}

// recordingAPI is the real client, noting every use of an access token in the event order.
// Refreshes pass through held, which a test can arm to hold one.
type recordingAPI struct {
	*api.Client
	ev   *orderLog
	held *heldRefresh
}

func (a recordingAPI) RefreshTokens(ctx context.Context, cr api.Credentials, refreshToken string) (api.Tokens, error) {
	a.held.wait()
	return a.Client.RefreshTokens(ctx, cr, refreshToken)
}

// heldRefresh holds the next refresh, once armed, until the test lets it go.
type heldRefresh struct {
	mu      sync.Mutex
	started chan struct{} // closed when the held refresh reached the API
	release chan struct{}
}

// arm holds the next refresh: started is closed when it arrives, and it goes on once
// release is closed.
func (h *heldRefresh) arm() (started, release chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started, h.release = make(chan struct{}), make(chan struct{})
	return h.started, h.release
}

func (h *heldRefresh) wait() {
	h.mu.Lock()
	started, release := h.started, h.release
	h.started, h.release = nil, nil
	h.mu.Unlock()
	if started != nil {
		close(started)
		<-release
	}
}

func (a recordingAPI) Me(ctx context.Context, access string) (api.Device, error) {
	a.ev.add("use", access)
	return a.Client.Me(ctx, access)
}

// settableClock moves only when the test sets it; a wait fires when the time it is due
// has been reached.
type settableClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []pendingWait
	afters  int
	latest  chan time.Time
}

type pendingWait struct {
	at time.Time
	ch chan time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.afters++
	ch := make(chan time.Time, 1)
	c.latest = ch
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.pending = append(c.pending, pendingWait{c.now.Add(d), ch})
	return ch
}

// Set moves the clock to t and fires every wait due by then.
func (c *settableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.pending = slices.DeleteFunc(c.pending, func(w pendingWait) bool {
		if w.at.After(t) {
			return false
		}
		w.ch <- t
		return true
	})
}

// Waiting reports how many After calls were made and whether the latest is still
// pending (waits a caller gave up on stay pending too).
func (c *settableClock) Waiting() (afters int, latestPending bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.afters, len(c.pending) > 0 && c.pending[len(c.pending)-1].ch == c.latest
}

func noJitter() float64 { return 0 }

// authEnv is a simulator, a paired installation and its token manager.
type authEnv struct {
	t      *testing.T
	ctx    context.Context
	sim    *c2csim.Sim
	client *api.Client
	api    recordingAPI
	creds  api.Credentials
	ev     *orderLog
	store  *authtest.MemoryStore
	online *retry.Gate
	m      *auth.Manager
	first  api.Tokens // from the pairing
}

func newAuthEnv(t *testing.T, clock retry.Clock) *authEnv {
	t.Helper()
	sim := c2csim.Start(t, c2csim.Options{PartSize: 64 << 10, PollInterval: 200 * time.Millisecond})
	client, err := api.New(api.Config{BaseURL: sim.URL(), ClientVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	ev := &orderLog{}
	e := &authEnv{
		t: t, ctx: t.Context(), sim: sim, client: client, api: recordingAPI{client, ev, &heldRefresh{}},
		creds: api.Credentials{ClientID: "auth-device", ClientSecret: c2csim.DemoClientSecret},
		ev:    ev, store: &authtest.MemoryStore{OnSave: func(t api.Tokens) { ev.add("save", t.AccessToken) }}, online: retry.NewGate("connectivity", true),
	}
	if clock == nil {
		clock = &retrytest.Clock{}
	}
	e.m = auth.New(auth.Config{
		API: e.api, Credentials: e.creds, Store: e.store,
		Policy: retry.Policy{Clock: clock, Rand: noJitter}, Online: e.online,
	})
	e.first = e.pair()
	if err := e.m.Adopt(e.ctx, e.first); err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	return e
}

// pair pairs the installation with plain client calls: code, approval, poll.
func (e *authEnv) pair() api.Tokens {
	e.t.Helper()
	dc, err := e.client.RequestDeviceCode(e.ctx, e.creds)
	if err != nil {
		e.t.Fatalf("RequestDeviceCode: %v", err)
	}
	if err := e.sim.Approve(dc.UserCode, c2csim.Approval{ProjectName: pairedProject}); err != nil {
		e.t.Fatal(err)
	}
	for {
		select {
		case <-e.ctx.Done():
			e.t.Fatal(context.Cause(e.ctx))
		case <-time.After(dc.Interval):
		}
		tok, err := e.client.PollToken(e.ctx, e.creds, dc.DeviceCode)
		if err == nil {
			return tok
		}
		if k := api.KindOf(err); k != api.KindAuthorizationPending && k != api.KindSlowDown {
			e.t.Fatalf("PollToken: %v", err)
		}
	}
}

func (e *authEnv) lastSeq() int64 {
	var seq int64
	for _, r := range e.sim.Requests(0) {
		seq = max(seq, r.Seq)
	}
	return seq
}

// log is the simulator's request log after since, in arrival order, without health checks.
func (e *authEnv) log(since int64) []c2csim.Request {
	out := slices.DeleteFunc(e.sim.Requests(since), func(r c2csim.Request) bool { return r.Kind == "health" })
	slices.SortFunc(out, func(a, b c2csim.Request) int { return int(a.Seq - b.Seq) })
	return out
}

func refreshRequests(log []c2csim.Request) []c2csim.Request {
	return slices.DeleteFunc(slices.Clone(log), func(r c2csim.Request) bool { return r.Grant != "refresh_token" })
}

// meWith counts GET /v2/devices/me answered status with token.
func countMe(log []c2csim.Request, status int, token string) int {
	n := 0
	for _, r := range log {
		if r.Path == "/v2/devices/me" && r.Status == status && r.TokenFP == c2csim.Fingerprint(token) {
			n++
		}
	}
	return n
}

// callMe runs n concurrent calls of devices/me through the manager.
func (e *authEnv) callMe(n int) <-chan error {
	results := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			results <- e.m.Do(e.ctx, api.EndpointMe, func(ctx context.Context, access string) error {
				_, err := e.api.Me(ctx, access)
				return err
			})
		})
	}
	e.t.Cleanup(wg.Wait)
	return results
}

// savedBeforeUse checks that t was written to the store before its access token was
// first sent.
func (e *authEnv) savedBeforeUse(t api.Tokens) {
	e.t.Helper()
	save, use := e.ev.index("save", t.AccessToken), e.ev.index("use", t.AccessToken)
	if save < 0 || use < 0 || save > use {
		e.t.Errorf("tokens saved at event %d, first used at %d: want saved first (events %q)", save, use, e.ev.list)
	}
}

// TestConcurrentCallsShareOneRefresh: the access token expires under 16 calls at once;
// they produce exactly one refresh, then all of them succeed with the new token. Every
// call meets the expired token before any refresh starts (their 401s are held at a
// barrier); then one call starts the refresh, a third of them arrive while it is under
// way (and wait for it), and the rest arrive together once it is over: they must see
// that their token was already replaced and repeat the call with the new one, not spend
// the new refresh token on another refresh.
func TestConcurrentCallsShareOneRefresh(t *testing.T) {
	const n = 16
	e := newAuthEnv(t, nil)
	if st := e.m.Status(); st.State != auth.Paired || st.ProjectName != pairedProject {
		t.Fatalf("after pairing: %+v, want paired to %q (devices/me after pairing)", st, pairedProject)
	}
	e.savedBeforeUse(e.first)
	if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
		t.Fatal(err)
	}
	since := e.lastSeq()

	// Caller 0 goes first, callers 1..n/3 while the refresh is under way, the others after.
	first, during, after := make(chan struct{}), make(chan struct{}), make(chan struct{})
	group := func(i int) chan struct{} {
		switch {
		case i == 0:
			return first
		case i <= n/3:
			return during
		}
		return after
	}
	var refused atomic.Int32
	results := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results <- e.m.Do(e.ctx, api.EndpointMe, func(ctx context.Context, access string) error {
				_, err := e.api.Me(ctx, access)
				if api.KindOf(err) == api.KindUnauthorizedClient && access == e.first.AccessToken {
					refused.Add(1)
					select {
					case <-group(i):
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return err
			})
		})
	}
	t.Cleanup(wg.Wait)
	waitfor.Condition(t, "every call refused with the expired token", func() bool { return refused.Load() == n })

	// The limit only keeps a broken test from hanging until the global deadline.
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	started, release := e.api.held.arm()
	close(first)
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the first call refused did not start a refresh")
	}
	close(during)
	close(release)
	// Wait returns once the refresh is over: no refresh is under way when the rest come.
	if err := e.m.Wait(ctx); err != nil {
		t.Fatalf("waiting for the refresh: %v", err)
	}
	close(after)
	for range n {
		if err := <-results; err != nil {
			t.Errorf("a call failed: %v", err)
		}
	}

	saved := e.store.Saved()
	if len(saved) != 2 {
		t.Fatalf("%d token pairs saved, want the pairing's and the refresh's", len(saved))
	}
	second := saved[1]
	// devices/me follows every refresh: n calls plus the manager's own.
	var log []c2csim.Request
	waitfor.Condition(t, "devices/me with the new token", func() bool {
		log = e.log(since)
		return countMe(log, 200, second.AccessToken) >= n+1
	})
	if got := countMe(log, 200, second.AccessToken); got != n+1 {
		t.Errorf("%d devices/me answered with the new token, want %d", got, n+1)
	}
	r := refreshRequests(log)
	if len(r) != 1 || r[0].Status != 200 || r[0].TokenFP != c2csim.Fingerprint(e.first.RefreshToken) {
		t.Fatalf("refresh requests %+v, want exactly one, with the pairing's refresh token", r)
	}
	if got := countMe(log, 401, e.first.AccessToken); got != n {
		t.Errorf("%d calls met the expired token, want all %d", got, n)
	}
	for _, req := range log {
		if req.Status == 401 && req.TokenFP != c2csim.Fingerprint(e.first.AccessToken) {
			t.Errorf("%s %s answered 401 with a token other than the expired one", req.Method, req.Path)
		}
	}
	e.savedBeforeUse(second)
	if st := e.m.Status(); st.State != auth.Paired || !st.AccessExpires.Equal(second.ExpiresAt().Round(0)) {
		t.Errorf("status %+v, want paired with the new token's expiry", st)
	}

	// Rotation: the next refresh uses the new refresh token; the old one never comes back.
	if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
		t.Fatal(err)
	}
	if err := <-e.callMe(1); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "the third pair in the store", func() bool { return len(e.store.Saved()) == 3 })
	third := e.store.Saved()[2]
	waitfor.Condition(t, "devices/me after the second refresh", func() bool {
		return countMe(e.log(since), 200, third.AccessToken) >= 2
	})
	log = e.log(since)
	r = refreshRequests(log)
	if len(r) != 2 || r[1].TokenFP != c2csim.Fingerprint(second.RefreshToken) {
		t.Errorf("second refresh %+v, want one with the rotated refresh token", r)
	}
	for _, req := range log {
		if req.Seq > r[0].Seq && req.TokenFP == c2csim.Fingerprint(e.first.RefreshToken) {
			t.Errorf("the spent refresh token came back: %s %s", req.Method, req.Path)
		}
	}
	e.savedBeforeUse(third)
}

// TestFailedRefreshNeedsReconnect: when the refresh itself is refused, the calls stay
// waiting at the auth gate, the manager says the device needs reconnecting, and a new
// pairing lets every one of them complete.
func TestFailedRefreshNeedsReconnect(t *testing.T) {
	const n = 8
	e := newAuthEnv(t, nil)
	if err := e.sim.Admin.Revoke(e.ctx, e.creds.ClientID); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
		t.Fatal(err)
	}
	since := e.lastSeq()
	results := e.callMe(n)

	waitfor.Condition(t, "needs-reconnect", func() bool { return e.m.Status().State == auth.NeedsReconnect })
	st := e.m.Status()
	if st.Reason == "" || st.Cause == nil || st.Cause.Kind != api.KindUnauthorizedClient || st.Cause.Endpoint != api.EndpointRefresh {
		t.Errorf("needs-reconnect status %+v, want a reason and the refresh's Not Authorized as the cause", st)
	}
	if e.m.Gate().IsOpen() {
		t.Error("the auth gate is open while the device needs reconnecting")
	}
	r := refreshRequests(e.log(since))
	if len(r) != 1 || r[0].Status != 401 {
		t.Errorf("refresh requests %+v, want exactly one, refused", r)
	}
	if len(results) != 0 {
		t.Fatalf("%d calls returned, want all of them waiting for the reconnect", len(results))
	}

	again := e.pair()
	if err := e.m.Adopt(e.ctx, again); err != nil {
		t.Fatalf("Adopt after reconnecting: %v", err)
	}
	for range n {
		if err := <-results; err != nil {
			t.Errorf("a call failed: %v", err)
		}
	}
	if st := e.m.Status(); st.State != auth.Paired || st.Reason != "" || st.Cause != nil {
		t.Errorf("status after reconnecting %+v, want paired and clean", st)
	}
	var log []c2csim.Request
	waitfor.Condition(t, "the calls in the simulator's log", func() bool {
		log = e.log(since)
		return countMe(log, 200, again.AccessToken) >= n+1
	})
	if got := countMe(log, 200, again.AccessToken); got != n+1 {
		t.Errorf("%d devices/me with the new pairing's token, want %d (the calls and Adopt's)", got, n+1)
	}
	if r := refreshRequests(log); len(r) != 1 {
		t.Errorf("%d refreshes, want the one refused", len(r))
	}
	e.savedBeforeUse(again)
}

// TestProactiveRefresh: at 80% of the access token's lifetime Run renews it, before any
// call meets an expired token.
func TestProactiveRefresh(t *testing.T) {
	clock := &settableClock{now: time.Now()}
	e := newAuthEnv(t, clock)
	since := e.lastSeq()
	ctx, stop := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.m.Run(ctx) })
	t.Cleanup(func() { stop(); wg.Wait() })

	waitingAgain := func(afters int) {
		t.Helper()
		waitfor.Condition(t, "Run to wait again", func() bool {
			a, pending := clock.Waiting()
			return a > afters && pending
		})
	}
	waitingAgain(0)
	received := e.first.RequestedAt.Round(0)
	due := received.Add(time.Duration(float64(e.first.ExpiresIn) * 0.8))

	a, _ := clock.Waiting()
	clock.Set(due.Add(-time.Minute))
	waitingAgain(a)
	if r := refreshRequests(e.log(since)); len(r) != 0 {
		t.Fatalf("refreshed a minute before 80%% of the lifetime: %+v", r)
	}

	a, _ = clock.Waiting()
	clock.Set(due)
	waitfor.Condition(t, "the proactive refresh", func() bool { return len(e.store.Saved()) == 2 })
	second := e.store.Saved()[1]
	waitfor.Condition(t, "devices/me after the refresh", func() bool { return countMe(e.log(since), 200, second.AccessToken) == 1 })
	waitingAgain(a)

	log := e.log(since)
	if r := refreshRequests(log); len(r) != 1 || r[0].Status != 200 || r[0].TokenFP != c2csim.Fingerprint(e.first.RefreshToken) {
		t.Errorf("refreshes %+v, want exactly one", r)
	}
	for _, r := range log {
		if r.Status == 401 {
			t.Errorf("%s %s met an expired token", r.Method, r.Path)
		}
	}
	if !clock.Now().Before(e.first.ExpiresAt()) {
		t.Error("the refresh was not before the expiry")
	}
	if st := e.m.Status(); st.State != auth.Paired || !st.AccessExpires.Equal(second.ExpiresAt().Round(0)) {
		t.Errorf("status %+v, want paired with the new expiry", st)
	}
	e.savedBeforeUse(second)
}

// TestUnpairRevokesAndDeletes: unpairing revokes the refresh token at the API, deletes the
// stored tokens and closes the auth gate.
func TestUnpairRevokesAndDeletes(t *testing.T) {
	e := newAuthEnv(t, nil)
	since := e.lastSeq()
	if _, err := e.m.Unpair(e.ctx); err != nil {
		t.Fatalf("Unpair: %v", err)
	}
	log := e.log(since)
	if len(log) != 1 || log[0].Path != "/v2/auth/revoke" || log[0].Status != 200 || log[0].TokenFP != c2csim.Fingerprint(e.first.RefreshToken) {
		t.Errorf("requests %+v, want one revoke of the refresh token", log)
	}
	if _, err := e.store.Load(e.ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Errorf("store after unpairing: %v, want ErrNoTokens", err)
	}
	if st := e.m.Status(); st.State != auth.Unpaired || e.m.Gate().IsOpen() {
		t.Errorf("status %+v, gate open %v: want unpaired and closed", st, e.m.Gate().IsOpen())
	}
	if _, err := e.client.Me(e.ctx, e.first.AccessToken); api.KindOf(err) != api.KindUnauthorizedClient {
		t.Errorf("the old access token still works at the API: %v", err)
	}
	devices, err := e.sim.Admin.Devices(e.ctx)
	if err != nil || len(devices) != 1 || !devices[0].Removed {
		t.Errorf("devices %+v (%v), want the device removed", devices, err)
	}
}

// TestUnpairOfflineStillDeletes: with the connection down the revoke is skipped, the
// tokens are deleted all the same.
func TestUnpairOfflineStillDeletes(t *testing.T) {
	e := newAuthEnv(t, nil)
	since := e.lastSeq()
	e.online.Close("offline")
	if _, err := e.m.Unpair(e.ctx); err != nil {
		t.Fatalf("Unpair: %v", err)
	}
	if log := e.log(since); len(log) != 0 {
		t.Errorf("requests while offline: %+v", log)
	}
	if e.store.Deletes() != 1 || e.m.Status().State != auth.Unpaired {
		t.Errorf("deleted %d times, state %s: want the tokens gone", e.store.Deletes(), e.m.Status().State)
	}
}

// TestLoadLeavesTheAPIAlone: Load only takes up the stored tokens; the device is looked
// up once Run starts. A lookup started by Load can end in needs-reconnect before a front
// end has subscribed to the service, and the alert it raises then reaches nobody (seen
// under load as TestEngineAlertsFromTheAPI/client-rejected waiting in vain for its
// alert). The connection is down while Load runs, so a lookup it started would still be
// waiting at the online gate when Load returns.
func TestLoadLeavesTheAPIAlone(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.online.Close("offline")
	// The next start of the same installation: a new manager loads the saved tokens.
	m := auth.New(auth.Config{
		API: e.api, Credentials: e.creds, Store: e.store,
		Policy: retry.Policy{Clock: &retrytest.Clock{}, Rand: noJitter}, Online: e.online,
	})
	since := e.lastSeq()
	if err := m.Load(e.ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := goroutinesStartedBy("auth.(*Manager).Load"); n != 0 {
		t.Fatalf("Load left %d goroutines behind; it must leave the API to Run", n)
	}
	ctx, stop := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	t.Cleanup(func() { stop(); wg.Wait() })
	e.online.Open()
	waitfor.Condition(t, "the device looked up once Run started", func() bool {
		return m.Status().ProjectName == pairedProject
	})
	if n := countMe(e.log(since), 200, e.first.AccessToken); n != 1 {
		t.Errorf("%d lookups of the device, want 1", n)
	}
}

// goroutinesStartedBy counts the live goroutines whose go statement is in fn.
func goroutinesStartedBy(fn string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "created by github.com/c2c-uploader/c2c-uploader/core/"+fn+" ")
}
