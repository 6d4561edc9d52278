package store

import (
	"context"

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
