package window

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store"
	"github.com/c2c-uploader/c2c-uploader/store/lock"
)

// runCLI runs a headless command of the same installation as the window and returns its
// output and exit code.
func runCLI(ctx context.Context, t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v\n%s", args, err, out.String())
	}
	return out.String(), 0
}

// TestUploadHandsFilesToTheOpenWindow: while the window runs, it holds the data folder
// and nothing else may write there (two processes on one folder sent every file twice).
// `upload` then hands its paths to the window's queue and follows them to their end
// with the usual output and exit code; opening the app again brings the window forward
// with the files given; `status` reads the queue without writing; `pair` says who holds
// the folder. Every file arrives exactly once.
func TestUploadHandsFilesToTheOpenWindow(t *testing.T) {
	requireDisplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	bin := e2etest.Binary(t)
	sim := c2csim.Start(t, c2csim.Options{PollInterval: 300 * time.Millisecond, PartSize: 256 << 10, ProjectName: "Handoff"})
	home, data, dir := t.TempDir(), t.TempDir(), t.TempDir()
	keyring := keychainEntry(t, "c2c-window-test")
	env := append(environ(home, data, keyring), "C2C_API_URL="+sim.URL(), "C2C_CLIENT_SECRET="+c2csim.DemoClientSecret)
	app := startApp(ctx, t, bin, nil, env)
	defer app.stop()
	approvePending(ctx, t, app, sim.Admin, 0, nil)

	// The window takes requests once it is listening, and uploads once it is paired
	// (the data folder records its project).
	var holder lock.Holder
	for {
		h, ok := lock.ReadHolder(data)
		if _, paired, _ := store.LoadPairing(data); ok && h.Control != "" && paired {
			holder = h
			break
		}
		select {
		case err := <-app.exited:
			app.exited <- err
			t.Fatalf("the window exited: %v\n%s", err, app.stderr.String())
		case <-ctx.Done():
			t.Fatalf("the window never said where it takes requests\n%s", app.stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if holder.Command != "window" || holder.PID != app.cmd.Process.Pid {
		t.Fatalf("the folder is held by %+v, want the window (pid %d)", holder, app.cmd.Process.Pid)
	}

	card := filepath.Join(dir, "A001")
	files := []media{
		writeMedia(t, card, "A001_C001.mov", 2<<20+17),
		writeMedia(t, card, "A001_C002.mov", 700<<10),
		writeMedia(t, card, "SOUND_001.wav", 90<<10),
	}
	out, code := runCLI(ctx, t, bin, env, "upload", card)
	if code != 0 || !strings.Contains(out, "handing the files to it") || !strings.Contains(out, "3 arrived in “Window Test”") {
		t.Fatalf("upload while the window runs: exit %d\n%s", code, out)
	}
	// Named again: nothing is sent twice, and the command says why.
	out, code = runCLI(ctx, t, bin, env, "upload", card)
	if code != 0 || !strings.Contains(out, "already in “Window Test”") {
		t.Fatalf("the same card again: exit %d\n%s", code, out)
	}

	// A second start of the app hands its file to the window.
	late := writeMedia(t, dir, "late/A002_C001.mov", 300<<10)
	out, code = runCLI(ctx, t, bin, env, late.path)
	if code != 0 || !strings.Contains(out, "brought to the front") {
		t.Fatalf("opening the app again: exit %d\n%s", code, out)
	}
	files = append(files, late)

	// The queue's commands reach the window too: a card added on hold (its filter goes
	// with it), a move, and start all, which follows the files it started.
	card2 := filepath.Join(dir, "A003")
	held := []media{writeMedia(t, card2, "A003_C001.mov", 200<<10), writeMedia(t, card2, "A003_C002.mov", 200<<10)}
	writeMedia(t, card2, "render.tmp", 1000)
	out, code = runCLI(ctx, t, bin, env, "upload", "--hold", "--exclude", "*.tmp", card2)
	if code != 0 || !strings.Contains(out, "2 files are on hold") || !strings.Contains(out, "left out: 1 file, excluded by *.tmp") {
		t.Fatalf("upload --hold through the window: exit %d\n%s", code, out)
	}
	jsonOut, code := runCLI(ctx, t, bin, env, "status", "--json")
	var moveID int64
	for _, line := range strings.Split(jsonOut, "\n") {
		var ev struct {
			Type, Name, State string
			ID                int64
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "file" && ev.Name == "A003_C002.mov" && ev.State == "on-hold" {
			moveID = ev.ID
		}
	}
	if code != 0 || moveID == 0 {
		t.Fatalf("status --json lists no A003_C002.mov on hold: exit %d\n%s", code, jsonOut)
	}
	out, code = runCLI(ctx, t, bin, env, "move", strconv.FormatInt(moveID, 10), "top")
	if code != 0 || !strings.Contains(out, "Moved A003_C002.mov to the top") {
		t.Fatalf("move through the window: exit %d\n%s", code, out)
	}
	out, code = runCLI(ctx, t, bin, env, "start", "all")
	if code != 0 || !strings.Contains(out, "Started 2 files") || !strings.Contains(out, "2 arrived") {
		t.Fatalf("start all through the window: exit %d\n%s", code, out)
	}
	files = append(files, held...)

	out, code = runCLI(ctx, t, bin, env, "status")
	if code != 0 || !strings.Contains(out, "The window (pid") || !strings.Contains(out, "A001_C001.mov") {
		t.Fatalf("status while the window runs: exit %d\n%s", code, out)
	}
	out, code = runCLI(ctx, t, bin, env, "pair")
	if code != 1 || !strings.Contains(out, "the window (pid") {
		t.Fatalf("pair while the window runs: exit %d, want 1 naming the window\n%s", code, out)
	}

	want := map[string]media{}
	for _, f := range files {
		want[f.name] = f
	}
	for {
		complete := map[string]int{}
		for _, a := range sim.Assets() {
			if a.Complete {
				if f := want[a.Name]; a.SHA256 != f.sha {
					t.Fatalf("%s arrived with SHA-256 %s, want %s", a.Name, a.SHA256, f.sha)
				}
				complete[a.Name]++
			}
		}
		if len(complete) == len(files) {
			for name, n := range complete {
				if n != 1 {
					t.Errorf("%s arrived %d times", name, n)
				}
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %v arrived\n%s", complete, app.stderr.String())
		case <-time.After(300 * time.Millisecond):
		}
	}
	if shots := os.Getenv("C2C_SCREENSHOT_DIR"); shots != "" {
		time.Sleep(2 * time.Second) // the last events reach the screen
		notBlank(ctx, t, filepath.Join(shots, "handoff-window.png"))
	}
	app.stop()
	checkLogs(t, app, data)
}

// TestWindowWithoutASessionBusQuitsCleanly: a window started outside a desktop session
// (no D-Bus: no tray, no keychain) and then stopped by SIGTERM, as a service manager
// would, exits 0. Fyne's tray library panicked on the way out (nil pointer in its
// nativeEnd), exit 2.
func TestWindowWithoutASessionBusQuitsCleanly(t *testing.T) {
	requireDisplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	bin := e2etest.Binary(t)
	home, data := t.TempDir(), t.TempDir()
	var env []string
	for _, kv := range environ(home, data, "c2c-window-nobus") {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "XDG_RUNTIME_DIR="+t.TempDir())
	a := startApp(ctx, t, bin, []string{"--demo"}, env)
	// The window is up once it holds the data folder and serves its socket.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(data, "lock.json")); err == nil && strings.Contains(string(b), "control") {
			break
		}
		if time.Now().After(deadline) {
			a.stop()
			t.Fatalf("the window did not start\n%s", a.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // let the drivers finish starting: the panic was in their end
	a.stop()
	err := <-a.exited
	if err != nil || strings.Contains(a.stderr.String(), "panic") {
		t.Fatalf("the window without a session bus ended with %v\n%s", err, a.stderr.String())
	}
}
