package auth

import (
	"context"
	"errors"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// PairState is where a pairing stands.
type PairState string

const (
	PairRequesting PairState = "requesting" // asking the API for a code
	PairPending    PairState = "pending"    // the code is shown; waiting for a person to enter it
	PairApproved   PairState = "approved"   // tokens received; asking which project
	PairPaired     PairState = "paired"
	PairDeclined   PairState = "declined"  // refused in the web app; a new code can be asked for
	PairFailed     PairState = "failed"    // a fatal answer (client credentials or version refused)
	PairCancelled  PairState = "cancelled" // by the user
)

// Pairing is what a front end shows while pairing.
type Pairing struct {
	State    PairState
	UserCode string
	// VerificationURI is where the code is typed; VerificationURIComplete (may be "")
	// has it filled in, for a link or a QR code.
	VerificationURI         string
	VerificationURIComplete string
	DeviceName              string
	ExpiresAt               time.Time
	Interval                time.Duration
	// Codes counts the codes issued in this pairing (a new one each time one expires).
	Codes int
	// Message says in plain words what is happening.
	Message string
	// Err is the fatal answer of a failed pairing.
	Err *api.Error
}

// PairAPI is what pairing calls.
type PairAPI interface {
	RequestDeviceCode(ctx context.Context, cr api.Credentials) (api.DeviceCode, error)
	PollToken(ctx context.Context, cr api.Credentials, deviceCode string) (api.Tokens, error)
}

// ErrDeclined is Pair's answer when the request was declined in the web app.
var ErrDeclined = errors.New("the pairing request was declined in the project")

// slowDownStep is what RFC 8628 asks a client to add to its interval on slow_down.
const slowDownStep = 5 * time.Second

// Pair runs the device-code flow (docs/api-notes.md §2.3-2.5): it asks for a code,
// publishes it, polls at the interval it was given, slows down when told to, fetches a
// new code when one expires, and stops when the code is approved (the tokens are adopted
// and the project looked up), declined (ErrDeclined), refused for good (the *api.Error),
// or ctx is cancelled. publish must not block.
func (m *Manager) Pair(ctx context.Context, p PairAPI, publish func(Pairing)) error {
	cur := Pairing{State: PairRequesting, Message: "Asking the server for a pairing code…"}
	emit := func(f func(*Pairing)) {
		f(&cur)
		publish(cur)
	}
	emit(func(*Pairing) {})
	for {
		dc, err := retry.DoValue(ctx, m.cfg.Policy, retry.Call{
			Endpoint: api.EndpointDeviceCode, Gates: []*retry.Gate{m.cfg.Online},
		}, func(ctx context.Context, _ int) (api.DeviceCode, error) {
			return p.RequestDeviceCode(ctx, m.cfg.Credentials)
		})
		if err != nil {
			return m.pairStopped(ctx, err, emit)
		}
		expires := m.clock.Now().Add(dc.ExpiresIn)
		interval := dc.Interval
		emit(func(c *Pairing) {
			*c = Pairing{
				State: PairPending, UserCode: dc.UserCode, VerificationURI: dc.VerificationURI,
				VerificationURIComplete: dc.VerificationURIComplete, DeviceName: dc.Name,
				ExpiresAt: expires, Interval: interval, Codes: c.Codes + 1,
				Message: "Waiting for the code to be entered in the project's web app…",
			}
		})
		tokens, outcome, err := m.poll(ctx, p, dc, expires, &interval, emit)
		switch outcome {
		case pollApproved:
			emit(func(c *Pairing) { c.State, c.Message = PairApproved, "Approved. Looking up the project…" })
			// Paired from here on, whatever happens to the project lookup: the tokens are
			// in use, so saying "cancelled" or "failed" now would be untrue.
			msg := "Connected."
			if err := m.Adopt(ctx, tokens); err != nil {
				m.cfg.Logger.Warn("paired, but the project could not be looked up yet", "err", err)
			} else if name := m.Status().ProjectName; name != "" {
				msg = "Connected to " + name + "."
			}
			emit(func(c *Pairing) { c.State, c.Message = PairPaired, msg })
			return nil
		case pollNewCode:
			emit(func(c *Pairing) {
				c.State, c.Message = PairRequesting, "The code expired; getting a new one…"
			})
			continue
		case pollDeclined:
			emit(func(c *Pairing) {
				c.State, c.Message = PairDeclined, "The request was declined in the project. Ask for a new code to try again."
			})
			return ErrDeclined
		default:
			return m.pairStopped(ctx, err, emit)
		}
	}
}

type pollOutcome int

const (
	pollStopped pollOutcome = iota
	pollApproved
	pollNewCode
	pollDeclined
)

// poll asks for the tokens every interval until the code is approved, declined or dies.
func (m *Manager) poll(ctx context.Context, p PairAPI, dc api.DeviceCode, expires time.Time, interval *time.Duration, emit func(func(*Pairing))) (api.Tokens, pollOutcome, error) {
	transient := 0
	for {
		wait := *interval
		if transient > 0 {
			wait = max(wait, m.cfg.Policy.Backoff(transient-1))
		}
		select {
		case <-ctx.Done():
			return api.Tokens{}, pollStopped, ctx.Err()
		case <-m.clock.After(wait):
		}
		if !m.clock.Now().Before(expires) {
			return api.Tokens{}, pollNewCode, nil
		}
		if m.cfg.Online != nil {
			if err := m.cfg.Online.Wait(ctx); err != nil {
				return api.Tokens{}, pollStopped, err
			}
		}
		t, err := p.PollToken(ctx, m.cfg.Credentials, dc.DeviceCode)
		if err == nil {
			return t, pollApproved, nil
		}
		switch e := api.Classify(ctx, api.EndpointToken, err); e.Kind {
		case api.KindAuthorizationPending:
			transient = 0
		case api.KindSlowDown:
			*interval += slowDownStep
			emit(func(c *Pairing) { c.Interval = *interval })
		case api.KindExpiredToken, api.KindInvalidGrantType:
			return api.Tokens{}, pollNewCode, nil
		case api.KindAccessDenied:
			return api.Tokens{}, pollDeclined, nil
		default:
			if e.Retry == api.RetryNo {
				return api.Tokens{}, pollStopped, e
			}
			// Network trouble or a server hiccup: keep polling (with backoff) while the
			// code lives; the connectivity gate holds the polls while offline.
			transient++
		}
	}
}

// pairStopped publishes why pairing ended without a pairing.
func (m *Manager) pairStopped(ctx context.Context, err error, emit func(func(*Pairing))) error {
	if ctx.Err() != nil {
		emit(func(c *Pairing) { c.State, c.Message = PairCancelled, "Pairing cancelled." })
		return ctx.Err()
	}
	e := api.Classify(ctx, api.EndpointToken, err)
	emit(func(c *Pairing) { c.State, c.Message, c.Err = PairFailed, e.UserMessage(), e })
	return e
}
