package c2csim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func createWithOffset(e *env, token string, channel, offset int) response {
	e.t.Helper()
	return e.createAsset(token, map[string]any{"name": "a.mov", "filetype": filetype, "filesize": 10, "offset": offset, "channel": channel})
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{Channels: 2})

	wantStatus(t, createWithOffset(e, tok.Access, 0, 0), http.StatusOK)
	if err := e.sim.Admin.Pause(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Created now: refused, with the exact body of docs/api-notes.md §4.3.
	wantBody(t, createWithOffset(e, tok.Access, 0, 0), http.StatusConflict, body409)
	// Also urlencoded, also real-time, also through the legacy path.
	r := e.postForm("/v2/devices/assets", url.Values{"name": {"a.mov"}, "filesize": {"10"}}, bearer(tok.Access)...)
	wantBody(t, r, http.StatusConflict, body409)
	r = e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filetype": filetype, "is_realtime_upload": true})
	wantBody(t, r, http.StatusConflict, body409)
	r = e.postJSON("/v2/assets", map[string]any{"name": "a.mov", "filesize": 10}, bearer(tok.Access)...)
	wantBody(t, r, http.StatusConflict, body409)
	// Created an hour ago, before the pause: accepted.
	wantStatus(t, createWithOffset(e, tok.Access, 0, 3600), http.StatusOK)
	// Another channel is not paused.
	wantStatus(t, createWithOffset(e, tok.Access, 1, 0), http.StatusOK)
	// Created in the future while the pause goes on: inside the open window.
	wantBody(t, createWithOffset(e, tok.Access, 0, -60), http.StatusConflict, body409)

	chans, err := e.sim.Admin.Channels(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(chans) != 1 || chans[0].Index != 0 || chans[0].Status != "paused" || len(chans[0].Windows) != 1 {
		t.Fatalf("channels %+v", chans)
	}
	// Pausing a paused channel opens no second window.
	if err := e.sim.Admin.Pause(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	if chans, _ := e.sim.Admin.Channels(e.ctx); len(chans[0].Windows) != 1 {
		t.Errorf("windows after a second pause: %+v", chans[0].Windows)
	}

	// The pause lasts 10 minutes (simulated), then the channel runs again for 10 minutes.
	e.sim.AdvanceClock(10 * time.Minute)
	if err := e.sim.Admin.Resume(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	e.sim.AdvanceClock(10 * time.Minute)
	wantStatus(t, createWithOffset(e, tok.Access, 0, 0), http.StatusOK)                // now
	wantStatus(t, createWithOffset(e, tok.Access, 0, 300), http.StatusOK)              // 5 min ago: after the resume
	wantBody(t, createWithOffset(e, tok.Access, 0, 900), http.StatusConflict, body409) // 15 min ago: inside
	wantStatus(t, createWithOffset(e, tok.Access, 0, 1500), http.StatusOK)             // 25 min ago: before the pause
	chans, _ = e.sim.Admin.Channels(e.ctx)
	if chans[0].Status != "online" || chans[0].Windows[0].End == nil {
		t.Errorf("after resume: %+v", chans[0])
	}
	if d := chans[0].Windows[0].End.Sub(chans[0].Windows[0].Start); d < 10*time.Minute || d > 11*time.Minute {
		t.Errorf("window of %v, want about 10 min", d)
	}
	// A 409 creates nothing.
	assets, _ := e.sim.Admin.Assets(e.ctx)
	if len(assets) != 6 {
		t.Errorf("%d assets, want 6 accepted", len(assets))
	}

	// Channel indexes are validated.
	r = send(t, e.c, newRequest(t, http.MethodPost, e.url("/_sim/channels/x/pause"), nil))
	wantStatus(t, r, http.StatusBadRequest)
	r = send(t, e.c, newRequest(t, http.MethodPost, e.url("/_sim/channels/-1/resume"), nil))
	wantStatus(t, r, http.StatusBadRequest)
}

func TestPauseWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{Channels: 3})
	now := time.Now()
	// Channel 0: media made between 2 h and 1 h ago.
	if err := e.sim.Admin.AddPauseWindow(e.ctx, 0, now.Add(-2*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Channel 2: everything from 30 min ago on (open window).
	if err := e.sim.Admin.AddPauseWindow(e.ctx, 2, now.Add(-30*time.Minute), time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		channel, offset, status int
	}{
		{0, 0, 200}, {0, 1800, 200}, {0, 5400, 409}, {0, 3700, 409}, {0, 7100, 409}, {0, 7300, 200}, {0, 3500, 200},
		{1, 5400, 200},
		{2, 0, 409}, {2, 1700, 409}, {2, 1900, 200},
	} {
		r := createWithOffset(e, tok.Access, tc.channel, tc.offset)
		if tc.status == 409 {
			wantBody(t, r, http.StatusConflict, body409)
		} else if r.Status != tc.status {
			t.Errorf("channel %d offset %d: %s", tc.channel, tc.offset, r)
		}
	}
	chans, err := e.sim.Admin.Channels(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(chans) != 2 || chans[0].Index != 0 || chans[0].Status != "online" || chans[1].Index != 2 || chans[1].Status != "paused" {
		t.Errorf("channels %+v", chans)
	}
	// A bad window is refused.
	if err := e.sim.Admin.AddPauseWindow(e.ctx, 0, now, now.Add(-time.Minute)); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("end before start: %v", err)
	}
	if err := e.sim.Admin.AddPauseWindow(e.ctx, -1, now, time.Time{}); err == nil {
		t.Error("negative channel accepted")
	}
	if err := e.sim.Admin.AddPauseWindow(e.ctx, 0, time.Time{}, time.Time{}); err == nil {
		t.Error("window without a start accepted")
	}
	// Clearing lifts every pause.
	if err := e.sim.Admin.ClearPauseWindows(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, createWithOffset(e, tok.Access, 0, 5400), http.StatusOK)
	wantStatus(t, createWithOffset(e, tok.Access, 2, 0), http.StatusOK)
	if chans, _ := e.sim.Admin.Channels(e.ctx); len(chans) != 0 {
		t.Errorf("channels after clear: %+v", chans)
	}
}
