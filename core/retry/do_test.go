package retry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
)

const ep = "POST /v2/devices/assets"

func apiErr(status int, body string) *api.Error {
	return api.Decode(ep, status, nil, []byte(body), false)
}

var (
	errSlowDown   = apiErr(429, "")
	errServer     = apiErr(500, "")
	errGateway    = apiErr(503, "")
	errPaused     = apiErr(409, `{"error":"Channel Paused"}`)
	errNotAuth    = apiErr(401, `{"code":401,"errors":[],"message":"Not Authorized"}`)
	errReconnect  = &api.Error{Kind: api.KindInvalidRequest, Retry: api.RetryNo, Effect: api.EffectReconnect}
	errConnRefuse = fmt.Errorf("dial tcp 127.0.0.1:1: %w", syscall.ECONNREFUSED)
)

// script returns an op that fails with errs in turn and then succeeds, counting runs.
func script(errs ...error) (func(context.Context, int) error, *int) {
	runs := 0
	return func(_ context.Context, attempt int) error {
		runs++
		if attempt != runs {
			panic(fmt.Sprintf("attempt %d on run %d", attempt, runs))
		}
		if runs <= len(errs) {
			return errs[runs-1]
		}
		return nil
	}, &runs
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func newPolicy(r float64) (Policy, *retrytest.Clock) {
	c := &retrytest.Clock{}
	return Policy{Clock: c, Rand: fixed(r)}, c
}

func mustAPIError(t *testing.T, err error) *api.Error {
	t.Helper()
	e, ok := err.(*api.Error)
	if !ok {
		t.Fatalf("Do returned %T %v, want *api.Error", err, err)
	}
	return e
}

func TestDoRetryClasses(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		rand  float64
		runs  int
		waits []time.Duration
	}{
		{"yes_8_attempts", errSlowDown, 0, 8, seconds(0.5, 1, 2, 4, 8, 16, 32)},
		{"yes_8_attempts_with_jitter", errSlowDown, 0.999, 8, seconds(0.74975, 1.4995, 2.999, 5.998, 11.996, 23.992, 47.984)},
		{"once_2_attempts", errServer, 0, 2, seconds(0.5)},
		{"no_1_attempt", errPaused, 0, 1, nil},
		{"unclassified_network_error_is_yes", errConnRefuse, 0, 8, seconds(0.5, 1, 2, 4, 8, 16, 32)},
		{"unclassified_other_error_is_once", errors.New("nil map"), 0, 2, seconds(0.5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, clock := newPolicy(tc.rand)
			op, runs := script(repeat(tc.err, 100)...)
			var seen []int
			err := p.Do(context.Background(), Call{Endpoint: ep, OnError: func(e *api.Error) { seen = append(seen, e.Attempt) }}, op)
			e := mustAPIError(t, err)
			if *runs != tc.runs || e.Attempt != tc.runs {
				t.Errorf("runs=%d Attempt=%d, want %d", *runs, e.Attempt, tc.runs)
			}
			if !slices.Equal(clock.Waits(), tc.waits) {
				t.Errorf("waits %v, want %v", clock.Waits(), tc.waits)
			}
			if len(seen) != tc.runs || seen[len(seen)-1] != tc.runs {
				t.Errorf("OnError saw attempts %v", seen)
			}
			if e.Endpoint != ep {
				t.Errorf("Endpoint %q", e.Endpoint)
			}
		})
	}
}

func TestDoSucceedsAfterFailures(t *testing.T) {
	p, clock := newPolicy(0)
	op, runs := script(errGateway, errSlowDown)
	if err := p.Do(context.Background(), Call{Endpoint: ep}, op); err != nil {
		t.Fatal(err)
	}
	if *runs != 3 || !slices.Equal(clock.Waits(), seconds(0.5, 1)) {
		t.Errorf("runs=%d waits=%v", *runs, clock.Waits())
	}
}

func TestDoLatestClassDecides(t *testing.T) {
	p, _ := newPolicy(0)
	// once → yes: the yes class allows more attempts after the first failure.
	op, runs := script(errServer, errGateway, errGateway)
	if err := p.Do(context.Background(), Call{Endpoint: ep}, op); err != nil || *runs != 4 {
		t.Errorf("once→yes: err=%v runs=%d", err, *runs)
	}
	// yes → once after 2 attempts: the once limit (2) is already reached.
	op, runs = script(errGateway, errServer, errServer)
	err := p.Do(context.Background(), Call{Endpoint: ep}, op)
	if api.KindOf(err) != api.KindInternalServerError || *runs != 2 {
		t.Errorf("yes→once: err=%v runs=%d", err, *runs)
	}
	// yes → no: a fatal error stops at once.
	op, runs = script(errGateway, errGateway, errPaused)
	err = p.Do(context.Background(), Call{Endpoint: ep}, op)
	if api.KindOf(err) != api.KindChannelPaused || *runs != 3 {
		t.Errorf("yes→no: err=%v runs=%d", err, *runs)
	}
}

func TestDoRetryAfterLongerWins(t *testing.T) {
	p, clock := newPolicy(0)
	h := http.Header{}
	h.Set("Retry-After", "20")
	limited := api.Decode(ep, 429, h, nil, false)
	op, _ := script(limited, limited)
	if err := p.Do(context.Background(), Call{Endpoint: ep}, op); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(clock.Waits(), seconds(20, 20)) {
		t.Errorf("waits %v", clock.Waits())
	}
}

func TestDoDoesNotWriteToTheOpsError(t *testing.T) {
	p, _ := newPolicy(0)
	shared := apiErr(503, "")
	op, _ := script(shared, shared)
	_ = p.Do(context.Background(), Call{Endpoint: "GET /health"}, op)
	if shared.Attempt != 0 {
		t.Errorf("the op's error was modified: Attempt=%d", shared.Attempt)
	}
}

func TestDoValue(t *testing.T) {
	p, _ := newPolicy(0)
	v, err := DoValue(context.Background(), p, Call{Endpoint: ep}, func(_ context.Context, attempt int) (string, error) {
		if attempt < 3 {
			return "partial", errGateway
		}
		return "asset-1", nil
	})
	if err != nil || v != "asset-1" {
		t.Fatalf("v=%q err=%v", v, err)
	}
	v, err = DoValue(context.Background(), p, Call{Endpoint: ep}, func(context.Context, int) (string, error) {
		return "partial", errPaused
	})
	if v != "" || api.KindOf(err) != api.KindChannelPaused {
		t.Fatalf("v=%q err=%v", v, err)
	}
}

// blockingClock never fires: a test that needs to leave a wait must cancel.
type blockingClock struct{ waiting chan time.Duration }

func (c blockingClock) Now() time.Time { return time.Time{} }
func (c blockingClock) After(d time.Duration) <-chan time.Time {
	c.waiting <- d
	return make(chan time.Time)
}

func TestDoCancelDuringWaitReturnsPromptly(t *testing.T) {
	clock := blockingClock{waiting: make(chan time.Duration, 1)}
	p := Policy{Clock: clock, Rand: fixed(0)}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	op, runs := script(repeat(errGateway, 10)...)
	go func() { done <- p.Do(ctx, Call{Endpoint: ep}, op) }()
	if d := <-clock.waiting; d != 500*time.Millisecond {
		t.Errorf("first wait %v", d)
	}
	cancel(api.ErrUserCancelled)
	select {
	case err := <-done:
		e := mustAPIError(t, err)
		if e.Kind != api.KindCancelled || !errors.Is(e, api.ErrUserCancelled) || e.Attempt != 1 || *runs != 1 {
			t.Errorf("got %v (attempt %d, runs %d)", e, e.Attempt, *runs)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("Do did not return after cancel")
	}
}

func TestDoWithDoneContextDoesNotRun(t *testing.T) {
	p, _ := newPolicy(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	op, runs := script()
	err := p.Do(ctx, Call{Endpoint: ep}, op)
	if api.KindOf(err) != api.KindCancelled || *runs != 0 {
		t.Errorf("err=%v runs=%d", err, *runs)
	}
	ctx, stop := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer stop()
	if err := p.Do(ctx, Call{Endpoint: ep}, op); api.KindOf(err) != api.KindTimeout {
		t.Errorf("a past deadline: %v", err)
	}
}

func TestDoOpSeesCancellationAsCancelled(t *testing.T) {
	p, clock := newPolicy(0)
	ctx, cancel := context.WithCancelCause(context.Background())
	err := p.Do(ctx, Call{Endpoint: ep}, func(ctx context.Context, _ int) error {
		cancel(api.ErrUserCancelled) // the user pauses while the request runs
		return fmt.Errorf("Put: %w", context.Canceled)
	})
	if api.KindOf(err) != api.KindCancelled || len(clock.Waits()) != 0 {
		t.Errorf("err=%v waits=%v", err, clock.Waits())
	}
}

func TestDoUnauthorized(t *testing.T) {
	t.Run("refresh_then_repeat_succeeds", func(t *testing.T) {
		p, clock := newPolicy(0)
		hooks := 0
		op, runs := script(errNotAuth)
		err := p.Do(context.Background(), Call{Endpoint: ep, Unauthorized: func(_ context.Context, e *api.Error) error {
			hooks++
			if e.Kind != api.KindUnauthorizedClient || e.Attempt != 1 {
				t.Errorf("hook got %v", e)
			}
			return nil
		}}, op)
		if err != nil || hooks != 1 || *runs != 2 {
			t.Errorf("err=%v hooks=%d runs=%d", err, hooks, *runs)
		}
		if !slices.Equal(clock.Waits(), []time.Duration{0}) {
			t.Errorf("the repeat must not back off: %v", clock.Waits())
		}
	})
	t.Run("second_401_after_refresh_is_final", func(t *testing.T) {
		p, _ := newPolicy(0)
		hooks := 0
		op, runs := script(repeat(errNotAuth, 5)...)
		err := p.Do(context.Background(), Call{Endpoint: ep, Unauthorized: func(context.Context, *api.Error) error {
			hooks++
			return nil
		}}, op)
		e := mustAPIError(t, err)
		if e.Kind != api.KindUnauthorizedClient || e.Attempt != 2 || hooks != 1 || *runs != 2 {
			t.Errorf("err=%v attempt=%d hooks=%d runs=%d", e, e.Attempt, hooks, *runs)
		}
	})
	t.Run("hook_error_is_final", func(t *testing.T) {
		p, _ := newPolicy(0)
		op, runs := script(repeat(errNotAuth, 5)...)
		err := p.Do(context.Background(), Call{Endpoint: ep, Unauthorized: func(context.Context, *api.Error) error {
			return fmt.Errorf("refresh: %w", errReconnect)
		}}, op)
		e := mustAPIError(t, err)
		if !e.Effect.Has(api.EffectReconnect) || e.Attempt != 1 || *runs != 1 {
			t.Errorf("err=%v attempt=%d runs=%d", e, e.Attempt, *runs)
		}
		if errReconnect.Attempt != 0 {
			t.Error("the hook's error was modified")
		}
	})
	t.Run("no_hook_is_final", func(t *testing.T) {
		p, _ := newPolicy(0)
		op, runs := script(repeat(errNotAuth, 5)...)
		err := p.Do(context.Background(), Call{Endpoint: ep}, op)
		if api.KindOf(err) != api.KindUnauthorizedClient || *runs != 1 {
			t.Errorf("err=%v runs=%d", err, *runs)
		}
	})
	t.Run("a_later_401_may_refresh_again", func(t *testing.T) {
		p, _ := newPolicy(0)
		hooks := 0
		op, runs := script(errNotAuth, errGateway, errNotAuth)
		err := p.Do(context.Background(), Call{Endpoint: ep, Unauthorized: func(context.Context, *api.Error) error {
			hooks++
			return nil
		}}, op)
		if err != nil || hooks != 2 || *runs != 4 {
			t.Errorf("err=%v hooks=%d runs=%d", err, hooks, *runs)
		}
	})
}
