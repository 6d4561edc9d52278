package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/redact"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// JournalKeySlot names the slot of the token store that holds the key of the journal's
// upload links.
const JournalKeySlot = "journal"

// JournalKey keeps the key that seals the upload links in the journal (journal.KeyStore)
// in a slot of its own of the token store (Switchable.Sub(JournalKeySlot)): the keychain
// or the token file, wherever the pairing is kept, so the links are as safe as the
// tokens. The key rides in the slot's access token, base64-encoded; it is registered
// with the redactor like every token.
type JournalKey struct {
	Slot    auth.TokenStore
	Secrets *redact.Secrets
}

// errNoStoreYet: the token store is not open yet (the token file's passphrase is still
// to come); links sealed with its key wait.
var errNoStoreYet = errors.New("the token file is not unlocked yet")

func (k JournalKey) LoadKey(ctx context.Context) ([]byte, error) {
	if r, ok := k.Slot.(interface{ Ready() bool }); ok && !r.Ready() {
		return nil, errNoStoreYet
	}
	t, err := k.Slot.Load(ctx)
	if errors.Is(err, auth.ErrNoTokens) {
		return nil, journal.ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	k.Secrets.Add(t.AccessToken)
	key, err := base64.StdEncoding.DecodeString(t.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("the key of the upload links is damaged: %w", err)
	}
	return key, nil
}

func (k JournalKey) SaveKey(ctx context.Context, key []byte) error {
	if r, ok := k.Slot.(interface{ Ready() bool }); ok && !r.Ready() {
		return errNoStoreYet
	}
	encoded := base64.StdEncoding.EncodeToString(key)
	k.Secrets.Add(encoded)
	return k.Slot.Save(ctx, api.Tokens{AccessToken: encoded})
}
