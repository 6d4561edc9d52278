// Package desktop is the Fyne window: the pairing view, the queue with its banner and
// totals, dialogs, settings and the system tray. One presenter is the only place where
// the service's events meet widgets: it coalesces them and applies them on Fyne's
// goroutine. Nothing here waits on the network or the disk.
package desktop

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// Service is what the window needs of core.Service.
type Service interface {
	Subscribe() *core.Subscription
	Pair(ctx context.Context) error
	CancelPairing()
	Unpair(ctx context.Context) (core.UnpairResult, error)
	Add(ctx context.Context, paths []string, opts core.AddOptions) (core.AddResult, error)
	Start(ctx context.Context, sel core.Selector) error
	Move(ctx context.Context, sel core.Selector, to core.Place) error
	Pause(ctx context.Context, sel core.Selector) error
	Resume(ctx context.Context, sel core.Selector) error
	Retry(ctx context.Context, sel core.Selector) error
	Cancel(ctx context.Context, sel core.Selector) error
	Remove(ctx context.Context, id core.FileID) error
	Redirect(ctx context.Context, sel core.Selector) error
	UploadAnyway(ctx context.Context, sel core.Selector) error
	ClearFinished(ctx context.Context) error
	Settings() core.Settings
	SetSettings(s core.Settings) error
	CheckConnectionNow()
	Verify(ctx context.Context, paths []string) ([]core.VerifyResult, []string, error)
}

// minApplyGap keeps the window at no more than ~10 updates a second however fast the
// engine reports.
const minApplyGap = 100 * time.Millisecond

// presenter drains the service's events and applies them to the window, and runs the
// user's commands in order on a goroutine of its own.
type presenter struct {
	svc   Service
	ui    *UI
	sub   *core.Subscription
	apply func([]core.Event) // runs on Fyne's goroutine
	tick  func()             // once a second, on Fyne's goroutine: countdowns

	mu      sync.Mutex
	pending []command
	wake    chan struct{}

	wg sync.WaitGroup // the goroutines started here
}

type command struct {
	run     func(ctx context.Context) error
	failure string // what to tell the user if run fails
}

func newPresenter(svc Service) *presenter {
	return &presenter{svc: svc, wake: make(chan struct{}, 1)}
}

// start subscribes and runs the event and command loops until ctx ends.
func (p *presenter) start(ctx context.Context) {
	p.sub = p.svc.Subscribe()
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.events(ctx) }()
	go func() { defer p.wg.Done(); p.commands(ctx) }()
}

func (p *presenter) events(ctx context.Context) {
	defer p.sub.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fyne.Do(p.tick)
		case <-p.sub.Ready():
			if wait := minApplyGap - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			last = time.Now()
			evs := p.sub.Drain()
			if len(evs) > 0 {
				fyne.Do(func() { p.apply(evs) })
			}
		}
	}
}

// do queues a command; it runs after the ones before it, never on Fyne's goroutine.
func (p *presenter) do(failure string, run func(ctx context.Context) error) {
	p.mu.Lock()
	p.pending = append(p.pending, command{run: run, failure: failure})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *presenter) commands(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			if len(p.pending) == 0 {
				p.mu.Unlock()
				break
			}
			c := p.pending[0]
			p.pending = p.pending[1:]
			p.mu.Unlock()
			if err := c.run(ctx); err != nil && ctx.Err() == nil {
				msg := c.failure
				fyne.Do(func() { p.ui.showError(msg, err) })
			}
		}
	}
}

// offUI runs work off Fyne's goroutine (it reads the disk) and then, on Fyne's
// goroutine, what work returns — unless the window has stopped meanwhile. Wait waits
// for it.
func (p *presenter) offUI(ctx context.Context, work func() func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		then := work()
		if ctx != nil && ctx.Err() != nil {
			return
		}
		fyne.Do(then)
	}()
}

// background runs a long call (pairing) beside the command queue.
func (p *presenter) background(ctx context.Context, run func(ctx context.Context)) {
	p.wg.Add(1)
	go func() { defer p.wg.Done(); run(ctx) }()
}
