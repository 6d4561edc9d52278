package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// The real-time calls (docs/api-notes.md §3.6): the client's requests as a server receives
// them, byte for byte where the contract fixes them, and its reading of the answers. The
// generic header test (TestHeaderHygiene) does not make these calls, so without the tests
// here a real-time request could lose x-client-version or its bearer token unnoticed.

const realtimeToken = "rt-access-token"

// captured is one request as the server received it.
type captured struct {
	Method     string
	Path       string // decoded
	RequestURI string // as sent: escapes kept
	Header     http.Header
	Body       []byte
}

// captureServer records every request and answers each with what answer says.
type captureServer struct {
	url string

	mu   sync.Mutex
	reqs []captured
}

func newCaptureServer(t *testing.T, answer func(r captured) (status int, body string)) *captureServer {
	t.Helper()
	cs := &captureServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request body: %v", err)
		}
		c := captured{Method: r.Method, Path: r.URL.Path, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body}
		cs.mu.Lock()
		cs.reqs = append(cs.reqs, c)
		cs.mu.Unlock()
		status, out := answer(c)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	cs.url = srv.URL
	return cs
}

func (cs *captureServer) requests() []captured {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.reqs)
}

// only returns the one request the server saw.
func (cs *captureServer) only(t *testing.T) captured {
	t.Helper()
	reqs := cs.requests()
	if len(reqs) != 1 {
		t.Fatalf("the server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// checkJSONCall checks what every real-time call must carry: its method and path as sent,
// exactly one bearer token, one JSON content type and one x-client-version (the API
// rejects two, docs/api-notes.md §1).
func checkJSONCall(t *testing.T, r captured, method, requestURI string) {
	t.Helper()
	if r.Method != method || r.RequestURI != requestURI {
		t.Errorf("request %s %s, want %s %s", r.Method, r.RequestURI, method, requestURI)
	}
	for name, want := range map[string]string{
		"Authorization":    "Bearer " + realtimeToken,
		"Content-Type":     "application/json",
		"X-Client-Version": clientVersion,
	} {
		if got := r.Header.Values(name); !slices.Equal(got, []string{want}) {
			t.Errorf("%s %q, want exactly [%s]", name, got, want)
		}
	}
}

// jsonObject decodes a JSON object keeping its numbers exact.
func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("the body is not a JSON object: %v: %s", err, b)
	}
	return m
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// TestCreateRealtimeAssetSendsTheDocumentedRequest: the create call of a growing file is a
// JSON POST to the asset endpoint with is_realtime_upload true, the filetype, and the name
// or only the extension — and no filesize, which the file does not have yet.
func TestCreateRealtimeAssetSendsTheDocumentedRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  api.RealtimeAssetRequest
		want map[string]any
	}{
		{
			name: "named",
			req:  api.RealtimeAssetRequest{Name: "C2C_TEST_CLIP.mp4", Filetype: "video/mp4", Offset: 10, Channel: 0},
			want: map[string]any{"name": "C2C_TEST_CLIP.mp4", "filetype": "video/mp4", "offset": json.Number("10"),
				"channel": json.Number("0"), "is_realtime_upload": true},
		},
		{
			// The final name is not known yet: the extension alone, and no empty name.
			name: "extension only",
			req:  api.RealtimeAssetRequest{Extension: ".mov", Filetype: assetType, Offset: 0, Channel: 1},
			want: map[string]any{"extension": ".mov", "filetype": assetType, "offset": json.Number("0"),
				"channel": json.Number("1"), "is_realtime_upload": true},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCaptureServer(t, func(captured) (int, string) {
				return http.StatusOK, `{"id":"5f1c1e2a-0000-4000-8000-000000000001","name":"C2C_TEST_CLIP.mp4"}`
			})
			c := newTestClient(t, api.Config{BaseURL: srv.url})
			a, err := c.CreateRealtimeAsset(t.Context(), realtimeToken, tc.req)
			if err != nil {
				t.Fatalf("CreateRealtimeAsset: %v", err)
			}
			// The answer is only {id, name}: no URLs, and none expected.
			if a.ID != "5f1c1e2a-0000-4000-8000-000000000001" || a.Name != "C2C_TEST_CLIP.mp4" || a.UploadURLs != nil {
				t.Errorf("asset %+v", a)
			}
			r := srv.only(t)
			checkJSONCall(t, r, http.MethodPost, "/v2/devices/assets")
			body := jsonObject(t, r.Body)
			if !slices.Equal(keys(body), keys(tc.want)) {
				t.Errorf("body fields %q, want exactly %q (%s)", keys(body), keys(tc.want), r.Body)
			}
			for k, want := range tc.want {
				if body[k] != want {
					t.Errorf("%s = %#v, want %#v", k, body[k], want)
				}
			}
		})
	}
}

// TestCreateRealtimeAssetNeedsAnID: an answer without an id leaves nowhere to register
// parts (a proxy answering for the API, say): it is an unexpected body, worth one more
// try, and never an asset with an empty id.
func TestCreateRealtimeAssetNeedsAnID(t *testing.T) {
	for _, body := range []string{`{"name":"clip.mov"}`, `{"id":"","name":"clip.mov"}`, `<html>portal</html>`} {
		srv := newCaptureServer(t, func(captured) (int, string) { return http.StatusOK, body })
		c := newTestClient(t, api.Config{BaseURL: srv.url})
		a, err := c.CreateRealtimeAsset(t.Context(), realtimeToken, api.RealtimeAssetRequest{Name: "clip.mov", Filetype: assetType})
		checkUnexpectedBody(t, err, api.EndpointAssets)
		if a.ID != "" {
			t.Errorf("%s: asset %+v returned with the error", body, a)
		}
	}
}

func checkUnexpectedBody(t *testing.T, err error, endpoint string) {
	t.Helper()
	e, ok := api.AsError(err)
	r := api.UnexpectedBodyRule
	if !ok || e.Kind != r.Kind || e.Retry != r.Retry || e.Effect != r.Effect || e.Status != http.StatusOK || e.Endpoint != endpoint {
		t.Errorf("error %v, want %s's unexpected body (%s/%s, HTTP 200)", err, endpoint, r.Kind, r.Retry)
	}
}

// partsAnswer answers a parts registration with one URL per part asked for, plus extra.
func partsAnswer(t *testing.T, extra int) func(r captured) (int, string) {
	return func(r captured) (int, string) {
		var req struct {
			Parts []json.RawMessage `json:"parts"`
		}
		if err := json.Unmarshal(r.Body, &req); err != nil {
			t.Errorf("the parts request is not JSON: %v", err)
		}
		urls := make([]string, max(len(req.Parts)+extra, 0))
		for i := range urls {
			urls[i] = "https://s3.example/part-" + string(rune('a'+i))
		}
		b, _ := json.Marshal(map[string]any{"upload_urls": urls})
		return http.StatusOK, string(b)
	}
}

// checkParts checks the parts of a request body field by field: exactly number, size and
// is_final (not part_number, part_size: docs/api-notes.md §3.6), with the values given.
func checkParts(t *testing.T, body map[string]any, want []api.Part) {
	t.Helper()
	parts, ok := body["parts"].([]any)
	if !ok || len(parts) != len(want) {
		t.Fatalf("parts %#v, want %d parts", body["parts"], len(want))
	}
	for i, raw := range parts {
		p, _ := raw.(map[string]any)
		if got := keys(p); !slices.Equal(got, []string{"is_final", "number", "size"}) {
			t.Errorf("part %d has the fields %q, want exactly is_final, number, size", i, got)
		}
		w := want[i]
		if p["number"] != json.Number(itoa(int64(w.Number))) || p["size"] != json.Number(itoa(w.Size)) || p["is_final"] != w.IsFinal {
			t.Errorf("part %d = %v, want %+v", i, p, w)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestRealtimePartsSendsTheDocumentedRequest: a registration is a JSON POST to the asset's
// parts path, the id path-escaped, with the parts as asked. asset_filesize goes with the
// final part and only with it: before the end the file's size means nothing yet, and the
// API takes asset_filesize as the file's total.
func TestRealtimePartsSendsTheDocumentedRequest(t *testing.T) {
	const id = "clip/1 ?#%"
	const escaped = "/v2/devices/assets/clip%2F1%20%3F%23%25/realtime_upload/parts"
	for _, tc := range []struct {
		name     string
		parts    []api.Part
		fileSize int64
		wantSize bool
	}{
		{"growing, no size", []api.Part{{Number: 1, Size: 5 << 20}}, 0, false},
		// The caller may hand in the size so far; it is not the file's size yet.
		{"growing, size so far left out", []api.Part{{Number: 2, Size: 6 << 20}, {Number: 1, Size: 5 << 20}}, 11 << 20, false},
		{"final", []api.Part{{Number: 3, Size: 1234, IsFinal: true}}, 11<<20 + 1234, true},
		{"final among others", []api.Part{{Number: 1, Size: 5 << 20}, {Number: 2, Size: 10, IsFinal: true}}, 5<<20 + 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCaptureServer(t, partsAnswer(t, 0))
			c := newTestClient(t, api.Config{BaseURL: srv.url})
			urls, err := c.RealtimeParts(t.Context(), realtimeToken, id, tc.parts, tc.fileSize)
			if err != nil {
				t.Fatalf("RealtimeParts: %v", err)
			}
			// One URL per part, in the order asked.
			if len(urls) != len(tc.parts) || urls[0] != "https://s3.example/part-a" {
				t.Errorf("urls %q", urls)
			}
			r := srv.only(t)
			checkJSONCall(t, r, http.MethodPost, escaped)
			if r.Path != "/v2/devices/assets/"+id+"/realtime_upload/parts" {
				t.Errorf("decoded path %q", r.Path)
			}
			body := jsonObject(t, r.Body)
			want := []string{"parts"}
			if tc.wantSize {
				want = []string{"asset_filesize", "parts"}
				if body["asset_filesize"] != json.Number(itoa(tc.fileSize)) {
					t.Errorf("asset_filesize %v, want %d", body["asset_filesize"], tc.fileSize)
				}
			}
			if !slices.Equal(keys(body), want) {
				t.Errorf("body fields %q, want exactly %q (%s)", keys(body), want, r.Body)
			}
			checkParts(t, body, tc.parts)
		})
	}
}

// TestRealtimePartsRefusesWhatCannotBeRight: a final part without the file's size (the
// API requires asset_filesize then), or an asset id that path cleaning would turn into
// another endpoint ("assets/../realtime_upload"), is this app's bug: refused without a
// request.
func TestRealtimePartsRefusesWhatCannotBeRight(t *testing.T) {
	final := []api.Part{{Number: 1, Size: 10, IsFinal: true}}
	for _, tc := range []struct {
		name     string
		id       string
		fileSize int64
	}{
		{"final without a size", "asset", 0},
		{"final with a negative size", "asset", -1},
		{"empty id", "", 10},
		{"dot id", ".", 10},
		{"dot-dot id", "..", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCaptureServer(t, partsAnswer(t, 0))
			c := newTestClient(t, api.Config{BaseURL: srv.url})
			urls, err := c.RealtimeParts(t.Context(), realtimeToken, tc.id, final, tc.fileSize)
			e, ok := api.AsError(err)
			if !ok || e.Kind != api.KindInternal || e.Endpoint != api.EndpointParts || urls != nil {
				t.Errorf("urls %q, error %v: want an Internal error of %s", urls, err, api.EndpointParts)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

// TestRealtimePartsChecksTheURLCount: each part needs its URL; an answer with fewer (or
// more: which URL is whose?) cannot be used and is an unexpected body.
func TestRealtimePartsChecksTheURLCount(t *testing.T) {
	parts := []api.Part{{Number: 1, Size: 5 << 20}, {Number: 2, Size: 5 << 20}}
	for _, tc := range []struct {
		name   string
		answer func(t *testing.T) func(captured) (int, string)
	}{
		{"one URL short", func(t *testing.T) func(captured) (int, string) { return partsAnswer(t, -1) }},
		{"one URL too many", func(t *testing.T) func(captured) (int, string) { return partsAnswer(t, 1) }},
		{"no upload_urls", func(*testing.T) func(captured) (int, string) {
			return func(captured) (int, string) { return http.StatusOK, `{}` }
		}},
		{"not JSON", func(*testing.T) func(captured) (int, string) {
			return func(captured) (int, string) { return http.StatusOK, `<html>portal</html>` }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCaptureServer(t, tc.answer(t))
			c := newTestClient(t, api.Config{BaseURL: srv.url})
			urls, err := c.RealtimeParts(t.Context(), realtimeToken, "asset", parts, 0)
			checkUnexpectedBody(t, err, api.EndpointParts)
			if urls != nil {
				t.Errorf("urls %q returned with the error", urls)
			}
		})
	}
}

// TestRealtimeUploadThroughTheSimulator: a growing file end to end over real HTTP —
// create, register as it grows, send each part, register the final one — and the
// simulator assembles exactly the file. Every real-time request in its log carries one
// x-client-version and one bearer token.
func TestRealtimeUploadThroughTheSimulator(t *testing.T) {
	ctx := t.Context()
	const minPart = 64 << 10
	opts := simOptions()
	opts.MinPartSize = minPart
	sim := c2csim.Start(t, opts)
	c := newTestClient(t, api.Config{BaseURL: sim.URL()})
	tok := pairDevice(ctx, t, sim, c, testCreds("device-"+uuid.NewString()), "Realtime")

	a, err := c.CreateRealtimeAsset(ctx, tok.AccessToken, api.RealtimeAssetRequest{Extension: ".mov", Filetype: assetType})
	if err != nil {
		t.Fatalf("CreateRealtimeAsset: %v", err)
	}
	data := make([]byte, 2*minPart+777)
	_, _ = rand.Read(data)
	put := func(url string, n int) {
		t.Helper()
		off := int64(n-1) * minPart
		err := c.PutChunk(ctx, api.Chunk{URL: url, File: bytes.NewReader(data), Path: "clip.mov", Offset: off,
			Length: min(minPart, int64(len(data))-off), ContentType: assetType})
		if err != nil {
			t.Fatalf("part %d: %v", n, err)
		}
	}
	// The first two parts while the file grows, in reverse order (any order will do).
	urls, err := c.RealtimeParts(ctx, tok.AccessToken, a.ID, []api.Part{{Number: 2, Size: minPart}, {Number: 1, Size: minPart}}, 0)
	if err != nil {
		t.Fatalf("RealtimeParts: %v", err)
	}
	put(urls[0], 2)
	put(urls[1], 1)
	urls, err = c.RealtimeParts(ctx, tok.AccessToken, a.ID, []api.Part{{Number: 3, Size: 777, IsFinal: true}}, int64(len(data)))
	if err != nil {
		t.Fatalf("RealtimeParts (final): %v", err)
	}
	put(urls[0], 3)

	info, err := sim.Admin.Asset(ctx, a.ID)
	sum := sha256.Sum256(data)
	if err != nil || !info.Complete || info.SHA256 != hex.EncodeToString(sum[:]) || info.Filesize != int64(len(data)) {
		t.Fatalf("asset %+v (%v), want complete with the file's bytes", info, err)
	}

	var log []c2csim.Request
	waitfor.Condition(t, "the real-time requests in the simulator's log", func() bool {
		log = slices.DeleteFunc(sim.Requests(0), func(r c2csim.Request) bool {
			return r.Path != "/v2/devices/assets" && !strings.HasSuffix(r.Path, "/realtime_upload/parts")
		})
		return len(log) == 3
	})
	for _, r := range log {
		if v := r.Headers["X-Client-Version"]; !slices.Equal(v, []string{clientVersion}) {
			t.Errorf("%s %s: x-client-version %q, want exactly one %q", r.Method, r.Path, v, clientVersion)
		}
		if v := r.Headers["Authorization"]; len(v) != 1 || !strings.HasPrefix(v[0], "Bearer ") {
			t.Errorf("%s %s: Authorization %q, want one bearer token", r.Method, r.Path, v)
		}
		if r.Status != http.StatusOK {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
	}
}

// TestRealtimeErrorRows: the documented failures of the real-time calls (400, 401, 404 and
// 429 for the parts, §3.6; the create's own), produced by the simulator for real where it
// can, each decoded and retried as the error policy's tables say (the rows of
// TestPolicyRows, run the same way).
func TestRealtimeErrorRows(t *testing.T) {
	const minPart = 64 << 10
	realtime := func(e *rowEnv) (access, id string) {
		e.t.Helper()
		tok := e.pair()
		a, err := e.setup.CreateRealtimeAsset(e.ctx, tok.AccessToken, api.RealtimeAssetRequest{Name: "clip.mov", Filetype: assetType})
		if err != nil {
			e.t.Fatalf("CreateRealtimeAsset: %v", err)
		}
		return tok.AccessToken, a.ID
	}
	register := func(e *rowEnv, access, id string, parts []api.Part, size int64) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.client.RealtimeParts(ctx, access, id, parts, size)
			return err
		}
	}
	create := func(e *rowEnv, access string, r api.RealtimeAssetRequest) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.client.CreateRealtimeAsset(ctx, access, r)
			return err
		}
	}
	small := func(o *c2csim.Options) { o.MinPartSize = minPart }
	n, waits := classCounts(api.RetryOnce)
	// The parts path names the row's asset, made by the row: counted by prefix.
	const parts = "/v2/devices/assets/*"
	rows := []policyRow{
		{
			name: "parts_400_InvalidRequest_real_part_below_the_minimum",
			opts: small,
			prepare: func(e *rowEnv) func(context.Context) error {
				access, id := realtime(e)
				return register(e, access, id, []api.Part{{Number: 1, Size: minPart - 1}}, 0)
			},
			kind: api.KindInvalidRequest, class: api.RetryOnce,
			method: "POST", path: parts, requests: n, attempts: n, waits: waits,
			check: func(e *rowEnv, err *api.Error) {
				if err.Status != 400 || !strings.Contains(err.Detail, "need at least") {
					e.t.Errorf("status %d detail %q: want 400 with the simulator's reason", err.Status, err.Detail)
				}
			},
		},
		{
			name: "parts_401_UnauthorizedClient_real_expired_access_token",
			prepare: func(e *rowEnv) func(context.Context) error {
				access, id := realtime(e)
				if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
					e.t.Fatal(err)
				}
				return register(e, access, id, []api.Part{{Number: 1, Size: 10, IsFinal: true}}, 10)
			},
			kind: api.KindUnauthorizedClient, class: api.RetryNo, effect: api.EffectRefreshToken,
			method: "POST", path: parts, requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "parts_404_NotFound_real_not_a_realtime_asset",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				// An ordinary asset has no real-time parts: the API does not know it there.
				a, err := e.setup.CreateAsset(e.ctx, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: 10})
				if err != nil {
					e.t.Fatal(err)
				}
				return register(e, tok.AccessToken, a.ID, []api.Part{{Number: 1, Size: 10, IsFinal: true}}, 10)
			},
			kind: api.KindNotFound, class: api.RetryOnce,
			method: "POST", path: parts, requests: n, attempts: n, waits: waits,
		},
		{
			name: "parts_429_SlowDown",
			prepare: func(e *rowEnv) func(context.Context) error {
				access, id := realtime(e)
				e.fault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets/" + id + "/realtime_upload/parts", Status: 429})
				return register(e, access, id, []api.Part{{Number: 1, Size: 10, IsFinal: true}}, 10)
			},
			kind: api.KindSlowDown, class: api.RetryYes,
			method: "POST", path: parts, requests: 8, attempts: 8, waits: waitsYes,
		},
		{
			name: "create_401_UnauthorizedClient_real_expired_access_token",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				if err := e.sim.Admin.ExpireAccess(e.ctx, e.creds.ClientID); err != nil {
					e.t.Fatal(err)
				}
				return create(e, tok.AccessToken, api.RealtimeAssetRequest{Name: "clip.mov", Filetype: assetType})
			},
			kind: api.KindUnauthorizedClient, class: api.RetryNo, effect: api.EffectRefreshToken,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "create_422_InvalidArgument_real_no_filetype",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				return create(e, tok.AccessToken, api.RealtimeAssetRequest{Name: "clip.mov"})
			},
			kind: api.KindInvalidArgument, class: api.RetryNo,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "create_409_Channel_Paused_real",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				if err := e.sim.Admin.Pause(e.ctx, 0); err != nil {
					e.t.Fatal(err)
				}
				return create(e, tok.AccessToken, api.RealtimeAssetRequest{Name: "clip.mov", Filetype: assetType})
			},
			kind: api.KindChannelPaused, class: api.RetryNo, effect: api.EffectSkipFile | api.EffectAlert,
			method: "POST", path: "/v2/devices/assets", requests: 1, attempts: 1, waits: waitsNo,
		},
		{
			name: "create_429_SlowDown",
			prepare: func(e *rowEnv) func(context.Context) error {
				tok := e.pair()
				e.fault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Status: 429})
				return create(e, tok.AccessToken, api.RealtimeAssetRequest{Name: "clip.mov", Filetype: assetType})
			},
			kind: api.KindSlowDown, class: api.RetryYes,
			method: "POST", path: "/v2/devices/assets", requests: 8, attempts: 8, waits: waitsYes,
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			runRow(t, row)
		})
	}
}
