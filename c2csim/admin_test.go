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

// within checks that at is in [from, to] by the simulator's clock.
func within(t *testing.T, what string, at, from, to time.Time) {
	t.Helper()
	if at.IsZero() || at.Before(from) || at.After(to) {
		t.Errorf("%s at %v, want between %v and %v", what, at, from, to)
	}
}

// rawAsset is an asset as the admin API writes it, for the fields' presence and format.
func (e *env) rawAsset(id string) map[string]any {
	e.t.Helper()
	r := e.get("/_sim/assets/" + id)
	wantStatus(e.t, r, http.StatusOK)
	return decodeJSON(e.t, r)
}

// rawTime reads an RFC 3339 time with its fraction of a second, as the admin API writes
// times.
func rawTime(t *testing.T, m map[string]any, key string) time.Time {
	t.Helper()
	s, ok := m[key].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if !ok || err != nil {
		t.Fatalf("%s = %#v (%v), want an RFC 3339 time", key, m[key], err)
	}
	return at
}

// TestAdminPartReceiveTimes: each part says, by the simulator's clock, when its first PUT
// answered 200 had all its bytes and when its last one had; the asset, when it was put
// together. A test of a client can then tell in what order, and how long after one
// another, parts arrived, whatever the clock was moved to. Absent until they happen.
func TestAdminPartReceiveTimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	parts := chunks(data, len(a.URLs)) // 2 × 50000

	raw := e.rawAsset(a.ID)
	for _, key := range []string{"completed_at", "final_registered_at"} {
		if _, ok := raw[key]; ok {
			t.Errorf("%s present before it happened: %v", key, raw[key])
		}
	}
	for _, p := range raw["parts"].([]any) {
		for _, key := range []string{"first_received_at", "last_received_at"} {
			if v, ok := p.(map[string]any)[key]; ok {
				t.Errorf("%s present on a part not received: %v", key, v)
			}
		}
	}

	from := e.clock().Now
	wantStatus(t, e.put(a.URLs[0], parts[0]), http.StatusOK)
	to := e.clock().Now
	first := e.asset(a.ID).Parts[0]
	within(t, "part 1's first PUT", first.FirstReceivedAt, from, to)
	if !first.LastReceivedAt.Equal(first.FirstReceivedAt) {
		t.Errorf("after one PUT, last %v and first %v differ", first.LastReceivedAt, first.FirstReceivedAt)
	}
	// A PUT refused is no arrival.
	wantS3(t, e.put(a.URLs[1], parts[1][1:]), http.StatusBadRequest, "InvalidArgument",
		"part 2 takes exactly 50000 bytes, the request declares 49999")
	if p := e.asset(a.ID).Parts[1]; !p.FirstReceivedAt.IsZero() || !p.LastReceivedAt.IsZero() {
		t.Errorf("part 2 received at %v / %v by a refused PUT", p.FirstReceivedAt, p.LastReceivedAt)
	}

	e.sim.AdvanceClock(time.Hour)
	from = e.clock().Now
	wantStatus(t, e.put(a.URLs[0], parts[0]), http.StatusOK)
	wantStatus(t, e.put(a.URLs[1], parts[1]), http.StatusOK)
	info := e.asset(a.ID) // waits for the assembly
	to = e.clock().Now
	p1, p2 := info.Parts[0], info.Parts[1]
	if !p1.FirstReceivedAt.Equal(first.FirstReceivedAt) {
		t.Errorf("part 1 first received at %v, then at %v: the first PUT's time must stay", first.FirstReceivedAt, p1.FirstReceivedAt)
	}
	within(t, "part 1's last PUT", p1.LastReceivedAt, from, to)
	within(t, "part 2's PUT", p2.FirstReceivedAt, p1.LastReceivedAt, to)
	within(t, "the assembly", info.CompletedAt, p2.LastReceivedAt, to)
	if !info.Complete || !info.FinalRegisteredAt.IsZero() {
		t.Errorf("asset %+v: want complete, and no final part (not real-time)", info)
	}

	// The admin API writes the same instants, to the nanosecond.
	raw = e.rawAsset(a.ID)
	if at := rawTime(t, raw, "completed_at"); !at.Equal(info.CompletedAt) {
		t.Errorf("completed_at %v, typed %v", at, info.CompletedAt)
	}
	rp := raw["parts"].([]any)[0].(map[string]any)
	if at := rawTime(t, rp, "first_received_at"); !at.Equal(p1.FirstReceivedAt) {
		t.Errorf("first_received_at %v, typed %v", at, p1.FirstReceivedAt)
	}
	if at := rawTime(t, rp, "last_received_at"); !at.Equal(p1.LastReceivedAt) {
		t.Errorf("last_received_at %v, typed %v", at, p1.LastReceivedAt)
	}

	// Without bytes on disk, the asset is put together at its last part.
	d := newEnv(t, c2csim.Options{Discard: true})
	dtok := d.pair("dev-1", c2csim.Approval{})
	b := d.newAsset(dtok.Access, "b.mov", len(data))
	from = d.clock().Now
	d.upload(b, data)
	info = d.asset(b.ID)
	within(t, "the assembly (discard mode)", info.CompletedAt, from, d.clock().Now)
	within(t, "the last part (discard mode)", info.Parts[1].LastReceivedAt, from, info.CompletedAt)
}
