package c2csim_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/google/uuid"
)

func TestDeviceCodeURLEncoded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	body := e.requestCode("dev-1")
	if dc, _ := body["device_code"].(string); len(dc) != 64 || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(dc) {
		t.Errorf("device_code %q: want 64 alphanumerics", dc)
	}
	if uc, _ := body["user_code"].(string); !regexp.MustCompile(`^[0-9]{6}$`).MatchString(uc) {
		t.Errorf("user_code %q: want six digits", uc)
	}
	if body["expires_in"] != 120.0 {
		t.Errorf("expires_in %v, want 120", body["expires_in"])
	}
	if body["interval"] != 0.2 {
		t.Errorf("interval %v, want 0.2 (PollInterval 200ms)", body["interval"])
	}
	if name, _ := body["name"].(string); !strings.HasPrefix(name, "c2c-uploader-") {
		t.Errorf("name %q", name)
	}
	if body["verification_uri"] != e.url("/pair") {
		t.Errorf("verification_uri %v, want %s", body["verification_uri"], e.url("/pair"))
	}
	if v, present := body["verification_uri_complete"]; !present || v != nil {
		t.Errorf("verification_uri_complete %v (present %v), want null without x-client-platypus-enabled", v, present)
	}
	if len(body) != 7 {
		t.Errorf("%d fields, want 7: %v", len(body), body)
	}
	pairings, err := e.sim.Admin.Pairings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairings) != 1 || pairings[0].UserCode != body["user_code"] || pairings[0].ClientID != "dev-1" ||
		pairings[0].State != "pending" || pairings[0].Interval != 0.2 || pairings[0].Expired {
		t.Errorf("pairings %+v", pairings)
	}
}

func TestDeviceCodeMultipartAndOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{DeviceCodeTTL: 30 * time.Second, PollInterval: 3 * time.Second})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"client_id", "dev-mp"}, {"client_secret", secret}, {"scope", "asset_create"}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.post("/v2/auth/device/code", mw.FormDataContentType(), buf.Bytes())
	wantStatus(t, r, http.StatusOK)
	body := decodeJSON(t, r)
	if body["expires_in"] != 30.0 || body["interval"] != 3.0 {
		t.Errorf("expires_in %v interval %v, want 30 and 3", body["expires_in"], body["interval"])
	}
	ps, err := e.sim.Admin.Pairings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ClientID != "dev-mp" {
		t.Fatalf("pairings %+v", ps)
	}
}

func TestDeviceCodeLegacyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	r := e.postForm("/v2/device/code", url.Values{"client_id": {"d"}, "client_secret": {secret}, "scope": {"offline"}})
	wantStatus(t, r, http.StatusOK)
	if decodeJSON(t, r)["user_code"] == nil {
		t.Fatalf("no user_code: %s", r.Body)
	}
}

func TestDeviceCodePlatypus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	for _, v := range []string{"true", "TRUE"} {
		body := e.requestCode("dev-qr", "x-client-platypus-enabled", v)
		want := e.url("/pair/" + body["user_code"].(string))
		if body["verification_uri_complete"] != want {
			t.Errorf("header %q: verification_uri_complete %v, want %s", v, body["verification_uri_complete"], want)
		}
	}
	body := e.requestCode("dev-qr", "x-client-platypus-enabled", "false")
	if body["verification_uri_complete"] != nil {
		t.Errorf("platypus false: verification_uri_complete %v, want null", body["verification_uri_complete"])
	}
}

func TestDeviceCodeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{ClientSecrets: []string{"s1", "s2"}})
	good := func() url.Values {
		return url.Values{"client_id": {"dev"}, "client_secret": {"s2"}, "scope": {"asset_create offline"}}
	}
	cases := []struct {
		name    string
		edit    func(url.Values)
		message string
	}{
		{"second secret accepted", func(url.Values) {}, ""},
		{"wrong secret", func(v url.Values) { v.Set("client_secret", secret) }, "invalid_client"},
		{"no secret", func(v url.Values) { v.Del("client_secret") }, "invalid_client"},
		{"no client_id", func(v url.Values) { v.Del("client_id") }, "invalid_request"},
		{"no scope", func(v url.Values) { v.Del("scope") }, "invalid_request"},
		{"blank scope", func(v url.Values) { v.Set("scope", "  ") }, "invalid_request"},
		{"foreign scope", func(v url.Values) { v.Set("scope", "asset_create project_read") }, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := good()
			tc.edit(v)
			c := newClient(t, true)
			req := newRequest(t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader(v.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			r := send(t, c, req)
			if tc.message == "" {
				wantStatus(t, r, http.StatusOK)
				return
			}
			wantSimple(t, r, http.StatusBadRequest, tc.message)
		})
	}
	t.Run("unreadable form", func(t *testing.T) {
		c := newClient(t, true)
		req := newRequest(t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader("client_id=%zz"),
			"Content-Type", "application/x-www-form-urlencoded")
		wantSimple(t, send(t, c, req), http.StatusBadRequest, "invalid_request")
	})
	t.Run("broken multipart", func(t *testing.T) {
		c := newClient(t, true)
		req := newRequest(t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader("--nope\r\n"),
			"Content-Type", "multipart/form-data; boundary=xyz")
		wantSimple(t, send(t, c, req), http.StatusBadRequest, "invalid_request")
	})
}

// The error guide: several device-code requests on one connection trigger slow_down.
func TestDeviceCodeSameConnectionSlowDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	form := url.Values{"client_id": {"dev"}, "client_secret": {secret}, "scope": {scope}}
	codeReq := func() *http.Request {
		return newRequest(t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader(form.Encode()),
			"Content-Type", "application/x-www-form-urlencoded")
	}
	conn := e.dialRaw()
	wantStatus(t, conn.do(codeReq()), http.StatusOK)
	wantSimple(t, conn.do(codeReq()), http.StatusBadRequest, "slow_down")
	wantSimple(t, conn.do(codeReq()), http.StatusBadRequest, "slow_down")
	// A new connection is fine.
	wantStatus(t, e.dialRaw().do(codeReq()), http.StatusOK)

	reqs := e.sim.Requests(0)
	if len(reqs) != 4 {
		t.Fatalf("%d requests logged, want 4", len(reqs))
	}
	if reqs[0].ConnID != reqs[1].ConnID || reqs[1].ConnID == reqs[3].ConnID {
		t.Errorf("conn ids %d %d %d: want the first two equal, the last different", reqs[0].ConnID, reqs[1].ConnID, reqs[3].ConnID)
	}
	if reqs[1].Error != "slow_down" || reqs[1].Status != 400 {
		t.Errorf("second request logged as %d %q", reqs[1].Status, reqs[1].Error)
	}
	if ps, _ := e.sim.Admin.Pairings(e.ctx); len(ps) != 2 {
		t.Errorf("%d codes handed out, want 2", len(ps))
	}
	// Other requests on the same connection do not count.
	conn = e.dialRaw()
	wantStatus(t, conn.do(newRequest(t, http.MethodGet, e.url("/health"), nil)), http.StatusOK)
	wantStatus(t, conn.do(codeReq()), http.StatusOK)
}

func TestTokenPollingPendingThenApproved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	dc := code["device_code"].(string)
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "authorization_pending")
	time.Sleep(250 * time.Millisecond) // the interval is 200 ms
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "authorization_pending")

	if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{ProjectName: "Feature Film", Channels: 2}); err != nil {
		t.Fatal(err)
	}
	// An approved code cannot be approved or declined again.
	if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{}); err == nil || !strings.Contains(err.Error(), "already approved") {
		t.Errorf("second approval: %v", err)
	}
	if err := e.sim.Admin.Decline(e.ctx, code["user_code"].(string)); err == nil {
		t.Error("declining an approved code worked")
	}
	time.Sleep(250 * time.Millisecond)
	r := e.poll("dev-1", dc)
	tok := tokensFrom(t, r)
	body := decodeJSON(t, r)
	if len(body) != 4 || body["expires_in"] != 28800.0 {
		t.Errorf("token body %s: want 4 fields and expires_in 28800", r.Body)
	}
	if len(tok.Access) != 48 {
		t.Errorf("access token of %d chars", len(tok.Access))
	}
	if _, err := uuid.Parse(tok.Refresh); err != nil {
		t.Errorf("refresh token %q is not a uuid", tok.Refresh)
	}
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))
	if me["project"].(map[string]any)["name"] != "Feature Film" || me["channel_count"] != 2.0 {
		t.Errorf("me: project %v, channel_count %v", me["project"], me["channel_count"])
	}
	// The code is consumed.
	time.Sleep(250 * time.Millisecond)
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "invalid_grant")
	ps, err := e.sim.Admin.Pairings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].State != "consumed" || ps[0].Project != "Feature Film" || ps[0].Polls != 3 {
		t.Errorf("pairings %+v", ps)
	}
}

func TestTokenPollingSlowDown(t *testing.T) {
	t.Parallel()
	// A long interval, so that two back-to-back polls are too fast on any machine.
	e := newEnv(t, c2csim.Options{PollInterval: 2 * time.Second})
	code := e.requestCode("dev-1")
	dc := code["device_code"].(string)
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "authorization_pending")
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "slow_down")
	ps, err := e.sim.Admin.Pairings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Interval != 7 || ps[0].Polls != 2 {
		t.Fatalf("pairings %+v: want interval 2+5 = 7 s after slow_down", ps)
	}
	wantSimple(t, e.poll("dev-1", dc), http.StatusBadRequest, "slow_down")
	ps, _ = e.sim.Admin.Pairings(e.ctx)
	if ps[0].Interval != 12 {
		t.Errorf("interval %v after a second slow_down, want 12", ps[0].Interval)
	}
}

func TestTokenPollingExpired(t *testing.T) {
	t.Parallel()
	t.Run("clock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		code := e.requestCode("dev-1")
		e.sim.AdvanceClock(121 * time.Second)
		wantSimple(t, e.poll("dev-1", code["device_code"].(string)), http.StatusBadRequest, "expired_token")
		ps, _ := e.sim.Admin.Pairings(e.ctx)
		if len(ps) != 1 || !ps[0].Expired {
			t.Errorf("pairings %+v: want expired", ps)
		}
		if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{}); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("approving an expired code: %v", err)
		}
	})
	t.Run("ttl", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{DeviceCodeTTL: 300 * time.Millisecond})
		code := e.requestCode("dev-1")
		if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		// Approved but expired before the poll: still expired_token.
		wantSimple(t, e.poll("dev-1", code["device_code"].(string)), http.StatusBadRequest, "expired_token")
	})
}

func TestTokenPollingInvalidGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	wantSimple(t, e.poll("dev-1", "no-such-code"), http.StatusBadRequest, "invalid_grant")
	wantSimple(t, e.poll("dev-2", code["device_code"].(string)), http.StatusBadRequest, "invalid_grant")
}

func TestTokenPollingDeclined(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	if err := e.sim.Admin.Decline(e.ctx, code["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	wantSimple(t, e.poll("dev-1", code["device_code"].(string)), http.StatusBadRequest, "access_denied")
	// Once told, the code is gone.
	wantSimple(t, e.poll("dev-1", code["device_code"].(string)), http.StatusBadRequest, "invalid_grant")
	if err := e.sim.Admin.Decline(e.ctx, "000000x"); err == nil {
		t.Error("declining an unknown code worked")
	}
}

func TestTokenAutoApprove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{AutoApprove: true, ProjectName: "Auto"})
	code := e.requestCode("dev-1")
	tok := tokensFrom(t, e.poll("dev-1", code["device_code"].(string)))
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))
	if me["project"].(map[string]any)["name"] != "Auto" {
		t.Errorf("project %v", me["project"])
	}
	// Switched off at run time: codes wait again.
	cfg, err := e.sim.Admin.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AutoApprove = false
	if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	code = e.requestCode("dev-2")
	wantSimple(t, e.poll("dev-2", code["device_code"].(string)), http.StatusBadRequest, "authorization_pending")
}

func TestTokenRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	dc := code["device_code"].(string)
	cases := []struct {
		name    string
		form    url.Values
		message string
	}{
		{"wrong secret", url.Values{"grant_type": {deviceGrant}, "device_code": {dc}, "client_id": {"dev-1"}, "client_secret": {"x"}}, "invalid_client"},
		{"no grant_type", url.Values{"device_code": {dc}, "client_id": {"dev-1"}, "client_secret": {secret}}, "invalid_request"},
		{"other grant", url.Values{"grant_type": {"password"}, "client_id": {"dev-1"}, "client_secret": {secret}}, "unsupported_grant_type"},
		{"no device_code", url.Values{"grant_type": {deviceGrant}, "client_id": {"dev-1"}, "client_secret": {secret}}, "invalid_request"},
		{"no client_id", url.Values{"grant_type": {deviceGrant}, "device_code": {dc}, "client_secret": {secret}}, "invalid_request"},
		{"refresh without token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"dev-1"}, "client_secret": {secret}}, "invalid_request"},
		{"refresh without client_id", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_secret": {secret}}, "invalid_request"},
	}
	for _, tc := range cases {
		wantSimple(t, e.postForm("/v2/auth/token", tc.form), http.StatusBadRequest, tc.message)
	}
	r := e.post("/v2/auth/token", "application/x-www-form-urlencoded", []byte("grant_type=%zz"))
	wantSimple(t, r, http.StatusBadRequest, "invalid_request")
	// None of these was a poll.
	ps, _ := e.sim.Admin.Pairings(e.ctx)
	if ps[0].Polls != 0 {
		t.Errorf("%d polls counted", ps[0].Polls)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	old := e.pair("dev-1", c2csim.Approval{})
	r := e.refresh("dev-1", old.Refresh)
	fresh := tokensFrom(t, r)
	if fresh.Access == old.Access || fresh.Refresh == old.Refresh || fresh.ExpiresIn != 28800 {
		t.Fatalf("refresh gave %+v after %+v", fresh, old)
	}
	wantStatus(t, e.get("/v2/devices/me", bearer(fresh.Access)...), http.StatusOK)
	wantBody(t, e.get("/v2/devices/me", bearer(old.Access)...), http.StatusUnauthorized, body401)
	// A spent refresh token is invalid_request (single use).
	wantSimple(t, e.refresh("dev-1", old.Refresh), http.StatusBadRequest, "invalid_request")
	// The new pair still works after that.
	wantStatus(t, e.get("/v2/devices/me", bearer(fresh.Access)...), http.StatusOK)

	// The older spec's field name.
	r = e.postForm("/v2/auth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_tokem": {fresh.Refresh}, "client_id": {"dev-1"}, "client_secret": {secret},
	})
	third := tokensFrom(t, r)
	wantStatus(t, e.get("/v2/devices/me", bearer(third.Access)...), http.StatusOK)

	devs, err := e.sim.Admin.Devices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].RefreshesSpent != 2 || devs[0].LiveAccess != 1 || devs[0].LiveRefresh != 1 {
		t.Errorf("devices %+v", devs)
	}
	reqs := e.sim.Requests(0)
	var grants []string
	for _, q := range reqs {
		if q.Path == "/v2/auth/token" {
			grants = append(grants, q.Grant)
		}
	}
	if strings.Join(grants, ",") != deviceGrant+",refresh_token,refresh_token,refresh_token" {
		t.Errorf("grants logged: %v", grants)
	}
}

func TestRefreshDead(t *testing.T) {
	t.Parallel()
	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		if err := e.sim.Admin.Revoke(e.ctx, "dev-1"); err != nil {
			t.Fatal(err)
		}
		wantBody(t, e.refresh("dev-1", tok.Refresh), http.StatusUnauthorized, body401)
		wantBody(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusUnauthorized, body401)
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{RefreshTokenTTL: time.Hour})
		tok := e.pair("dev-1", c2csim.Approval{})
		e.sim.AdvanceClock(time.Hour + time.Second)
		wantBody(t, e.refresh("dev-1", tok.Refresh), http.StatusUnauthorized, body401)
	})
	t.Run("fourteen days", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		e.sim.AdvanceClock(13 * 24 * time.Hour)
		tok = tokensFrom(t, e.refresh("dev-1", tok.Refresh)) // 13 days: fine, and a new 14 days
		e.sim.AdvanceClock(14*24*time.Hour + time.Second)
		wantBody(t, e.refresh("dev-1", tok.Refresh), http.StatusUnauthorized, body401)
	})
	t.Run("unknown or foreign", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		wantBody(t, e.refresh("dev-1", uuid.NewString()), http.StatusUnauthorized, body401)
		wantBody(t, e.refresh("dev-2", tok.Refresh), http.StatusUnauthorized, body401)
		// Neither attempt spent the token.
		tokensFrom(t, e.refresh("dev-1", tok.Refresh))
	})
	t.Run("device removed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		if err := e.sim.Admin.RemoveDevice(e.ctx, "dev-1"); err != nil {
			t.Fatal(err)
		}
		wantBody(t, e.refresh("dev-1", tok.Refresh), http.StatusUnauthorized, body401)
		// Pairing again brings the device back.
		again := e.pair("dev-1", c2csim.Approval{})
		wantStatus(t, e.get("/v2/devices/me", bearer(again.Access)...), http.StatusOK)
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		r := e.postForm("/v2/auth/token", url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}, "client_id": {"dev-1"}, "client_secret": {"nope"},
		})
		wantSimple(t, r, http.StatusBadRequest, "invalid_client")
	})
}

func TestRepairingReplacesTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	first := e.pair("dev-1", c2csim.Approval{ProjectName: "One"})
	second := e.pair("dev-1", c2csim.Approval{ProjectName: "Two"})
	wantBody(t, e.get("/v2/devices/me", bearer(first.Access)...), http.StatusUnauthorized, body401)
	wantBody(t, e.refresh("dev-1", first.Refresh), http.StatusUnauthorized, body401)
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(second.Access)...))
	if me["project"].(map[string]any)["name"] != "Two" {
		t.Errorf("project %v", me["project"])
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	revoke := func(e *env, form url.Values) response {
		return e.postForm("/v2/auth/revoke", form)
	}
	for _, which := range []string{"access", "refresh"} {
		t.Run("by "+which+" token", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, c2csim.Options{})
			tok := e.pair("dev-1", c2csim.Approval{})
			value := tok.Access
			if which == "refresh" {
				value = tok.Refresh
			}
			r := revoke(e, url.Values{"client_id": {"dev-1"}, "client_secret": {secret}, "token": {value}})
			wantBody(t, r, http.StatusOK, `{"success":true}`)
			wantBody(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusUnauthorized, body401)
			wantBody(t, e.refresh("dev-1", tok.Refresh), http.StatusUnauthorized, body401)
			devs, _ := e.sim.Admin.Devices(e.ctx)
			if len(devs) != 1 || !devs[0].Removed || devs[0].LiveAccess != 0 || devs[0].LiveRefresh != 0 {
				t.Errorf("devices %+v", devs)
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		wantSimple(t, revoke(e, url.Values{"client_id": {"dev-1"}, "client_secret": {"x"}, "token": {tok.Access}}), 400, "invalid_client")
		wantSimple(t, revoke(e, url.Values{"client_id": {"dev-1"}, "client_secret": {secret}}), 400, "invalid_request")
		wantSimple(t, revoke(e, url.Values{"client_secret": {secret}, "token": {tok.Access}}), 400, "invalid_request")
		r := e.post("/v2/auth/revoke", "application/x-www-form-urlencoded", []byte("token=%zz"))
		wantSimple(t, r, 400, "invalid_request")
		// An unknown token, or another client's, is answered the same and kills nothing.
		wantBody(t, revoke(e, url.Values{"client_id": {"dev-1"}, "client_secret": {secret}, "token": {"unknown"}}), 200, `{"success":true}`)
		wantBody(t, revoke(e, url.Values{"client_id": {"dev-2"}, "client_secret": {secret}, "token": {tok.Access}}), 200, `{"success":true}`)
		wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
	})
}

func TestAccessTokenTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{AccessTokenTTL: time.Hour})
	tok := e.pair("dev-1", c2csim.Approval{})
	if tok.ExpiresIn != 3600 {
		t.Errorf("expires_in %d, want 3600", tok.ExpiresIn)
	}
	cfg, err := e.sim.Admin.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(cfg.AccessTokenTTL) != time.Hour {
		t.Errorf("config access_token_ttl %v", time.Duration(cfg.AccessTokenTTL))
	}
	cfg.AccessTokenTTL = c2csim.Duration(90 * time.Second)
	if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	tok = tokensFrom(t, e.refresh("dev-1", tok.Refresh))
	if tok.ExpiresIn != 90 {
		t.Errorf("expires_in %d after SetConfig, want 90", tok.ExpiresIn)
	}
	e.sim.AdvanceClock(89 * time.Second)
	wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
	e.sim.AdvanceClock(2 * time.Second)
	wantBody(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusUnauthorized, body401)
	// Refresh still works after the access token died.
	tok = tokensFrom(t, e.refresh("dev-1", tok.Refresh))
	wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
}
