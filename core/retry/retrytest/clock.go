// Package retrytest has a clock for tests of code that waits through retry.Clock: the
// retry loop, the connection monitor, the token manager, pairing.
package retrytest

import (
	"slices"
	"sync"
	"time"
)

// Clock records every wait and fires it at once, moving its own time forward by the
// wait: a sequence of backoffs is exact and costs the test no time. The zero value
// starts at the zero time; NewClock starts elsewhere.
type Clock struct {
	// OnAfter, when set before use, runs in the waiting goroutine once a wait was
	// chosen (a test can act at exactly that moment).
	OnAfter func(time.Duration)

	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

// NewClock is a Clock whose time starts at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time: its start plus every wait so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After records d, moves the clock by d and returns a channel that has already fired.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	c.mu.Unlock()
	if c.OnAfter != nil {
		c.OnAfter(d)
	}
	return ch
}

// Record notes a wait without moving the clock, for clocks built on this one that wait
// in their own way (scaled down, or never firing).
func (c *Clock) Record(d time.Duration) {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
}

// Waits are the waits asked for so far, in order.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// Scaled is the wall clock with every wait divided by Factor, and recorded: a loop
// (retries, health checks, renewals, the heartbeat) runs through the production
// schedule in the same order, in a fraction of the time.
type Scaled struct {
	Clock
	Factor time.Duration
}

// Now is the wall clock's time.
func (c *Scaled) Now() time.Time { return time.Now() }

// After records d and fires after d / Factor.
func (c *Scaled) After(d time.Duration) <-chan time.Time {
	c.Record(d)
	return time.After(d / c.Factor)
}
