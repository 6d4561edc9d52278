package headless

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// inDir runs the command in dir.
func inDir(dir string) cmdOpt { return func(c *exec.Cmd) { c.Dir = dir } }

// noDisplay runs the command as on a server or over ssh: no display at all.
func noDisplay() cmdOpt { return withoutEnv("DISPLAY", "WAYLAND_DISPLAY") }

// expectOneSentence fails the test unless stderr is one line (one sentence of what
// happened and what to do), and no Go panic.
func expectOneSentence(t *testing.T, what string, r e2etest.Result) {
	t.Helper()
	text := strings.TrimSpace(r.Stderr)
	if strings.Contains(text, "\n") || text == "" || strings.Contains(text, "panic") || strings.Contains(text, "goroutine") {
		t.Errorf("%s: stderr is not one plain sentence:\n%s", what, r.Stderr)
	}
}

// TestUnknownCommandSuggestsTheNearest: a first word that is neither a command nor a
// path is a typo: exit 2 with the command meant, never files queued for a window (which
// without a display used to end in a Go panic).
func TestUnknownCommandSuggestsTheNearest(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	dir := t.TempDir()
	writeFile(t, dir, "clip.mov", 10)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"uplaod", "clip.mov"}, "did you mean upload?"},
		{[]string{"statsu"}, "did you mean status?"},
		{[]string{"setting", "set", "bandwidth", "1MB/s"}, "did you mean settings?"},
		{[]string{"frobnicate"}, "the commands are pair, upload, watch, status, start, move, report, verify, unpair, settings, sim"},
	} {
		what := strings.Join(c.args, " ")
		r := run(ctx, t, e, []cmdOpt{noDisplay(), inDir(dir)}, c.args...)
		expectCode(t, what, r, 2)
		expectOneSentence(t, what, r)
		expectContains(t, what, r.Stderr, "unknown command", c.says)
	}
}

// TestWindowWithoutADisplaySaysSo: starting the window where there is no display (none
// named, or one that cannot be opened) says so in one sentence naming the headless
// commands, and exits 1; it never panics.
func TestWindowWithoutADisplaySaysSo(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	dir := t.TempDir()
	writeFile(t, dir, "clip.mov", 10)
	missing := ":4093" // no X server answers there
	if _, err := os.Stat("/tmp/.X11-unix/X4093"); err == nil {
		t.Fatalf("an X server listens on %s; pick another display for this test", missing)
	}
	for _, c := range []struct {
		what string
		opts []cmdOpt
		args []string
	}{
		{"no display, no arguments", []cmdOpt{noDisplay()}, nil},
		{"no display, a file", []cmdOpt{noDisplay(), inDir(dir)}, []string{"clip.mov"}},
		{"no display, demo", []cmdOpt{noDisplay()}, []string{"--demo"}},
		{"a display that cannot be opened", []cmdOpt{noDisplay(), withEnv("DISPLAY=" + missing)}, nil},
	} {
		r := run(ctx, t, e, c.opts, c.args...)
		expectCode(t, c.what, r, 1)
		expectOneSentence(t, c.what, r)
		expectContains(t, c.what, r.Stderr, "the window cannot open", "upload", "status", "settings")
	}
}
