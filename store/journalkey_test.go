package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/redact"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// The key of the journal's upload links lives in a slot of its own of the token file
// (sealed with the tokens, beside them, untouched by an unpair's Delete of the tokens),
// and is registered with the redactor.
func TestJournalKeyInTheTokenFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := tokenFileT(t, dir, testPassphrase, "id", "https://api.example.test")
	secrets := &redact.Secrets{}
	keys := JournalKey{Slot: NewSwitchable(f).Sub(JournalKeySlot), Secrets: secrets}
	if _, err := keys.LoadKey(ctx); !errors.Is(err, journal.ErrNoKey) {
		t.Fatalf("LoadKey of a new file = %v, want ErrNoKey", err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	if err := keys.SaveKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(ctx); err != nil { // the tokens go, as on unpair
		t.Fatal(err)
	}
	got, err := keys.LoadKey(ctx)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("LoadKey = %x, %v; want %x", got, err, key)
	}
	raw, err := os.ReadFile(f.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("BwcHBwcH")) { // the key's base64
		t.Fatal("the token file holds the key in the clear")
	}
	if out := redact.String("key BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", secrets); bytes.Contains([]byte(out), []byte("BwcHBwcH")) {
		t.Fatalf("the redactor does not know the key: %s", out)
	}
}

// While the window waits for the token file's passphrase, the key's store cannot tell:
// not "no key" (which would make the journal give up the links of every file under way).
func TestJournalKeyOfALockedStoreWaits(t *testing.T) {
	ctx := context.Background()
	sw := NewSwitchable(NoTokens{})
	keys := JournalKey{Slot: sw.Sub(JournalKeySlot), Secrets: &redact.Secrets{}}
	if _, err := keys.LoadKey(ctx); err == nil || errors.Is(err, journal.ErrNoKey) {
		t.Fatalf("LoadKey of a locked store = %v, want an error other than ErrNoKey", err)
	}
	if err := keys.SaveKey(ctx, make([]byte, 32)); err == nil {
		t.Fatal("SaveKey into a locked store succeeded")
	}
	sw.Switch(tokenFileT(t, t.TempDir(), testPassphrase, "id", "https://api.example.test"))
	if _, err := keys.LoadKey(ctx); !errors.Is(err, journal.ErrNoKey) {
		t.Fatalf("LoadKey once unlocked = %v, want ErrNoKey", err)
	}
}
