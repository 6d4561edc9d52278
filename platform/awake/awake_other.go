//go:build !linux && !windows && !darwin

package awake

// system elsewhere keeps nothing awake: ErrUnsupported.
type system struct{}

func (system) hold(Options, string) (func(), error) { return nil, ErrUnsupported }
