package ingest

import "context"

// onOwner runs fn on the goroutine that owns a watcher's state (it reads inbox until
// done is closed) and returns once it has run: stopped when the watcher has stopped,
// ctx's error when ctx ends first.
func onOwner[T any](ctx context.Context, inbox chan<- func(*T), done <-chan struct{}, stopped error, fn func(*T)) error {
	ran := make(chan struct{})
	select {
	case inbox <- func(s *T) { fn(s); close(ran) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return stopped
	}
	select {
	case <-ran:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
