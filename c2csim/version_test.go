package c2csim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func TestClientVersionHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})

	valid := []string{"0.0.0", "1.2.3", "2.16.4", "10.20.30", "1.2.3-beta.1", "1.2.3-rc-1", "1.2.3+build.5", "1.2.3+01", "1.0.0-alpha+001"}
	invalid := []string{"", "1.2", "1", "v1.2.3", "01.2.3", "1.02.3", "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "abc", "1.2.x", "1.2.3-é"}

	// Each endpoint kind: health, bearer API, auth.
	calls := map[string]func(version ...string) response{
		"health": func(v ...string) response { return e.get("/health", v...) },
		"me":     func(v ...string) response { return e.get("/v2/devices/me", append(bearer(tok.Access), v...)...) },
		"device code": func(v ...string) response {
			form := url.Values{"client_id": {"dev-x"}, "client_secret": {secret}, "scope": {scope}}
			req := newRequest(t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader(form.Encode()),
				append([]string{"Content-Type", "application/x-www-form-urlencoded"}, v...)...)
			return send(t, newClient(t, true), req)
		},
	}
	for name, call := range calls {
		for _, v := range valid {
			if r := call("x-client-version", v); r.Status != http.StatusOK {
				t.Errorf("%s with version %q: %s", name, v, r)
			}
		}
		for _, v := range invalid {
			wantSimple(t, call("x-client-version", v), http.StatusBadRequest, "Invalid client version")
		}
		// Twice is refused, even with two valid (even equal) values.
		wantSimple(t, call("x-client-version", "1.2.3", "x-client-version", "1.2.3"), http.StatusBadRequest, "Invalid client version")
		wantSimple(t, call("x-client-version", "1.2.3", "x-client-version", "1.2.4"), http.StatusBadRequest, "Invalid client version")
		// Absent is fine.
		if r := call(); r.Status != http.StatusOK {
			t.Errorf("%s without a version: %s", name, r)
		}
	}
	// The check is logged, and comes before authentication.
	wantSimple(t, e.get("/v2/devices/me", "x-client-version", "nope"), http.StatusBadRequest, "Invalid client version")
	last, _ := e.lastRequest("/v2/devices/me")
	if last.Error != "Invalid client version" || last.Status != 400 {
		t.Errorf("logged as %d %q", last.Status, last.Error)
	}
	wantSimple(t, e.get("/v2/health", "x-client-version", "nope"), http.StatusBadRequest, "Invalid client version")
}

// The header belongs to the API: S3, the pairing page and the admin API ignore it.
func TestClientVersionIgnoredOutsideAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 1000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	wantStatus(t, e.put(a.URLs[0], data, "x-client-version", "garbage"), http.StatusOK)
	wantStatus(t, e.get("/pair", "x-client-version", "garbage"), http.StatusOK)
	wantStatus(t, e.get("/_sim/config", "x-client-version", "garbage"), http.StatusOK)
}
