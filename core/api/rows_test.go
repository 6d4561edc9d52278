package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// The error policy of docs/error-policy.md proven row by row against the simulator: every
// row of §3, §4, §5 and §6 is produced for real where the simulator can, by a scripted
// fault where it cannot, and each case asserts the decoded kind, the retry class, the
// effects, the exact number of requests the simulator saw and of attempts the client
// made, and the waits between them.
//
// The client under test reports to a connection monitor (Config.Observe) that is not run,
// and neither the client nor the retry loop waits at its gate: each class's own attempts
// and backoff are measured here; waiting at the gate instead of backing off is the subject
// of the offline test in core/conn.

// rowEnv is one simulator, a client that prepares the scene, and the client under test.
type rowEnv struct {
	t     *testing.T
	ctx   context.Context // the call's context; a row may replace it
	sim   *c2csim.Sim
	creds api.Credentials
	setup *api.Client // pairs, creates assets: not observed
	// client is the client under test, with a connection pool of its own (so the Go
	// transport's silent retry of a request on a reused connection cannot add requests).
	client *api.Client
	obs    *observer
	mon    *conn.Monitor
	clock  *retrytest.Clock // the retry loop's clock
}

// useClient replaces the client under test by one configured by mod.
func (e *rowEnv) useClient(mod func(*api.Config)) {
	cfg := api.Config{BaseURL: e.sim.URL(), Observe: e.obs.Observe}
	if mod != nil {
		mod(&cfg)
	}
	e.client = newTestClient(e.t, cfg)
}

func (e *rowEnv) pair() api.Tokens {
	return pairDevice(e.ctx, e.t, e.sim, e.setup, e.creds, "Rows")
}

func (e *rowEnv) fault(f c2csim.Fault) {
	e.t.Helper()
	if _, err := e.sim.AddFault(f); err != nil {
		e.t.Fatalf("AddFault: %v", err)
	}
}

const (
	assetSize = 100_000 // two parts of 50,000 bytes with the simulator's 64 KiB part size
	assetType = "video/quicktime"
)

// chunk pairs, creates an asset for a file of assetSize random bytes and returns the
// first chunk, read from memory.
func (e *rowEnv) chunk() (api.Chunk, []byte) {
	e.t.Helper()
	tok := e.pair()
	a, err := e.setup.CreateAsset(e.ctx, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: assetSize})
	if err != nil {
		e.t.Fatalf("CreateAsset: %v", err)
	}
	data := make([]byte, assetSize)
	_, _ = rand.Read(data)
	size := (int64(assetSize) + int64(len(a.UploadURLs)) - 1) / int64(len(a.UploadURLs))
	return api.Chunk{URL: a.UploadURLs[0], File: bytes.NewReader(data), Path: "clip.mov", Length: size, ContentType: assetType}, data
}

// policyRow is one row of the policy, as a scene and what must come of it.
type policyRow struct {
	name string
	opts func(*c2csim.Options)
	// prepare sets the scene and returns the call under test (one attempt).
	prepare func(e *rowEnv) func(ctx context.Context) error
	// custom replaces the generic run for a row that needs more than one call.
	custom func(e *rowEnv)

	kind   api.Kind
	class  api.RetryClass
	effect api.Effect
	// method and path select the requests counted in the simulator's log ("s3" for chunk
	// PUTs); requests is how many must be there.
	method, path string
	requests     int
	attempts     int // attempts the client made (Observe), which refused connections never log
	waits        []time.Duration
	// tolerate is a kind the first attempt may also fail with (timing decides).
	tolerate api.Kind
	check    func(e *rowEnv, err *api.Error)
}

// TestPolicyRows has one subtest per row, named after it (§4_503_Unavailable).
//
// Rows the simulator cannot produce for real, and how they are produced instead:
//   - §3 unsupported_grant_type: the client sends no other grant type; a scripted answer.
//   - §4 every status with an unknown message: scripted on GET /v2/devices/me (402 and 500
//     are also real; 415 only scripted: the client cannot send multipart).
//   - §5 SlowDown, ServiceUnavailable, InternalError, ExpiredToken, MissingContentLength
//     (the client always sends a length), EntityTooLarge (> 5 GiB), NoSuchUpload (an
//     edited URL fails the signature first), AccessDenied other: scripted S3 codes.
//   - §6 DNS failure: without the simulator (a .invalid name). TLS failure: https to the
//     simulator's plain port, answered below its log. Unexpected EOF: the simulator cuts
//     with a reset, so the body read fails with ECONNRESET; a clean io.ErrUnexpectedEOF is
//     in transport_test. Local file, user cancel, bug: made on the client's side.
func TestPolicyRows(t *testing.T) {
	var rows []policyRow
	rows = append(rows, messageRows()...)
	rows = append(rows, statusRows()...)
	rows = append(rows, s3Rows()...)
	rows = append(rows, networkRows()...)
	seen := map[string]bool{}
	for _, row := range rows {
		if seen[row.name] {
			t.Fatalf("two rows are named %s", row.name)
		}
		seen[row.name] = true
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			runRow(t, row)
		})
	}
}

func runRow(t *testing.T, row policyRow) {
	opts := simOptions()
	if row.opts != nil {
		row.opts(&opts)
	}
	sim := c2csim.Start(t, opts)
	e := &rowEnv{
		t: t, ctx: t.Context(), sim: sim, creds: testCreds("device-" + uuid.NewString()),
		setup: newTestClient(t, api.Config{BaseURL: sim.URL()}),
		mon:   newMonitor(retrytest.NewClock(time.Now())), clock: retrytest.NewClock(time.Now()),
	}
	e.obs = &observer{next: e.mon.Observe}
	e.useClient(nil)
	if row.custom != nil {
		row.custom(e)
		return
	}

	op := row.prepare(e)
	since := lastSeq(sim)
	policy := retry.Policy{Clock: e.clock, Rand: zeroJitter}
	err := policy.Do(e.ctx, retry.Call{}, func(ctx context.Context, _ int) error { return op(ctx) })

	got, ok := api.AsError(err)
	if !ok {
		t.Fatalf("the call returned %v, want an *api.Error", err)
	}
	if got.Kind != row.kind || got.Retry != row.class || got.Effect != row.effect {
		t.Errorf("decoded %s / retry %s / effects %s, want %s / %s / %s\n(error: %v)",
			got.Kind, got.Retry, got.Effect, row.kind, row.class, row.effect, err)
	}
	if got.Attempt != row.attempts {
		t.Errorf("the error says attempt %d, want %d", got.Attempt, row.attempts)
	}
	attempts := e.obs.Attempts()
	if len(attempts) != row.attempts {
		t.Errorf("the client made %d attempts, want %d", len(attempts), row.attempts)
	}
	for i, a := range attempts {
		if k := api.KindOf(a.err); k != row.kind && (k != row.tolerate || i > 0) {
			t.Errorf("attempt %d failed with %s (%v), want %s", i+1, k, a.err, row.kind)
		}
	}
	assertRequests(t, sim, since, row.method, row.path, row.requests)
	if w := e.clock.Waits(); !slices.Equal(w, row.waits) {
		t.Errorf("waits %v, want %v", w, row.waits)
	}
	assertMonitor(t, e.mon, row.effect.Has(api.EffectDisconnect))
	if row.check != nil {
		row.check(e, got)
	}
}

// assertRequests waits until the simulator has logged want matching requests (a request
// cut by a reset or a stall is logged when the simulator lets go of it) and checks that
// there are exactly that many.
func assertRequests(t *testing.T, sim *c2csim.Sim, since int64, method, path string, want int) {
	t.Helper()
	if want > 0 {
		waitfor.Condition(t, "the simulator's log", func() bool { return len(requestsTo(sim, since, method, path)) >= want })
	}
	if got := requestsTo(sim, since, method, path); len(got) != want {
		t.Errorf("the simulator saw %d %s %s requests, want %d", len(got), method, path, want)
	}
}

func assertMonitor(t *testing.T, mon *conn.Monitor, offline bool) {
	t.Helper()
	st := mon.Status()
	switch {
	case offline && (st.State != conn.Offline || st.Reason == "" || mon.Gate().IsOpen()):
		t.Errorf("a disconnect-class failure left the monitor %+v (gate open: %v), want offline with a reason", st, mon.Gate().IsOpen())
	case !offline && (st.State != conn.Online || !mon.Gate().IsOpen()):
		t.Errorf("a failure without the disconnect effect took the monitor %s (%s)", st.State, st.Reason)
	}
}

// §3: the message table.
func messageRows() []policyRow {
	const token = "/v2/auth/token"
	poll := func(e *rowEnv, dc api.DeviceCode) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.client.PollToken(ctx, e.creds, dc.DeviceCode)
			return err
		}
	}
	code := func(e *rowEnv) api.DeviceCode {
		e.t.Helper()
		dc, err := e.setup.RequestDeviceCode(e.ctx, e.creds)
		if err != nil {
			e.t.Fatalf("RequestDeviceCode: %v", err)
		}
		return dc
	}
	me := func(e *rowEnv, access string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.client.Me(ctx, access)
			return err
		}
	}
	create := func(e *rowEnv, access string, r api.AssetRequest) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.client.CreateAsset(ctx, access, r)
			return err
		}
	}
	return []policyRow{
		{
			name: "§3_authorization_pending",
			// Polls closer together than the interval would be slow_down: with a 1 ms
			// interval the retry loop's back-to-back polls stay "pending".
			opts:    func(o *c2csim.Options) { o.PollInterval = time.Millisecond },
			prepare: func(e *rowEnv) func(context.Context) error { return poll(e, code(e)) },
			kind:    api.KindAuthorizationPending, class: api.RetryYes,
			method: "POST", path: token, requests: 8, attempts: 8, waits: waitsYes,
		},
		{
			name: "§3_slow_down",
			prepare: func(e *rowEnv) func(context.Context) error {
				dc := code(e)
				if _, err := e.setup.PollToken(e.ctx, e.creds, dc.DeviceCode); api.KindOf(err) != api.KindAuthorizationPending {
					e.t.Fatalf("first poll: %v", err)
				}
				return poll(e, dc) // at once: faster than the 200 ms interval
			},
			kind: api.KindSlowDown, class: api.RetryYes, tolerate: api.KindAuthorizationPending,
			method: "POST", path: token, requests: 8, attempts: 8, waits: waitsYes,
			check: func(e *rowEnv, _ *api.Error) {
				p, err := e.sim.Admin.Pairings(e.ctx)
				if err != nil || len(p) != 1 || p[0].Interval < 5 {
					e.t.Errorf("the simulator's interval did not grow by 5 s: %+v %v", p, err)
				}
			},
		},
		{
			name: "§3_expired_token",
			prepare: func(e *rowEnv) func(context.Context) error {
				dc := code(e)
				e.sim.AdvanceClock(dc.ExpiresIn + time.Second)
				return poll(e, dc)
			},
			kind: api.KindExpiredToken, class: api.RetryNo,
			method: "POST", path: token, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_access_denied",
			prepare: func(e *rowEnv) func(context.Context) error {
				dc := code(e)
				if err := e.sim.Decline(dc.UserCode); err != nil {
					e.t.Fatal(err)
				}
				return poll(e, dc)
			},
			kind: api.KindAccessDenied, class: api.RetryNo,
			method: "POST", path: token, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_invalid_client",
			prepare: func(e *rowEnv) func(context.Context) error {
				return func(ctx context.Context) error {
					_, err := e.client.RequestDeviceCode(ctx, api.Credentials{ClientID: e.creds.ClientID, ClientSecret: "not-this-build's-secret"})
					return err
				}
			},
			kind: api.KindInvalidClient, class: api.RetryNo, effect: api.EffectAlert,
			method: "POST", path: "/v2/auth/device/code", requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_invalid_grant",
			prepare: func(e *rowEnv) func(context.Context) error {
				return poll(e, api.DeviceCode{DeviceCode: "no-such-device-code"})
			},
			kind: api.KindInvalidGrantType, class: api.RetryNo,
			method: "POST", path: token, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			// The client only sends the two documented grant types, so the answer to any
			// other one is scripted.
			name: "§3_unsupported_grant_type",
			prepare: func(e *rowEnv) func(context.Context) error {
				dc := code(e)
				e.fault(c2csim.Fault{Method: "POST", Path: token, Status: 400, Body: `{"error":"unsupported_grant_type"}`})
				return poll(e, dc)
			},
			kind: api.KindInvalidGrantType, class: api.RetryNo,
			method: "POST", path: token, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_invalid_request_spent_refresh_token",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				if _, err := e.setup.RefreshTokens(e.ctx, e.creds, tok.RefreshToken); err != nil {
					e.t.Fatalf("first refresh: %v", err)
				}
				return func(ctx context.Context) error {
					_, err := e.client.RefreshTokens(ctx, e.creds, tok.RefreshToken)
					return err
				}
			},
			kind: api.KindInvalidRequest, class: api.RetryNo,
			method: "POST", path: token, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_Invalid_client_version",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				e.useClient(func(c *api.Config) { c.ClientVersion = "not-semver" })
				return me(e, tok.AccessToken)
			},
			kind: api.KindInvalidClientVersion, class: api.RetryNo, effect: api.EffectAlert,
			method: "GET", path: "/v2/devices/me", requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "§3_Invalid_Argument",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				return create(e, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: -1})
			},
			kind: api.KindInvalidArgument, class: api.RetryNo,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
			check: func(e *rowEnv, err *api.Error) {
				if err.Status != 422 || err.Detail == "" {
					e.t.Errorf("status %d, detail %q: want 422 with the server's detail", err.Status, err.Detail)
				}
			},
		},
		{
			name: "§3_Channel_Paused",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				if err := e.sim.Admin.Pause(e.ctx, 0); err != nil {
					e.t.Fatal(err)
				}
				return create(e, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: assetSize, Offset: 0})
			},
			kind: api.KindChannelPaused, class: api.RetryNo, effect: api.EffectSkipFile | api.EffectAlert,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
			check: func(e *rowEnv, err *api.Error) {
				if err.Status != 409 {
					e.t.Errorf("status %d, want 409", err.Status)
				}
			},
		},
		{name: "§3_Not_Authorized", custom: notAuthorizedRow},
	}
}

// notAuthorizedRow: an access token the API no longer takes, used through the token
// manager: one 401, exactly one refresh, and the call repeated at once with the new token.
func notAuthorizedRow(e *rowEnv) {
	t := e.t
	tok := e.pair()
	m := auth.New(auth.Config{
		API: e.client, Credentials: e.creds, Store: &authtest.MemoryStore{},
		Policy: retry.Policy{Clock: e.clock, Rand: zeroJitter}, Online: e.mon.Gate(),
	})
	if err := m.Adopt(e.ctx, tok); err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
		t.Fatal(err)
	}
	since, before := lastSeq(e.sim), len(e.obs.Attempts())
	err := m.Do(e.ctx, api.EndpointMe, func(ctx context.Context, access string) error {
		_, err := e.client.Me(ctx, access)
		return err
	})
	if err != nil {
		t.Fatalf("the call failed: %v", err)
	}

	first := e.obs.Attempts()[before]
	fe, _ := api.AsError(first.err)
	if first.endpoint != api.EndpointMe || fe == nil || fe.Kind != api.KindUnauthorizedClient ||
		fe.Retry != api.RetryNo || fe.Effect != api.EffectRefreshToken || fe.Status != 401 {
		t.Errorf("first attempt: %s %v, want GET /v2/devices/me UnauthorizedClient/no/refresh-token (401)", first.endpoint, first.err)
	}
	// The manager also calls devices/me after every refresh, on its own: four requests in
	// all, the first three in this order.
	var log []c2csim.Request
	waitfor.Condition(t, "the devices/me that follows the refresh", func() bool {
		log = slices.DeleteFunc(e.sim.Requests(since), func(r c2csim.Request) bool { return r.Kind == "health" })
		return len(log) >= 4
	})
	slices.SortFunc(log, func(a, b c2csim.Request) int { return int(a.Seq - b.Seq) })
	want := []string{"GET /v2/devices/me 401", "POST /v2/auth/token 200 refresh_token", "GET /v2/devices/me 200", "GET /v2/devices/me 200"}
	var got []string
	for _, r := range log {
		got = append(got, strings.TrimSpace(r.Method+" "+r.Path+" "+strconv.Itoa(r.Status)+" "+r.Grant))
	}
	if len(got) != 4 || !slices.Equal(got[:3], want[:3]) || got[3] != want[3] {
		t.Errorf("requests %q, want %q", got, want)
	}
	if w := e.clock.Waits(); !slices.Equal(w, []time.Duration{0}) {
		t.Errorf("waits %v, want [0]: the call is repeated at once after the refresh", w)
	}
	if st := m.Status(); st.State != auth.Paired {
		t.Errorf("manager state %s, want paired", st.State)
	}
	assertMonitor(t, e.mon, false)
}

// statusExpect is §4 as the contract writes it (not read from the code's tables).
type statusExpect struct {
	status int
	kind   api.Kind
	class  api.RetryClass
	effect api.Effect
}

var statusTable = []statusExpect{
	{400, api.KindInvalidRequest, api.RetryOnce, 0},
	{401, api.KindUnauthorizedClient, api.RetryNo, api.EffectRefreshToken},
	{402, api.KindPaymentRequired, api.RetryNo, api.EffectAlert},
	{403, api.KindForbidden, api.RetryOnce, 0},
	{404, api.KindNotFound, api.RetryOnce, 0},
	{408, api.KindTimeout, api.RetryYes, 0},
	{409, api.KindConflict, api.RetryOnce, 0},
	{415, api.KindInvalidContentType, api.RetryNo, 0},
	{422, api.KindInvalidArgument, api.RetryNo, 0},
	{429, api.KindSlowDown, api.RetryYes, 0},
	{500, api.KindInternalServerError, api.RetryOnce, api.EffectIndeterminate},
	{502, api.KindUnavailable, api.RetryYes, api.EffectDisconnect},
	{503, api.KindUnavailable, api.RetryYes, api.EffectDisconnect},
	{504, api.KindUnavailable, api.RetryYes, api.EffectDisconnect},
	{418, api.KindUnknownAPIError, api.RetryOnce, 0}, // "other ≥ 400"
}

func classCounts(c api.RetryClass) (int, []time.Duration) {
	switch c {
	case api.RetryYes:
		return 8, waitsYes
	case api.RetryOnce:
		return 2, waitsOnce
	}
	return 1, waitsNo
}

// §4: the status table, each status injected on GET /v2/devices/me with a message no
// table knows, plus the statuses the simulator produces for real.
func statusRows() []policyRow {
	var rows []policyRow
	for _, s := range statusTable {
		n, waits := classCounts(s.class)
		name := "§4_" + strconv.Itoa(s.status) + "_" + string(s.kind)
		if s.status == 418 {
			name = "§4_other_418_" + string(s.kind)
		}
		rows = append(rows, policyRow{
			name: name,
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				e.fault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", Status: s.status, Body: `{"error":"zz_unknown"}`})
				return func(ctx context.Context) error {
					_, err := e.client.Me(ctx, tok.AccessToken)
					return err
				}
			},
			kind: s.kind, class: s.class, effect: s.effect,
			method: "GET", path: "/v2/devices/me", requests: n, attempts: n, waits: waits,
			check: func(e *rowEnv, err *api.Error) {
				if err.Status != s.status || err.Message != "zz_unknown" {
					e.t.Errorf("status %d message %q, want %d zz_unknown", err.Status, err.Message, s.status)
				}
			},
		})
	}
	create := func(e *rowEnv, r api.AssetRequest) func(context.Context) error {
		tok := e.pair()
		return func(ctx context.Context) error {
			_, err := e.client.CreateAsset(ctx, tok.AccessToken, r)
			return err
		}
	}
	clip := api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: assetSize}
	const callID = "5b0c4f7e-3f7e-4d5a-9a51-0c2f4e3b9d11"
	return append(rows,
		policyRow{
			name: "§4_429_SlowDown_Retry-After_honoured",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				e.fault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", Status: 429, Headers: map[string]string{"Retry-After": "3"}})
				return func(ctx context.Context) error {
					_, err := e.client.Me(ctx, tok.AccessToken)
					return err
				}
			},
			kind: api.KindSlowDown, class: api.RetryYes,
			method: "GET", path: "/v2/devices/me", requests: 8, attempts: 8,
			// Retry-After wins while it is longer than the backoff.
			waits: secs(3, 3, 3, 4, 8, 16, 32),
		},
		policyRow{
			name: "§4_402_PaymentRequired_real_request_errors_schema",
			prepare: func(e *rowEnv) func(context.Context) error {
				cfg, err := e.sim.Admin.Config(e.ctx)
				if err != nil {
					e.t.Fatal(err)
				}
				cfg.PaymentRequired = true
				if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
					e.t.Fatal(err)
				}
				return create(e, clip)
			},
			kind: api.KindPaymentRequired, class: api.RetryNo, effect: api.EffectAlert,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
			check: func(e *rowEnv, err *api.Error) {
				if err.Status != 402 || err.Code != "payment_required" || !slices.Equal(err.Path, []string{"account"}) {
					e.t.Errorf("status %d code %q path %q: want the request-errors code and path kept", err.Status, err.Code, err.Path)
				}
			},
		},
		policyRow{
			name: "§4_500_InternalServerError_real_unknown_channel",
			prepare: func(e *rowEnv) func(context.Context) error {
				r := clip
				r.Channel = 7 // the device has one channel
				// One logical call, one request id across its attempts (§7), so a
				// duplicate asset can be traced.
				e.ctx = api.WithRequestID(e.ctx, callID)
				return create(e, r)
			},
			kind: api.KindInternalServerError, class: api.RetryOnce, effect: api.EffectIndeterminate,
			method: "POST", path: "/v2/devices/assets", requests: 2, attempts: 2, waits: waitsOnce,
			check: func(e *rowEnv, err *api.Error) {
				if err.RequestID != callID {
					e.t.Errorf("the error keeps request id %q, want the call's %q", err.RequestID, callID)
				}
				for _, r := range requestsTo(e.sim, 0, "POST", "/v2/devices/assets") {
					if !slices.Equal(r.Headers["X-Request-Id"], []string{callID}) {
						e.t.Errorf("an attempt carried x-request-id %q, want %q", r.Headers["X-Request-Id"], callID)
					}
				}
			},
		},
	)
}

// §5: S3 chunk errors.
func s3Rows() []policyRow {
	put := func(e *rowEnv, ch api.Chunk) func(context.Context) error {
		return func(ctx context.Context) error { return e.client.PutChunk(ctx, ch) }
	}
	injected := func(code string) func(e *rowEnv) func(context.Context) error {
		return func(e *rowEnv) func(context.Context) error {
			ch, _ := e.chunk()
			e.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: code})
			return put(e, ch)
		}
	}
	codeIs := func(code string) func(e *rowEnv, err *api.Error) {
		return func(e *rowEnv, err *api.Error) {
			if err.Code != code || err.ServerRequestID == "" {
				e.t.Errorf("S3 code %q, server request id %q: want %s and the id", err.Code, err.ServerRequestID, code)
			}
		}
	}
	row := func(name, code string, prepare func(e *rowEnv) func(context.Context) error, kind api.Kind, class api.RetryClass, effect api.Effect) policyRow {
		n, waits := classCounts(class)
		if prepare == nil {
			prepare = injected(code)
		}
		return policyRow{
			name: name, prepare: prepare, kind: kind, class: class, effect: effect,
			method: "PUT", path: "s3", requests: n, attempts: n, waits: waits, check: codeIs(code),
		}
	}
	return []policyRow{
		row("§5_SlowDown", "SlowDown", nil, api.KindSlowDown, api.RetryYes, api.EffectLowerConcurrency),
		row("§5_ServiceUnavailable", "ServiceUnavailable", nil, api.KindSlowDown, api.RetryYes, api.EffectLowerConcurrency),
		row("§5_InternalError", "InternalError", nil, api.KindInternalServerError, api.RetryOnce, 0),
		row("§5_RequestTimeout", "RequestTimeout", nil, api.KindTimeout, api.RetryYes, 0),
		withOpts(row("§5_RequestTimeout_real_idle_body", "RequestTimeout", func(e *rowEnv) func(context.Context) error {
			ch, data := e.chunk()
			// Each attempt sends a little, then the file "hangs" for longer than the
			// simulator's idle limit: S3 gives up on the body.
			ch.File = &hangingFile{data: data, after: 1024, hang: time.Second}
			return put(e, ch)
		}, api.KindTimeout, api.RetryYes, 0), func(o *c2csim.Options) { o.IdleReadTimeout = 100 * time.Millisecond }),
		row("§5_AccessDenied_Request_has_expired_real", "AccessDenied", func(e *rowEnv) func(context.Context) error {
			ch, _ := e.chunk()
			e.sim.AdvanceClock(25 * time.Hour) // the URLs live 24 h
			return put(e, ch)
		}, api.KindUploadURLExpired, api.RetryNo, api.EffectNewAsset),
		row("§5_ExpiredToken", "ExpiredToken", nil, api.KindUploadURLExpired, api.RetryNo, api.EffectNewAsset),
		row("§5_SignatureDoesNotMatch_real_wrong_content_type", "SignatureDoesNotMatch", func(e *rowEnv) func(context.Context) error {
			ch, _ := e.chunk()
			ch.ContentType = "video/mp4" // not the asset's filetype: part of the signature
			return put(e, ch)
		}, api.KindUploadRejected, api.RetryOnce, 0),
		row("§5_MissingContentLength", "MissingContentLength", nil, api.KindUploadRejected, api.RetryOnce, 0),
		row("§5_EntityTooLarge", "EntityTooLarge", nil, api.KindUploadRejected, api.RetryOnce, 0),
		row("§5_InvalidArgument_real_wrong_length", "InvalidArgument", func(e *rowEnv) func(context.Context) error {
			ch, _ := e.chunk()
			ch.Length-- // the URL is for an exact length
			return put(e, ch)
		}, api.KindUploadRejected, api.RetryOnce, 0),
		row("§5_other_code_NoSuchUpload", "NoSuchUpload", nil, api.KindAWSError, api.RetryOnce, 0),
		row("§5_AccessDenied_other", "AccessDenied", nil, api.KindAWSError, api.RetryOnce, 0),
	}
}

func withOpts(r policyRow, opts func(*c2csim.Options)) policyRow {
	r.opts = opts
	return r
}

// hangingFile serves data, but a read at or past byte `after` first waits `hang`: every
// attempt sends that much of the chunk, then stops sending for a while.
type hangingFile struct {
	data  []byte
	after int64
	hang  time.Duration
}

func (f *hangingFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.after {
		time.Sleep(f.hang)
	} else if int64(len(p)) > f.after-off {
		p = p[:f.after-off]
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	return copy(p, f.data[off:]), nil
}

// failingFile fails every read.
type failingFile struct{ err error }

func (f failingFile) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// §6: network, I/O and application errors.
func networkRows() []policyRow {
	me := func(e *rowEnv) func(context.Context) error {
		tok := e.pair()
		return func(ctx context.Context) error {
			_, err := e.client.Me(ctx, tok.AccessToken)
			return err
		}
	}
	network := func(name string, prepare func(e *rowEnv) func(context.Context) error, requests int) policyRow {
		return policyRow{
			name: name, prepare: prepare, kind: api.KindNetwork, class: api.RetryYes, effect: api.EffectDisconnect,
			method: "GET", path: "/v2/devices/me", requests: requests, attempts: 8, waits: waitsYes,
		}
	}
	local := func(name string, file func(e *rowEnv, data []byte) io.ReaderAt) policyRow {
		return policyRow{
			name: name,
			prepare: func(e *rowEnv) func(context.Context) error {
				ch, data := e.chunk()
				ch.File = file(e, data)
				return func(ctx context.Context) error { return e.client.PutChunk(ctx, ch) }
			},
			kind: api.KindLocalFile, class: api.RetryOnce,
			// net/http sends the headers before it reads the body from a file, so each
			// attempt reaches the simulator as a PUT whose body never comes.
			method: "PUT", path: "s3", requests: 2, attempts: 2, waits: waitsOnce,
			check: func(e *rowEnv, err *api.Error) {
				var lf *api.LocalFileError
				if !errors.As(err, &lf) || lf.Path != "clip.mov" {
					e.t.Errorf("the error does not name the local file: %v", err)
				}
				for _, r := range requestsTo(e.sim, 0, "PUT", "s3") {
					if r.BytesIn != 0 || r.Error != "IncompleteBody" {
						e.t.Errorf("the simulator received %d bytes of the part (%s), want none", r.BytesIn, r.Error)
					}
				}
			},
		}
	}
	onDisk := func(e *rowEnv, data []byte) *os.File {
		name := filepath.Join(e.t.TempDir(), "clip.mov")
		if err := os.WriteFile(name, data, 0o600); err != nil {
			e.t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { f.Close() })
		return f
	}
	return []policyRow{
		network("§6_connection_refused", func(e *rowEnv) func(context.Context) error {
			op := me(e)
			if err := e.sim.SetOnline(false); err != nil {
				e.t.Fatal(err)
			}
			return op
		}, 0), // refused at TCP: the simulator logs nothing
		network("§6_connection_reset", func(e *rowEnv) func(context.Context) error {
			op := me(e)
			e.fault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", Reset: true})
			return op
		}, 8),
		{
			name: "§6_per_request_timeout",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				e.fault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", Stall: true})
				e.useClient(func(c *api.Config) { c.Timeouts = api.Timeouts{Default: 300 * time.Millisecond} })
				return func(ctx context.Context) error {
					_, err := e.client.Me(ctx, tok.AccessToken)
					return err
				}
			},
			kind: api.KindTimeout, class: api.RetryYes, effect: api.EffectDisconnect,
			method: "GET", path: "/v2/devices/me", requests: 8, attempts: 8, waits: waitsYes,
		},
		{
			// The simulator sends the headers and half the body, then resets: the body
			// read fails part-way (ECONNRESET here; a server closing with FIN gives
			// io.ErrUnexpectedEOF, which transport_test covers).
			name: "§6_unexpected_EOF_body_cut",
			prepare: func(e *rowEnv) func(context.Context) error {
				op := me(e)
				e.fault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", StallResponse: true, StallFor: c2csim.Duration(20 * time.Millisecond)})
				return op
			},
			kind: api.KindNetwork, class: api.RetryYes, effect: api.EffectDisconnect,
			method: "GET", path: "/v2/devices/me", requests: 8, attempts: 8, waits: waitsYes,
			check: func(e *rowEnv, err *api.Error) {
				if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
					e.t.Errorf("cause %v, want a body cut short", err.Err)
				}
			},
		},
		network("§6_DNS_failure", func(e *rowEnv) func(context.Context) error {
			// Without the simulator: a name that cannot resolve (RFC 6761).
			e.useClient(func(c *api.Config) { c.BaseURL = "https://nonexistent.invalid" })
			return func(ctx context.Context) error {
				_, err := e.client.Me(ctx, "token")
				return err
			}
		}, 0),
		network("§6_TLS_handshake_failure", func(e *rowEnv) func(context.Context) error {
			tok := e.pair()
			// https to the simulator's plain-http port: the handshake meets an HTTP answer.
			u, _ := url.Parse(e.sim.URL())
			e.useClient(func(c *api.Config) { c.BaseURL = "https://" + u.Host })
			return func(ctx context.Context) error {
				_, err := e.client.Me(ctx, tok.AccessToken)
				return err
			}
		}, 0), // the simulator's HTTP server answers the garbled request itself, unlogged
		local("§6_local_file_unreadable", func(*rowEnv, []byte) io.ReaderAt { return failingFile{syscall.EIO} }),
		local("§6_local_file_vanished", func(e *rowEnv, data []byte) io.ReaderAt {
			f := onDisk(e, data)
			_ = os.Remove(f.Name())
			f.Close() // what is left of a handle to a file that is gone
			return f
		}),
		local("§6_local_file_shrunk_after_queuing", func(e *rowEnv, data []byte) io.ReaderAt {
			f := onDisk(e, data)
			if err := os.Truncate(f.Name(), 0); err != nil {
				e.t.Fatal(err)
			}
			return f
		}),
		{
			name: "§6_user_cancel",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				f, err := e.sim.AddFault(c2csim.Fault{Method: "GET", Path: "/v2/devices/me", Stall: true})
				if err != nil {
					e.t.Fatal(err)
				}
				ctx, cancel := context.WithCancelCause(e.ctx)
				e.ctx = ctx
				var wg sync.WaitGroup
				wg.Go(func() {
					// Cancel once the request is being held by the simulator.
					waitfor.Condition(e.t, "the request to reach the simulator", func() bool {
						faults, err := e.sim.Admin.Faults(context.Background())
						return err == nil && len(faults) == 1 && faults[0].ID == f.ID && faults[0].Hits == 1
					})
					cancel(api.ErrUserCancelled)
				})
				e.t.Cleanup(wg.Wait)
				return func(ctx context.Context) error {
					_, err := e.client.Me(ctx, tok.AccessToken)
					return err
				}
			},
			kind: api.KindCancelled, class: api.RetryNo,
			method: "GET", path: "/v2/devices/me", requests: 1, attempts: 1, waits: waitsNo,
			check: func(e *rowEnv, err *api.Error) {
				if !errors.Is(err, api.ErrUserCancelled) {
					e.t.Errorf("cause %v, want ErrUserCancelled", err.Err)
				}
			},
		},
		{
			name: "§6_anything_else_a_bug",
			prepare: func(e *rowEnv) func(context.Context) error {
				ch, _ := e.chunk()
				ch.URL = "%zz" // no URL at all: the client refuses to guess
				return func(ctx context.Context) error { return e.client.PutChunk(ctx, ch) }
			},
			kind: api.KindInternal, class: api.RetryOnce,
			method: "PUT", path: "s3", requests: 0, attempts: 2, waits: waitsOnce,
		},
	}
}

// TestHeaderHygiene checks every request of a mixed sequence in the simulator's log
// (docs/error-policy.md §7): x-client-version exactly once on every API request and never
// on S3, the bearer token only on the device endpoints, our request id on every API
// request and never on S3, and every device-code request alone on its own connection.
func TestHeaderHygiene(t *testing.T) {
	ctx := t.Context()
	sim := c2csim.Start(t, simOptions())
	c := newTestClient(t, api.Config{BaseURL: sim.URL()})
	cr := testCreds("device-" + uuid.NewString())

	for range 2 { // codes that expire unused
		if _, err := c.RequestDeviceCode(ctx, cr); err != nil {
			t.Fatal(err)
		}
	}
	tok := pairDevice(ctx, t, sim, c, cr, "Hygiene")
	if _, err := c.Me(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	const size = 300_000
	a, err := c.CreateAsset(ctx, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: size})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	_, _ = rand.Read(data)
	chunk := (int64(size) + int64(len(a.UploadURLs)) - 1) / int64(len(a.UploadURLs))
	for i, u := range a.UploadURLs {
		off := int64(i) * chunk
		err := c.PutChunk(ctx, api.Chunk{URL: u, File: bytes.NewReader(data), Path: "clip.mov", Offset: off,
			Length: min(chunk, size-off), ContentType: assetType})
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	tok2, err := c.RefreshTokens(ctx, cr, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx, tok2.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, cr, tok2.RefreshToken); err != nil {
		t.Fatal(err)
	}

	var log []c2csim.Request
	waitfor.Condition(t, "the revoke in the simulator's log", func() bool {
		log = sim.Requests(0)
		return slices.ContainsFunc(log, func(r c2csim.Request) bool { return r.Path == "/v2/auth/revoke" })
	})
	count := map[string]int{}
	codeConns := map[int64]bool{}
	for _, r := range log {
		count[r.Kind]++
		h := r.Headers
		where := r.Method + " " + r.Path
		if r.Kind == "s3" {
			for _, name := range []string{"X-Client-Version", "Authorization", "X-Request-Id"} {
				if _, ok := h[name]; ok {
					t.Errorf("%s carries %s to S3", where, name)
				}
			}
			if !slices.Equal(h["X-Amz-Acl"], []string{"private"}) || !slices.Equal(h["Content-Type"], []string{assetType}) {
				t.Errorf("%s: x-amz-acl %q, content-type %q", where, h["X-Amz-Acl"], h["Content-Type"])
			}
			continue
		}
		if v := h["X-Client-Version"]; !slices.Equal(v, []string{clientVersion}) {
			t.Errorf("%s: x-client-version %q, want exactly one %q", where, v, clientVersion)
		}
		if v := h["X-Request-Id"]; len(v) != 1 || uuid.Validate(v[0]) != nil {
			t.Errorf("%s: x-request-id %q, want one UUID", where, v)
		}
		auth, hasAuth := h["Authorization"]
		switch {
		case r.Kind == "api" && (len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer fp:")):
			t.Errorf("%s: Authorization %q, want one bearer token", where, auth)
		case r.Kind != "api" && hasAuth:
			t.Errorf("%s (%s) carries an Authorization header", where, r.Kind)
		}
		if r.Path == "/v2/auth/device/code" {
			if codeConns[r.ConnID] {
				t.Errorf("two device-code requests on connection %d", r.ConnID)
			}
			codeConns[r.ConnID] = true
		}
	}
	for _, r := range log {
		if codeConns[r.ConnID] && r.Path != "/v2/auth/device/code" {
			t.Errorf("%s %s went on connection %d, which carried a device-code request", r.Method, r.Path, r.ConnID)
		}
	}
	if len(codeConns) != 3 || count["s3"] != len(a.UploadURLs) || count["api"] != 4 || count["health"] != 1 {
		t.Errorf("the sequence is not what it should be: %d device-code connections, requests by kind %v", len(codeConns), count)
	}
	if assets := sim.Assets(); len(assets) != 1 || !assets[0].Complete {
		t.Errorf("the asset was not assembled: %+v", assets)
	}
}
