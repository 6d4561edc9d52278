package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// One version source: FyneApp.toml's Version is what --version prints, what the About box
// shows and what x-client-version sends (all through appVersion).
func TestVersionComesFromFyneAppTOML(t *testing.T) {
	v := appVersion()
	if !semver.MatchString(v) {
		t.Fatalf("FyneApp.toml Version %q is not a semantic version (the API rejects it)", v)
	}
	if !strings.Contains(fyneAppTOML, `Version = "`+v+`"`) {
		t.Fatalf("appVersion %q is not the Version line of FyneApp.toml", v)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("--version exit %d", code)
	}
	if got := strings.TrimSpace(out.String()); got != v {
		t.Fatalf("--version printed %q, want %q", got, v)
	}
}

// A C.UTF-8 locale (servers, containers) must not make Fyne log an error at every start.
func TestNoLocaleErrorAtStart(t *testing.T) {
	bin := e2etest.Binary(t)
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LC_ALL=C.UTF-8"}, {"LANG=POSIX"}, {"LANG=de_DE.UTF-8"}} {
		cmd := exec.CommandContext(t.Context(), bin, "--version")
		cmd.Env = append(env, "PATH=/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", env, err, out)
		}
		if strings.Contains(string(out), "locale") || strings.TrimSpace(string(out)) != appVersion() {
			t.Fatalf("with %v the binary printed %q, want only the version", env, out)
		}
	}
}

func TestArgumentsFollowTheHeadlessContract(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.mov"), filepath.Join(dir, "b.wav")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		args      []string
		command   string
		paths     []string
		json      bool
		settings  []string
		overrides map[string]string
		err       bool
	}{
		{args: nil},
		{args: []string{a, b}, paths: []string{a, b}},
		// A word that is neither a command nor an existing path is a typo, not a file.
		{args: []string{"uplaod", dir}, err: true},
		{args: []string{filepath.Join(dir, "gone.mov")}, err: true},
		{args: []string{"pair", "--token-store", "vault"}, err: true},
		{args: []string{"pair", "--token-store", "file"}, command: "pair"},
		{args: []string{"upload", "--json", "dir"}, command: "upload", paths: []string{"dir"}, json: true},
		{args: []string{"--json", "upload", "dir", "--force"}, command: "upload", paths: []string{"dir"}, json: true},
		{args: []string{"upload", "--", "-weird.mov"}, command: "upload", paths: []string{"-weird.mov"}},
		{args: []string{"status", "--json"}, command: "status", json: true},
		{args: []string{"upload"}, err: true},
		{args: []string{"status", "extra"}, err: true},
		{args: []string{"--nope"}, err: true},
		// Settings: listed, set, reset; a per-run flag named like each key.
		{args: []string{"settings"}, command: "settings"},
		{args: []string{"settings", "--json"}, command: "settings", json: true},
		{args: []string{"settings", "set", "bandwidth", "5MB/s"}, command: "settings", settings: []string{"set", "bandwidth", "5MB/s"}},
		{args: []string{"settings", "set", "parallel-files", "-1"}, command: "settings", settings: []string{"set", "parallel-files", "-1"}},
		{args: []string{"settings", "reset", "bandwidth"}, command: "settings", settings: []string{"reset", "bandwidth"}},
		{args: []string{"settings", "sett", "bandwidth", "5MB/s"}, err: true},
		{args: []string{"settings", "set", "bandwidth"}, err: true},
		{args: []string{"settings", "reset"}, err: true},
		{args: []string{"settings", "--bandwidth", "5MB/s"}, err: true},
		{args: []string{"upload", "--bandwidth", "5MB/s", "--parallel-files=3", "--offset-from-now", "dir"}, command: "upload", paths: []string{"dir"},
			overrides: map[string]string{"bandwidth": "5MB/s", "parallel-files": "3", "offset-from-now": "true"}},
		{args: []string{"upload", "--bandwidth", "fast", "dir"}, err: true},
		{args: []string{"upload", "--parallel-chunks", "0", "dir"}, err: true},
		{args: []string{"--notifications=false"}, overrides: map[string]string{"notifications": "false"}},
	}
	for _, c := range cases {
		o, err := parseArgs(c.args, &bytes.Buffer{})
		if (err != nil) != c.err {
			t.Errorf("%q: err = %v, want error %v", c.args, err, c.err)
			continue
		}
		if c.err {
			continue
		}
		if o.command != c.command || o.json != c.json || strings.Join(o.paths, "|") != strings.Join(c.paths, "|") ||
			!slices.Equal(o.settingsArgs, c.settings) || (len(o.overrides) > 0 || len(c.overrides) > 0) && !maps.Equal(o.overrides, c.overrides) {
			t.Errorf("%q: got command %q paths %q json %v settings %q overrides %v", c.args, o.command, o.paths, o.json, o.settingsArgs, o.overrides)
		}
	}
}
