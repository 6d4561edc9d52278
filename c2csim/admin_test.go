package c2csim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func TestAdminIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	if e.sim.AdminURL() != e.sim.URL()+"/_sim/" {
		t.Errorf("AdminURL %s", e.sim.AdminURL())
	}
	r := e.get("/_sim/")
	wantStatus(t, r, http.StatusOK)
	idx := decodeJSON(t, r)
	if idx["simulator"] != "c2csim" || idx["api"] != e.sim.URL() || idx["pair_page"] != e.url("/pair") || idx["online"] != true {
		t.Errorf("index %v", idx)
	}
	if eps, _ := idx["endpoints"].([]any); len(eps) < 15 {
		t.Errorf("endpoints %v", idx["endpoints"])
	}
	wantStatus(t, e.get("/_sim/nothing"), http.StatusNotFound)
}

func TestAdminPairingErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")["user_code"].(string)
	r := e.postJSON("/_sim/pairings/"+code+"/approve", `{"project_name":`)
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.Body), "bad JSON body") {
		t.Errorf("body %s", r.Body)
	}
	r = e.postJSON("/_sim/pairings/abcdef/approve", `{}`)
	wantBody(t, r, http.StatusNotFound, `{"error":"no pairing has the code \"abcdef\""}`)
	wantStatus(t, e.postJSON("/_sim/pairings/abcdef/decline", ``), http.StatusNotFound)
	// An approval without a body takes the defaults.
	wantBody(t, e.postJSON("/_sim/pairings/"+code+"/approve", ``), http.StatusOK, `{"approved":true}`)
	ps, _ := e.sim.Admin.Pairings(e.ctx)
	if ps[0].Project != "Demo Project" {
		t.Errorf("default project %q", ps[0].Project)
	}
	// Server.Approve and Server.Decline are the same operations.
	other := e.requestCode("dev-2")["user_code"].(string)
	if err := e.sim.Decline(other); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Approve(other, c2csim.Approval{}); err == nil {
		t.Error("approved a declined code")
	}
}

func TestAdminDevicesAndAssets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	e.pair("dev-b", c2csim.Approval{ProjectName: "P", Channels: 4})
	tok := e.pair("dev-a", c2csim.Approval{})
	devs, err := e.sim.Admin.Devices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[0].ClientID != "dev-a" || devs[1].ClientID != "dev-b" || devs[1].Project != "P" ||
		devs[1].Channels != 4 || devs[1].ProjectID == "" || devs[1].Name == "" || devs[1].LiveAccess != 1 || devs[1].LiveRefresh != 1 {
		t.Errorf("devices %+v", devs)
	}
	for _, op := range []func() error{
		func() error { return e.sim.Admin.Revoke(e.ctx, "ghost") },
		func() error { return e.sim.Admin.RemoveDevice(e.ctx, "ghost") },
		func() error { return e.sim.Admin.ExpireAccess(e.ctx, "ghost") },
	} {
		if err := op(); err == nil || !strings.Contains(err.Error(), `no device with client_id "ghost"`) {
			t.Errorf("unknown device: %v", err)
		}
	}
	a := e.newAsset(tok.Access, "a.mov", 10)
	if _, err := e.sim.Admin.Asset(e.ctx, "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown asset: %v", err)
	}
	list := e.sim.Assets()
	if len(list) != 1 || list[0].ID != a.ID || list[0].ClientID != "dev-a" {
		t.Errorf("Server.Assets %+v", list)
	}
}

func TestAdminConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{PartSize: 1234, AutoApprove: true, AccessTokenTTL: time.Minute})
	cfg, err := e.sim.Admin.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PartSize != 1234 || !cfg.AutoApprove || time.Duration(cfg.AccessTokenTTL) != time.Minute || cfg.PaymentRequired || cfg.VaryPartSize {
		t.Errorf("config %+v", cfg)
	}
	// Fields left out keep their value.
	r := e.postJSON("/_sim/config", `{"vary_part_size":true}`)
	wantStatus(t, r, http.StatusOK)
	got := decodeJSON(t, r)
	if got["part_size"] != 1234.0 || got["vary_part_size"] != true || got["auto_approve"] != true || got["access_token_ttl"] != "1m0s" {
		t.Errorf("after a partial update: %s", r.Body)
	}
	for _, body := range []string{`{"part_size":-1}`, `{"access_token_ttl":"0s"}`, `{"part_size":`} {
		if r := e.postJSON("/_sim/config", body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %s", body, r)
		}
	}
}

func TestAdminClientUnreachable(t *testing.T) {
	t.Parallel()
	a := c2csim.NewAdmin("http://127.0.0.1:1/")
	if _, err := a.Config(t.Context()); err == nil || !strings.Contains(err.Error(), "c2csim admin GET /_sim/config") {
		t.Errorf("unreachable admin: %v", err)
	}
}
