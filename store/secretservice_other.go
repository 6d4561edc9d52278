//go:build !linux

package store

import "context"

// checkSecretService has nothing to check where the keychain is part of the system.
func checkSecretService(context.Context) error { return nil }
