package store

import (
	"context"
	"errors"
	"sync"

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

// Switchable is a token store whose backend can change while the app runs: the window
// starts without the token file's passphrase and gets it from the person, or moves a
// pairing it could not keep (no keychain) into a token file. Sub views follow the switch.
type Switchable struct {
	mu      sync.Mutex
	backend auth.TokenStore
}

// NewSwitchable starts with backend.
func NewSwitchable(backend auth.TokenStore) *Switchable { return &Switchable{backend: backend} }

// Switch makes backend the store from now on.
func (s *Switchable) Switch(backend auth.TokenStore) {
	s.mu.Lock()
	s.backend = backend
	s.mu.Unlock()
}

func (s *Switchable) current() auth.TokenStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backend
}

func (s *Switchable) Load(ctx context.Context) (api.Tokens, error) { return s.current().Load(ctx) }

func (s *Switchable) Save(ctx context.Context, t api.Tokens) error { return s.current().Save(ctx, t) }

func (s *Switchable) Delete(ctx context.Context) error { return s.current().Delete(ctx) }

// Check asks the backend, when it can tell.
func (s *Switchable) Check(ctx context.Context) error {
	if c, ok := s.current().(interface{ Check(context.Context) error }); ok {
		return c.Check(ctx)
	}
	return nil
}

// Sub is the slot name of whichever backend is in use at each call (see Keychain.Sub).
func (s *Switchable) Sub(name string) auth.TokenStore { return subView{s, name} }

type subView struct {
	s    *Switchable
	name string
}

func (v subView) store() auth.TokenStore {
	switch b := v.s.current().(type) {
	case *Keychain:
		return b.Sub(v.name)
	case *TokenFile:
		return b.Sub(v.name)
	}
	return NoTokens{}
}

// Ready tells whether a store stands behind the view: not while the window waits for the
// token file's passphrase, when it holds nothing and can tell nothing.
func (v subView) Ready() bool {
	_, none := v.store().(NoTokens)
	return !none
}

func (v subView) Load(ctx context.Context) (api.Tokens, error) { return v.store().Load(ctx) }
func (v subView) Save(ctx context.Context, t api.Tokens) error { return v.store().Save(ctx, t) }
func (v subView) Delete(ctx context.Context) error             { return v.store().Delete(ctx) }
