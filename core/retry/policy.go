// Package retry runs calls under the error policy: the retry class of each failure
// decides how often a call is tried (docs/error-policy.md §2), the backoff decides how
// long it waits in between, and gates hold calls while the app is offline or renewing
// access (docs/error-policy.md §8).
package retry

import (
	"math/rand/v2"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// Clock is the time source; tests pass a fake one so delays are exact and instant.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }

// Default limits of docs/error-policy.md §2.
const (
	DefaultMaxDelay = 32 * time.Second
	baseDelay       = 500 * time.Millisecond // 2^0 / 2 s
)

var defaultAttempts = map[api.RetryClass]int{api.RetryYes: 8, api.RetryOnce: 2, api.RetryNo: 1}

// Policy holds the knobs of the retry loop. The zero value is the project's policy.
type Policy struct {
	Clock Clock          // nil = real
	Rand  func() float64 // [0,1); nil = math/rand/v2
	// Attempts by class; a missing or zero entry takes the default (yes 8, once 2, no 1).
	Attempts map[api.RetryClass]int
	MaxDelay time.Duration // 0 = 32 s
}

// attempts is how many times a call may run in total while its latest failure has
// class c. A class that is not one of the three is treated as "once": when in doubt,
// retry once.
func (p Policy) attempts(c api.RetryClass) int {
	if n := p.Attempts[c]; n > 0 {
		return n
	}
	if !c.Valid() {
		c = api.RetryOnce
	}
	return defaultAttempts[c]
}

func (p Policy) clock() Clock {
	if p.Clock == nil {
		return realClock{}
	}
	return p.Clock
}

// Delay is the wait after the failed attempt number `attempt` (0-based):
// base = min(2^attempt / 2 s, MaxDelay), plus a jitter uniform in [0, base/2] so devices
// that failed together do not come back together; never less than the base
// (0.5, 1, 2, 4, 8, 16, 32, 32, … s). A Retry-After carried by err wins when longer.
func (p Policy) Delay(attempt int, err error) time.Duration {
	maxDelay := p.MaxDelay
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	base := maxDelay
	// Shift only while it cannot overflow or pass the cap.
	if attempt < 0 {
		attempt = 0
	}
	if attempt < 30 && baseDelay<<attempt < maxDelay {
		base = baseDelay << attempt
	}
	random := p.Rand
	if random == nil {
		random = rand.Float64
	}
	d := base + time.Duration(random()*float64(base/2))
	if e, ok := api.AsError(err); ok && e.RetryAfter > d {
		d = e.RetryAfter
	}
	return d
}

// Backoff is Delay without an error, for pollers that try for ever (the health monitor,
// the file-level retry).
func (p Policy) Backoff(attempt int) time.Duration { return p.Delay(attempt, nil) }
