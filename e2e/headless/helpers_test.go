// Package headless tests the headless commands (pair, upload, status, unpair) end to end:
// the real binary, run the way a script runs it, against a simulator, with its tokens in
// the real Secret Service (scripts/test.sh provides one). The contract is README.md's
// "Headless commands".
package headless

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// testDeadline bounds every test: nothing here may wait for ever.
const testDeadline = 3 * time.Minute

// testContext is a context that ends at the test's deadline (or testDeadline, whichever
// is first) and when the test ends.
func testContext(t *testing.T) context.Context {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	if d, ok := t.Deadline(); ok && d.Add(-10*time.Second).Before(deadline) {
		deadline = d.Add(-10 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// simOptions are the simulator's settings for these tests: a short poll interval so
// pairing takes a fraction of a second, and small parts so small files are chunked.
func simOptions() c2csim.Options {
	return c2csim.Options{PollInterval: 200 * time.Millisecond, PartSize: 64 << 10}
}

// newEnv is a private installation against its own simulator. Its keychain entries are
// removed when the test ends.
func newEnv(t *testing.T, opts c2csim.Options) *e2etest.Env {
	t.Helper()
	e := e2etest.NewEnv(t, opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = store.NewKeychain(e.Keyring, "").DeleteAll(ctx)
	})
	return e
}

// proc is a command running in the background.
type proc struct {
	t      *testing.T
	args   []string
	cmd    *exec.Cmd
	stdout e2etest.Buffer
	stderr e2etest.Buffer
	done   chan struct{}
	res    e2etest.Result
}

// cmdOpt changes a command before it starts.
type cmdOpt func(*exec.Cmd)

// withEnv adds (or replaces) environment variables.
func withEnv(kv ...string) cmdOpt {
	return func(c *exec.Cmd) { c.Env = append(c.Env, kv...) }
}

// withoutEnv removes environment variables.
func withoutEnv(names ...string) cmdOpt {
	return func(c *exec.Cmd) {
		kept := c.Env[:0:0]
		for _, kv := range c.Env {
			name, _, _ := strings.Cut(kv, "=")
			drop := false
			for _, n := range names {
				drop = drop || name == n
			}
			if !drop {
				kept = append(kept, kv)
			}
		}
		c.Env = kept
	}
}

// start runs `c2c-uploader args...` in the background.
func start(ctx context.Context, t *testing.T, e *e2etest.Env, opts []cmdOpt, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args, done: make(chan struct{})}
	p.cmd = e.Command(ctx, args...)
	for _, o := range opts {
		o(p.cmd)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", args, err)
	}
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		code := 0
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
		case err != nil:
			code = -1
		}
		p.res = e2etest.Result{Stdout: p.stdout.String(), Stderr: p.stderr.String(), Code: code}
		if err != nil && code == -1 {
			p.res.Stderr += fmt.Sprintf("\n[test: waiting for the command failed: %v]", err)
		}
	}()
	return p
}

// wait waits for the command to end and returns what it printed and its exit code.
func (p *proc) wait(ctx context.Context) e2etest.Result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%v did not end in time\nstdout:\n%s\nstderr:\n%s", p.args, p.stdout.String(), p.stderr.String())
	}
	checkNoRace(p.t, p.args, p.res)
	return p.res
}

// interrupt sends Ctrl-C.
func (p *proc) interrupt() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.t.Fatalf("interrupting %v: %v", p.args, err)
	}
}

// run runs `c2c-uploader args...` to its end.
func run(ctx context.Context, t *testing.T, e *e2etest.Env, opts []cmdOpt, args ...string) e2etest.Result {
	t.Helper()
	return start(ctx, t, e, opts, args...).wait(ctx)
}

// checkNoRace fails the test when the race detector built into the binary spoke.
func checkNoRace(t *testing.T, args []string, r e2etest.Result) {
	t.Helper()
	if strings.Contains(r.Stderr, "WARNING: DATA RACE") {
		t.Errorf("%v: the race detector found a data race:\n%s", args, r.Stderr)
	}
}

// expectCode fails the test unless the command exited with want.
func expectCode(t *testing.T, what string, r e2etest.Result, want int) {
	t.Helper()
	if r.Code != want {
		t.Fatalf("%s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.Code, want, r.Stdout, r.Stderr)
	}
}

// expectContains fails the test unless out contains every one of wants.
func expectContains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, out)
		}
	}
}

// waitFor polls cond until it holds; ctx ending fails the test.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (last error: %v)", what, ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

var shownCode = regexp.MustCompile(`Pairing code:\s+(\d{3}) (\d{3})`)

// waitShownCode waits until the pair command shows a code on stderr and returns it
// without its space. The code must be the simulator's pending one: that is what a person
// would type.
func waitShownCode(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc) string {
	t.Helper()
	var code string
	waitFor(ctx, t, "the pairing code on stderr", func() (bool, error) {
		select {
		case <-p.done:
			t.Fatalf("%v ended before showing a code (exit %d)\nstdout:\n%s\nstderr:\n%s", p.args, p.res.Code, p.res.Stdout, p.res.Stderr)
		default:
		}
		m := shownCode.FindStringSubmatch(p.stderr.String())
		if m == nil {
			return false, nil
		}
		code = m[1] + m[2]
		return true, nil
	})
	pend := pendingCode(ctx, t, e)
	if code != pend {
		t.Fatalf("the command shows the code %s, the simulator's pending code is %s", code, pend)
	}
	return code
}

// pendingCode waits for the simulator to hand out a code that is still pending and
// returns it.
func pendingCode(ctx context.Context, t *testing.T, e *e2etest.Env) string {
	t.Helper()
	var code string
	waitFor(ctx, t, "a pending pairing in the simulator", func() (bool, error) {
		ps, err := e.Sim.Admin.Pairings(ctx)
		if err != nil {
			return false, err
		}
		for _, p := range ps {
			if p.State == "pending" && !p.Expired {
				code = p.UserCode
			}
		}
		return code != "", nil
	})
	return code
}

// pair pairs the installation with the named project through the CLI, approving the
// code the way a person would, and returns pair's output.
func pair(ctx context.Context, t *testing.T, e *e2etest.Env, project string, opts []cmdOpt, extra ...string) e2etest.Result {
	t.Helper()
	p := start(ctx, t, e, opts, append([]string{"pair"}, extra...)...)
	code := waitShownCode(ctx, t, e, p)
	if err := e.Sim.Admin.Approve(ctx, code, c2csim.Approval{ProjectName: project}); err != nil {
		t.Fatalf("approving %s: %v", code, err)
	}
	r := p.wait(ctx)
	expectCode(t, "pair", r, 0)
	return r
}

// clientID is the installation's client_id, from its data dir.
func clientID(t *testing.T, e *e2etest.Env) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.DataDir, "client_id"))
	if err != nil {
		t.Fatalf("reading client_id: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// device is the simulator's record of this installation's device.
func device(ctx context.Context, t *testing.T, e *e2etest.Env) c2csim.DeviceInfo {
	t.Helper()
	id := clientID(t, e)
	ds, err := e.Sim.Admin.Devices(ctx)
	if err != nil {
		t.Fatalf("listing devices: %v", err)
	}
	for _, d := range ds {
		if d.ClientID == id {
			return d
		}
	}
	t.Fatalf("the simulator has no device with client_id %s (devices: %+v)", id, ds)
	return c2csim.DeviceInfo{}
}

// requests is the simulator's request log.
func requests(ctx context.Context, t *testing.T, e *e2etest.Env) []c2csim.Request {
	t.Helper()
	rs, err := e.Sim.Admin.Requests(ctx, 0)
	if err != nil {
		t.Fatalf("reading the request log: %v", err)
	}
	return rs
}

// keychainSecret reads one of the installation's keychain entries with secret-tool,
// straight from the Secret Service (not through the app's code); "" when absent.
func keychainSecret(ctx context.Context, t *testing.T, e *e2etest.Env, entry string) string {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatalf("secret-tool (libsecret-tools) is needed to read the keychain: %v", err)
	}
	origin, err := api.Origin(e.Sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	// The keychain's user name for the entry of this installation and API (store.Keychain).
	user := entry + " " + store.Account(clientID(t, e), origin)
	cmd := exec.CommandContext(ctx, "secret-tool", "lookup", "service", e.Keyring, "username", user)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && errOut.Len() == 0 {
			return "" // not found
		}
		t.Fatalf("secret-tool lookup %s: %v: %s", entry, err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// jsonLines parses stdout of a --json command: every line must be one JSON object with
// a string "type".
func jsonLines(t *testing.T, what, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: stdout line is not a JSON object: %q: %v", what, line, err)
		}
		if typ, ok := m["type"].(string); !ok || typ == "" {
			t.Fatalf("%s: stdout line has no \"type\": %q", what, line)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no JSON on stdout", what)
	}
	return out
}

// ofType are the events of one type.
func ofType(evs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, ev := range evs {
		if ev["type"] == typ {
			out = append(out, ev)
		}
	}
	return out
}

// writeFile writes size random bytes and returns the path and the SHA-256 (hex).
func writeFile(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, hex.EncodeToString(sum[:])
}

// assetsByName are the simulator's assets, by file name.
func assetsByName(ctx context.Context, t *testing.T, e *e2etest.Env) map[string][]c2csim.AssetInfo {
	t.Helper()
	as, err := e.Sim.Admin.Assets(ctx)
	if err != nil {
		t.Fatalf("listing assets: %v", err)
	}
	out := map[string][]c2csim.AssetInfo{}
	for _, a := range as {
		out[a.Name] = append(out[a.Name], a)
	}
	return out
}
