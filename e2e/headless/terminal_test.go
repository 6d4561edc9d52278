package headless

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestTheTerminalShowsEveryFileWithinItsWidth runs `upload` in a real terminal (tmux, 80
// columns) and reads the screen it leaves, scroll-back included: one line per finished
// file, long names shortened in the middle so that both their clip and their version
// show, nothing wider than the terminal (tmux joins a wrapped line back into one), the
// total true at the end, and no placeholder for a figure not known.
func TestTheTerminalShowsEveryFileWithinItsWidth(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is missing (Debian package: tmux; make deps installs it)")
	}
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Terminal Project", nil)

	dir := t.TempDir()
	var names []string
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("A00%dC00%d_250101_R1AB_interview_wide_take_0%d_v00%d_approved_by_DOP.mov", i, i, i, i)
		writeFile(t, dir, name, 400<<10)
		names = append(names, name)
	}
	screen := inTerminal(ctx, t, e, 80, "upload", "--bandwidth", "1MB/s", dir)
	t.Logf("the screen, scroll-back included:\n%s", screen)

	lines := strings.Split(screen, "\n")
	for _, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("a line of %d columns in a terminal of 80 (it wrapped): %q", n, l)
		}
	}
	if !strings.Contains(screen, "exit=0") {
		t.Errorf("upload did not exit 0:\n%s", screen)
	}
	for i, name := range names {
		head, tail := name[:8], fmt.Sprintf("_v00%d_approved_by_DOP.mov", i+1)
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, "done  "+head) && strings.Contains(l, tail)
		}
		if !found {
			t.Errorf("no line says %s is done with its clip (%s) and its version (%s):\n%s", name, head, tail, screen)
		}
	}
	var lastTotal string
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "total") {
			lastTotal = l
		}
	}
	if !strings.Contains(lastTotal, " 0 to go") || !strings.Contains(lastTotal, "[") {
		t.Errorf("the total ends as %q, want its bar and 0 to go:\n%s", lastTotal, screen)
	}
	if strings.Contains(screen, "—") {
		t.Errorf("the screen shows a placeholder:\n%s", screen)
	}
	if !strings.Contains(screen, "6 arrived in") {
		t.Errorf("the screen does not end with the files that arrived:\n%s", screen)
	}
}

// inTerminal runs `c2c-uploader args...` in a tmux window of the given width, waits for
// it to end, and returns the screen with its scroll-back, wrapped lines joined.
func inTerminal(ctx context.Context, t *testing.T, e *e2etest.Env, width int, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("#!/bin/sh\n")
	for _, kv := range e.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, "()% ") {
			continue
		}
		fmt.Fprintf(&script, "export %s=%s\n", k, shellQuote(v))
	}
	fmt.Fprintf(&script, "%s", shellQuote(e2etest.Binary(t)))
	for _, a := range args {
		fmt.Fprintf(&script, " %s", shellQuote(a))
	}
	script.WriteString("\necho \"exit=$?\"\nexec sleep 600\n")
	path := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(path, []byte(script.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := tmux("new-session", "-d", "-s", "run", "-x", fmt.Sprint(width), "-y", "24", path); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = exec.Command("tmux", "-S", socket, "kill-server").CombinedOutput() })
	var screen string
	waitFor(ctx, t, "the command to end in the terminal", func() (bool, error) {
		out, err := tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "run")
		screen = out
		return strings.Contains(out, "exit="), err
	})
	return screen
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
