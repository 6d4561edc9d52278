package retry

import (
	"context"
	"time"

	retrygo "github.com/avast/retry-go/v4"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// Call describes one logical call for the retry loop.
type Call struct {
	Endpoint string
	// Gates are waited on (ctx-cancellable) before every attempt; waiting does not use
	// attempts.
	Gates []*Gate
	// Unauthorized is called when an attempt fails with EffectRefreshToken; nil makes
	// that error final. If it returns nil (a fresh token is available) the call is
	// repeated once more, at once and beyond the class limit; a second refresh-token
	// error right after a successful refresh is final (the caller raises reconnect). An
	// error from the hook is final and returned, classified, in place of the 401.
	Unauthorized func(ctx context.Context, err *api.Error) error
	// OnError sees every failed attempt (the connection monitor hooks here). It runs
	// before the gates are looked at, so closing a gate from it skips the backoff.
	OnError func(err *api.Error)
}

// Do runs op until it succeeds or the policy gives up. The class of the latest failure
// decides how many attempts the call may use in total; an attempt counts only when op
// ran. Errors that are not *api.Error are classified with api.Classify. The returned
// error is always an *api.Error with Attempt set; when ctx ends while waiting it is the
// classified context cause (Cancelled, or Timeout for a deadline). The backoff is
// skipped when the error has EffectDisconnect and a gate is closed: waiting at the gate
// replaces it.
func (p Policy) Do(ctx context.Context, c Call, op func(ctx context.Context, attempt int) error) error {
	_, err := DoValue(ctx, p, c, func(ctx context.Context, attempt int) (struct{}, error) {
		return struct{}{}, op(ctx, attempt)
	})
	return err
}

// DoValue is Do for an op that returns a value.
func DoValue[T any](ctx context.Context, p Policy, c Call, op func(ctx context.Context, attempt int) (T, error)) (T, error) {
	r := &run{policy: p, call: c}
	v, err := retrygo.DoWithData(
		func() (T, error) {
			var zero T
			if err := r.waitGates(ctx); err != nil {
				return zero, r.stopWith(api.Classify(ctx, c.Endpoint, err))
			}
			afterRefresh := r.repeat
			r.repeat = false
			r.attempts++
			v, err := op(ctx, r.attempts)
			if err == nil {
				return v, nil
			}
			return zero, r.failed(ctx, err, afterRefresh)
		},
		retrygo.Context(ctx),
		// The limit depends on each failure's class, so retry-go's own count is off
		// and RetryIf alone decides when to stop.
		retrygo.Attempts(0),
		retrygo.LastErrorOnly(true),
		retrygo.RetryIf(func(error) bool { return r.retry() }),
		retrygo.DelayType(func(uint, error, *retrygo.Config) time.Duration { return r.delay() }),
		retrygo.WithTimer(p.clock()),
	)
	if err == nil {
		return v, nil
	}
	var zero T
	if e, ok := api.AsError(err); ok {
		return zero, e
	}
	// retry-go hands back the context's cause when ctx ends before or between attempts.
	return zero, r.stopWith(api.Classify(ctx, c.Endpoint, err))
}

// run is the state of one Do. retry-go calls its hooks from the calling goroutine, one
// at a time, so it needs no lock.
type run struct {
	policy   Policy
	call     Call
	attempts int        // times op ran
	last     *api.Error // the latest failure, Attempt set
	repeat   bool       // the next attempt is the one owed after a successful refresh
	stop     bool
}

// failed records a failed attempt and decides about a token refresh.
func (r *run) failed(ctx context.Context, err error, afterRefresh bool) *api.Error {
	e := r.own(api.Classify(ctx, r.call.Endpoint, err))
	r.last = e
	if r.call.OnError != nil {
		r.call.OnError(e)
	}
	if !e.Effect.Has(api.EffectRefreshToken) {
		return e
	}
	if r.call.Unauthorized == nil || afterRefresh {
		r.stop = true
		return e
	}
	if herr := r.call.Unauthorized(ctx, e); herr != nil {
		return r.stopWith(api.Classify(ctx, r.call.Endpoint, herr))
	}
	r.repeat = true
	return e
}

// own copies e with this call's endpoint and attempt, so an *api.Error shared between
// calls (a sentinel, a test fixture) is never written to.
func (r *run) own(e *api.Error) *api.Error {
	c := *e
	c.Attempt = r.attempts
	if c.Endpoint == "" {
		c.Endpoint = r.call.Endpoint
	}
	return &c
}

func (r *run) stopWith(e *api.Error) *api.Error {
	r.stop = true
	r.last = r.own(e)
	return r.last
}

func (r *run) retry() bool {
	if r.stop {
		return false
	}
	return r.repeat || r.attempts < r.policy.attempts(r.last.Retry)
}

func (r *run) delay() time.Duration {
	if r.repeat {
		return 0 // the fresh token is the fix; waiting would not help
	}
	if r.last.Effect.Has(api.EffectDisconnect) && !r.gatesOpen() {
		return 0
	}
	return r.policy.Delay(r.attempts-1, r.last)
}

func (r *run) gatesOpen() bool {
	for _, g := range r.call.Gates {
		if g != nil && !g.IsOpen() {
			return false
		}
	}
	return true
}

// waitGates returns once every gate is open at the same time: a gate may close again
// while another one is being waited on.
func (r *run) waitGates(ctx context.Context) error {
	for !r.gatesOpen() {
		for _, g := range r.call.Gates {
			if g == nil {
				continue
			}
			if err := g.Wait(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}
