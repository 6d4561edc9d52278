package c2csim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/google/uuid"
)

func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	code := e.requestCode("dev-1")
	if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), c2csim.Approval{ProjectName: "Feature Film", Channels: 3}); err != nil {
		t.Fatal(err)
	}
	tok := tokensFrom(t, e.poll("dev-1", code["device_code"].(string)))

	r := e.get("/v2/devices/me", append(bearer(tok.Access), "x-client-version", "2.16.4")...)
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	me := decodeJSON(t, r)
	str := func(k string) string { s, _ := me[k].(string); return s }
	for k, want := range map[string]any{
		"_type": "project_device", "asset_type": "video", "deleted_at": nil, "status": "online",
		"timezone": "Etc/UTC", "last_known_firmware_version": "2.16.4", "name": code["name"],
		"channel_count": 3.0, "path_asset_type": "video", "path_name": "C2C Uploader",
	} {
		if v, ok := me[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	for _, k := range []string{"id", "device_id", "project_id", "creator_id"} {
		if _, err := uuid.Parse(str(k)); err != nil {
			t.Errorf("%s %q is not a uuid", k, str(k))
		}
	}
	for _, k := range []string{"inserted_at", "updated_at", "last_seen_at"} {
		ts, err := time.Parse(time.RFC3339, str(k))
		if err != nil || time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
			t.Errorf("%s %q: %v", k, str(k), err)
		}
	}
	proj, _ := me["project"].(map[string]any)
	if len(proj) != 3 || proj["_type"] != "project" || proj["name"] != "Feature Film" || proj["id"] != me["project_id"] {
		t.Errorf("project %v (project_id %v)", proj, me["project_id"])
	}
	if ra, ok := me["required_metadata_attributes"].([]any); !ok || len(ra) != 0 {
		t.Errorf("required_metadata_attributes %v", me["required_metadata_attributes"])
	}
	chans, _ := me["channels"].([]any)
	if len(chans) != 3 {
		t.Fatalf("%d channels, want 3", len(chans))
	}
	ids := map[any]bool{}
	for i, c := range chans {
		ch := c.(map[string]any)
		if ch["_type"] != "project_device_channel" || ch["external_index"] != float64(i) || ch["status"] != "online" ||
			ch["project_id"] != me["project_id"] || ch["project_device_id"] != me["id"] || ch["device_id"] != me["device_id"] ||
			ch["real_time_logging_capable"] != false || ch["asset_type"] != "video" {
			t.Errorf("channel %d: %v", i, ch)
		}
		ids[ch["id"]] = true
	}
	if len(ids) != 3 {
		t.Errorf("channel ids not distinct: %v", ids)
	}
	auth, _ := me["authorization"].(map[string]any)
	if auth["_type"] != "project_device_authorization" || auth["project_device_id"] != me["id"] || auth["expires_at"] != nil {
		t.Errorf("authorization %v", auth)
	}
	scopes, _ := auth["scopes"].(map[string]any)
	if scopes["asset_create"] != true || scopes["offline"] != true || scopes["project_read"] != false ||
		scopes["webhook_delete"] != false || scopes["id"] == nil || len(scopes) != 36 {
		t.Errorf("scopes (%d) %v", len(scopes), scopes)
	}
	creator, _ := auth["creator"].(map[string]any)
	if creator["_type"] != "user" || creator["id"] != me["creator_id"] {
		t.Errorf("creator %v", creator)
	}

	// Same project name, same project id; the device id survives re-pairing.
	again := e.pair("dev-1", c2csim.Approval{ProjectName: "Feature Film"})
	me2 := decodeJSON(t, e.get("/v2/devices/me", bearer(again.Access)...))
	if me2["project_id"] != me["project_id"] || me2["device_id"] != me["device_id"] || me2["id"] == me["id"] {
		t.Errorf("after re-pairing: project_id %v device_id %v id %v", me2["project_id"], me2["device_id"], me2["id"])
	}
	if me2["last_known_firmware_version"] != "0.0.0" || me2["channel_count"] != 1.0 {
		t.Errorf("without x-client-version: firmware %v; channel_count %v", me2["last_known_firmware_version"], me2["channel_count"])
	}
}

func TestMeChannelPausedStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{Channels: 2})
	if err := e.sim.Admin.Pause(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))
	chans := me["channels"].([]any)
	if chans[0].(map[string]any)["status"] != "online" || chans[1].(map[string]any)["status"] != "paused" {
		t.Errorf("channel status %v / %v", chans[0].(map[string]any)["status"], chans[1].(map[string]any)["status"])
	}
}

func TestHeartbeatAndOnlineStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	r := send(t, e.c, newRequest(t, http.MethodPost, e.url("/v2/devices/heartbeat"), nil, append(bearer(tok.Access), "x-client-version", "1.0.0")...))
	wantStatus(t, r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 with a body: %q", r.Body)
	}
	devs, err := e.sim.Admin.Devices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].Heartbeats != 1 || devs[0].Status != "online" || devs[0].Firmware != "1.0.0" || devs[0].ClientID != "dev-1" {
		t.Fatalf("devices %+v", devs)
	}
	// Offline after 300 s without a call; any call brings it back.
	e.sim.AdvanceClock(301 * time.Second)
	devs, _ = e.sim.Admin.Devices(e.ctx)
	if devs[0].Status != "offline" {
		t.Errorf("status %q after 301 s of silence, want offline", devs[0].Status)
	}
	wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
	devs, _ = e.sim.Admin.Devices(e.ctx)
	if devs[0].Status != "online" || devs[0].Heartbeats != 1 {
		t.Errorf("after a call: status %q heartbeats %d", devs[0].Status, devs[0].Heartbeats)
	}
	// Unauthenticated heartbeat.
	r = send(t, e.c, newRequest(t, http.MethodPost, e.url("/v2/devices/heartbeat"), nil))
	wantBody(t, r, http.StatusUnauthorized, body401)
}

// Every bearer endpoint answers the detailed 401 for every kind of bad token.
func TestBearerUnauthorized(t *testing.T) {
	t.Parallel()
	endpoints := []struct{ method, path string }{
		{http.MethodGet, "/v2/devices/me"},
		{http.MethodPost, "/v2/devices/heartbeat"},
		{http.MethodPost, "/v2/devices/assets"},
		{http.MethodPost, "/v2/assets"},
		{http.MethodPost, "/v2/devices/assets/" + uuid.NewString() + "/realtime_upload/parts"},
	}
	check := func(t *testing.T, e *env, auth ...string) {
		t.Helper()
		for _, ep := range endpoints {
			req := newRequest(t, ep.method, e.url(ep.path), strings.NewReader(`{"name":"a.mov","filesize":1}`),
				append([]string{"Content-Type", "application/json"}, auth...)...)
			wantBody(t, send(t, e.c, req), http.StatusUnauthorized, body401)
		}
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		check(t, newEnv(t, c2csim.Options{}))
	})
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		e.pair("dev-1", c2csim.Approval{})
		check(t, e, bearer("not-a-token")...)
	})
	t.Run("not bearer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		check(t, e, "Authorization", tok.Access)
		check(t, e, "Authorization", "Basic "+tok.Access)
	})
	t.Run("refresh token as access", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		check(t, e, bearer(tok.Refresh)...)
	})
	t.Run("expired by clock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		e.sim.AdvanceClock(8*time.Hour + time.Second)
		check(t, e, bearer(tok.Access)...)
	})
	t.Run("expired by admin", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		other := e.pair("dev-2", c2csim.Approval{})
		if err := e.sim.Admin.ExpireAccess(e.ctx, "dev-1"); err != nil {
			t.Fatal(err)
		}
		check(t, e, bearer(tok.Access)...)
		wantStatus(t, e.get("/v2/devices/me", bearer(other.Access)...), http.StatusOK)
		if err := e.sim.Admin.ExpireAccess(e.ctx, "all"); err != nil {
			t.Fatal(err)
		}
		check(t, e, bearer(other.Access)...)
		if err := e.sim.Admin.ExpireAccess(e.ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("expiring an unknown device: %v", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		if err := e.sim.Admin.Revoke(e.ctx, "dev-1"); err != nil {
			t.Fatal(err)
		}
		check(t, e, bearer(tok.Access)...)
	})
	t.Run("removed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		if err := e.sim.Admin.RemoveDevice(e.ctx, "all"); err != nil {
			t.Fatal(err)
		}
		check(t, e, bearer(tok.Access)...)
		devs, _ := e.sim.Admin.Devices(e.ctx)
		if len(devs) != 1 || !devs[0].Removed {
			t.Errorf("devices %+v", devs)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	wantBody(t, e.get("/health"), http.StatusOK, `{"status":"ok"}`)
	wantBody(t, e.get("/v2/health"), http.StatusOK, `{"ok":true}`)
	wantBody(t, e.get("/health", "x-client-version", "3.1.4"), http.StatusOK, `{"status":"ok"}`)
	// Bearer tokens are not needed, and a bad one does not matter.
	wantBody(t, e.get("/health", bearer("junk")...), http.StatusOK, `{"status":"ok"}`)
	// Only GET.
	r := send(t, e.c, newRequest(t, http.MethodPost, e.url("/health"), nil))
	wantStatus(t, r, http.StatusMethodNotAllowed)
}
