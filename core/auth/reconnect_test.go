package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// TestPersistent401AfterRefreshNeedsReconnect: the API says Not Authorized to a call, the
// token manager refreshes (the refresh succeeds), repeats the call at once with the fresh
// token, and the API says Not Authorized again: the device has lost access to the
// project (docs/error-policy.md §3, the second Not Authorized row). The manager does not
// refresh again, nor hand the error back for the caller to retry: it goes to
// needs-reconnect with the call's 401 as the cause, closes the auth gate, and holds the
// call there; pairing again lets it complete.
func TestPersistent401AfterRefreshNeedsReconnect(t *testing.T) {
	e := newAuthEnv(t, nil)
	const heartbeat = "/v2/devices/heartbeat"
	// The project refuses this device's heartbeats whatever the token: a 401 that a
	// fresh token does not cure. devices/me, which the manager calls after every
	// refresh, still answers.
	refuse, err := e.sim.AddFault(c2csim.Fault{Method: "POST", Path: heartbeat, Status: 401,
		Body: `{"code":401,"errors":[{"code":401,"detail":"You are not allowed to access that resource","status":401,"title":"Not Authorized"}],"message":"Not Authorized"}`})
	if err != nil {
		t.Fatal(err)
	}
	since := e.lastSeq()
	done := make(chan error, 1)
	go func() {
		done <- e.m.Do(e.ctx, api.EndpointHeartbeat, func(ctx context.Context, access string) error {
			return e.client.Heartbeat(ctx, access)
		})
	}()

	waitfor.Condition(t, "needs-reconnect", func() bool { return e.m.Status().State == auth.NeedsReconnect })
	st := e.m.Status()
	if st.Reason == "" || st.Cause == nil || st.Cause.Kind != api.KindUnauthorizedClient || st.Cause.Endpoint != api.EndpointHeartbeat {
		t.Errorf("needs-reconnect status %+v (cause %v), want a reason and the heartbeat's Not Authorized as the cause", st, st.Cause)
	}
	if e.m.Gate().IsOpen() {
		t.Error("the auth gate is open while the device needs reconnecting")
	}
	saved := e.store.Saved()
	if len(saved) != 2 {
		t.Fatalf("%d token pairs saved, want the pairing's and the one refresh's", len(saved))
	}
	fresh := saved[1]
	log := e.log(since)
	if r := refreshRequests(log); len(r) != 1 || r[0].Status != 200 {
		t.Errorf("refresh requests %+v, want exactly one, successful", r)
	}
	var beats []c2csim.Request
	for _, q := range log {
		if q.Path == heartbeat {
			beats = append(beats, q)
		}
	}
	if len(beats) != 2 || beats[0].TokenFP != c2csim.Fingerprint(e.first.AccessToken) ||
		beats[1].TokenFP != c2csim.Fingerprint(fresh.AccessToken) || beats[0].Status != 401 || beats[1].Status != 401 {
		t.Fatalf("heartbeats %+v, want two refused: one with the old token, one with the fresh one", beats)
	}
	// Held at the gate, not failed: a moment later it still has not returned, and
	// neither it nor the manager has tried again.
	select {
	case err := <-done:
		t.Fatalf("the call returned %v while the device needs reconnecting; want it held at the auth gate", err)
	case <-time.After(200 * time.Millisecond):
	}
	for _, q := range e.log(beats[len(beats)-1].Seq) {
		if q.Path == heartbeat || q.Grant == "refresh_token" {
			t.Errorf("%s %s (%d) sent while the device needs reconnecting", q.Method, q.Path, q.Status)
		}
	}

	if err := e.sim.Admin.RemoveFault(e.ctx, refuse.ID); err != nil {
		t.Fatal(err)
	}
	again := e.pair()
	if err := e.m.Adopt(e.ctx, again); err != nil {
		t.Fatalf("Adopt after reconnecting: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the call after reconnecting: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the call did not complete after pairing again")
	}
	if st := e.m.Status(); st.State != auth.Paired || st.Cause != nil {
		t.Errorf("status after reconnecting %+v, want paired and clean", st)
	}
	var ok int
	for _, q := range e.log(since) {
		if q.Path == heartbeat && q.Status == 204 && q.TokenFP == c2csim.Fingerprint(again.AccessToken) {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d heartbeats answered with the new pairing's token, want 1", ok)
	}
}
