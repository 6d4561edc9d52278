// Package store keeps what must survive a restart: the tokens in the OS keychain, the
// installation's identity, and (in store/journal) the upload journal.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// DefaultKeychainService names the app's keychain entries; demo mode and tests use
// another so they never touch a real pairing.
const DefaultKeychainService = "c2c-uploader"

// One keychain entry per value: each stays far below the 2,560 bytes Windows allows
// for one secret.
const (
	entryAccess  = "access_token"
	entryRefresh = "refresh_token"
	entryExpiry  = "token_expiry"
)

// keychainTimeout bounds every keychain call. A locked keyring may block behind the
// desktop's unlock prompt; nothing in the app waits on it for ever.
const keychainTimeout = 10 * time.Second

// Keychain is the auth.TokenStore on the OS keychain (Secret Service on Linux, Keychain
// on macOS, Credential Manager on Windows), through go-keyring. Its entries belong to
// one installation and one API: their names hold the data folder's client id and the
// API's origin (see Account), so a new data folder starts unpaired and tokens are never
// read for another API.
type Keychain struct {
	service string
	account string
	timeout time.Duration
	backend backend
	// check runs before every call: on Linux, that a Secret Service runs (nothing is
	// started to provide one).
	check func(context.Context) error
}

// Account names the keychain entries of one installation (its client id) talking to one
// API (its origin).
func Account(clientID, origin string) string { return origin + " " + clientID }

// backend is go-keyring's API; tests put a blocking one in its place.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
	DeleteAll(service string) error
}

type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, pw string) error       { return keyring.Set(service, user, pw) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }
func (goKeyring) DeleteAll(service string) error           { return keyring.DeleteAll(service) }

var _ auth.TokenStore = (*Keychain)(nil)

// NewKeychain uses the entries of account (see Account) under service ("" means
// DefaultKeychainService).
func NewKeychain(service, account string) *Keychain {
	if service == "" {
		service = DefaultKeychainService
	}
	return &Keychain{service: service, account: account, timeout: keychainTimeout, backend: goKeyring{}, check: checkSecretService}
}

// Sub is the keychain entries of the same account kept apart under another name: the
// pairing an unpair could not revoke yet lives beside the current one.
func (k *Keychain) Sub(name string) *Keychain {
	c := *k
	c.account = k.account + " " + name
	return &c
}

// entry is the keychain's user name for one value of this account.
func (k *Keychain) entry(name string) string {
	if k.account == "" {
		return name
	}
	return name + " " + k.account
}

// Service is the keychain service name in use.
func (k *Keychain) Service() string { return k.service }

// KeychainProblem says what is wrong with the keychain.
type KeychainProblem string

const (
	KeychainMissing KeychainProblem = "missing" // no Secret Service / no session bus
	KeychainLocked  KeychainProblem = "locked"
	KeychainTimeout KeychainProblem = "timeout" // no answer: probably an unlock prompt
	KeychainTooBig  KeychainProblem = "too-big"
	KeychainOther   KeychainProblem = "other"
)

// KeychainError is a keychain failure in words a person can act on.
type KeychainError struct {
	Op      string
	Problem KeychainProblem
	Err     error
}

func (e *KeychainError) Unwrap() error { return e.Err }

func (e *KeychainError) Error() string { return e.Advice() + " (" + e.Err.Error() + ")" }

// UserMessage is what a front end shows: the advice, without the technical cause.
func (e *KeychainError) UserMessage() string { return e.Advice() }

// Advice is the error in words a person can act on, without the technical cause.
func (e *KeychainError) Advice() string {
	switch e.Problem {
	case KeychainMissing:
		return "No keychain is available: no Secret Service (gnome-keyring, KeePassXC) runs in this session. " +
			"Install gnome-keyring (or turn on KeePassXC's Secret Service) and log in to a desktop session where it runs."
	case KeychainLocked:
		return "The keychain is locked. Unlock your keyring (log in to the desktop, or open Passwords and Keys), then try again."
	case KeychainTimeout:
		return "The keychain did not answer in time; it may be waiting for you to unlock it. Unlock your keyring, then try again."
	case KeychainTooBig:
		return "A token is too large for this system's keychain (Windows allows 2,560 bytes per secret)."
	}
	return fmt.Sprintf("The keychain failed to %s: %v", e.Op, e.Err)
}

// IsKeychainProblem reports whether err is a KeychainError with that problem.
func IsKeychainProblem(err error, p KeychainProblem) bool {
	var ke *KeychainError
	return errors.As(err, &ke) && ke.Problem == p
}

type expiry struct {
	RequestedAt time.Time `json:"received_at"`
	ExpiresIn   float64   `json:"expires_in_s"`
}

// Load reads the tokens; auth.ErrNoTokens when there are none.
func (k *Keychain) Load(ctx context.Context) (api.Tokens, error) {
	access, err := k.get(ctx, entryAccess)
	if errors.Is(err, keyring.ErrNotFound) {
		return api.Tokens{}, auth.ErrNoTokens
	}
	if err != nil {
		return api.Tokens{}, err
	}
	refresh, err := k.get(ctx, entryRefresh)
	if errors.Is(err, keyring.ErrNotFound) {
		return api.Tokens{}, auth.ErrNoTokens
	}
	if err != nil {
		return api.Tokens{}, err
	}
	t := api.Tokens{AccessToken: access, RefreshToken: refresh}
	// A missing or damaged expiry makes the access token look expired: the manager then
	// refreshes, which is the safe way round.
	if raw, err := k.get(ctx, entryExpiry); err == nil {
		var e expiry
		if json.Unmarshal([]byte(raw), &e) == nil {
			t.RequestedAt, t.ExpiresIn = e.RequestedAt, time.Duration(e.ExpiresIn*float64(time.Second))
		}
	} else if !errors.Is(err, keyring.ErrNotFound) {
		return api.Tokens{}, err
	}
	return t, nil
}

// Save writes the tokens. The refresh token goes first: if the app dies halfway, a new
// refresh token beside an old access token still recovers (the next call refreshes),
// while the other way round would strand a spent refresh token.
func (k *Keychain) Save(ctx context.Context, t api.Tokens) error {
	exp, err := json.Marshal(expiry{RequestedAt: t.RequestedAt.UTC(), ExpiresIn: t.ExpiresIn.Seconds()})
	if err != nil {
		return err
	}
	for _, e := range []struct{ name, value string }{
		{entryRefresh, t.RefreshToken}, {entryExpiry, string(exp)}, {entryAccess, t.AccessToken},
	} {
		if err := k.set(ctx, e.name, e.value); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the tokens; missing entries are not an error.
func (k *Keychain) Delete(ctx context.Context) error {
	for _, name := range []string{entryAccess, entryExpiry, entryRefresh} {
		_, err := k.run(ctx, "delete a token", func() (string, error) { return "", k.backend.Delete(k.service, k.entry(name)) })
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	return nil
}

// DeleteAll removes every entry of the service, of every installation and API: for a
// demo starting afresh and for tests cleaning up.
func (k *Keychain) DeleteAll(ctx context.Context) error {
	_, err := k.run(ctx, "delete the tokens", func() (string, error) { return "", k.backend.DeleteAll(k.service) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// Check tells whether the keychain works, without touching the tokens: it reads an
// entry that need not exist.
func (k *Keychain) Check(ctx context.Context) error {
	_, err := k.get(ctx, "probe")
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

func (k *Keychain) get(ctx context.Context, name string) (string, error) {
	return k.run(ctx, "read a token", func() (string, error) { return k.backend.Get(k.service, k.entry(name)) })
}

func (k *Keychain) set(ctx context.Context, name, value string) error {
	_, err := k.run(ctx, "store a token", func() (string, error) { return "", k.backend.Set(k.service, k.entry(name), value) })
	return err
}

// run makes one keychain call on its own goroutine with a deadline. A call that does not
// answer is abandoned (it may be blocked behind an unlock prompt) and reported; what it
// answers later goes nowhere.
func (k *Keychain) run(ctx context.Context, op string, call func() (string, error)) (string, error) {
	type answer struct {
		v   string
		err error
	}
	done := make(chan answer, 1)
	go func() {
		if k.check != nil {
			if err := k.check(ctx); err != nil {
				done <- answer{err: err}
				return
			}
		}
		v, err := call()
		done <- answer{v, err}
	}()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case a := <-done:
		var ke *KeychainError
		if errors.As(a.err, &ke) {
			return "", a.err
		}
		return a.v, classifyKeyring(op, a.err)
	case <-timer.C:
		return "", &KeychainError{Op: op, Problem: KeychainTimeout, Err: context.DeadlineExceeded}
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func classifyKeyring(op string, err error) error {
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return &KeychainError{Op: op, Problem: KeychainTooBig, Err: err}
	}
	if errors.Is(err, keyring.ErrUnsupportedPlatform) {
		return &KeychainError{Op: op, Problem: KeychainMissing, Err: err}
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "locked"), strings.Contains(msg, "dismissed"):
		return &KeychainError{Op: op, Problem: KeychainLocked, Err: err}
	case strings.Contains(msg, "org.freedesktop.secrets"), strings.Contains(msg, "serviceunknown"),
		strings.Contains(msg, "dbus-launch"), strings.Contains(msg, "autolaunch"), strings.Contains(msg, "$display"),
		strings.Contains(msg, "dbus_session_bus_address"), strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "connection refused"), strings.Contains(msg, "not provided by any .service"):
		return &KeychainError{Op: op, Problem: KeychainMissing, Err: err}
	}
	return &KeychainError{Op: op, Problem: KeychainOther, Err: err}
}
