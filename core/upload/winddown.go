package upload

import "context"

// WindDown stops the queue gently, for a process about to end (`watch` on SIGTERM):
// nothing more starts — no file, no asset creation, no chunk — while the requests
// already in flight run to their end and are journalled, so the next run sends none of
// them again. The channel is closed once none is in flight; the caller then ends Run's
// context, having waited as long as it may. It cannot be undone.
func (e *Engine) WindDown(ctx context.Context) (<-chan struct{}, error) {
	idle := make(chan struct{})
	if !e.send(func(o *owner) {
		o.windingDown = true
		o.idleWaiters = append(o.idleWaiters, idle)
		o.windDownCheck()
	}) {
		return nil, ErrClosed
	}
	return idle, nil
}

// windDownCheck tells those waiting that no request is in flight any more.
func (o *owner) windDownCheck() {
	if !o.windingDown || o.slots.inFlight > 0 {
		return
	}
	for _, c := range o.idleWaiters {
		close(c)
	}
	o.idleWaiters = nil
}
