package c2csim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func TestFingerprint(t *testing.T) {
	t.Parallel()
	if got := c2csim.Fingerprint("abc"); got != "ba7816bf8f01" { // SHA-256("abc") begins ba7816bf8f01cfea
		t.Errorf("Fingerprint(abc) = %q", got)
	}
	if got := c2csim.Fingerprint(""); got != "" {
		t.Errorf("Fingerprint of nothing = %q", got)
	}
}

func TestRequestLogRedactsSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1", "X-Request-Id", "req-123", "x-client-version", "1.0.0", "Cookie", "session=cookie-secret")
	dc := code["device_code"].(string)
	if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{}); err != nil {
		t.Fatal(err)
	}
	first := tokensFrom(t, e.poll("dev-1", dc))
	wantStatus(t, e.get("/v2/devices/me", bearer(first.Access)...), http.StatusOK)
	tok := tokensFrom(t, e.refresh("dev-1", first.Refresh))
	wantStatus(t, e.get("/v2/devices/me", "Authorization", tok.Access), http.StatusUnauthorized) // no scheme
	data := testData(t, 1000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	wantStatus(t, e.put(a.URLs[0], data), http.StatusOK)
	u, _ := url.Parse(a.URLs[0])
	sig := u.Query().Get("X-Amz-Signature")
	r := e.postForm("/v2/auth/revoke", url.Values{"client_id": {"dev-1"}, "client_secret": {secret}, "token": {tok.Refresh}})
	wantStatus(t, r, http.StatusOK)

	raw := e.get("/_sim/requests")
	wantStatus(t, raw, http.StatusOK)
	for name, s := range map[string]string{
		"access token": first.Access, "refresh token": first.Refresh, "second access token": tok.Access,
		"second refresh token": tok.Refresh, "device code": dc, "client secret": secret, "signature": sig,
		"cookie": "cookie-secret",
	} {
		if strings.Contains(string(raw.Body), s) {
			t.Errorf("the request log shows the %s", name)
		}
	}

	reqs := e.sim.Requests(0)
	find := func(path string, n int) c2csim.Request {
		t.Helper()
		for _, q := range reqs {
			if q.Path == path {
				if n == 0 {
					return q
				}
				n--
			}
		}
		t.Fatalf("no request %d to %s", n, path)
		return c2csim.Request{}
	}
	q := find("/v2/auth/device/code", 0)
	if q.Kind != "auth" || q.ClientID != "dev-1" || q.Status != 200 || q.Method != "POST" ||
		strings.Join(q.Headers["X-Request-Id"], ",") != "req-123" ||
		strings.Join(q.Headers["X-Client-Version"], ",") != "1.0.0" ||
		strings.Join(q.Headers["Cookie"], ",") != "redacted" {
		t.Errorf("device code request logged as %+v", q)
	}
	q = find("/v2/auth/token", 0)
	if q.Grant != "urn:ietf:params:oauth:grant-type:device_code" || q.TokenFP != c2csim.Fingerprint(dc) || q.ClientID != "dev-1" {
		t.Errorf("poll logged as %+v", q)
	}
	q = find("/v2/devices/me", 0)
	if q.Kind != "api" || q.TokenFP != c2csim.Fingerprint(first.Access) || q.ClientID != "dev-1" ||
		strings.Join(q.Headers["Authorization"], ",") != "Bearer fp:"+c2csim.Fingerprint(first.Access) {
		t.Errorf("me logged as %+v", q)
	}
	q = find("/v2/auth/token", 1)
	if q.Grant != "refresh_token" || q.TokenFP != c2csim.Fingerprint(first.Refresh) {
		t.Errorf("refresh logged as %+v", q)
	}
	q = find("/v2/devices/me", 1)
	if q.TokenFP != c2csim.Fingerprint(tok.Access) || strings.Join(q.Headers["Authorization"], ",") != "fp:"+c2csim.Fingerprint(tok.Access) ||
		q.Status != 401 || q.Error != "Not Authorized" || q.ClientID != "" {
		t.Errorf("unauthorized me logged as %+v", q)
	}
	q = find(u.Path, 0)
	lq, err := url.ParseQuery(q.Query)
	if err != nil || lq.Get("X-Amz-Signature") != "fp:"+c2csim.Fingerprint(sig) || lq.Get("x-amz-meta-part_number") != "1" {
		t.Errorf("PUT query logged as %q (%v)", q.Query, err)
	}
	if q.Kind != "s3" || q.AssetID != a.ID || q.Part != 1 || q.BytesIn != int64(len(data)) || q.Status != 200 || q.TokenFP != "" {
		t.Errorf("PUT logged as %+v", q)
	}
	q = find("/v2/auth/revoke", 0)
	if q.TokenFP != c2csim.Fingerprint(tok.Refresh) || q.ClientID != "dev-1" {
		t.Errorf("revoke logged as %+v", q)
	}
	q = find("/v2/devices/assets", 0)
	if q.AssetID != a.ID || q.ClientID != "dev-1" {
		t.Errorf("create logged as %+v", q)
	}
}

func TestRequestLogConnectionsAndSequence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	keep := e.dialRaw()
	get := func(c *rawConn, p string) {
		t.Helper()
		c.do(newRequest(t, http.MethodGet, e.url(p), nil))
	}
	get(keep, "/health")
	get(keep, "/v2/health")
	get(e.dialRaw(), "/health")
	reqs := e.sim.Requests(0)
	if len(reqs) != 3 {
		t.Fatalf("%d entries", len(reqs))
	}
	if reqs[0].ConnID == 0 || reqs[0].ConnID != reqs[1].ConnID || reqs[2].ConnID == reqs[0].ConnID {
		t.Errorf("conn ids %d %d %d", reqs[0].ConnID, reqs[1].ConnID, reqs[2].ConnID)
	}
	for i, q := range reqs {
		if q.Seq != reqs[0].Seq+int64(i) || q.Duration < 0 || time.Since(q.Time) > time.Minute || q.Status != 200 {
			t.Errorf("entry %+v", q)
		}
	}
	since := e.sim.Requests(reqs[1].Seq)
	if len(since) != 1 || since[0].Seq != reqs[2].Seq {
		t.Errorf("since %d: %+v", reqs[1].Seq, since)
	}
	viaAdmin, err := e.sim.Admin.Requests(e.ctx, reqs[0].Seq)
	if err != nil || len(viaAdmin) != 2 || viaAdmin[1].Seq != reqs[2].Seq {
		t.Errorf("admin since: %+v %v", viaAdmin, err)
	}
	// Admin calls are not logged.
	if n := len(e.sim.Requests(0)); n != 3 {
		t.Errorf("%d entries after admin calls", n)
	}
	if err := e.sim.Admin.ClearRequests(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.sim.Admin.Requests(e.ctx, 0); len(got) != 0 {
		t.Errorf("after clear: %+v", got)
	}
	get(keep, "/health")
	if after := e.sim.Requests(0); len(after) != 1 || after[0].Seq <= reqs[2].Seq {
		t.Errorf("after clear, the sequence goes on: %+v", after)
	}
}

func TestRequestLogKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	a := e.newAsset(tok.Access, "a.mov", 10)
	wantStatus(t, e.put(a.URLs[0], testData(t, 10)), 200)
	e.get("/health")
	e.get("/v2/health")
	e.get("/pair")
	e.get("/")
	e.get("/nowhere")
	e.postForm("/v2/device/code", url.Values{})
	e.postForm("/v2/auth/revoke", url.Values{})
	want := map[string]string{
		"/v2/auth/device/code": "auth", "/v2/device/code": "auth", "/v2/auth/token": "auth", "/v2/auth/revoke": "auth",
		"/v2/devices/assets": "api", "/health": "health", "/v2/health": "health", urlPath(a.URLs[0]): "s3",
		"/pair": "page", "/": "page", "/nowhere": "page",
	}
	seen := map[string]bool{}
	for _, q := range e.sim.Requests(0) {
		if k, ok := want[q.Path]; ok {
			seen[q.Path] = true
			if q.Kind != k {
				t.Errorf("%s: kind %q, want %q", q.Path, q.Kind, k)
			}
		}
		if strings.HasPrefix(q.Path, "/_sim/") {
			t.Errorf("admin call logged: %s", q.Path)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("saw %v", seen)
	}
	if q, _ := e.lastRequest("/nowhere"); q.Status != 404 {
		t.Errorf("unknown path logged with status %d", q.Status)
	}
}
