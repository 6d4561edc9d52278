package headless

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestPairAndStatus: `pair` shows the simulator's code (spaced, on stderr) and the URL,
// exits 0 once a person approves it, and `status` then shows the pairing with the
// project's name, the connection and the queue.
func TestPairAndStatus(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	p := start(ctx, t, e, nil, "pair")
	code := waitShownCode(ctx, t, e, p)
	stderr := p.stderr.String()
	expectContains(t, "pair's stderr", stderr,
		"Pairing code:   "+code[:3]+" "+code[3:],
		"Enter it at:    "+e.Sim.URL()+"/pair",
		"Waiting for approval")
	if out := p.stdout.String(); out != "" {
		t.Errorf("pair without --json printed on stdout: %q", out)
	}
	if err := e.Sim.Admin.Approve(ctx, code, c2csim.Approval{ProjectName: "Headless Project"}); err != nil {
		t.Fatal(err)
	}
	r := p.wait(ctx)
	expectCode(t, "pair", r, 0)
	expectContains(t, "pair's stderr", r.Stderr, "Paired with the project “Headless Project”.")

	if d := device(ctx, t, e); d.Project != "Headless Project" || d.LiveAccess != 1 {
		t.Errorf("simulator's device after pairing: %+v, want project Headless Project and one live access token", d)
	}
	if keychainSecret(ctx, t, e, "access_token") == "" || keychainSecret(ctx, t, e, "refresh_token") == "" {
		t.Errorf("the tokens are not in the keychain under %q after pairing", e.Keyring)
	}

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout,
		"Pairing:     paired with the project “Headless Project”",
		"Connection:  online",
		"Queue:       0 files, 0 to go")
}

// TestPairAndStatusJSON: with --json every stdout line is an event object with a type;
// the pairing events carry the code and the URL; status --json tells the pairing, the
// connection and the totals as events.
func TestPairAndStatusJSON(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	p := start(ctx, t, e, nil, "--json", "pair")
	var code string
	waitFor(ctx, t, "a pending pairing event on stdout", func() (bool, error) {
		for _, line := range strings.Split(p.stdout.String(), "\n") {
			if strings.Contains(line, `"state":"pending"`) && strings.Contains(line, `"type":"pairing"`) {
				evs := jsonLines(t, "pair --json", line)
				code, _ = evs[0]["user_code"].(string)
				return code != "", nil
			}
		}
		return false, nil
	})
	if pend := pendingCode(ctx, t, e); code != pend {
		t.Fatalf("the pairing event's user_code is %q, the simulator's pending code %q", code, pend)
	}
	if err := e.Sim.Admin.Approve(ctx, code, c2csim.Approval{ProjectName: "JSON Project"}); err != nil {
		t.Fatal(err)
	}
	r := p.wait(ctx)
	expectCode(t, "pair --json", r, 0)
	evs := jsonLines(t, "pair --json", r.Stdout)
	pairings := ofType(evs, "pairing")
	if len(pairings) == 0 {
		t.Fatalf("pair --json printed no pairing event:\n%s", r.Stdout)
	}
	withCode := 0
	for _, ev := range pairings {
		if ev["user_code"] == "" {
			continue
		}
		withCode++
		if ev["user_code"] != code || ev["verification_uri"] != e.Sim.URL()+"/pair" {
			t.Errorf("pairing event %v: want user_code %s and verification_uri %s/pair", ev, code, e.Sim.URL())
		}
	}
	if withCode == 0 {
		t.Errorf("no pairing event carries the user code:\n%s", r.Stdout)
	}
	if last := pairings[len(pairings)-1]; last["state"] != "paired" {
		t.Errorf("the last pairing event is %v, want state paired", last)
	}

	st := run(ctx, t, e, nil, "status", "--json")
	expectCode(t, "status --json", st, 0)
	evs = jsonLines(t, "status --json", st.Stdout)
	auth, connection, totals := ofType(evs, "auth"), ofType(evs, "connection"), ofType(evs, "totals")
	if len(auth) != 1 || auth[0]["state"] != "paired" || auth[0]["project"] != "JSON Project" {
		t.Errorf("status --json auth events %v, want one: paired, project JSON Project", auth)
	}
	if len(connection) != 1 || connection[0]["state"] != "online" {
		t.Errorf("status --json connection events %v, want one: online", connection)
	}
	if len(totals) != 1 || totals[0]["files"] != float64(0) {
		t.Errorf("status --json totals events %v, want one with files 0", totals)
	}
}

// TestPairDeclined: a code declined in the project ends pair with exit 1 and says so;
// nothing lands in the keychain.
func TestPairDeclined(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	p := start(ctx, t, e, nil, "pair")
	code := waitShownCode(ctx, t, e, p)
	if err := e.Sim.Admin.Decline(ctx, code); err != nil {
		t.Fatal(err)
	}
	r := p.wait(ctx)
	expectCode(t, "pair (declined)", r, 1)
	expectContains(t, "pair's stderr", r.Stderr, "declined")
	if tok := keychainSecret(ctx, t, e, "access_token"); tok != "" {
		t.Errorf("a declined pairing left an access token in the keychain")
	}
}

// TestPairInvalidClientSecret: a client secret the API refuses ends pair with exit 1 and
// a message that points at the app's credentials, without waiting.
func TestPairInvalidClientSecret(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	r := run(ctx, t, e, []cmdOpt{withEnv("C2C_CLIENT_SECRET=wrong")}, "pair")
	expectCode(t, "pair with a wrong client secret", r, 1)
	expectContains(t, "pair's stderr", r.Stderr, "pair: ", "client credentials")
	if shownCode.MatchString(r.Stderr) {
		t.Errorf("pair showed a code although the credentials were refused:\n%s", r.Stderr)
	}
}

// TestPairTimeout: --timeout ends an unanswered pairing with exit 124.
func TestPairTimeout(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	began := time.Now()
	r := run(ctx, t, e, nil, "pair", "--timeout", "1s")
	took := time.Since(began)
	expectCode(t, "pair --timeout 1s", r, 124)
	expectContains(t, "pair's stderr", r.Stderr, "the code was not approved within 1s")
	if took > 30*time.Second {
		t.Errorf("pair --timeout 1s took %s", took)
	}
	if _, err := e.Sim.Admin.Pairings(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPairInterrupted: Ctrl-C while waiting for approval ends pair with exit 130; so
// does SIGTERM.
func TestPairInterrupted(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	for _, sig := range []struct {
		name string
		send func(p *proc)
	}{
		{"SIGINT", func(p *proc) { p.interrupt() }},
		{"SIGTERM", func(p *proc) { _ = p.cmd.Process.Signal(syscall.SIGTERM) }},
	} {
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			e := newEnv(t, simOptions())
			p := start(ctx, t, e, nil, "pair")
			waitShownCode(ctx, t, e, p)
			sig.send(p)
			r := p.wait(ctx)
			expectCode(t, "pair, interrupted", r, 130)
			expectContains(t, "pair's stderr", r.Stderr, "pair: cancelled.")
		})
	}
}

// TestPairAlreadyPaired: pair on a paired installation says so and exits 0 without
// asking for a new code.
func TestPairAlreadyPaired(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "First Project", nil)

	codes := func() int {
		n := 0
		for _, rq := range requests(ctx, t, e) {
			if rq.Path == "/v2/auth/device/code" {
				n++
			}
		}
		return n
	}
	before := codes()
	r := run(ctx, t, e, nil, "pair")
	expectCode(t, "pair when paired", r, 0)
	expectContains(t, "pair's stderr", r.Stderr, "Already paired with the project “First Project”", "unpair")

	rj := run(ctx, t, e, nil, "pair", "--json")
	expectCode(t, "pair --json when paired", rj, 0)
	auth := ofType(jsonLines(t, "pair --json", rj.Stdout), "auth")
	if len(auth) != 1 || auth[0]["state"] != "paired" || auth[0]["project"] != "First Project" {
		t.Errorf("pair --json when paired printed auth events %v, want one: paired, project First Project", auth)
	}
	if after := codes(); after != before {
		t.Errorf("pair asked for %d new device codes although paired", after-before)
	}
}

// TestPairAgainWhenRevoked: when the project revoked the device's access, the tokens in
// the keychain are dead; pair must not claim "already paired" but pair again.
func TestPairAgainWhenRevoked(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Old Project", nil)
	if err := e.Sim.Admin.Revoke(ctx, clientID(t, e)); err != nil {
		t.Fatal(err)
	}

	r := pair(ctx, t, e, "New Project", nil)
	expectContains(t, "pair's stderr", r.Stderr, "no longer works", "Pairing again.", "Paired with the project “New Project”.")
	if strings.Contains(r.Stderr, "Already paired") {
		t.Errorf("pair claimed to be paired with revoked tokens:\n%s", r.Stderr)
	}
	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout, "paired with the project “New Project”")
}
