package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/zalando/go-keyring"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

func sampleTokens() api.Tokens {
	return api.Tokens{
		AccessToken:  "at-" + uuid.NewString(),
		RefreshToken: uuid.NewString(),
		ExpiresIn:    8 * time.Hour,
		RequestedAt:  time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC),
	}
}

// roundTrip saves, loads and deletes tokens through k.
func roundTrip(t *testing.T, k *Keychain) {
	t.Helper()
	ctx := t.Context()
	if _, err := k.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Fatalf("Load before Save = %v, want ErrNoTokens", err)
	}
	want := sampleTokens()
	if err := k.Save(ctx, want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := k.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken ||
		got.ExpiresIn != want.ExpiresIn || !got.RequestedAt.Equal(want.RequestedAt) {
		t.Fatalf("Load = %+v, want %+v", got, want)
	}
	if err := k.Delete(ctx); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Fatalf("Load after Delete = %v, want ErrNoTokens", err)
	}
	if err := k.Delete(ctx); err != nil {
		t.Fatalf("Delete of nothing: %v", err)
	}
}

// TestKeychainRealSecretService stores, reads and deletes tokens through a real Secret
// Service: gnome-keyring under dbus-run-session, which scripts/test.sh starts and unlocks
// (and then sets C2C_REQUIRE_KEYRING=1, so this test cannot be skipped in CI).
func TestKeychainRealSecretService(t *testing.T) {
	k := NewKeychain("c2c-uploader-test-"+uuid.NewString()[:8], Account(uuid.NewString(), "https://api.example.test"))
	if err := k.Check(t.Context()); err != nil {
		if os.Getenv("C2C_REQUIRE_KEYRING") == "1" {
			t.Fatalf("a Secret Service is required here but does not work: %v", err)
		}
		t.Skipf("no working Secret Service in this session (run through scripts/test.sh): %v", err)
	}
	roundTrip(t, k)
	// The tokens went to the Secret Service, not to a file: secret-tool reads them back.
	if _, err := exec.LookPath("secret-tool"); err == nil {
		want := sampleTokens()
		if err := k.Save(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		defer k.Delete(context.Background())
		out, err := exec.Command("secret-tool", "lookup", "service", k.Service(), "username", k.entry(entryRefresh)).Output()
		if err != nil {
			t.Fatalf("secret-tool lookup: %v", err)
		}
		if strings.TrimSpace(string(out)) != want.RefreshToken {
			t.Fatalf("secret-tool found %q, want the refresh token", out)
		}
	}
}

// mapBackend is an in-memory keychain. The tests use it rather than keyring.MockInit,
// which swaps go-keyring's process-wide provider and would turn the real-keychain test
// into a mock one depending on test order.
type mapBackend struct {
	mu  sync.Mutex
	m   map[string]string
	err error
}

func (b *mapBackend) Get(service, user string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return "", b.err
	}
	v, ok := b.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *mapBackend) Set(service, user, pw string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if b.m == nil {
		b.m = map[string]string{}
	}
	b.m[service+"/"+user] = pw
	return nil
}

func (b *mapBackend) Delete(service, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if _, ok := b.m[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(b.m, service+"/"+user)
	return nil
}

func (b *mapBackend) DeleteAll(service string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	for k := range b.m {
		if strings.HasPrefix(k, service+"/") {
			delete(b.m, k)
		}
	}
	return nil
}

func testKeychain(b backend) *Keychain {
	return &Keychain{service: "c2c-mock", timeout: keychainTimeout, backend: b}
}

func TestKeychainRoundTrip(t *testing.T) {
	roundTrip(t, testKeychain(&mapBackend{}))
}

func TestKeychainRefreshTokenIsWrittenFirst(t *testing.T) {
	// If the app dies after the first write, the new refresh token must be the one kept.
	b := &mapBackend{}
	k := testKeychain(b)
	old := sampleTokens()
	if err := k.Save(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	fresh := sampleTokens()
	b.err = nil
	writes := 0
	k.backend = &failAfter{backend: b, n: 1, count: &writes}
	_ = k.Save(t.Context(), fresh)
	got, err := testKeychain(b).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.RefreshToken != fresh.RefreshToken || got.AccessToken != old.AccessToken {
		t.Fatalf("after a save cut short: refresh %q access %q; want the new refresh token beside the old access token", got.RefreshToken, got.AccessToken)
	}
}

// failAfter lets n writes through, then fails.
type failAfter struct {
	backend
	n     int
	count *int
}

func (f *failAfter) Set(service, user, pw string) error {
	*f.count++
	if *f.count > f.n {
		return errors.New("the app died here")
	}
	return f.backend.Set(service, user, pw)
}

func TestKeychainErrorsAreClassified(t *testing.T) {
	cases := []struct {
		err     error
		problem KeychainProblem
		advice  string
	}{
		{errors.New("The name org.freedesktop.secrets was not provided by any .service files"), KeychainMissing, "No keychain is available"},
		{errors.New("exec: \"dbus-launch\": executable file not found in $PATH"), KeychainMissing, "Install gnome-keyring"},
		{fmt.Errorf("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), KeychainLocked, "Unlock your keyring (log in to the desktop, or open Passwords and Keys), then try again"},
		{keyring.ErrSetDataTooBig, KeychainTooBig, "2,560 bytes"},
		{errors.New("something else"), KeychainOther, "The keychain failed"},
	}
	for _, c := range cases {
		t.Run(string(c.problem), func(t *testing.T) {
			err := testKeychain(&mapBackend{err: c.err}).Save(t.Context(), sampleTokens())
			if !IsKeychainProblem(err, c.problem) {
				t.Fatalf("Save error = %v, want problem %s", err, c.problem)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.advice)) {
				t.Fatalf("message %q lacks %q", err, c.advice)
			}
		})
	}
}

// blockingBackend never answers, like go-keyring waiting behind an unlock prompt.
type blockingBackend struct{ release chan struct{} }

func (b blockingBackend) Get(string, string) (string, error) {
	<-b.release
	return "", keyring.ErrNotFound
}
func (b blockingBackend) Set(string, string, string) error { <-b.release; return nil }
func (b blockingBackend) Delete(string, string) error      { <-b.release; return nil }
func (b blockingBackend) DeleteAll(string) error           { <-b.release; return nil }

func TestKeychainThatDoesNotAnswerTimesOut(t *testing.T) {
	b := blockingBackend{release: make(chan struct{})}
	defer close(b.release)
	k := &Keychain{service: "c2c-blocked", timeout: 100 * time.Millisecond, backend: b}
	start := time.Now()
	_, err := k.Load(t.Context())
	if !IsKeychainProblem(err, KeychainTimeout) {
		t.Fatalf("Load = %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "Unlock your keyring") {
		t.Fatalf("message %q does not say what to do", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("gave up after %s, before the deadline", waited)
	}
}

func TestKeychainCallHonoursCancellation(t *testing.T) {
	b := blockingBackend{release: make(chan struct{})}
	defer close(b.release)
	k := &Keychain{service: "c2c-blocked", timeout: time.Hour, backend: b}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	var err error
	go func() { defer wg.Done(); err = k.Save(ctx, sampleTokens()) }()
	cancel()
	wg.Wait()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Save = %v, want context.Canceled", err)
	}
}

// The real missing and locked cases run in a child process: godbus keeps its session bus
// for the life of a process, so each case needs a process of its own.
func TestKeychainMissingSecretServiceForReal(t *testing.T) {
	if os.Getenv("C2C_KEYCHAIN_CHILD") == "missing" {
		fmt.Println("RESULT", problemOf(NewKeychain("c2c-child", "").Check(context.Background())))
		return
	}
	out := runChild(t, "TestKeychainMissingSecretServiceForReal", "missing",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/c2c-test-bus", "DISPLAY=")
	if !strings.Contains(out, "RESULT missing") {
		t.Fatalf("child reported %q, want a missing keychain", out)
	}
}

func TestKeychainLockedForReal(t *testing.T) {
	if os.Getenv("C2C_KEYCHAIN_CHILD") == "locked" {
		fmt.Println("RESULT", problemOf(NewKeychain("c2c-child", "").Check(context.Background())))
		return
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("C2C_REQUIRE_KEYRING") == "1" {
				t.Fatalf("%s is required here: %v", tool, err)
			}
			t.Skipf("%s is not installed (make deps installs it)", tool)
		}
	}
	// A private session bus with a keyring daemon that nobody unlocked, and no display
	// to ask on: the state of a login keyring after an automatic login.
	// The app asks only a Secret Service that runs (it starts none): wait until the
	// daemon owns its name on the bus.
	// (GNOME_KEYRING_CONTROL is dropped: it names the test session's own daemon, which
	// --start would reuse instead of starting one on this bus.)
	script := `env -u GNOME_KEYRING_CONTROL gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
for i in $(seq 100); do
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
	sleep 0.05
done
exec "$0" -test.run='^TestKeychainLockedForReal$' -test.v`
	cmd := exec.CommandContext(t.Context(), "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), "C2C_KEYCHAIN_CHILD=locked", "DISPLAY=", "HOME="+t.TempDir())
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "RESULT locked") && !strings.Contains(string(out), "RESULT timeout") {
		t.Fatalf("child reported %q, want a locked keychain", out)
	}
}

func runChild(t *testing.T, test, mode string, env ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(append(os.Environ(), "C2C_KEYCHAIN_CHILD="+mode), env...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func problemOf(err error) string {
	var ke *KeychainError
	if errors.As(err, &ke) {
		return string(ke.Problem)
	}
	if err == nil {
		return "none"
	}
	return "unclassified: " + err.Error()
}
