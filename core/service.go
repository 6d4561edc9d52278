// Package core is the engine of the uploader, behind one facade: the Service takes
// commands from a front end (pair, add, pause...) and tells every front end what changed
// through one event stream. It never imports a UI, a SQL driver or a keychain library:
// main wires the store's implementations in.
package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/ingest"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// HeartbeatInterval is how often the device tells the project it is online (the API
// marks it offline after 5 minutes of silence; its guide suggests 2 minutes).
const HeartbeatInterval = 2 * time.Minute

// Config wires a Service.
type Config struct {
	APIURL        string
	ClientVersion string
	Credentials   api.Credentials
	Tokens        auth.TokenStore
	// Revocations keeps a pairing an unpair could not revoke (offline) until the API is
	// reached; nil: such a pairing is dropped.
	Revocations auth.TokenStore
	// Pairings remembers which project the installation is paired with (the data
	// folder's record); nil: not remembered.
	Pairings auth.Recorder
	Journal  upload.Journal
	// ReadOnly: the journal belongs to another process; this service only reads it.
	ReadOnly bool
	Settings Settings // zero: DefaultSettings
	Logger   *slog.Logger
	// ReportsDir is where batches' receipts go (reports, and hash lists that may not be
	// written beside the media); "" writes none.
	ReportsDir string
	// Awake keeps the computer from sleeping while files upload (with the keep-awake
	// setting); nil: nothing does.
	Awake Awake
	// WatchCards: Run follows the volumes mounted and offers the camera cards among
	// them (the window, `watch`; the cards setting says what happens).
	WatchCards bool

	// Knobs for tests and the field trial; zero values are the product's.
	Policy    retry.Policy
	Transport *http.Transport
	Timeouts  api.Timeouts
	Upload    UploadTuning
	Heartbeat time.Duration
	// AwakeRefresh is the least time between two changes of the reason the computer is
	// kept awake for (zero: DefaultAwakeRefresh).
	AwakeRefresh time.Duration
}

// UploadTuning passes engine timings through (zero: defaults).
type UploadTuning struct {
	StallTimeout, SettleTime, URLMaxAge, ProgressInterval time.Duration
	// Now is the wall clock of the bandwidth schedule (a test's stand-in); nil: the
	// system's.
	Now func() time.Time
}

// Queue is what a front end that queues files and follows them to their end needs of
// the service: `upload` in this process, or in another one through the window that holds
// the data folder (ui/control serves it and its client offers it).
type Queue interface {
	Subscribe() *Subscription
	Add(ctx context.Context, paths []string, opts AddOptions) (AddResult, error)
	Start(ctx context.Context, sel Selector) error
	Retry(ctx context.Context, sel Selector) error
	Resume(ctx context.Context, sel Selector) error
	Redirect(ctx context.Context, sel Selector) error
	UploadAnyway(ctx context.Context, sel Selector) error
	Move(ctx context.Context, sel Selector, to Place) error
	Snapshot() ([]FileView, Totals)
	AuthStatus() AuthStatus
}

var _ Queue = (*Service)(nil)

// Service is the facade the front ends use.
type Service struct {
	cfg     Config
	client  *api.Client
	monitor *conn.Monitor
	auth    *auth.Manager
	engine  *upload.Engine
	bus     bus
	awake   *keeper

	mu         sync.Mutex
	sticky     []Alert // start-up problems, told to every new subscriber
	pairCancel context.CancelFunc
	// The connection's run (RunConnection, Run): its context, and done, closed once its
	// goroutines have returned; nil when none runs.
	connCtx      context.Context
	connDone     chan struct{}
	uploading    bool // the engine runs (Run)
	lastPairing  Pairing
	receipts     *receipts     // while the receipts' goroutine runs
	engineDone   chan struct{} // closed when the engine's Run has returned
	watcher      *ingest.Watcher
	stopWatching context.CancelFunc
}

// New wires the client, the connection monitor, the token manager and the engine.
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = HeartbeatInterval
	}
	if cfg.Settings == (Settings{}) {
		cfg.Settings = DefaultSettings()
	}
	s := &Service{cfg: cfg}
	s.awake = newKeeper(cfg.Awake, cfg.Logger, cfg.AwakeRefresh, cfg.Settings.KeepAwake)
	s.monitor = conn.New(conn.Config{
		Policy: cfg.Policy,
		OnChange: func(st conn.Status) {
			c := connection(st)
			s.bus.publish(Event{Type: EventConnection, Connection: &c})
		},
		Logger: cfg.Logger,
	})
	client, err := api.New(api.Config{
		BaseURL: cfg.APIURL, ClientVersion: cfg.ClientVersion,
		Online: s.monitor.Gate(), Observe: s.monitor.Observe,
		Transport: cfg.Transport, Timeouts: cfg.Timeouts, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.client = client
	s.monitor.SetHealth(client)
	s.auth = auth.New(auth.Config{
		API: client, Credentials: cfg.Credentials, Store: cfg.Tokens, Policy: cfg.Policy,
		Revocations: cfg.Revocations, Record: cfg.Pairings,
		Online: s.monitor.Gate(), Logger: cfg.Logger,
		OnChange: s.authChanged,
	})
	s.engine = upload.New(upload.Config{
		Journal: cfg.Journal, Client: client, Auth: authorizer{s.auth}, Policy: cfg.Policy,
		Online: s.monitor.Gate(), AuthGate: s.auth.Gate(), Settings: cfg.Settings.Upload(), ReadOnly: cfg.ReadOnly,
		Logger: cfg.Logger, OnEvent: s.engineEvent,
		StallTimeout: cfg.Upload.StallTimeout, SettleTime: cfg.Upload.SettleTime,
		URLMaxAge: cfg.Upload.URLMaxAge, ProgressInterval: cfg.Upload.ProgressInterval, Now: cfg.Upload.Now,
	})
	return s, nil
}

// Subscribe opens an event stream. The first events describe the present: pairing,
// connection, every file and the totals.
func (s *Service) Subscribe() *Subscription {
	sub := s.bus.subscribe()
	st := s.AuthStatus()
	sub.push(coalesceKey(Event{Type: EventAuth}), Event{Type: EventAuth, Auth: &st})
	cs := s.Connection()
	sub.push(coalesceKey(Event{Type: EventConnection}), Event{Type: EventConnection, Connection: &cs})
	views, totals := s.Snapshot()
	for i := range views {
		sub.push(fileKey(views[i].ID), Event{Type: EventFile, File: &views[i]})
	}
	sub.push(coalesceKey(Event{Type: EventTotals}), Event{Type: EventTotals, Totals: &totals})
	s.mu.Lock()
	for i := range s.sticky {
		sub.push("", Event{Type: EventAlert, Alert: &s.sticky[i]})
	}
	s.mu.Unlock()
	return sub
}

// Warn reports a start-up problem (a damaged journal moved aside, a missing keychain):
// every front end that subscribes, now or later, is told.
func (s *Service) Warn(a Alert) {
	s.mu.Lock()
	s.sticky = append(s.sticky, a)
	s.mu.Unlock()
	s.alert(a)
}

// Load reads the queue from the journal and the pairing from the keychain, without
// starting anything. A keychain that cannot be read is reported as an alert (and
// returned); the app then runs unpaired.
func (s *Service) Load(ctx context.Context) (keychainErr error, err error) {
	if err := s.engine.Open(ctx); err != nil {
		return nil, err
	}
	if err := s.auth.Load(ctx); err != nil && !errors.Is(err, auth.ErrNoTokens) {
		s.cfg.Logger.Warn("the pairing could not be read from the keychain", "err", err)
		s.Warn(Alert{Kind: AlertKeychain, Message: err.Error()})
		return err, nil
	}
	return nil, nil
}

// ReloadPairing reads the pairing from the token store again: the store could not be
// read at start (the token file's passphrase was not known yet).
func (s *Service) ReloadPairing(ctx context.Context) error {
	err := s.auth.Load(ctx)
	if errors.Is(err, auth.ErrNoTokens) {
		return nil
	}
	return err
}

// KeepPairing writes the pairing in use to the token store again (it moved: a token file
// in place of a missing keychain), so that it survives a restart.
func (s *Service) KeepPairing(ctx context.Context) error { return s.auth.Keep(ctx) }

// Run runs the loaded service until ctx ends: the connection monitor, token renewal,
// the heartbeat and the upload engine. After a RunConnection whose context has ended (a
// run that pairs first, as `--demo upload` does), the connection starts again under
// Run's context.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.uploading {
		s.mu.Unlock()
		return errAlreadyRunning
	}
	s.uploading = true
	s.mu.Unlock()
	if err := s.RunConnection(ctx); err != nil {
		s.mu.Lock()
		s.uploading = false
		s.mu.Unlock()
		return err
	}
	engineDone := make(chan struct{})
	s.mu.Lock()
	s.engineDone = engineDone
	s.mu.Unlock()
	go func() { defer close(engineDone); s.engine.Run(ctx) }()
	s.awake.setProject(s.auth.Status().ProjectName)
	s.awake.start(ctx)
	s.runReceipts(ctx)
	go s.runWatch(ctx)
	if s.cfg.WatchCards {
		go s.runCards(ctx)
	}
	return nil
}

var errAlreadyRunning = errors.New("the service is already running")

// RunConnection runs all but the uploads: the connection monitor, token renewal and the
// heartbeat (for `pair`, which must not start uploading the queue), until ctx ends. A
// connection whose context has ended is waited for, then started again.
func (s *Service) RunConnection(ctx context.Context) error {
	s.mu.Lock()
	if prev, done := s.connCtx, s.connDone; prev != nil {
		s.mu.Unlock()
		if prev.Err() == nil {
			return errAlreadyRunning
		}
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		if s.connCtx != nil {
			s.mu.Unlock()
			return errAlreadyRunning // another run started it meanwhile
		}
	}
	done := make(chan struct{})
	s.connCtx, s.connDone = ctx, done
	s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { s.monitor.Run(ctx) })
	wg.Go(func() { s.auth.Run(ctx) })
	wg.Go(func() { conn.Heartbeat(ctx, s.cfg.Policy.Clock, s.cfg.Heartbeat, s.heartbeat, s.cfg.Logger) })
	go func() {
		wg.Wait()
		s.mu.Lock()
		s.connCtx, s.connDone = nil, nil
		s.mu.Unlock()
		close(done)
	}()
	return nil
}

// Probe checks now whether the API answers and, when paired, which project the device
// is in; for `status`, which must not start uploads.
func (s *Service) Probe(ctx context.Context) (online bool, reason string, st AuthStatus) {
	if err := s.client.Health(ctx); err != nil {
		e := api.Classify(ctx, api.EndpointHealth, err)
		return false, e.UserMessage(), s.AuthStatus()
	}
	// The API answers: a revocation an unpair could not send goes now.
	s.auth.RevokePending(ctx)
	if s.auth.Status().State == auth.Paired {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := s.auth.RefreshDevice(ctx); err != nil {
			e := api.Classify(ctx, api.EndpointMe, err)
			return true, e.UserMessage(), s.AuthStatus()
		}
	}
	return true, "", s.AuthStatus()
}

// ConfirmPairing asks the API which project the device is in now (refreshing the tokens
// if need be): a pairing the project no longer accepts turns into needs-reconnect.
func (s *Service) ConfirmPairing(ctx context.Context) error { return s.auth.RefreshDevice(ctx) }

func (s *Service) heartbeat(ctx context.Context) error {
	return s.auth.Do(ctx, api.EndpointHeartbeat, func(ctx context.Context, token string) error {
		return s.client.Heartbeat(ctx, token)
	})
}

func (s *Service) alert(a Alert) { s.bus.publish(Event{Type: EventAlert, Alert: &a}) }

// authorizer is the token manager as the engine sees it.
type authorizer struct{ *auth.Manager }

func (a authorizer) ProjectOf(ctx context.Context, token string) (upload.Project, error) {
	p, err := a.Manager.ProjectOf(ctx, token)
	return upload.Project{ID: p.ID, Name: p.Name}, err
}

func (s *Service) authChanged(st auth.Status) {
	// Files queued from now on are meant for this project (none while it is not known:
	// they go to the project the next asset is made in); files meant for another are
	// held (upload.Engine.SetProject).
	s.engine.SetProject(upload.Project{ID: st.ProjectID, Name: st.ProjectName})
	s.awake.setProject(st.ProjectName)
	view := authStatus(st)
	s.bus.publish(Event{Type: EventAuth, Auth: &view})
	if st.State != auth.NeedsReconnect {
		return
	}
	kind := AlertReconnect
	if st.Cause != nil {
		switch st.Cause.Kind {
		case api.KindInvalidClient:
			kind = AlertClientRejected
		case api.KindInvalidClientVersion:
			kind = AlertVersionRejected
		}
	}
	s.alert(Alert{Kind: kind, Message: st.Reason})
}

func (s *Service) engineEvent(ev upload.Event) {
	switch {
	case ev.File != nil:
		v := fileView(*ev.File)
		s.bus.publish(Event{Type: EventFile, File: &v})
	case ev.Totals != nil:
		s.awake.setTotals(*ev.Totals)
		t := totals(*ev.Totals)
		s.bus.publish(Event{Type: EventTotals, Totals: &t})
	case ev.Alert != nil:
		s.alert(Alert{Kind: ev.Alert.Kind, Message: ev.Alert.Message, Files: ev.Alert.Files})
	case ev.Finished != nil:
		s.awake.setTotals(*ev.Finished)
		t := totals(*ev.Finished)
		s.bus.publish(Event{Type: EventFinished, Finished: &t})
	case ev.Removed != 0:
		s.bus.publish(Event{Type: EventRemoved, Removed: ev.Removed})
	}
}

// Shutdown lets work that must not be cut finish before the process exits: the engine's
// attempts writing how they ended, a token refresh under way (its answer carries the only
// valid tokens), the receipts of batches that settled, the computer let go of (kept
// awake while files uploaded). Call it after the context given to Run has ended, with a deadline.
func (s *Service) Shutdown(ctx context.Context) error {
	return errors.Join(s.waitEngine(ctx), s.waitReceipts(ctx), s.auth.Wait(ctx), s.awake.wait(ctx))
}

// waitEngine waits until the engine's attempts have ended, each having written how it
// stood: a file whose last parts reached S3 as the run ended is written done.
func (s *Service) waitEngine(ctx context.Context) error {
	s.mu.Lock()
	done := s.engineDone
	s.mu.Unlock()
	return waitClosed(ctx, done)
}

// waitClosed waits until done is closed (at once when it is nil: nothing ran) or ctx
// ends.
func waitClosed(ctx context.Context, done <-chan struct{}) error {
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AuthStatus is the pairing now.
func (s *Service) AuthStatus() AuthStatus { return authStatus(s.auth.Status()) }

// Connection is the connection now.
func (s *Service) Connection() Connection { return connection(s.monitor.Status()) }

// CheckConnectionNow skips the wait before the next health check.
func (s *Service) CheckConnectionNow() { s.monitor.CheckNow() }

// Pair runs the pairing flow until paired, declined, refused or cancelled (ctx, or
// CancelPairing). Progress comes as pairing events.
func (s *Service) Pair(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.pairCancel != nil {
		s.mu.Unlock()
		cancel()
		return errors.New("a pairing is already under way")
	}
	s.pairCancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.pairCancel = nil
		s.mu.Unlock()
		cancel()
	}()
	return s.auth.Pair(ctx, s.client, func(ap auth.Pairing) {
		p := pairing(ap)
		s.mu.Lock()
		s.lastPairing = p
		s.mu.Unlock()
		s.bus.publish(Event{Type: EventPairing, Pairing: &p})
	})
}

// Pairing is the latest pairing progress.
func (s *Service) Pairing() Pairing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPairing
}

// CancelPairing stops a pairing under way.
func (s *Service) CancelPairing() {
	s.mu.Lock()
	cancel := s.pairCancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Unpair revokes the pairing and deletes the tokens; the queue and its history stay.
// When the API cannot be reached, the revocation is kept and sent at a later start.
func (s *Service) Unpair(ctx context.Context) (UnpairResult, error) {
	r, err := s.auth.Unpair(ctx)
	return UnpairResult(r), err
}

// Add queues files and folders.
func (s *Service) Add(ctx context.Context, paths []string, opts AddOptions) (AddResult, error) {
	r, err := s.engine.Add(ctx, paths, opts.engine())
	return addResult(r), err
}

// Start sends files on hold, and paused ones.
func (s *Service) Start(ctx context.Context, sel Selector) error {
	return s.engine.Start(ctx, sel.engine())
}

// Pause, Resume, Retry and Cancel act on one file or all (All).
func (s *Service) Pause(ctx context.Context, sel Selector) error {
	return s.engine.Pause(ctx, sel.engine())
}

func (s *Service) Resume(ctx context.Context, sel Selector) error {
	return s.engine.Resume(ctx, sel.engine())
}

func (s *Service) Retry(ctx context.Context, sel Selector) error {
	return s.engine.Retry(ctx, sel.engine())
}

func (s *Service) Cancel(ctx context.Context, sel Selector) error {
	return s.engine.Cancel(ctx, sel.engine())
}

// Redirect sends held files (meant for another project) to the project the device is
// paired with now.
func (s *Service) Redirect(ctx context.Context, sel Selector) error {
	return s.engine.Redirect(ctx, sel.engine())
}

// UploadAnyway sends files the project refused for a channel pause as new media, dated
// by their arrival.
func (s *Service) UploadAnyway(ctx context.Context, sel Selector) error {
	return s.engine.UploadAnyway(ctx, sel.engine())
}

// Remove takes a file off the list.
func (s *Service) Remove(ctx context.Context, id FileID) error {
	return s.engine.Remove(ctx, id)
}

// Move puts the selected files at the top or the bottom of the queue.
func (s *Service) Move(ctx context.Context, sel Selector, to Place) error {
	return s.engine.Move(ctx, sel.engine(), to)
}

// ClearFinished removes the uploaded files from the list.
func (s *Service) ClearFinished(ctx context.Context) error { return s.engine.ClearFinished(ctx) }

// Settings are the settings in force.
func (s *Service) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Settings
}

// SetSettings puts settings in force: the upload settings at once (upload.Engine), the
// others where they are read.
func (s *Service) SetSettings(st Settings) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := s.engine.SetSettings(st.Upload()); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	s.mu.Lock()
	old := s.cfg.Settings
	s.cfg.Settings = st
	s.mu.Unlock()
	s.awake.setEnabled(st.KeepAwake)
	s.watchSettingsChanged(context.Background(), old, st)
	return nil
}

// Snapshot is every file and the totals now.
func (s *Service) Snapshot() ([]FileView, Totals) {
	views, t := s.engine.Snapshot()
	return fileViews(views), totals(t)
}
