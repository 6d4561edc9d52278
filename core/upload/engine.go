package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// Client is the part of the API client the engine uses.
type Client interface {
	CreateAsset(ctx context.Context, accessToken string, r api.AssetRequest) (api.Asset, error)
	PutChunk(ctx context.Context, ch api.Chunk) error
}

// Authorizer runs calls that need the access token (auth.Manager).
type Authorizer interface {
	Do(ctx context.Context, endpoint string, op func(ctx context.Context, token string) error) error
	// ProjectOf is the project an access token uploads to.
	ProjectOf(ctx context.Context, token string) (Project, error)
}

// Project is where files go: the project the device is paired with.
type Project struct {
	ID   string
	Name string
}

// Config configures an Engine.
type Config struct {
	Journal  Journal
	Client   Client
	Auth     Authorizer
	Policy   retry.Policy
	Online   *retry.Gate // the connectivity gate
	AuthGate *retry.Gate // the auth gate, to tell a waiting file what it waits for
	Settings Settings
	// ReadOnly: the journal is another process's (it holds the data folder). Files are
	// shown as that process last wrote them; nothing may be run or changed.
	ReadOnly bool
	// OnEvent is told of every change. It must not block.
	OnEvent func(Event)
	Logger  *slog.Logger

	StallTimeout     time.Duration // a chunk that moves no byte this long is retried; 0 = 60 s
	SettleTime       time.Duration // a changed file must stay unchanged this long; 0 = 2 s
	URLMaxAge        time.Duration // older upload URLs are replaced by a new asset; 0 = 23 h
	ProgressInterval time.Duration // how often progress is published; 0 = 200 ms
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.OnEvent == nil {
		c.OnEvent = func(Event) {}
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 60 * time.Second
	}
	if c.SettleTime <= 0 {
		c.SettleTime = 2 * time.Second
	}
	if c.URLMaxAge <= 0 {
		c.URLMaxAge = 23 * time.Hour
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 200 * time.Millisecond
	}
	if c.Settings == (Settings{}) {
		c.Settings = DefaultSettings()
	}
}

// Engine is the upload queue and its worker pool.
type Engine struct {
	cfg     Config
	limiter *rate.Limiter
	wake    chan struct{}
	watches watchSet

	slots putSlots // chunk PUTs in flight over all files

	mu            sync.Mutex
	files         map[FileID]*entry
	order         []FileID
	settings      Settings
	running       int
	claimed       int       // PUT slots the running files want (their claims)
	lastChunkSize int64     // the part size of the last asset created, to guess claims
	slowUntil     time.Time // S3 asked to slow down: fewer chunks in flight until then
	dirty         bool      // totals need publishing
	busy          bool      // something ran since the last Finished event
	// project is the project the device is paired with now ("" ID: not known yet);
	// reassign is set when it changed and the queue must be looked over (holdOthers).
	project  Project
	reassign bool
	// diskFull is set while the journal's disk is full: no file starts.
	diskFull bool
	runCtx   context.Context // Run's context (nil before Run): waits for disk space end with it
}

// entry is a file in memory. wmu serialises its transitions (each is written to the
// journal before it is announced); pub serialises announcing it (see publish); mu guards
// the fields for quick reads.
type entry struct {
	wmu sync.Mutex
	pub sync.Mutex

	mu        sync.Mutex
	f         File
	done      []bool
	doneBytes int64
	detail    string
	running   bool
	cancel    context.CancelCauseFunc
	release   func() // gives the file's place in the pool to the next file (once)
	claim     int    // PUT slots this running file wants (see budget.go)
	stop      State  // what a user command decided for this running file
	remove    bool   // the user removed it while it ran
	meter     meter
	sent      map[int]int64 // bytes of chunks S3 took, in inflight until journaled

	inflight atomic.Int64 // bytes of chunks being sent now, or sent and not yet journaled
}

// ErrUnknownFile is returned by commands for an id that is not in the queue.
var ErrUnknownFile = errors.New("no such file in the queue")

// New makes an engine. Open must be called before it is used.
func New(cfg Config) *Engine {
	cfg.defaults()
	e := &Engine{
		cfg:      cfg,
		wake:     make(chan struct{}, 1),
		files:    map[FileID]*entry{},
		settings: cfg.Settings,
		limiter:  rate.NewLimiter(rate.Inf, 0),
	}
	e.applyBandwidth(cfg.Settings.BandwidthLimit)
	return e
}

// Open reads the journal back. Files that were being uploaded when the app stopped are
// queued again; they resume from their last finished chunk with the asset they had.
func (e *Engine) Open(ctx context.Context) error {
	recs, err := e.cfg.Journal.Load(ctx)
	if err != nil {
		return fmt.Errorf("reading the upload journal: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var newest time.Time // of the assets read back: the server's latest part size
	for _, r := range recs {
		ent := &entry{f: r.File}
		ent.done = make([]bool, r.File.ChunkCount())
		for _, i := range r.DoneChunks {
			if i >= 0 && i < len(ent.done) {
				ent.done[i] = true
				_, n := r.File.ChunkRange(i)
				ent.doneBytes += n
			}
		}
		switch ent.f.State {
		case Waiting, Creating, Uploading:
			if !e.cfg.ReadOnly {
				ent.f.State = Queued // in memory only: the next transition is written anyway
			}
		}
		e.files[ent.f.ID] = ent
		e.order = append(e.order, ent.f.ID)
		if ent.f.ChunkSize > 0 && !ent.f.URLsFetchedAt.Before(newest) {
			newest, e.lastChunkSize = ent.f.URLsFetchedAt, ent.f.ChunkSize
		}
	}
	e.dirty = true
	return nil
}

// Settings are the settings in force.
func (e *Engine) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings
}

// SetSettings changes the settings; parallel files apply at once, parallel chunks to the
// next file (and at once when lowered), the bandwidth limit at once.
func (e *Engine) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	e.settings = s
	e.mu.Unlock()
	e.applyBandwidth(s.BandwidthLimit)
	e.slots.wake()
	e.poke()
	return nil
}

func (e *Engine) applyBandwidth(limit int64) {
	if limit <= 0 {
		e.limiter.SetLimit(rate.Inf)
		return
	}
	e.limiter.SetBurst(int(max(limit/10, 64<<10)))
	e.limiter.SetLimit(rate.Limit(limit))
}

// throttle is the chunk readers' hook for the bandwidth limit; nil when unlimited so the
// fast path costs nothing.
func (e *Engine) throttle() func(context.Context, int) error {
	if e.limiter.Limit() == rate.Inf {
		return nil
	}
	return func(ctx context.Context, n int) error { return e.limiter.WaitN(ctx, min(n, e.limiter.Burst())) }
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run schedules uploads and publishes progress until ctx ends. Files in flight when it
// ends keep their journal state and resume on the next run.
func (e *Engine) Run(ctx context.Context) {
	e.mu.Lock()
	e.runCtx = ctx
	e.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.publishLoop(ctx) }()
	go func() { defer wg.Done(); e.watchdog(ctx) }()
	defer wg.Wait()
	var runners sync.WaitGroup
	defer runners.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := e.schedule(ctx, &runners)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
	}
}

// schedule starts files while there is room, oldest first: always ParallelFiles of
// them, and more while the files running claim fewer chunk PUTs than the budget (small
// files; see budget.go). It returns when the next retrying file is due.
func (e *Engine) schedule(ctx context.Context, runners *sync.WaitGroup) (next time.Time) {
	e.holdOthers(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.diskFull {
		return next // nothing starts that could not be written down
	}
	now := time.Now()
	budget := e.settings.ParallelFiles * e.settings.ParallelChunks
	for _, id := range e.order {
		if e.running >= budget {
			return next
		}
		ent := e.files[id]
		ent.mu.Lock()
		st, due, running := ent.f.State, ent.f.NextAttempt, ent.running
		ent.mu.Unlock()
		if running {
			continue
		}
		if st == Retrying && due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		if st != Queued && st != Retrying {
			continue
		}
		claim := e.claimOf(ent)
		if e.running >= e.settings.ParallelFiles && e.claimed+claim > budget {
			continue // a larger file waits for a place; a smaller one behind it may go
		}
		fctx, cancel := context.WithCancelCause(ctx)
		release := sync.OnceFunc(func() {
			e.mu.Lock()
			e.running--
			ent.mu.Lock()
			e.claimed -= ent.claim
			ent.claim = 0
			ent.mu.Unlock()
			e.mu.Unlock()
			e.poke()
		})
		ent.mu.Lock()
		ent.running, ent.cancel, ent.release, ent.stop, ent.remove = true, cancel, release, "", false
		ent.claim = claim
		ent.mu.Unlock()
		e.claimed += claim
		e.running++
		e.busy = true
		runners.Add(1)
		go func() {
			defer runners.Done()
			e.runFile(fctx, ent)
			cancel(nil)
			ent.settleProgress()
			e.mu.Lock()
			ent.mu.Lock()
			ent.running, ent.cancel, ent.release = false, nil, nil
			ent.mu.Unlock()
			e.dirty = true
			e.mu.Unlock()
			release()
		}()
	}
	return next
}

func (e *Engine) lookup(id FileID) (*entry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.files[id]
	if ent == nil {
		return nil, ErrUnknownFile
	}
	return ent, nil
}

// IDs lists the queue, oldest first.
func (e *Engine) IDs() []FileID {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]FileID(nil), e.order...)
}
