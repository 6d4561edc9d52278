package c2csim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func wantPage(t *testing.T, r response, status int, contains ...string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, s := range contains {
		if !strings.Contains(string(r.Body), s) {
			t.Errorf("page does not contain %q:\n%s", s, r.Body)
		}
	}
}

func TestPairPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{ProjectName: "Studio"})
	wantPage(t, e.get("/pair"), http.StatusOK, `<form method="post" action="/pair">`, `name="code"`, `value="Studio"`)
	wantPage(t, e.get("/"), http.StatusOK, "C2C API simulator", "/_sim/")
	// The complete URL pre-fills the code.
	code := e.requestCode("dev-1", "x-client-platypus-enabled", "true")
	u, _ := url.Parse(code["verification_uri_complete"].(string))
	wantPage(t, e.get(u.Path), http.StatusOK, `value="`+code["user_code"].(string)+`"`)
	// Whatever is in the path is escaped.
	r := e.get("/pair/" + url.PathEscape(`<script>x</script>`))
	wantPage(t, r, http.StatusOK, "&lt;script&gt;")
	if strings.Contains(string(r.Body), "<script>") {
		t.Error("the code is not escaped")
	}
}

func TestPairFormApprove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{ProjectName: "Studio"})
	code := e.requestCode("dev-1")
	r := e.postForm("/pair", url.Values{"code": {" " + code["user_code"].(string) + " "}, "project": {"Feature Film"}, "action": {"approve"}})
	wantPage(t, r, http.StatusOK, "Done", "Connected", "Feature Film")
	if strings.Contains(string(r.Body), "<form") {
		t.Error("the done page shows the form")
	}
	ps, _ := e.sim.Admin.Pairings(e.ctx)
	if len(ps) != 1 || ps[0].State != "approved" || ps[0].Project != "Feature Film" {
		t.Errorf("pairings %+v", ps)
	}
	tok := tokensFrom(t, e.poll("dev-1", code["device_code"].(string)))
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))
	if me["project"].(map[string]any)["name"] != "Feature Film" {
		t.Errorf("project %v", me["project"])
	}
	// No project and no action: approved into the default project.
	code = e.requestCode("dev-2")
	wantPage(t, e.postForm("/pair", url.Values{"code": {code["user_code"].(string)}}), http.StatusOK, "Connected", "Studio")
	ps, _ = e.sim.Admin.Pairings(e.ctx)
	if ps[1].State != "approved" || ps[1].Project != "Studio" {
		t.Errorf("pairing %+v", ps[1])
	}
}

func TestPairFormDecline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	r := e.postForm("/pair", url.Values{"code": {code["user_code"].(string)}, "action": {"decline"}})
	wantPage(t, r, http.StatusOK, "declined")
	wantSimple(t, e.poll("dev-1", code["device_code"].(string)), http.StatusBadRequest, "access_denied")
}

func TestPairFormErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	form := func(code, action string) response {
		return e.postForm("/pair", url.Values{"code": {code}, "action": {action}})
	}
	wantPage(t, form("abcdef", "approve"), http.StatusBadRequest, "no pairing has the code", "abcdef", `<form`)
	wantPage(t, form("abcdef", "decline"), http.StatusBadRequest, "no pairing has the code")
	wantPage(t, form("", "approve"), http.StatusBadRequest, "no pairing has the code")

	code := e.requestCode("dev-1")["user_code"].(string)
	wantStatus(t, form(code, "approve"), http.StatusOK)
	wantPage(t, form(code, "approve"), http.StatusBadRequest, "is already approved")
	wantPage(t, form(code, "decline"), http.StatusBadRequest, "is already approved")

	declined := e.requestCode("dev-2")["user_code"].(string)
	wantStatus(t, form(declined, "decline"), http.StatusOK)
	wantPage(t, form(declined, "approve"), http.StatusBadRequest, "is already declined")

	expired := e.requestCode("dev-3")["user_code"].(string)
	e.sim.AdvanceClock(121 * time.Second)
	wantPage(t, form(expired, "approve"), http.StatusBadRequest, "has expired")

	r := e.post("/pair", "application/x-www-form-urlencoded", []byte("code=%zz"))
	wantPage(t, r, http.StatusBadRequest, "The form could not be read.")
}
