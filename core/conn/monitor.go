// Package conn watches whether the API can be reached. A network failure or a 502/503/504
// from any request closes the connectivity gate at once; one goroutine then polls
// GET /health with the policy's backoff (capped at 32 s, for ever) and opens the gate
// again on the first success (docs/error-policy.md §8). While the gate is closed no
// request but /health leaves the process: the API client waits at it before every other
// request.
package conn

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// State is what the banner shows about the connection.
type State string

const (
	Online       State = "online"
	Offline      State = "offline"      // waiting for the next health check
	Reconnecting State = "reconnecting" // a health check is under way
)

// Status is the connection as published to the front ends.
type Status struct {
	State State
	Since time.Time // when State began
	// NextCheck is when the next health check is due (zero unless Offline).
	NextCheck time.Time
	// Reason says, in plain words, why the connection is considered down.
	Reason string
	// Checks counts the failed health checks since the connection went down.
	Checks int
}

// HealthChecker is the one call the monitor makes.
type HealthChecker interface {
	Health(ctx context.Context) error
}

// Config configures a Monitor.
type Config struct {
	Health HealthChecker
	Policy retry.Policy
	// OnChange is told of every new status. It must not block.
	OnChange func(Status)
	Logger   *slog.Logger
}

// Monitor owns the connectivity gate.
type Monitor struct {
	cfg   Config
	gate  *retry.Gate
	clock retry.Clock
	wake  chan struct{} // the connection went down, or the user asked to check now

	mu     sync.Mutex
	status Status
}

// New makes a monitor that starts online.
func New(cfg Config) *Monitor {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	clock := cfg.Policy.Clock
	if clock == nil {
		clock = retry.RealClock()
	}
	return &Monitor{
		cfg:    cfg,
		gate:   retry.NewGate("connectivity", true),
		clock:  clock,
		wake:   make(chan struct{}, 1),
		status: Status{State: Online, Since: clock.Now()},
	}
}

// SetHealth sets the health checker when it could not be given to New (the API client
// itself needs the monitor's gate). Call it before Run.
func (m *Monitor) SetHealth(h HealthChecker) { m.cfg.Health = h }

// Gate is the connectivity gate: open while online.
func (m *Monitor) Gate() *retry.Gate { return m.gate }

// Status is the current status.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Observe is the API client's hook: it sees every request's outcome and takes the
// connection down on a disconnect-class failure. Health checks are the monitor's own.
func (m *Monitor) Observe(endpoint string, err error) {
	if err == nil || endpoint == api.EndpointHealth || !api.HasEffect(err, api.EffectDisconnect) {
		return
	}
	e, _ := api.AsError(err)
	m.goOffline(e.UserMessage())
}

func (m *Monitor) goOffline(reason string) {
	m.mu.Lock()
	if m.status.State != Online {
		m.mu.Unlock()
		return
	}
	m.gate.Close(reason)
	m.status = Status{State: Offline, Since: m.clock.Now(), Reason: reason}
	st := m.status
	m.mu.Unlock()
	m.cfg.Logger.Warn("connection lost", "reason", reason)
	m.publish(st)
	m.poke()
}

// CheckNow skips the wait before the next health check (a "Retry now" button).
func (m *Monitor) CheckNow() { m.poke() }

func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Monitor) publish(st Status) {
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(st)
	}
}

func (m *Monitor) set(update func(*Status)) {
	m.mu.Lock()
	update(&m.status)
	st := m.status
	m.mu.Unlock()
	m.publish(st)
}

// Run polls /health while the connection is down, until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		}
		m.recover(ctx)
	}
}

// recover polls with the backoff until a health check succeeds.
func (m *Monitor) recover(ctx context.Context) {
	for attempt := 0; ; attempt++ {
		if m.Status().State == Online {
			return
		}
		delay := m.cfg.Policy.Backoff(attempt)
		m.set(func(s *Status) { s.State, s.NextCheck = Offline, m.clock.Now().Add(delay) })
		select {
		case <-ctx.Done():
			return
		case <-m.clock.After(delay):
		case <-m.wake: // check now
		}
		m.set(func(s *Status) { s.State, s.NextCheck = Reconnecting, time.Time{} })
		err := m.cfg.Health.Health(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			m.set(func(s *Status) { *s = Status{State: Online, Since: m.clock.Now()} })
			m.gate.Open()
			m.cfg.Logger.Info("connection back", "checks", attempt+1)
			return
		}
		m.cfg.Logger.Info("health check failed", "attempt", attempt+1, "err", err)
		m.set(func(s *Status) { s.Checks = attempt + 1 })
	}
}

// Heartbeat calls beat every interval while ctx lives. A beat due while offline waits at
// the connectivity gate like any call. The API marks a device offline after 5 minutes of
// silence; the guide asks for a beat about every 2 minutes.
func Heartbeat(ctx context.Context, clock retry.Clock, interval time.Duration, beat func(context.Context) error, logger *slog.Logger) {
	if clock == nil {
		clock = retry.RealClock()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-clock.After(interval):
		}
		if err := beat(ctx); err != nil && ctx.Err() == nil && logger != nil {
			logger.Info("heartbeat failed", "err", err)
		}
	}
}
