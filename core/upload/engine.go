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
	// CreateRealtimeAsset and RealtimeParts upload a file as it is written
	// (docs/api-notes.md §3.6).
	CreateRealtimeAsset(ctx context.Context, accessToken string, r api.RealtimeAssetRequest) (api.Asset, error)
	RealtimeParts(ctx context.Context, accessToken, assetID string, parts []api.Part, fileSize int64) ([]string, error)
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
	// OnEvent is told of every change, from one goroutine, in order. It must not block.
	OnEvent func(Event)
	Logger  *slog.Logger

	StallTimeout     time.Duration // a chunk that moves no byte this long is retried; 0 = 60 s
	SettleTime       time.Duration // a changed file must stay unchanged this long; 0 = 2 s
	URLMaxAge        time.Duration // older upload URLs are replaced by a new asset; 0 = 23 h
	ProgressInterval time.Duration // how often progress is published; 0 = 200 ms
	// Now is the wall clock the bandwidth schedule and the list's keep-finished (prune,
	// against the files' DoneAt) read (a test's stand-in); nil: the system's.
	Now func() time.Time
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
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Engine is the upload queue and its worker pool.
//
// One goroutine, the owner (owner.go), holds the queue: the files, their order, which of
// them run, the budget of requests in flight, the settings, the project and the stop for
// a full disk. Everything else reaches it by message: a front end's command, and the news
// of each upload attempt (attempt.go), which does the slow work — reading the file,
// sending it, writing the journal — with a state of its own. Only the owner changes the
// queue and only the owner announces, so the events of a file leave in the order its
// changes happened, without a lock per file. The bytes an attempt has sent are the one
// counter shared across goroutines.
type Engine struct {
	cfg     Config
	inbox   chan func(*owner)
	closed  chan struct{}
	close   sync.Once
	limiter *rate.Limiter // the bandwidth limit, shared by every chunk reader
	watches watchSet
	// sent counts every byte handed to the network, over all files: the queue's rate.
	// A counter like each attempt's, written by the chunk readers, read by the owner.
	sent atomic.Int64
}

// ErrUnknownFile is returned by commands for an id that is not in the queue.
var ErrUnknownFile = errors.New("no such file in the queue")

// ErrClosed is returned by the commands of an engine that was closed.
var ErrClosed = errors.New("the upload queue is closed")

// New makes an engine and starts its owner. Open reads the queue in.
func New(cfg Config) *Engine {
	cfg.defaults()
	e := &Engine{
		cfg:     cfg,
		inbox:   make(chan func(*owner), 256),
		closed:  make(chan struct{}),
		limiter: rate.NewLimiter(rate.Inf, 0),
	}
	o := newOwner(e)
	o.applyLimit()
	go o.loop()
	return e
}

// Close stops the owner; commands then fail with ErrClosed. Run must have returned.
func (e *Engine) Close() { e.close.Do(func() { close(e.closed) }) }

// send hands m to the owner; false once the engine is closed.
func (e *Engine) send(m func(*owner)) bool {
	select {
	case e.inbox <- m:
		return true
	case <-e.closed:
		return false
	}
}

// ask runs m on the owner and returns what it returned.
func ask[T any](e *Engine, m func(*owner) T) (T, error) {
	reply := make(chan T, 1)
	var zero T
	if !e.send(func(o *owner) { reply <- m(o) }) {
		return zero, ErrClosed
	}
	select {
	case v := <-reply:
		return v, nil
	case <-e.closed:
		return zero, ErrClosed
	}
}

// askErr is ask for a message that returns only an error.
func (e *Engine) askErr(m func(*owner) error) error {
	err, cerr := ask(e, m)
	if cerr != nil {
		return cerr
	}
	return err
}

// Open reads the journal back. Files that were being uploaded when the app stopped are
// queued again; they resume from their last finished chunk with the asset they had.
func (e *Engine) Open(ctx context.Context) error {
	recs, err := e.cfg.Journal.Load(ctx)
	if err != nil {
		return fmt.Errorf("reading the upload journal: %w", err)
	}
	return e.askErr(func(o *owner) error { o.load(recs); return nil })
}

// Run uploads the queue and publishes progress until ctx ends. Files in flight when it
// ends keep their journal state and resume on the next run; Run returns once their
// attempts have ended.
func (e *Engine) Run(ctx context.Context) {
	if err := e.askErr(func(o *owner) error { return o.start(ctx) }); err != nil {
		e.cfg.Logger.Error("the upload queue did not start", "err", err)
		return
	}
	go e.watchdog(ctx)
	<-ctx.Done()
	attempts, err := ask(e, func(o *owner) *sync.WaitGroup { return o.stop() })
	if err == nil {
		attempts.Wait()
		// Each attempt's last word (ended: the file written done, its event published)
		// is a message to the owner sent just before the attempt counts itself out; the
		// inbox keeps order, so once this asks back they have all been taken in
		// (TestWatchStoppedWhileTheLastChunksAreInFlightRecordsTheFileDone).
		_, _ = ask(e, func(*owner) struct{} { return struct{}{} })
	}
}

// Settings are the settings in force.
func (e *Engine) Settings() Settings {
	s, err := ask(e, func(o *owner) Settings { return o.settings })
	if err != nil {
		return e.cfg.Settings
	}
	return s
}

// SetSettings changes the settings; parallel files apply at once, parallel chunks to the
// next file (and at once when lowered), the bandwidth limit and schedule at once.
func (e *Engine) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return e.askErr(func(o *owner) error { o.setSettings(s); return nil })
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

// Snapshot returns every file and the totals, for a front end that starts or catches up.
func (e *Engine) Snapshot() ([]FileView, Totals) {
	type snap struct {
		views  []FileView
		totals Totals
	}
	s, _ := ask(e, func(o *owner) snap { v, t := o.snapshot(); return snap{v, t} })
	return s.views, s.totals
}
