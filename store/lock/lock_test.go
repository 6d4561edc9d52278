package lock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv tells a copy of the test binary to hold the lock of a folder (its value) for
// the parent test.
const childEnv = "C2C_LOCK_CHILD_DIR"

func acquireT(t *testing.T, dir string, h Holder) *Lock {
	t.Helper()
	l, err := Acquire(dir, h)
	if err != nil {
		t.Fatalf("Acquire %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = l.Release() })
	return l
}

// heldT fails unless Acquire of dir is refused with a *HeldError, which it returns.
func heldT(t *testing.T, dir string) *HeldError {
	t.Helper()
	l, err := Acquire(dir, Holder{Command: "status"})
	if err == nil {
		_ = l.Release()
		t.Fatalf("Acquire of a folder already held succeeded")
	}
	held, ok := IsHeld(err)
	if !ok {
		t.Fatalf("Acquire of a folder already held = %v, want a *HeldError", err)
	}
	if held.Dir != dir {
		t.Errorf("HeldError.Dir = %q, want %q", held.Dir, dir)
	}
	return held
}

// flock locks an open file description, not a process: a second Acquire in the same
// process opens the file again and must be refused like any other process (two windows
// of one app must not share a journal).
func TestSecondAcquireInTheSameProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	l := acquireT(t, dir, Holder{Command: "window"})
	held := heldT(t, dir)
	if !held.Known || held.Holder.PID != os.Getpid() || held.Holder.Command != "window" {
		t.Errorf("HeldError = %+v, want this process's window", held)
	}
	if msg := held.Error(); !strings.Contains(msg, "the window") || !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("message %q does not name the window and its pid", msg)
	}

	if err := l.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	again := acquireT(t, dir, Holder{Command: "upload"})
	if h := again.Holder(); h.PID != os.Getpid() || h.Command != "upload" || h.Started.IsZero() {
		t.Errorf("Holder after Acquire = %+v, want this pid, upload and a start time", h)
	}
}

func TestSetControlIsVisibleToOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	l := acquireT(t, dir, Holder{Command: "window"})
	const addr = "unix:/run/user/1000/c2c-uploader/control.sock"
	if err := l.SetControl(addr); err != nil {
		t.Fatalf("SetControl: %v", err)
	}
	h, ok := ReadHolder(dir)
	if !ok || h.Control != addr || h.PID != os.Getpid() || h.Command != "window" {
		t.Errorf("ReadHolder = %+v, %v; want this window with control %q", h, ok, addr)
	}
	if held := heldT(t, dir); held.Holder.Control != addr {
		t.Errorf("HeldError.Holder.Control = %q, want %q", held.Holder.Control, addr)
	}
	// Released, the note goes with the lock: nobody says they hold the folder.
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if h, ok := ReadHolder(dir); ok {
		t.Errorf("ReadHolder after Release = %+v, want no holder", h)
	}
}

// A real second process holds the folder; when it is killed (no chance to clean up),
// the kernel drops its lock and the folder can be taken.
func TestLockOfAKilledProcessIsReleasedByTheKernel(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		holdForParent(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockOfAKilledProcessIsReleasedByTheKernel$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, err := cmd.StdinPipe() // the child holds the lock until this closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	var out []string
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "LOCKED") {
		out = append(out, lines.Text())
	}
	if !strings.HasPrefix(lines.Text(), "LOCKED") {
		t.Fatalf("the child did not take the lock:\n%s", strings.Join(out, "\n"))
	}
	go io.Copy(io.Discard, stdout) //nolint:errcheck // keep the child from blocking on a full pipe

	pid := cmd.Process.Pid
	held := heldT(t, dir)
	if !held.Known || held.Holder.PID != pid || held.Holder.Command != "upload" {
		t.Errorf("HeldError = %+v, want the child (pid %d) running upload", held, pid)
	}
	if s := held.Holder.String(); !strings.Contains(s, fmt.Sprintf("pid %d", pid)) || !strings.Contains(s, "`upload`") {
		t.Errorf("Holder.String() = %q, want the command and pid %d", s, pid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child exited cleanly; it should have been killed")
	}
	// Its note is still in the folder, but a dead pid holds nothing.
	if h, ok := ReadHolder(dir); ok {
		t.Errorf("ReadHolder after the holder was killed = %+v, want no holder", h)
	}
	l := acquireT(t, dir, Holder{Command: "window"})
	// The dead child's note is no longer taken for the holder's.
	if h, ok := ReadHolder(dir); !ok || h.PID != os.Getpid() || h.Command != "window" || !h.Started.Equal(l.Holder().Started) {
		t.Errorf("ReadHolder after taking over = %+v, %v; want this process %+v", h, ok, l.Holder())
	}
}

// holdForParent runs in the child: it takes dir, says so, and holds it until its stdin
// closes (or it is killed).
func holdForParent(dir string) {
	l, err := Acquire(dir, Holder{Command: "upload", Started: time.Now()})
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	fmt.Println("LOCKED", os.Getpid())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = l.Release()
}

func TestHolderStringNamesTheWindowOrTheCommand(t *testing.T) {
	now := time.Now()
	if s := (Holder{PID: 4242, Command: "window", Started: now}).String(); s != fmt.Sprintf("the window (pid 4242, started %s)", now.Format("15:04")) {
		t.Errorf("window: %q", s)
	}
	earlier := now.AddDate(0, 0, -3)
	want := fmt.Sprintf("`upload` (pid 7, started %s)", earlier.Format("2 Jan 15:04"))
	if s := (Holder{PID: 7, Command: "upload", Started: earlier}).String(); s != want {
		t.Errorf("upload three days ago: %q, want %q", s, want)
	}
	if msg := (&HeldError{Dir: "/data"}).Error(); !strings.Contains(msg, "/data") {
		t.Errorf("an unknown holder's message %q does not name the folder", msg)
	}
	if h, ok := IsHeld(fmt.Errorf("opening: %w", &HeldError{Dir: "/data"})); !ok || h.Dir != "/data" {
		t.Error("IsHeld does not see a wrapped *HeldError")
	}
	if _, ok := IsHeld(errors.New("permission denied")); ok {
		t.Error("IsHeld takes any error for a *HeldError")
	}
}
