// Package authtest has test doubles for the auth package's collaborators.
package authtest

import (
	"context"
	"slices"
	"sync"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// MemoryStore is an auth.TokenStore that keeps the tokens in memory, and remembers every
// save and delete for the test to check. The zero value holds no tokens.
type MemoryStore struct {
	// OnSave, when set, is told of each save before it is kept (to note its place in an
	// order of events, say).
	OnSave func(api.Tokens)

	mu      sync.Mutex
	tokens  *api.Tokens
	saved   []api.Tokens
	deletes int
}

// Load returns the tokens saved last, or auth.ErrNoTokens.
func (s *MemoryStore) Load(context.Context) (api.Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return api.Tokens{}, auth.ErrNoTokens
	}
	return *s.tokens, nil
}

// Save keeps t.
func (s *MemoryStore) Save(_ context.Context, t api.Tokens) error {
	if s.OnSave != nil {
		s.OnSave(t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = &t
	s.saved = append(s.saved, t)
	return nil
}

// Delete forgets the tokens.
func (s *MemoryStore) Delete(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = nil
	s.deletes++
	return nil
}

// Saved is every token pair saved so far, oldest first.
func (s *MemoryStore) Saved() []api.Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saved)
}

// Deletes is how many times the tokens were deleted.
func (s *MemoryStore) Deletes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deletes
}
