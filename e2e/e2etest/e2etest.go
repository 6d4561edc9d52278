// Package e2etest helps end-to-end tests drive the real c2c-uploader binary against a
// simulator: it builds the binary once per test process and runs commands with a
// private data dir, keychain service and client secret.
package e2etest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/store"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// Binary builds ./ (the module root) once and returns the path of the binary. The race
// detector is on when the test binary has it, so the app's own races show up too.
// C2C_E2E_BINARY names a binary to test instead (a release build, or an older commit's
// build, to see a new test fail on it).
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("C2C_E2E_BINARY"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "c2c-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "c2c-uploader")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, ".")
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleRoot()
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building c2c-uploader: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Env is a private installation of the app: its own data dir and keychain service,
// pointed at a simulator.
type Env struct {
	T       testing.TB
	Sim     *c2csim.Sim
	DataDir string
	Keyring string
}

// NewEnv starts a simulator with opts and prepares a data dir.
func NewEnv(t testing.TB, opts c2csim.Options) *Env {
	t.Helper()
	return &Env{
		T:       t,
		Sim:     c2csim.Start(t, opts),
		DataDir: t.TempDir(),
		Keyring: "c2c-e2e-" + strings.ReplaceAll(t.Name(), "/", "-"),
	}
}

// Environ is the process environment of a command of this installation.
func (e *Env) Environ(extra ...string) []string {
	env := append(os.Environ(),
		"C2C_API_URL="+e.Sim.URL(),
		"C2C_DATA_DIR="+e.DataDir,
		"C2C_KEYRING_SERVICE="+e.Keyring,
		"C2C_CLIENT_SECRET="+c2csim.DemoClientSecret,
	)
	return append(env, extra...)
}

// Command prepares `c2c-uploader args...` for this installation.
func (e *Env) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, Binary(e.T), args...)
	cmd.Env = e.Environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs a command to its end.
func (e *Env) Run(ctx context.Context, args ...string) Result {
	e.T.Helper()
	cmd := e.Command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			e.T.Fatalf("running %v: %v", args, err)
		}
	}
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// RequireKeychain skips the test when no Secret Service works here, unless the test
// script promised one (C2C_REQUIRE_KEYRING=1), in which case it fails: a pairing must
// live in the keychain to survive from one command to the next.
func RequireKeychain(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := store.NewKeychain("c2c-e2e-probe", "").Check(ctx); err != nil {
		if os.Getenv("C2C_REQUIRE_KEYRING") == "1" {
			t.Fatalf("a working keychain is required here: %v", err)
		}
		t.Skipf("no working keychain in this session (run through scripts/test.sh): %v", err)
	}
}

// Buffer collects what a running command writes, and lets a test read it meanwhile.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
