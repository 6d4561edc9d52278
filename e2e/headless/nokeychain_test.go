//go:build linux

package headless

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// marked lists the processes whose environment holds marker: whatever a command left
// running inherited it.
func marked(t *testing.T, marker string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte(marker)) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		out = append(out, e.Name()+" "+strings.TrimSpace(string(comm)))
	}
	return out
}

// TestPairWithoutASecretServiceStartsNothing: without a session bus, or on a bus where no
// Secret Service runs, `pair` exits 1 before showing a code and says what to install or
// start (and the token file as the other way), and leaves no process behind: it used to
// start a dbus-daemon and a gnome-keyring-daemon at every run, which never exited and
// held the client secret in their environment. With --token-store file it pairs.
func TestPairWithoutASecretServiceStartsNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		if os.Getenv("C2C_REQUIRE_KEYRING") == "1" {
			t.Fatalf("dbus-run-session is required here: %v", err)
		}
		t.Skip("dbus-run-session is not installed (make deps installs it)")
	}
	e := newEnv(t, simOptions())
	marker := "C2C_TEST_MARKER=" + filepath.Base(e.DataDir)
	noBus := withoutEnv("DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL", "XDG_RUNTIME_DIR")
	cases := []struct {
		name string
		opts []cmdOpt
		args []string
	}{
		{"no session bus", []cmdOpt{noBus, withEnv(marker, "XDG_RUNTIME_DIR="+t.TempDir())}, []string{"pair"}},
		// A bus of its own, on which gnome-keyring is installed (activatable) but not
		// running: nothing may start it.
		{"a bus without a Secret Service", []cmdOpt{noBus, withEnv(marker), func(c *exec.Cmd) {
			c.Args = append([]string{"dbus-run-session", "--", c.Path}, c.Args[1:]...)
			c.Path, _ = exec.LookPath("dbus-run-session")
		}}, []string{"pair"}},
	}
	for _, c := range cases {
		r := run(ctx, t, e, c.opts, c.args...)
		expectCode(t, "pair with "+c.name, r, 1)
		expectContains(t, "pair's stderr with "+c.name, r.Stderr, "No keychain is available", "--token-store file", "C2C_TOKEN_PASSPHRASE")
		if shownCode.MatchString(r.Stderr) {
			t.Errorf("pair with %s showed a code it could not keep:\n%s", c.name, r.Stderr)
		}
		if left := marked(t, marker); len(left) > 0 {
			t.Errorf("pair with %s left processes running: %v", c.name, left)
		}
	}
	if ps, err := e.Sim.Admin.Pairings(ctx); err != nil || len(ps) != 0 {
		t.Errorf("the simulator was asked for %d pairing codes (%v), want none", len(ps), err)
	}

	// The token file is the way without a keychain; later commands find it.
	file := []cmdOpt{noBus, withEnv(marker, "XDG_RUNTIME_DIR="+t.TempDir(), "C2C_TOKEN_PASSPHRASE=a long passphrase")}
	pair(ctx, t, e, "No Keychain", file, "--token-store", "file")
	path, sum := writeFile(t, t.TempDir(), "nokeychain.mov", 80<<10)
	up := run(ctx, t, e, file, "upload", path)
	expectCode(t, "upload with the token file", up, 0)
	expectArrived(ctx, t, e, map[string]string{"nokeychain.mov": sum})
	wrong := run(ctx, t, e, []cmdOpt{noBus, withEnv("C2C_TOKEN_PASSPHRASE=not it")}, "upload", path)
	expectCode(t, "upload with a wrong passphrase", wrong, 1)
	if left := marked(t, marker); len(left) > 0 {
		t.Errorf("commands with the token file left processes running: %v", left)
	}
	expectContains(t, "upload with a wrong passphrase", wrong.Stderr, "passphrase does not open the token file")
	if strings.Contains(wrong.Stderr, "not paired") {
		t.Errorf("a wrong passphrase is told as not paired:\n%s", wrong.Stderr)
	}
}
