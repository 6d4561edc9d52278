package retry

import (
	"context"
	"sync"
)

// Gate holds calls while something the calls need is missing: the connection (the
// connectivity gate) or a valid token (the auth gate). Waiting at a gate does not use up
// a call's attempts. A Gate is safe for concurrent use.
type Gate struct {
	name string

	mu     sync.Mutex
	open   bool
	reason string
	opened chan struct{} // closed when the gate opens; replaced when it closes again
}

// NewGate makes a gate, open or closed.
func NewGate(name string, open bool) *Gate {
	g := &Gate{name: name, open: open, opened: make(chan struct{})}
	if open {
		close(g.opened)
	}
	return g
}

// Name is the gate's name, for logs and the banner.
func (g *Gate) Name() string { return g.name }

// Open lets every waiter through at once.
func (g *Gate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		g.open, g.reason = true, ""
		close(g.opened)
	}
}

// Close holds new callers until Open; reason says why, for the banner and logs.
func (g *Gate) Close(reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		g.open = false
		g.opened = make(chan struct{})
	}
	g.reason = reason
}

// IsOpen reports whether a caller would pass now.
func (g *Gate) IsOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// Reason is why the gate is closed, "" while open.
func (g *Gate) Reason() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// Wait returns at once while the gate is open, otherwise when it opens or when ctx is
// done (with ctx.Err()).
func (g *Gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	opened := g.opened
	g.mu.Unlock()
	select {
	case <-opened: // open wins over a done ctx; the call itself will notice ctx
		return nil
	default:
	}
	select {
	case <-opened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
