package store

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// Each Load or Save through a newly opened TokenFile derives the key with Argon2id at
// 64 MiB, which takes a second or more under -race: these tests open as few as they can.

const testPassphrase = "correct horse battery staple"

// tokenFileT opens the token file in dir for the installation clientID and API origin.
func tokenFileT(t *testing.T, dir, passphrase, clientID, origin string) *TokenFile {
	t.Helper()
	f, err := OpenTokenFile(filepath.Join(dir, TokenFileName), passphrase, Account(clientID, origin))
	if err != nil {
		t.Fatalf("OpenTokenFile: %v", err)
	}
	return f
}

func sameTokens(t *testing.T, got, want api.Tokens) {
	t.Helper()
	if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken ||
		got.ExpiresIn != want.ExpiresIn || !got.RequestedAt.Equal(want.RequestedAt) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestTokenFileNeedsAPassphrase(t *testing.T) {
	f, err := OpenTokenFile(filepath.Join(t.TempDir(), TokenFileName), "", Account("id", "https://api.example.test"))
	if err == nil || f != nil {
		t.Fatalf("OpenTokenFile with no passphrase = %v, %v; want an error", f, err)
	}
	if !strings.Contains(err.Error(), PassphraseEnv) || PassphraseEnv != "C2C_TOKEN_PASSPHRASE" {
		t.Errorf("error %q does not say to set C2C_TOKEN_PASSPHRASE", err)
	}
}

// The file round-trips every field, is private, keeps the tokens sealed, and opens only
// with the right passphrase.
func TestTokenFileRoundTripsSealedAndPrivate(t *testing.T) {
	dir := t.TempDir()
	clientID, origin := uuid.NewString(), "https://api.example.test"
	ctx := t.Context()

	// No file yet: the passphrase cannot be wrong.
	if err := tokenFileT(t, dir, "any passphrase", clientID, origin).Check(ctx); err != nil {
		t.Errorf("Check with no file = %v, want nil", err)
	}

	want := sampleTokens()
	want.ExpiresIn = 7*time.Hour + 1500*time.Millisecond // a fraction of a second must survive too
	if err := tokenFileT(t, dir, testPassphrase, clientID, origin).Save(ctx, want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	// A new TokenFile reads it from the disk, not from a key or tokens kept in memory.
	reader := tokenFileT(t, dir, testPassphrase, clientID, origin)
	got, err := reader.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	sameTokens(t, got, want)
	if err := reader.Check(ctx); err != nil {
		t.Errorf("Check with the right passphrase = %v", err)
	}

	path := filepath.Join(dir, TokenFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the token file has mode %v, want 0600", fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{want.AccessToken, want.RefreshToken} {
		for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
			if bytes.Contains(raw, []byte(form)) {
				t.Errorf("the token file holds a token in the clear (%q)", form)
			}
		}
	}

	wrong := tokenFileT(t, dir, "not the passphrase", clientID, origin)
	if _, err := wrong.Load(ctx); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("Load with a wrong passphrase = %v, want ErrWrongPassphrase", err)
	}
	if err := wrong.Check(ctx); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("Check with a wrong passphrase = %v, want ErrWrongPassphrase", err)
	}

	// A copy in another data folder, or read for another API, holds no tokens for it.
	// (The binding is checked before the key is derived, so these are cheap.)
	for name, f := range map[string]*TokenFile{
		"another installation": tokenFileT(t, dir, testPassphrase, uuid.NewString(), origin),
		"another API":          tokenFileT(t, dir, testPassphrase, clientID, "https://api.other.test"),
	} {
		if _, err := f.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
			t.Errorf("Load for %s = %v, want auth.ErrNoTokens", name, err)
		}
	}
}

// The pairing an unpair could not revoke yet is kept in a slot of its own; the file
// goes when its last slot does.
func TestTokenFileSlotsAreSeparateAndTheLastDeleteRemovesTheFile(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	clientID, origin := uuid.NewString(), "https://api.example.test"
	primary := tokenFileT(t, dir, testPassphrase, clientID, origin)
	revoke := primary.Sub("revoke")
	path := filepath.Join(dir, TokenFileName)

	old := sampleTokens()
	if err := revoke.Save(ctx, old); err != nil {
		t.Fatalf("Save in the revoke slot: %v", err)
	}
	if _, err := primary.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Errorf("Load of the primary slot after saving only the revoke slot = %v, want auth.ErrNoTokens", err)
	}
	cur := sampleTokens()
	if err := primary.Save(ctx, cur); err != nil {
		t.Fatalf("Save in the primary slot: %v", err)
	}
	got, err := revoke.Load(ctx)
	if err != nil {
		t.Fatalf("Load of the revoke slot: %v", err)
	}
	sameTokens(t, got, old)
	got, err = primary.Load(ctx)
	if err != nil {
		t.Fatalf("Load of the primary slot: %v", err)
	}
	sameTokens(t, got, cur)

	if err := revoke.Delete(ctx); err != nil {
		t.Fatalf("Delete of the revoke slot: %v", err)
	}
	if _, err := revoke.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Errorf("Load of the deleted revoke slot = %v, want auth.ErrNoTokens", err)
	}
	if got, err := primary.Load(ctx); err != nil || got.AccessToken != cur.AccessToken {
		t.Errorf("the primary slot after deleting the revoke slot: %+v, %v", got, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the file went while a slot was left: %v", err)
	}

	if err := primary.Delete(ctx); err != nil {
		t.Fatalf("Delete of the last slot: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the token file is still there after its last slot was deleted: %v", err)
	}
	if err := primary.Delete(ctx); err != nil {
		t.Errorf("Delete with no file = %v, want nil", err)
	}
	if _, err := primary.Load(ctx); !errors.Is(err, auth.ErrNoTokens) {
		t.Errorf("Load with no file = %v, want auth.ErrNoTokens", err)
	}

	// Pairing again makes a new file with a new salt: the key kept in memory for the old
	// salt must not seal it, or no other process could open it.
	again := sampleTokens()
	if err := primary.Save(ctx, again); err != nil {
		t.Fatalf("Save after the file went: %v", err)
	}
	got, err = tokenFileT(t, dir, testPassphrase, clientID, origin).Load(ctx)
	if err != nil {
		t.Fatalf("Load of the new file through a new TokenFile: %v", err)
	}
	sameTokens(t, got, again)
}

// Deleting through a token file bound to another installation or API leaves the file
// alone: those tokens are not its to delete.
func TestTokenFileDeleteLeavesOtherBindingsAlone(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), TokenFileName)
	mine, err := OpenTokenFile(path, "correct horse", Account("client-a", "https://api.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := mine.Save(ctx, api.Tokens{AccessToken: "a-access", RefreshToken: "a-refresh", ExpiresIn: time.Hour, RequestedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	other, err := OpenTokenFile(path, "correct horse", Account("client-b", "https://api.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := mine.Load(ctx); err != nil || got.RefreshToken != "a-refresh" {
		t.Fatalf("after another binding's Delete: %+v, %v; want the tokens kept", got, err)
	}
}
