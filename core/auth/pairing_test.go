package auth_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// Pairing against the simulator through every branch of Manager.Pair
// (docs/api-notes.md §2.3-2.5, docs/error-policy.md §3): pending → approved → paired,
// slow_down, a code that expires, expired_token / invalid_grant answers, declined,
// invalid client, cancel at every step, and an outage while polling. Poll spacing is
// read from the simulator's request log, on the simulator's clock.

const (
	pairProject  = "Pairing Project"
	pairClientID = "pairing-device"
	pairCodePath = "/v2/auth/device/code"
	pairPollPath = "/v2/auth/token"
)

// pairPubs records what Pair publishes; hook, when set, sees each publication on Pair's
// goroutine (it must not block, like any publish func).
type pairPubs struct {
	mu   sync.Mutex
	list []auth.Pairing
	hook func(auth.Pairing)
}

func (p *pairPubs) publish(pr auth.Pairing) {
	p.mu.Lock()
	p.list = append(p.list, pr)
	hook := p.hook
	p.mu.Unlock()
	if hook != nil {
		hook(pr)
	}
}

func (p *pairPubs) setHook(h func(auth.Pairing)) {
	p.mu.Lock()
	p.hook = h
	p.mu.Unlock()
}

func (p *pairPubs) all() []auth.Pairing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.list)
}

func (p *pairPubs) states() []auth.PairState {
	var out []auth.PairState
	for _, pr := range p.all() {
		out = append(out, pr.State)
	}
	return out
}

func (p *pairPubs) last() auth.Pairing {
	all := p.all()
	if len(all) == 0 {
		return auth.Pairing{}
	}
	return all[len(all)-1]
}

// firstPending is the first pending publication of the n-th code (1-based).
func (p *pairPubs) firstPending(n int) (auth.Pairing, bool) {
	for _, pr := range p.all() {
		if pr.State == auth.PairPending && pr.Codes == n {
			return pr, true
		}
	}
	return auth.Pairing{}, false
}

// pairPoll is one PollToken call as the manager made it.
type pairPoll struct {
	code       string
	start, end time.Time
	kind       api.Kind // "" when the tokens came
}

// pairSpy is the real client as PairAPI, noting the codes it was given and every poll.
type pairSpy struct {
	client *api.Client

	mu    sync.Mutex
	codes []string
	polls []pairPoll
}

func (s *pairSpy) RequestDeviceCode(ctx context.Context, cr api.Credentials) (api.DeviceCode, error) {
	dc, err := s.client.RequestDeviceCode(ctx, cr)
	if err == nil {
		s.mu.Lock()
		s.codes = append(s.codes, dc.DeviceCode)
		s.mu.Unlock()
	}
	return dc, err
}

func (s *pairSpy) PollToken(ctx context.Context, cr api.Credentials, deviceCode string) (api.Tokens, error) {
	start := time.Now()
	t, err := s.client.PollToken(ctx, cr, deviceCode)
	s.mu.Lock()
	s.polls = append(s.polls, pairPoll{code: deviceCode, start: start, end: time.Now(), kind: api.KindOf(err)})
	s.mu.Unlock()
	return t, err
}

func (s *pairSpy) Polls() []pairPoll {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.polls)
}

func (s *pairSpy) Codes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.codes)
}

type pairRigConfig struct {
	sim    c2csim.Options
	clock  retry.Clock // nil: the wall clock
	secret string      // "": the simulator's demo secret
	// monitor puts a running conn.Monitor in charge of the connectivity gate, wired to
	// the client as in the app (Online and Observe).
	monitor bool
	// noGate leaves Config.Online nil.
	noGate bool
}

// pairRig is a simulator, an API client and an unpaired token manager.
type pairRig struct {
	t      *testing.T
	sim    *c2csim.Sim
	client *api.Client
	spy    *pairSpy
	m      *auth.Manager
	store  *authtest.MemoryStore
	pubs   *pairPubs
	online *retry.Gate
	mon    *conn.Monitor
	runs   sync.WaitGroup
}

func newPairRig(t *testing.T, cfg pairRigConfig) *pairRig {
	t.Helper()
	r := &pairRig{t: t, sim: c2csim.Start(t, cfg.sim), pubs: &pairPubs{}, store: &authtest.MemoryStore{}}
	// Short backoffs: a transient failure or a health check comes back within 50 ms.
	policy := retry.Policy{Clock: cfg.clock, Rand: noJitter, MaxDelay: 50 * time.Millisecond}
	apiCfg := api.Config{BaseURL: r.sim.URL(), ClientVersion: "1.2.3"}
	switch {
	case cfg.monitor:
		r.mon = conn.New(conn.Config{Policy: retry.Policy{Rand: noJitter, MaxDelay: 50 * time.Millisecond}})
		r.online = r.mon.Gate()
		apiCfg.Online, apiCfg.Observe = r.mon.Gate(), r.mon.Observe
	case !cfg.noGate:
		r.online = retry.NewGate("connectivity", true)
	}
	client, err := api.New(apiCfg)
	if err != nil {
		t.Fatal(err)
	}
	r.client, r.spy = client, &pairSpy{client: client}
	if r.mon != nil {
		r.mon.SetHealth(client)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { r.mon.Run(ctx) })
		t.Cleanup(func() { stop(); wg.Wait() })
	}
	secret := cfg.secret
	if secret == "" {
		secret = c2csim.DemoClientSecret
	}
	r.m = auth.New(auth.Config{
		API: client, Credentials: api.Credentials{ClientID: pairClientID, ClientSecret: secret},
		Store: r.store, Policy: policy, Online: r.online,
	})
	t.Cleanup(r.runs.Wait)
	return r
}

// start runs Pair in the background; its answer comes on the channel.
func (r *pairRig) start(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	r.runs.Go(func() { done <- r.m.Pair(ctx, r.spy, r.pubs.publish) })
	return done
}

// await is Pair's answer, failing the test if it takes longer than within.
func (r *pairRig) await(done <-chan error, within time.Duration) error {
	r.t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		r.t.Fatalf("Pair did not return within %v; published %v", within, r.pubs.states())
		return nil
	}
}

// approveWhen approves, in the simulator, each code published as pending for which cond
// holds, once, into pairProject.
func (r *pairRig) approveWhen(cond func(auth.Pairing) bool) {
	approved := map[string]bool{} // only Pair's goroutine touches it, one Pair at a time
	r.pubs.setHook(func(p auth.Pairing) {
		if p.State != auth.PairPending || approved[p.UserCode] || !cond(p) {
			return
		}
		approved[p.UserCode] = true
		if err := r.sim.Approve(p.UserCode, c2csim.Approval{ProjectName: pairProject}); err != nil {
			r.t.Logf("approving %s: %v", p.UserCode, err)
		}
	})
}

func (r *pairRig) fault(f c2csim.Fault) int {
	r.t.Helper()
	got, err := r.sim.AddFault(f)
	if err != nil {
		r.t.Fatal(err)
	}
	return got.ID
}

func (r *pairRig) faultHits(id int) int {
	r.t.Helper()
	faults, err := r.sim.Admin.Faults(r.t.Context())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, f := range faults {
		if f.ID == id {
			return f.Hits
		}
	}
	return 0
}

// pairAnswer makes the next `times` polls answered with the simple error message.
func pairAnswer(message string, times int) c2csim.Fault {
	return c2csim.Fault{
		Method: http.MethodPost, Path: pairPollPath, Status: http.StatusBadRequest,
		Body: `{"error":"` + message + `"}`, Times: times,
	}
}

// log is the simulator's request log in arrival order, without health checks.
func (r *pairRig) log() []c2csim.Request {
	out := slices.DeleteFunc(r.sim.Requests(0), func(q c2csim.Request) bool { return q.Kind == "health" })
	slices.SortFunc(out, func(a, b c2csim.Request) int { return int(a.Seq - b.Seq) })
	return out
}

// pairIsPoll: a device-code poll. A poll answered by a fault never reached the handler
// and so carries no Grant; pairing makes no refreshes, so every other token request is
// a poll.
func pairIsPoll(q c2csim.Request) bool {
	return q.Path == pairPollPath && q.Grant != "refresh_token"
}

func pairPolls(log []c2csim.Request) []c2csim.Request {
	return slices.DeleteFunc(slices.Clone(log), func(q c2csim.Request) bool { return !pairIsPoll(q) })
}

func pairCodeRequests(log []c2csim.Request) []c2csim.Request {
	return slices.DeleteFunc(slices.Clone(log), func(q c2csim.Request) bool { return q.Path != pairCodePath })
}

// pairCheckSpacing checks, on the simulator's clock, that every poll arrived at least
// interval after the request before it: the previous poll, or the device-code request
// that brought its code. Arrival to arrival, so no tolerance is needed: the client waits
// the interval after the previous answer, which came after that request arrived.
func pairCheckSpacing(t *testing.T, log []c2csim.Request, interval time.Duration) {
	t.Helper()
	var last c2csim.Request
	for _, q := range log {
		switch {
		case q.Path == pairCodePath:
			last = q
		case pairIsPoll(q):
			if last.Seq == 0 {
				t.Errorf("poll #%d before any device-code request", q.Seq)
			} else if gap := q.Time.Sub(last.Time); gap < interval {
				t.Errorf("poll #%d came %v after request #%d (%s), want at least %v", q.Seq, gap, last.Seq, last.Path, interval)
			}
			last = q
		}
	}
}

// pairCoreGoroutines counts the goroutines running code of core/auth, core/retry or
// retry-go: what a pairing must not leave behind once Pair has returned. (net/http's
// connection goroutines and the simulator's are not the pairing's to stop.)
func pairCoreGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "/core/auth.") || strings.Contains(g, "/core/retry.") || strings.Contains(g, "avast/retry-go") {
			count++
		}
	}
	return count
}

// TestPairApprovedPublishesEachStep: the happy path. Pair publishes requesting, pending
// (with everything a front end shows), approved, then paired with the project's name from
// devices/me; polls keep the interval from the code's request onwards.
func TestPairApprovedPublishesEachStep(t *testing.T) {
	const interval = 200 * time.Millisecond
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}})
	var pendingSeen time.Time
	r.pubs.setHook(func(p auth.Pairing) {
		if p.State == auth.PairPending && pendingSeen.IsZero() {
			pendingSeen = time.Now()
		}
	})
	before := time.Now()
	done := r.start(t.Context())

	// Approve only after three polls were told to wait.
	waitfor.Condition(t, "three pending polls", func() bool { return len(pairPolls(r.log())) >= 3 })
	pending, ok := r.pubs.firstPending(1)
	if !ok {
		t.Fatalf("no pending code published: %v", r.pubs.states())
	}
	if err := r.sim.Approve(pending.UserCode, c2csim.Approval{ProjectName: pairProject}); err != nil {
		t.Fatal(err)
	}
	if err := r.await(done, 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}

	want := []auth.PairState{auth.PairRequesting, auth.PairPending, auth.PairApproved, auth.PairPaired}
	if got := r.pubs.states(); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	if pending.UserCode == "" || pending.VerificationURI == "" || pending.DeviceName == "" || pending.Message == "" {
		t.Errorf("pending %+v: want a user code, a verification URI, a device name and a message", pending)
	}
	// The client asks for URL pairing (x-client-platypus-enabled), so the code comes
	// filled in too.
	if !strings.HasSuffix(pending.VerificationURIComplete, "/"+pending.UserCode) {
		t.Errorf("verification_uri_complete %q, want the URI with the code %s", pending.VerificationURIComplete, pending.UserCode)
	}
	if pending.Interval != interval || pending.Codes != 1 {
		t.Errorf("pending interval %v, codes %d: want %v and the first code", pending.Interval, pending.Codes, interval)
	}
	const ttl = 120 * time.Second // the simulator's default expires_in
	if pending.ExpiresAt.Before(before.Add(ttl)) || pending.ExpiresAt.After(pendingSeen.Add(ttl)) {
		t.Errorf("expires at %v, want now + %v (between %v and %v)", pending.ExpiresAt, ttl, before.Add(ttl), pendingSeen.Add(ttl))
	}
	pubs := r.pubs.all()
	for _, p := range pubs[2:] {
		if p.UserCode != pending.UserCode || p.Codes != 1 || p.Err != nil {
			t.Errorf("%s publication %+v lost the code or carries an error", p.State, p)
		}
	}
	paired := pubs[3]
	if !strings.Contains(paired.Message, pairProject) {
		t.Errorf("paired message %q does not name the project %q", paired.Message, pairProject)
	}
	st := r.m.Status()
	if st.State != auth.Paired || st.ProjectName != pairProject || st.DeviceName != pending.DeviceName || !r.m.Gate().IsOpen() {
		t.Errorf("status %+v (gate open %v): want paired to %q as %q", st, r.m.Gate().IsOpen(), pairProject, pending.DeviceName)
	}

	log := r.log()
	codes := pairCodeRequests(log)
	if len(codes) != 1 || codes[0].Status != http.StatusOK || !slices.Equal(codes[0].Headers["X-Client-Platypus-Enabled"], []string{"true"}) {
		t.Fatalf("device-code requests %+v, want one, asking for URL pairing", codes)
	}
	polls := pairPolls(log)
	for i, q := range polls {
		last := i == len(polls)-1
		if last && q.Status != http.StatusOK || !last && q.Error != "authorization_pending" {
			t.Errorf("poll %d of %d answered %d %q", i+1, len(polls), q.Status, q.Error)
		}
	}
	pairCheckSpacing(t, log, interval)
	if first := polls[0].Time.Sub(codes[0].Time); first < interval {
		t.Errorf("first poll %v after the code, want at least %v", first, interval)
	}
	saved := r.store.Saved()
	if len(saved) != 1 {
		t.Fatalf("%d token pairs saved, want the pairing's", len(saved))
	}
	if n := countMe(log, http.StatusOK, saved[0].AccessToken); n != 1 {
		t.Errorf("%d devices/me with the new token, want 1", n)
	}
	if me := slices.IndexFunc(log, func(q c2csim.Request) bool { return q.Path == "/v2/devices/me" }); me < 0 || log[me].Seq < polls[len(polls)-1].Seq {
		t.Error("devices/me was not asked after the approval")
	}
}

// TestPairSlowDownAddsFiveSeconds, on a clock that records each wait and fires at once:
// each slow_down adds exactly 5 s to the interval, published, and every later wait uses
// the grown interval. The answers come from faults: the simulator judges poll spacing on
// its own wall clock, which this clock does not move.
func TestPairSlowDownAddsFiveSeconds(t *testing.T) {
	const interval = time.Second
	clock := &retrytest.Clock{}
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}, clock: clock})
	slow := r.fault(pairAnswer("slow_down", 2))
	pending := r.fault(pairAnswer("authorization_pending", 1))
	r.approveWhen(func(auth.Pairing) bool { return true }) // the fourth poll reaches the handler
	if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}

	waits := clock.Waits()
	want := []time.Duration{interval, interval + 5*time.Second, interval + 10*time.Second, interval + 10*time.Second}
	if !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	var intervals []time.Duration
	for _, p := range r.pubs.all() {
		if p.State == auth.PairPending && p.Codes == 1 && !slices.Contains(intervals, p.Interval) {
			intervals = append(intervals, p.Interval)
		}
	}
	if want := []time.Duration{interval, interval + 5*time.Second, interval + 10*time.Second}; !slices.Equal(intervals, want) {
		t.Errorf("published intervals %v, want %v", intervals, want)
	}
	polls := pairPolls(r.log())
	var faults []int
	for _, q := range polls {
		faults = append(faults, q.Fault)
	}
	if !slices.Equal(faults, []int{slow, slow, pending, 0}) || polls[3].Status != http.StatusOK {
		t.Errorf("polls %+v, want slow_down twice, pending, then the tokens", polls)
	}
	if st := r.m.Status(); st.State != auth.Paired || st.ProjectName != pairProject {
		t.Errorf("status %+v, want paired to %q", st, pairProject)
	}
}

// TestPairSlowDownWaitsOnTheWallClock: the same on the real clock, read from the
// simulator's log: after slow_down the next poll comes at least interval + 5 s later.
func TestPairSlowDownWaitsOnTheWallClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 5 s")
	}
	const interval = 200 * time.Millisecond
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}})
	slow := r.fault(pairAnswer("slow_down", 1))
	r.approveWhen(func(auth.Pairing) bool { return true })
	if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}

	grown := interval + 5*time.Second
	var intervals []time.Duration
	for _, p := range r.pubs.all() {
		if p.State == auth.PairPending {
			intervals = append(intervals, p.Interval)
		}
	}
	if !slices.Equal(intervals, []time.Duration{interval, grown}) {
		t.Errorf("published pending intervals %v, want %v then %v", intervals, interval, grown)
	}
	log := r.log()
	polls := pairPolls(log)
	if len(polls) != 2 || polls[0].Fault != slow || polls[1].Status != http.StatusOK {
		t.Fatalf("polls %+v, want slow_down then the tokens", polls)
	}
	pairCheckSpacing(t, log, interval)
	if gap := polls[1].Time.Sub(polls[0].Time); gap < grown {
		t.Errorf("the poll after slow_down came %v later, want at least %v", gap, grown)
	}
}

// TestPairExpiredCodeGetsANewOne: a code nobody enters dies (here after 1 s); Pair asks
// for a new one on a connection of its own, publishes it, and pairs with it.
func TestPairExpiredCodeGetsANewOne(t *testing.T) {
	const interval = 200 * time.Millisecond
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval, DeviceCodeTTL: time.Second}})
	r.approveWhen(func(p auth.Pairing) bool { return p.Codes >= 2 })
	if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}

	first, ok1 := r.pubs.firstPending(1)
	second, ok2 := r.pubs.firstPending(2)
	if !ok1 || !ok2 {
		t.Fatalf("published %v, want a second code", r.pubs.states())
	}
	if second.UserCode == first.UserCode || second.UserCode == "" {
		t.Errorf("second code %q, first %q: want a different one", second.UserCode, first.UserCode)
	}
	if !second.ExpiresAt.After(first.ExpiresAt) {
		t.Errorf("second code expires at %v, not after the first (%v)", second.ExpiresAt, first.ExpiresAt)
	}
	pubs := r.pubs.all()
	i := slices.IndexFunc(pubs, func(p auth.Pairing) bool { return p.Codes == 2 })
	if pubs[i-1].State != auth.PairRequesting || pubs[i-1].Message == "" {
		t.Errorf("before the second code: %+v, want requesting, saying the code expired", pubs[i-1])
	}
	if r.pubs.last().State != auth.PairPaired {
		t.Errorf("ended %v, want paired", r.pubs.states())
	}

	// The first code is never polled once it has expired for the client.
	codes := r.spy.Codes()
	for _, p := range r.spy.Polls() {
		if p.code == codes[0] && !p.start.Before(first.ExpiresAt) {
			t.Errorf("the first code was polled at %v, after it expired at %v", p.start, first.ExpiresAt)
		}
	}
	log := r.log()
	reqs := pairCodeRequests(log)
	if len(reqs) < 2 {
		t.Fatalf("%d device-code requests, want two", len(reqs))
	}
	// Each device-code request on its own connection, shared with nothing else.
	for _, q := range reqs {
		for _, o := range log {
			if o.ConnID == q.ConnID && o.Seq != q.Seq {
				t.Errorf("device-code request #%d shares connection %d with #%d %s", q.Seq, q.ConnID, o.Seq, o.Path)
			}
		}
	}
	pairCheckSpacing(t, log, interval)
}

// TestPairExpiredOrInvalidGrantGetsANewCode: a poll answered expired_token, invalid_grant
// or unsupported_grant_type means the code is dead: Pair fetches a new one at once.
func TestPairExpiredOrInvalidGrantGetsANewCode(t *testing.T) {
	for _, answer := range []string{"expired_token", "invalid_grant", "unsupported_grant_type"} {
		t.Run(answer, func(t *testing.T) {
			const interval = 100 * time.Millisecond
			r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}})
			id := r.fault(pairAnswer(answer, 1))
			r.approveWhen(func(p auth.Pairing) bool { return p.Codes == 2 })
			if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
				t.Fatalf("Pair: %v", err)
			}

			first, _ := r.pubs.firstPending(1)
			second, ok := r.pubs.firstPending(2)
			if !ok || second.UserCode == first.UserCode {
				t.Fatalf("published %+v, want a second, different code", r.pubs.all())
			}
			codes := r.spy.Codes()
			var firstPolls int
			for _, p := range r.spy.Polls() {
				if p.code == codes[0] {
					firstPolls++
				}
			}
			if firstPolls != 1 || r.faultHits(id) != 1 {
				t.Errorf("the first code was polled %d times, want once (answered %s)", firstPolls, answer)
			}
			log := r.log()
			reqs := pairCodeRequests(log)
			if len(reqs) != 2 || reqs[0].ConnID == reqs[1].ConnID {
				t.Errorf("device-code requests %+v, want two on their own connections", reqs)
			}
			pairCheckSpacing(t, log, interval)
			if st := r.m.Status(); st.State != auth.Paired {
				t.Errorf("status %+v, want paired", st)
			}
		})
	}
}

// TestPairDeclined: a code declined in the web app ends the pairing with ErrDeclined and
// nothing adopted; asking again starts afresh and can succeed.
func TestPairDeclined(t *testing.T) {
	const interval = 100 * time.Millisecond
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}})
	r.pubs.setHook(func(p auth.Pairing) {
		if p.State == auth.PairPending {
			if err := r.sim.Decline(p.UserCode); err != nil {
				t.Errorf("declining: %v", err)
			}
		}
	})
	err := r.await(r.start(t.Context()), 30*time.Second)
	if !errors.Is(err, auth.ErrDeclined) {
		t.Fatalf("Pair: %v, want ErrDeclined", err)
	}
	want := []auth.PairState{auth.PairRequesting, auth.PairPending, auth.PairDeclined}
	if got := r.pubs.states(); !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	declined := r.pubs.last()
	if declined.Message == "" || declined.Err != nil {
		t.Errorf("declined %+v: want a message and no fatal error", declined)
	}
	polls := pairPolls(r.log())
	if len(polls) != 1 || polls[0].Error != "access_denied" {
		t.Errorf("polls %+v, want one, answered access_denied", polls)
	}
	if st := r.m.Status(); st.State != auth.Unpaired || len(r.store.Saved()) != 0 || r.m.Gate().IsOpen() {
		t.Errorf("after declining: status %+v, %d saves, gate open %v; want nothing adopted", st, len(r.store.Saved()), r.m.Gate().IsOpen())
	}

	// A new Pair call works.
	r.pubs = &pairPubs{}
	r.approveWhen(func(auth.Pairing) bool { return true })
	if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
		t.Fatalf("Pair after declining: %v", err)
	}
	again, ok := r.pubs.firstPending(1)
	if !ok || again.UserCode == declined.UserCode {
		t.Errorf("second pairing published %+v, want a fresh first code", r.pubs.all())
	}
	if st := r.m.Status(); st.State != auth.Paired || st.ProjectName != pairProject {
		t.Errorf("status %+v, want paired to %q", st, pairProject)
	}
	pairCheckSpacing(t, r.log(), interval)
}

// TestPairInvalidClient: credentials the API refuses end the pairing for good with the
// InvalidClient error and its plain message, whether the refusal comes with the code
// request (a wrong secret: no poll is ever made) or with a poll.
func TestPairInvalidClient(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		r := newPairRig(t, pairRigConfig{secret: "not-the-secret"})
		err := r.await(r.start(t.Context()), 10*time.Second)
		e, ok := api.AsError(err)
		if !ok || e.Kind != api.KindInvalidClient || e.Endpoint != api.EndpointDeviceCode {
			t.Fatalf("Pair: %v, want InvalidClient from the device-code request", err)
		}
		want := []auth.PairState{auth.PairRequesting, auth.PairFailed}
		if got := r.pubs.states(); !slices.Equal(got, want) {
			t.Errorf("published %v, want %v", got, want)
		}
		failed := r.pubs.last()
		if failed.Err != e || failed.Message == "" || failed.Message != e.UserMessage() {
			t.Errorf("failed %+v, want the error and its user message %q", failed, e.UserMessage())
		}
		log := r.log()
		if len(log) != 1 || log[0].Path != pairCodePath || log[0].Error != "invalid_client" {
			t.Errorf("requests %+v, want one device-code request, refused, and no poll", log)
		}
		if len(r.spy.Polls()) != 0 {
			t.Error("a poll was made")
		}
	})
	t.Run("refused while polling", func(t *testing.T) {
		r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: 100 * time.Millisecond}})
		r.fault(pairAnswer("invalid_client", 1))
		err := r.await(r.start(t.Context()), 10*time.Second)
		if e, ok := api.AsError(err); !ok || e.Kind != api.KindInvalidClient || e.Endpoint != api.EndpointToken || r.pubs.last().Err != e {
			t.Fatalf("Pair: %v (published %+v), want InvalidClient from the poll", err, r.pubs.last())
		}
		if got := r.pubs.states(); !slices.Equal(got, []auth.PairState{auth.PairRequesting, auth.PairPending, auth.PairFailed}) {
			t.Errorf("published %v", got)
		}
		if n := len(pairPolls(r.log())); n != 1 {
			t.Errorf("%d polls, want the one refused", n)
		}
	})
}

// TestPairCancel: cancelling while the code is requested, while it is pending, and while
// the project is looked up after the approval ends Pair at once with the context's error
// and a cancelled state, and leaves nothing running.
func TestPairCancel(t *testing.T) {
	// cancelWhen starts Pair, cancels it once ready holds, and checks how it ended.
	cancelWhen := func(t *testing.T, r *pairRig, ready func() bool) {
		t.Helper()
		baseline := pairCoreGoroutines()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := r.start(ctx)
		waitfor.Condition(t, "the step to cancel at", ready)
		cancelled := time.Now()
		cancel()
		err := r.await(done, 10*time.Second)
		if took := time.Since(cancelled); took > 2*time.Second {
			t.Errorf("Pair took %v to return after the cancel", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Pair: %v, want context.Canceled", err)
		}
		last := r.pubs.last()
		if last.State != auth.PairCancelled || last.Message == "" || last.Err != nil {
			t.Errorf("last published %+v, want cancelled", last)
		}
		published := len(r.pubs.all())
		waitfor.Condition(t, "no pairing goroutine left", func() bool { return pairCoreGoroutines() <= baseline })
		if n := len(r.pubs.all()); n != published {
			t.Errorf("%d publications after Pair returned", n-published)
		}
	}

	t.Run("requesting", func(t *testing.T) {
		r := newPairRig(t, pairRigConfig{})
		// A stalled answer (a stall, unlike a delay, is released when the simulator
		// closes: the server does not notice the client leaving a request whose body it
		// has not read).
		id := r.fault(c2csim.Fault{Method: http.MethodPost, Path: pairCodePath, Stall: true, StallFor: c2csim.Duration(30 * time.Second)})
		cancelWhen(t, r, func() bool { return r.faultHits(id) == 1 })
		if got := r.pubs.states(); !slices.Equal(got, []auth.PairState{auth.PairRequesting, auth.PairCancelled}) {
			t.Errorf("published %v, want requesting then cancelled", got)
		}
	})
	t.Run("pending", func(t *testing.T) {
		// A long interval: the cancel lands in the wait before the first poll.
		r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: 30 * time.Second}})
		cancelWhen(t, r, func() bool { return r.pubs.last().State == auth.PairPending })
		if got := r.pubs.states(); !slices.Equal(got, []auth.PairState{auth.PairRequesting, auth.PairPending, auth.PairCancelled}) {
			t.Errorf("published %v, want requesting, pending, cancelled", got)
		}
		if n := len(r.spy.Polls()); n != 0 {
			t.Errorf("%d polls, want none", n)
		}
	})
}

// TestPairCancelledAfterApprovalStaysPaired: once the code is approved the tokens are
// in use, so a cancel during the project lookup still ends paired (saying otherwise would
// be untrue), and the project's name arrives from a lookup in the background.
func TestPairCancelledAfterApprovalStaysPaired(t *testing.T) {
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: 100 * time.Millisecond}})
	id := r.fault(c2csim.Fault{Method: http.MethodGet, Path: "/v2/devices/me", Times: 1, Delay: c2csim.Duration(3 * time.Second)})
	r.approveWhen(func(auth.Pairing) bool { return true })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := r.start(ctx)
	waitfor.Condition(t, "the project lookup", func() bool { return r.pubs.last().State == auth.PairApproved && r.faultHits(id) == 1 })
	cancelled := time.Now()
	cancel()
	if err := r.await(done, 10*time.Second); err != nil {
		t.Fatalf("Pair: %v, want nil (paired)", err)
	}
	if took := time.Since(cancelled); took > 2*time.Second {
		t.Errorf("Pair took %v to return after the cancel", took)
	}
	want := []auth.PairState{auth.PairRequesting, auth.PairPending, auth.PairApproved, auth.PairPaired}
	if got := r.pubs.states(); !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	if st := r.m.Status(); st.State != auth.Paired {
		t.Fatalf("status %+v, want paired", st)
	}
	waitfor.Condition(t, "the project's name from the background lookup", func() bool { return r.m.Status().ProjectName != "" })
}

// TestPairOfflinePausesPolling: the API goes away while a code is pending. The failed
// poll takes the connection down (conn.Monitor closes the connectivity gate), polling
// waits at the gate instead of failing, and once the monitor's health check gets through
// the same code is polled again and the pairing completes.
func TestPairOfflinePausesPolling(t *testing.T) {
	const interval = 200 * time.Millisecond
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: interval}, monitor: true})
	done := r.start(t.Context())
	waitfor.Condition(t, "two pending polls", func() bool { return len(pairPolls(r.log())) >= 2 })

	offAt := time.Now()
	if err := r.sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "the connectivity gate to close", func() bool { return !r.online.IsOpen() })
	time.Sleep(10 * interval) // an outage of ten intervals
	if st := r.mon.Status(); st.State == conn.Online || st.Checks == 0 {
		t.Errorf("monitor %+v during the outage, want offline with failed health checks", st)
	}
	onAt := time.Now()
	if err := r.sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}

	var failed, duringOutage int
	for _, p := range r.spy.Polls() {
		if p.kind != api.KindAuthorizationPending {
			failed++
			if p.kind != api.KindNetwork {
				t.Errorf("a poll failed with %s, want a network error", p.kind)
			}
		}
		if p.start.After(offAt) && p.start.Before(onAt) {
			duringOutage++
		}
	}
	if failed != 1 || duringOutage > 1 {
		t.Errorf("%d polls failed, %d started during the outage: want the one that found it down, then none", failed, duringOutage)
	}
	if got := r.pubs.states(); !slices.Equal(got, []auth.PairState{auth.PairRequesting, auth.PairPending}) {
		t.Errorf("published %v during the outage, want the pending code kept", got)
	}

	waitfor.Condition(t, "polling to resume", func() bool {
		for _, p := range r.spy.Polls() {
			if p.start.After(onAt) && p.kind == api.KindAuthorizationPending {
				return true
			}
		}
		return false
	})
	pending := r.pubs.last()
	if err := r.sim.Approve(pending.UserCode, c2csim.Approval{ProjectName: pairProject}); err != nil {
		t.Fatal(err)
	}
	if err := r.await(done, 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}
	if st := r.m.Status(); st.State != auth.Paired || st.ProjectName != pairProject {
		t.Errorf("status %+v, want paired to %q", st, pairProject)
	}
	if st := r.mon.Status(); st.State != conn.Online {
		t.Errorf("monitor %+v, want online again", st)
	}
	if n := len(pairCodeRequests(r.log())); n != 1 {
		t.Errorf("%d device-code requests, want the one code throughout", n)
	}
	pairCheckSpacing(t, r.log(), interval)
}

// TestPairWithoutConnectivityGate: Config.Online may be nil (Unpair and the retry loop
// allow it); pairing then simply never waits for the connection.
func TestPairWithoutConnectivityGate(t *testing.T) {
	r := newPairRig(t, pairRigConfig{sim: c2csim.Options{PollInterval: 100 * time.Millisecond}, noGate: true})
	r.approveWhen(func(auth.Pairing) bool { return true })
	if err := r.await(r.start(t.Context()), 30*time.Second); err != nil {
		t.Fatalf("Pair: %v", err)
	}
	if st := r.m.Status(); st.State != auth.Paired || st.ProjectName != pairProject {
		t.Errorf("status %+v, want paired to %q", st, pairProject)
	}
}
