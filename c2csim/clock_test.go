package c2csim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

type clockBody struct {
	Now    time.Time       `json:"now"`
	Offset c2csim.Duration `json:"offset"`
}

func (e *env) clock() clockBody {
	e.t.Helper()
	r := e.get("/_sim/clock")
	wantStatus(e.t, r, http.StatusOK)
	var c clockBody
	if err := json.Unmarshal(r.Body, &c); err != nil {
		e.t.Fatalf("clock: %v: %s", err, r.Body)
	}
	return c
}

func TestClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	c := e.clock()
	if c.Offset != 0 || time.Until(c.Now).Abs() > time.Minute {
		t.Errorf("clock at start: %+v", c)
	}
	if err := e.sim.Admin.AdvanceClock(e.ctx, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	c = e.clock()
	if time.Duration(c.Offset) != 2*time.Hour || c.Now.Sub(time.Now().Add(2*time.Hour)).Abs() > time.Minute {
		t.Errorf("after 2 h: %+v", c)
	}
	// Numbers are seconds; the Go API adds up with the admin API.
	r := e.postJSON("/_sim/clock", `{"advance":60}`)
	wantStatus(t, r, http.StatusOK)
	e.sim.AdvanceClock(time.Minute)
	if c = e.clock(); time.Duration(c.Offset) != 2*time.Hour+2*time.Minute {
		t.Errorf("offset %v, want 2h2m", time.Duration(c.Offset))
	}
	if r := e.get("/_sim/clock"); !json.Valid(r.Body) || !strings.Contains(string(r.Body), `"offset":"2h2m0s"`) {
		t.Errorf("clock answer %s", r.Body)
	}
	// Only forward.
	if err := e.sim.Admin.AdvanceClock(e.ctx, -time.Second); err == nil {
		t.Error("the clock went back")
	}
	wantStatus(t, e.postJSON("/_sim/clock", `{"advance":"later"}`), http.StatusBadRequest)
	if c = e.clock(); time.Duration(c.Offset) != 2*time.Hour+2*time.Minute {
		t.Errorf("refused moves changed the offset to %v", time.Duration(c.Offset))
	}
}

// The simulator's clock is the one everything reads: timestamps, expiry, online status.
func TestClockDrivesTimestamps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	e.sim.AdvanceClock(48 * time.Hour)
	// The access token (8 h) is dead by now; the refresh token (14 days) is not.
	wantBody(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusUnauthorized, body401)
	tok = tokensFrom(t, e.refresh("dev-1", tok.Refresh))
	r := e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filetype": filetype, "filesize": 10, "offset": 0})
	inserted, err := time.Parse(time.RFC3339, decodeJSON(t, r)["inserted_at"].(string))
	if err != nil || inserted.Sub(time.Now().Add(48*time.Hour)).Abs() > time.Minute {
		t.Errorf("inserted_at %v (%v): want 48 h ahead", inserted, err)
	}
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))
	seen, _ := time.Parse(time.RFC3339, me["last_seen_at"].(string))
	if seen.Sub(time.Now().Add(48*time.Hour)).Abs() > time.Minute {
		t.Errorf("last_seen_at %v", seen)
	}
	q, _ := e.lastRequest("/v2/devices/me")
	if q.Time.Sub(time.Now().Add(48*time.Hour)).Abs() > time.Minute {
		t.Errorf("log time %v", q.Time)
	}
	// The URL is stamped with the moved clock too: good for 24 h from now.
	a := assetFrom(t, r)
	e.sim.AdvanceClock(23 * time.Hour)
	wantStatus(t, e.put(a.URLs[0], testData(t, 10)), http.StatusOK)
}
