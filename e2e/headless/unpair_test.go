package headless

import (
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestUnpair: unpair revokes the pairing at the API (the simulator sees the revoke, with
// this installation's client_id, and the device's tokens die), deletes the tokens from
// the keychain (status says not paired), and keeps the upload history (status still
// lists the file).
func TestUnpair(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Unpair Project", nil)

	path, _ := writeFile(t, t.TempDir(), "kept.mov", 100<<10)
	up := run(ctx, t, e, nil, "upload", path)
	expectCode(t, "upload", up, 0)

	if d := device(ctx, t, e); d.LiveAccess == 0 || d.LiveRefresh == 0 {
		t.Fatalf("before unpair the device has no live tokens: %+v", d)
	}
	var since int64
	if rs := requests(ctx, t, e); len(rs) > 0 {
		since = rs[len(rs)-1].Seq
	}

	r := run(ctx, t, e, nil, "unpair")
	expectCode(t, "unpair", r, 0)
	expectContains(t, "unpair's stderr", r.Stderr, "Unpaired", "history is kept")

	rs, err := e.Sim.Admin.Requests(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	revokes := 0
	for _, rq := range rs {
		if rq.Path == "/v2/auth/revoke" {
			revokes++
			if rq.Status != 200 || rq.ClientID != clientID(t, e) {
				t.Errorf("revoke request %+v: want status 200 and client_id %s", rq, clientID(t, e))
			}
		}
	}
	if revokes != 1 {
		t.Errorf("the simulator saw %d revoke requests during unpair, want 1", revokes)
	}
	if d := device(ctx, t, e); d.LiveAccess != 0 || d.LiveRefresh != 0 {
		t.Errorf("after unpair the device still has live tokens: %d access, %d refresh", d.LiveAccess, d.LiveRefresh)
	}
	for _, entry := range []string{"access_token", "refresh_token", "token_expiry"} {
		if v := keychainSecret(ctx, t, e, entry); v != "" {
			t.Errorf("after unpair the keychain still holds %s", entry)
		}
	}

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status after unpair", st, 0)
	expectContains(t, "status after unpair", st.Stdout,
		"not paired (run `c2c-uploader pair`)",
		"Queue:       1 file, 0 to go",
		"kept.mov")
	if !strings.Contains(st.Stdout, "done") {
		t.Errorf("status after unpair does not show the uploaded file as done:\n%s", st.Stdout)
	}

	again := run(ctx, t, e, nil, "unpair")
	expectCode(t, "unpair when not paired", again, 0)
	expectContains(t, "second unpair's stderr", again.Stderr, "Not paired; nothing to do.")
}
