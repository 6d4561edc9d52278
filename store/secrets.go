package store

import (
	"context"
	"errors"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/redact"
)

// RegisteringStore tells the log redactor every token that passes through the token
// store, before anyone can use it: tokens read at start-up and tokens about to be saved
// (new tokens are saved before their first use).
type RegisteringStore struct {
	auth.TokenStore
	Secrets *redact.Secrets
}

func (s RegisteringStore) Load(ctx context.Context) (api.Tokens, error) {
	t, err := s.TokenStore.Load(ctx)
	s.Secrets.Add(t.AccessToken, t.RefreshToken)
	return t, err
}

func (s RegisteringStore) Save(ctx context.Context, t api.Tokens) error {
	s.Secrets.Add(t.AccessToken, t.RefreshToken)
	return s.TokenStore.Save(ctx, t)
}

// Check tells whether the store can be used (the keychain runs and is unlocked, the
// passphrase opens the token file), for a command that is about to pair.
func (s RegisteringStore) Check(ctx context.Context) error {
	if c, ok := s.TokenStore.(interface{ Check(context.Context) error }); ok {
		return c.Check(ctx)
	}
	return nil
}

// NoTokens is a token store that holds nothing and keeps nothing: for a run that must
// not use the pairing (another process holds the data folder, or this run asked for
// another API than the one the folder is paired with).
type NoTokens struct{}

func (NoTokens) Load(context.Context) (api.Tokens, error) { return api.Tokens{}, auth.ErrNoTokens }

func (NoTokens) Save(context.Context, api.Tokens) error {
	return errors.New("this run does not keep tokens")
}

func (NoTokens) Delete(context.Context) error { return nil }
