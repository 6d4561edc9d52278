package retry

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

func TestGateState(t *testing.T) {
	g := NewGate("connectivity", true)
	if !g.IsOpen() || g.Reason() != "" || g.Name() != "connectivity" {
		t.Fatal("a new open gate")
	}
	g.Close("offline")
	g.Close("offline: health check failed") // closing twice keeps one closed gate, newest reason
	if g.IsOpen() || g.Reason() != "offline: health check failed" {
		t.Fatalf("closed: open=%v reason=%q", g.IsOpen(), g.Reason())
	}
	g.Open()
	g.Open()
	if !g.IsOpen() || g.Reason() != "" {
		t.Fatal("reopened")
	}
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestGateWaitCancelled(t *testing.T) {
	g := NewGate("auth", false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v", err)
	}
	open := NewGate("auth", true)
	if err := open.Wait(ctx); err != nil {
		t.Fatalf("an open gate lets a call through even with a done ctx: %v", err)
	}
}

func TestGateReleasesManyWaitersAtOnce(t *testing.T) {
	g := NewGate("connectivity", false)
	const n = 50
	var started, done sync.WaitGroup
	released := make(chan int, n)
	for i := range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			if err := g.Wait(context.Background()); err != nil {
				t.Error(err)
			}
			released <- i
		}()
	}
	started.Wait()
	if len(released) != 0 {
		t.Fatal("a waiter passed a closed gate")
	}
	g.Open()
	done.Wait()
	if len(released) != n {
		t.Fatalf("%d of %d waiters released", len(released), n)
	}
}

func TestGateConcurrentUse(t *testing.T) {
	g := NewGate("auth", true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if (i+j)%2 == 0 {
					g.Close("refreshing")
				} else {
					g.Open()
				}
				_ = g.IsOpen()
				_ = g.Reason()
			}
		})
	}
	wg.Wait()
	g.Open()
	if err := g.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// A call waits at a closed gate without using attempts: a "no" call still runs once.
func TestDoWaitsAtClosedGate(t *testing.T) {
	p, clock := newPolicy(0)
	g := NewGate("auth", false)
	done := make(chan error, 1)
	ran := make(chan int, 1)
	go func() {
		done <- p.Do(context.Background(), Call{Endpoint: ep, Gates: []*Gate{g}}, func(_ context.Context, attempt int) error {
			if !g.IsOpen() {
				t.Error("op ran while the gate was closed")
			}
			ran <- attempt
			return errPaused
		})
	}()
	select {
	case <-ran:
		t.Fatal("op ran before the gate opened")
	case <-done:
		t.Fatal("Do returned before the gate opened")
	default:
	}
	g.Open()
	if attempt := <-ran; attempt != 1 {
		t.Errorf("first attempt numbered %d", attempt)
	}
	if err := <-done; api.KindOf(err) != api.KindChannelPaused {
		t.Errorf("err = %v", err)
	}
	if len(clock.Waits()) != 0 {
		t.Errorf("waits %v", clock.Waits())
	}
}

// The connection monitor closes the gate from OnError; the backoff is skipped and the
// call waits at the gate instead until the health check reopens it.
func TestDoDisconnectWaitsAtGateInsteadOfBackoff(t *testing.T) {
	p, clock := newPolicy(0)
	conn := NewGate("connectivity", true)
	var reopen sync.WaitGroup
	defer reopen.Wait()
	clock.OnAfter = func(time.Duration) {
		// The delay is chosen by now; the health check succeeds a moment later.
		reopen.Go(conn.Open)
	}
	op, runs := script(repeat(errConnRefuse, 7)...)
	err := p.Do(context.Background(), Call{
		Endpoint: ep,
		Gates:    []*Gate{conn},
		OnError: func(e *api.Error) {
			if e.Effect.Has(api.EffectDisconnect) {
				conn.Close("offline")
			}
		},
	}, func(ctx context.Context, attempt int) error {
		if !conn.IsOpen() {
			t.Error("op ran while offline")
		}
		return op(ctx, attempt)
	})
	if err != nil || *runs != 8 {
		t.Fatalf("err=%v runs=%d", err, *runs)
	}
	if want := make([]time.Duration, 7); !slices.Equal(clock.Waits(), want) {
		t.Fatalf("backoff ran although the gate was closed: %v", clock.Waits())
	}
}

func TestDoBacksOffWhenGateStaysOpen(t *testing.T) {
	p, clock := newPolicy(0)
	conn := NewGate("connectivity", true)
	op, _ := script(errConnRefuse, errGateway)
	if err := p.Do(context.Background(), Call{Endpoint: ep, Gates: []*Gate{conn, nil}}, op); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(clock.Waits(), seconds(0.5, 1)) {
		t.Errorf("waits %v", clock.Waits())
	}
}

func TestDoCancelledAtGate(t *testing.T) {
	p, _ := newPolicy(0)
	g := NewGate("connectivity", false)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	op, runs := script()
	go func() { done <- p.Do(ctx, Call{Endpoint: ep, Gates: []*Gate{g}}, op) }()
	cancel(api.ErrUserCancelled)
	select {
	case err := <-done:
		if api.KindOf(err) != api.KindCancelled || *runs != 0 {
			t.Errorf("err=%v runs=%d", err, *runs)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("Do did not return after cancel")
	}
}

func TestManyCallsReleasedTogether(t *testing.T) {
	p, _ := newPolicy(0)
	g := NewGate("auth", false)
	const n = 30
	var mu sync.Mutex
	runs := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := p.Do(context.Background(), Call{Endpoint: ep, Gates: []*Gate{g}}, func(context.Context, int) error {
				mu.Lock()
				runs++
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	g.Open()
	wg.Wait()
	if runs != n {
		t.Fatalf("%d of %d calls ran", runs, n)
	}
}
