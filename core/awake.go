package core

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Awake keeps the computer from sleeping while files upload. platform/awake implements it
// for each system (logind or the desktop's inhibitor over D-Bus on Linux,
// SetThreadExecutionState on Windows); main wires it in (Config.Awake).
type Awake interface {
	// Hold keeps the computer awake until release is called. reason is shown where the
	// desktop lists what keeps it awake: "Uploading 12 files to Feature Film". Holding
	// again before releasing is allowed (the service takes the new hold, then lets go of
	// the old one, to change the reason shown).
	Hold(reason string) (release func(), err error)
}

// DefaultAwakeRefresh is the least time between two changes of the reason shown while the
// computer is kept awake: each change takes a new hold, and files finishing one after
// another would otherwise take one each.
const DefaultAwakeRefresh = 10 * time.Second

// keeper holds the computer awake while the queue has work the engine is doing, and lets
// go when it is idle, all paused, waiting for room on the disk, when keep-awake is turned
// off, or when the run ends. The service tells it what changed (totals, the project, the
// setting); its goroutine, started by Run, is the only one that holds and releases, so a
// slow D-Bus never holds up the engine's owner, which tells it the totals.
type keeper struct {
	awake   Awake // nil: nothing is held
	logger  *slog.Logger
	refresh time.Duration
	kick    chan struct{} // something changed; the goroutine looks (one waiting is enough)

	mu      sync.Mutex
	enabled bool // the keep-awake setting
	totals  upload.Totals
	project string
	want    string        // the reason the computer should be kept awake for; "" none
	idle    int           // how many times want turned "": the queue went idle
	done    chan struct{} // closed when the goroutine of the run has let go and returned
}

func newKeeper(a Awake, logger *slog.Logger, refresh time.Duration, enabled bool) *keeper {
	if refresh <= 0 {
		refresh = DefaultAwakeRefresh
	}
	return &keeper{awake: a, logger: logger, refresh: refresh, kick: make(chan struct{}, 1), enabled: enabled}
}

// awakeReason is why the computer should be kept awake ("" when it need not be): files
// remain that the engine works on (uploading, creating, queued, waiting for the
// connection, retrying), not all paused, and the disk has room for the journal.
func awakeReason(enabled bool, t upload.Totals, project string) string {
	if !enabled || t.FilesRemaining == 0 || t.Paused || t.DiskFull {
		return ""
	}
	r := "Uploading " + format.Count(t.FilesRemaining, "file")
	if project != "" {
		r += " to " + project
	}
	return r
}

// update changes what the keeper knows and, when that changes what it wants, wakes its
// goroutine. It never blocks: the engine's owner calls it.
func (k *keeper) update(change func(k *keeper)) {
	k.mu.Lock()
	change(k)
	want := awakeReason(k.enabled, k.totals, k.project)
	changed := want != k.want
	if changed && want == "" {
		k.idle++
	}
	k.want = want
	k.mu.Unlock()
	if changed {
		select {
		case k.kick <- struct{}{}:
		default:
		}
	}
}

func (k *keeper) setTotals(t upload.Totals) { k.update(func(k *keeper) { k.totals = t }) }
func (k *keeper) setProject(p string)       { k.update(func(k *keeper) { k.project = p }) }
func (k *keeper) setEnabled(on bool)        { k.update(func(k *keeper) { k.enabled = on }) }

func (k *keeper) wanted() (want string, idle int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.want, k.idle
}

// start runs the keeper's goroutine until ctx ends; it lets go of any hold before it
// returns. Without an Awake nothing runs.
func (k *keeper) start(ctx context.Context) {
	if k.awake == nil {
		return
	}
	done := make(chan struct{})
	k.mu.Lock()
	k.done = done
	k.mu.Unlock()
	go func() {
		defer close(done)
		k.run(ctx)
	}()
}

// wait waits until the goroutine of the run has let go (Shutdown).
func (k *keeper) wait(ctx context.Context) error {
	k.mu.Lock()
	done := k.done
	k.mu.Unlock()
	return waitClosed(ctx, done)
}

func (k *keeper) run(ctx context.Context) {
	var (
		release func()
		held    string    // the reason of the hold in force
		since   time.Time // when it was taken
		// failed: nothing could keep the computer awake; tried again once the queue has
		// been idle since (idle moved on from failedAt), not at each change of the reason.
		failed   bool
		failedAt int
		told     bool // that nothing keeps the computer awake was logged (once a run)
		later    *time.Timer
		due      <-chan time.Time // the reason may change (refresh after since)
	)
	defer func() {
		if later != nil {
			later.Stop()
		}
		if release != nil {
			release()
			k.logger.Info("the computer may sleep again: the run ended")
		}
	}()
	for {
		want, idle := k.wanted()
		if failed && idle != failedAt {
			failed = false
		}
		switch {
		case want == "":
			if release != nil {
				release()
				release, held = nil, ""
				k.logger.Info("the computer may sleep again: no upload runs")
			}
		case failed:
		case release == nil:
			r, err := k.awake.Hold(want)
			if err != nil {
				failed, failedAt = true, idle
				if !told {
					told = true
					k.logger.Info("nothing keeps the computer awake while files upload: it may sleep", "err", err)
				} else {
					k.logger.Debug("the computer could not be kept awake", "err", err)
				}
				break
			}
			release, held, since = r, want, time.Now()
			k.logger.Info("keeping the computer awake while files upload", "reason", want)
		case want != held:
			if wait := k.refresh - time.Since(since); wait > 0 {
				if due == nil {
					if later == nil {
						later = time.NewTimer(wait)
					} else {
						later.Reset(wait)
					}
					due = later.C
				}
				break
			}
			since = time.Now() // a hold that fails is not asked again at once
			r, err := k.awake.Hold(want)
			if err != nil {
				k.logger.Debug("the reason the computer is kept awake could not be changed", "err", err)
				break
			}
			release()
			release, held = r, want
			k.logger.Debug("the reason the computer is kept awake changed", "reason", want)
		}
		select {
		case <-ctx.Done():
			return
		case <-k.kick:
		case <-due:
			due = nil
		}
	}
}
