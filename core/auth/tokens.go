// Package auth pairs the app with a project (the device-code flow) and keeps it paired:
// the token manager refreshes before the access token expires and whenever the API says
// Not Authorized, one refresh at a time, writing new tokens to the keychain before it uses
// them. While a refresh runs, and while the device needs reconnecting, every call that
// needs a token waits at the auth gate (docs/error-policy.md §8).
package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// TokenStore keeps the tokens where they survive a restart (the OS keychain). It is
// implemented in store; tests use a map.
type TokenStore interface {
	// Load returns ErrNoTokens when nothing is stored.
	Load(ctx context.Context) (api.Tokens, error)
	Save(ctx context.Context, t api.Tokens) error
	Delete(ctx context.Context) error
}

// ErrNoTokens means the store holds no pairing.
var ErrNoTokens = errors.New("no tokens stored")

// Recorder remembers, beside the tokens, with which project the installation is paired
// (store keeps it in the data folder). Paired is told after every answer of
// GET /v2/devices/me; Unpaired once the pairing is given up.
type Recorder interface {
	Paired(p Project) error
	Unpaired() error
	// Last is the project recorded last, if any: known before the API is asked again,
	// so that files queued at start are meant for it.
	Last() (Project, bool)
}

// Project is the project a pairing uploads to.
type Project struct {
	ID         string
	Name       string
	DeviceName string
}

// ErrNeedsReconnect is returned to a refresh that ended with the device needing to be
// paired again.
var ErrNeedsReconnect = errors.New("the device needs to be reconnected to its project")

// State is the pairing state.
type State string

const (
	Unpaired       State = "unpaired"
	Paired         State = "paired"
	Refreshing     State = "refreshing"
	NeedsReconnect State = "needs-reconnect"
)

// Status is the pairing as published to the front ends.
type Status struct {
	State       State
	ProjectName string // from GET /v2/devices/me
	ProjectID   string
	DeviceName  string
	// Reason says in plain words why a reconnect is needed.
	Reason string
	// Cause is the error that led to NeedsReconnect (its kind picks the dialog).
	Cause *api.Error
	// StorageWarning is set while the tokens live only in memory (the keychain refused
	// them): pairing will not survive a restart.
	StorageWarning string
	AccessExpires  time.Time
}

// API is what the token manager calls.
type API interface {
	RefreshTokens(ctx context.Context, cr api.Credentials, refreshToken string) (api.Tokens, error)
	Me(ctx context.Context, accessToken string) (api.Device, error)
	Revoke(ctx context.Context, cr api.Credentials, token string) error
}

// Config configures a Manager.
type Config struct {
	API         API
	Credentials api.Credentials
	Store       TokenStore
	// Revocations keeps the tokens of a pairing that Unpair could not revoke (the API
	// was out of reach) until Run reaches the API; nil: such tokens are dropped.
	Revocations TokenStore
	// Record, when set, is told of the project after every lookup, and of unpairing.
	Record Recorder
	Policy retry.Policy
	// Online is the connectivity gate; refreshes wait at it like every call.
	Online *retry.Gate
	// OnChange is told of every new status. It must not block.
	OnChange func(Status)
	// RefreshAt is the fraction of an access token's lifetime after which it is renewed
	// proactively; 0 means 0.8.
	RefreshAt float64
	Logger    *slog.Logger
}

// Manager owns the tokens and the auth gate.
type Manager struct {
	cfg   Config
	clock retry.Clock
	gate  *retry.Gate
	wake  chan struct{}

	mu     sync.Mutex
	runCtx context.Context
	tokens api.Tokens
	// pairing counts pairings (Adopt) and unpairings: a refresh that started under an
	// older one must not bring back tokens the user has since thrown away.
	pairing int
	status  Status
	flight  *flight
	// project is the current pairing's project, once GET /v2/devices/me told it.
	project Project
}

// flight is one refresh under way; everyone who needs it waits on done.
type flight struct {
	done chan struct{}
	err  error
}

// New makes a manager with no tokens: unpaired, the auth gate closed.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RefreshAt <= 0 || cfg.RefreshAt >= 1 {
		cfg.RefreshAt = 0.8
	}
	clock := cfg.Policy.Clock
	if clock == nil {
		clock = retry.RealClock()
	}
	return &Manager{
		cfg:    cfg,
		clock:  clock,
		gate:   retry.NewGate("auth", false),
		wake:   make(chan struct{}, 1),
		status: Status{State: Unpaired},
		runCtx: context.Background(),
	}
}

// Gate is the auth gate: open while a usable access token is at hand.
func (m *Manager) Gate() *retry.Gate { return m.gate }

// Status is the current pairing status.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

func (m *Manager) update(f func(*Status)) {
	m.mu.Lock()
	f(&m.status)
	st := m.status
	m.mu.Unlock()
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(st)
	}
}

// Load takes up the tokens the store kept from an earlier run. ErrNoTokens means the app
// is not paired; other errors are the keychain's (missing, locked) and leave it unpaired.
func (m *Manager) Load(ctx context.Context) error {
	t, err := m.cfg.Store.Load(ctx)
	if err != nil {
		return err
	}
	if m.cfg.Record != nil {
		// The project these tokens were last seen with: GET /v2/devices/me confirms it
		// (or tells the new one) in the background.
		if p, ok := m.cfg.Record.Last(); ok {
			m.mu.Lock()
			m.project = p
			m.mu.Unlock()
			m.update(func(s *Status) { s.ProjectName, s.ProjectID, s.DeviceName = p.Name, p.ID, p.DeviceName })
		}
	}
	// The device is looked up by Run, not here: what the lookup finds (a project that
	// no longer accepts the device) raises an alert, and before Run no front end may
	// have subscribed to hear it (TestLoadLeavesTheAPIAlone).
	m.use(t, "")
	return nil
}

// Adopt takes up the tokens of a new pairing: written to the store first, then used.
//
// The tokens are in use once Adopt returns, whatever it returns: an error only says the
// project's name could not be read yet (it is then fetched again in the background).
func (m *Manager) Adopt(ctx context.Context, t api.Tokens) error {
	m.mu.Lock()
	m.pairing++
	m.project = Project{}
	m.mu.Unlock()
	// Until the new pairing's project is known, the old one's name must not show.
	m.update(func(s *Status) { s.ProjectName, s.ProjectID, s.DeviceName = "", "", "" })
	// The approval is spent: the tokens are kept even if the caller is going away.
	warning := m.save(context.WithoutCancel(ctx), t)
	m.use(t, warning)
	err := m.fetchDeviceNow(ctx)
	if err != nil {
		go m.fetchDevice()
	}
	return err
}

// Keep writes the tokens in use to the store again, for a store that changed while the
// app ran (no keychain: the person chose a token file), and clears the warning that the
// pairing would not survive a restart.
func (m *Manager) Keep(ctx context.Context) error {
	m.mu.Lock()
	t, p := m.tokens, m.project
	m.mu.Unlock()
	if t.RefreshToken != "" {
		if err := m.cfg.Store.Save(ctx, t); err != nil {
			return err
		}
	}
	m.update(func(s *Status) { s.StorageWarning = "" })
	if m.cfg.Record != nil && p.ID != "" {
		return m.cfg.Record.Paired(p)
	}
	return nil
}

// save writes tokens to the store; on failure it returns the warning to show, since the
// new tokens must be used anyway (the old refresh token is spent).
func (m *Manager) save(ctx context.Context, t api.Tokens) string {
	if err := m.cfg.Store.Save(ctx, t); err != nil {
		m.cfg.Logger.Error("tokens could not be written to the keychain", "err", err)
		return "The tokens could not be saved in the keychain (" + err.Error() + "); pairing will not survive a restart."
	}
	return ""
}

func (m *Manager) use(t api.Tokens, storageWarning string) {
	// Wall clock only: a monotonic reading does not advance while a laptop sleeps.
	t.RequestedAt = t.RequestedAt.Round(0)
	m.mu.Lock()
	m.tokens = t
	m.mu.Unlock()
	m.update(func(s *Status) {
		s.State, s.Reason, s.Cause = Paired, "", nil
		s.StorageWarning = storageWarning
		s.AccessExpires = t.ExpiresAt()
	})
	m.gate.Open()
	m.poke()
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// fetchDevice asks which project the device is in, after every pairing and refresh, and
// publishes its name (docs/api-notes.md §2.7).
func (m *Manager) fetchDevice() {
	ctx := m.context()
	if err := m.fetchDeviceNow(ctx); err != nil && ctx.Err() == nil {
		m.cfg.Logger.Warn("devices/me failed", "err", err)
	}
}

// RefreshDevice asks the API which project the device is in now.
func (m *Manager) RefreshDevice(ctx context.Context) error { return m.fetchDeviceNow(ctx) }

func (m *Manager) fetchDeviceNow(ctx context.Context) error {
	return m.Do(ctx, api.EndpointMe, func(ctx context.Context, token string) error {
		_, err := m.lookUpProject(ctx, token)
		return err
	})
}

// ProjectOf is the project that token uploads to: the project of the current pairing
// when token is its access token and the project is known, else what
// GET /v2/devices/me says for token (one attempt, for the caller's retry loop). A file
// meant for one project checks this inside the very call that creates its asset, so a
// re-pairing between the check and the creation cannot send it elsewhere.
func (m *Manager) ProjectOf(ctx context.Context, token string) (Project, error) {
	m.mu.Lock()
	if token != "" && token == m.tokens.AccessToken && m.project.ID != "" {
		p := m.project
		m.mu.Unlock()
		return p, nil
	}
	m.mu.Unlock()
	return m.lookUpProject(ctx, token)
}

// lookUpProject asks GET /v2/devices/me with token and, when token still belongs to the
// current pairing, takes the answer as its project.
func (m *Manager) lookUpProject(ctx context.Context, token string) (Project, error) {
	m.mu.Lock()
	generation := m.pairing
	m.mu.Unlock()
	d, err := m.cfg.API.Me(ctx, token)
	if err != nil {
		return Project{}, err
	}
	p := Project{ID: d.ProjectID, Name: d.ProjectName, DeviceName: d.Name}
	m.mu.Lock()
	current := m.pairing == generation && m.status.State != Unpaired
	if current {
		m.project = p
	}
	m.mu.Unlock()
	if !current {
		return p, nil
	}
	m.update(func(s *Status) { s.ProjectName, s.ProjectID, s.DeviceName = p.Name, p.ID, p.DeviceName })
	if m.cfg.Record != nil && p.ID != "" {
		if err := m.cfg.Record.Paired(p); err != nil {
			m.cfg.Logger.Warn("the pairing could not be recorded in the data folder", "err", err)
		}
	}
	return p, nil
}

// Project is the current pairing's project, if known.
func (m *Manager) Project() (Project, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.project, m.project.ID != ""
}

func (m *Manager) context() context.Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runCtx
}

// Access returns the current access token, waiting at the auth gate while there is none
// (unpaired, refreshing, needs reconnect), and starting a refresh if it has expired.
func (m *Manager) Access(ctx context.Context) (string, error) {
	for {
		if err := m.gate.Wait(ctx); err != nil {
			return "", err
		}
		m.mu.Lock()
		t := m.tokens
		m.mu.Unlock()
		if t.AccessToken != "" && m.clock.Now().Before(t.ExpiresAt()) {
			return t.AccessToken, nil
		}
		if t.AccessToken == "" {
			continue // unpaired between Wait and now: wait again
		}
		if err := m.Refresh(ctx, t.AccessToken); err != nil && ctx.Err() != nil {
			return "", err
		}
	}
}

// Do runs a call that needs the access token under the retry policy: it waits at both
// gates, refreshes on Not Authorized and repeats. If the API still says Not Authorized
// right after a fresh token, the device has lost access: it needs reconnecting, and the
// call waits at the auth gate until it is paired again.
func (m *Manager) Do(ctx context.Context, endpoint string, op func(ctx context.Context, token string) error) error {
	for {
		var used string
		err := m.cfg.Policy.Do(ctx, retry.Call{
			Endpoint: endpoint,
			Gates:    []*retry.Gate{m.cfg.Online, m.gate},
			Unauthorized: func(ctx context.Context, _ *api.Error) error {
				if err := m.Refresh(ctx, used); err != nil && !errors.Is(err, ErrNeedsReconnect) {
					return err
				}
				// A refresh that ended in needs-reconnect holds the call here until the
				// device is paired again; then the call is repeated with the new token.
				return m.gate.Wait(ctx)
			},
		}, func(ctx context.Context, _ int) error {
			token, err := m.Access(ctx)
			if err != nil {
				return err
			}
			used = token
			return op(ctx, token)
		})
		if api.KindOf(err) == api.KindUnauthorizedClient && ctx.Err() == nil {
			e, _ := api.AsError(err)
			m.requireReconnect(e, "The project no longer accepts this device (it may have been removed or its access revoked). Reconnect it to go on; the queue is kept.", used)
			continue
		}
		return err
	}
}

// Refresh renews the tokens unless the access token stale has already been replaced.
// One refresh runs at a time; every caller waits for it (or for ctx). It returns nil when
// fresh tokens are in use, ErrNeedsReconnect when the refresh token was refused.
func (m *Manager) Refresh(ctx context.Context, stale string) error {
	m.mu.Lock()
	f := m.flight
	if f == nil {
		if m.tokens.AccessToken != stale || m.status.State == NeedsReconnect || m.tokens.RefreshToken == "" {
			reconnect := m.status.State == NeedsReconnect || m.tokens.RefreshToken == ""
			m.mu.Unlock()
			if reconnect {
				return ErrNeedsReconnect
			}
			return nil // already refreshed by someone else
		}
		f = &flight{done: make(chan struct{})}
		m.flight = f
		refreshToken, generation := m.tokens.RefreshToken, m.pairing
		runCtx := m.runCtx
		m.mu.Unlock()
		m.gate.Close("refreshing the access token")
		m.update(func(s *Status) { s.State = Refreshing })
		// The refresh runs under the app's context, not the caller's: a refresh token is
		// single-use, so an answer abandoned halfway would cost a re-pairing.
		go m.refresh(runCtx, f, refreshToken, generation)
	} else {
		m.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refresh retries a refresh until it succeeds or the API refuses the refresh token.
func (m *Manager) refresh(ctx context.Context, f *flight, refreshToken string, generation int) {
	defer func() {
		m.mu.Lock()
		m.flight = nil
		m.mu.Unlock()
		close(f.done)
	}()
	for attempt := 0; ; attempt++ {
		t, err := retry.DoValue(ctx, m.cfg.Policy, retry.Call{
			Endpoint: api.EndpointRefresh,
			Gates:    []*retry.Gate{m.cfg.Online},
		}, func(ctx context.Context, _ int) (api.Tokens, error) {
			// Once sent, a refresh is seen through even if the app is quitting: the
			// server spends the old refresh token on receipt, so an abandoned answer
			// would cost a re-pairing. Bounded, so quitting cannot hang on it.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), api.TimeoutRefresh+30*time.Second)
			defer cancel()
			return m.cfg.API.RefreshTokens(rctx, m.cfg.Credentials, refreshToken)
		})
		if err == nil {
			m.mu.Lock()
			stale := m.pairing != generation
			m.mu.Unlock()
			if stale {
				// Unpaired (or paired anew) meanwhile: these tokens belong to nobody now.
				f.err = ErrNeedsReconnect
				return
			}
			m.use(t, m.save(context.WithoutCancel(ctx), t))
			m.cfg.Logger.Info("access token refreshed", "expires", t.ExpiresAt().Format(time.RFC3339))
			go m.fetchDevice()
			return
		}
		if ctx.Err() != nil {
			f.err = ctx.Err()
			return
		}
		if e, _ := api.AsError(err); e.Retry == api.RetryNo {
			m.requireReconnect(e, "This device's access to the project ended and could not be renewed. Reconnect it to go on; the queue is kept.", "")
			f.err = ErrNeedsReconnect
			return
		}
		m.cfg.Logger.Warn("token refresh failed, trying again", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			f.err = ctx.Err()
			return
		case <-m.clock.After(m.cfg.Policy.Backoff(attempt)):
		}
	}
}

// Wait returns once no refresh is under way (or ctx ends): a process about to exit calls
// it so that new tokens the server already issued are not lost with it.
func (m *Manager) Wait(ctx context.Context) error {
	m.mu.Lock()
	f := m.flight
	m.mu.Unlock()
	if f == nil {
		return nil
	}
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requireReconnect closes the auth gate until the device is paired again. stale, when
// not empty, limits it to the tokens that failed (a newer pairing is left alone).
func (m *Manager) requireReconnect(cause *api.Error, reason, stale string) {
	m.mu.Lock()
	if stale != "" && m.tokens.AccessToken != stale {
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.gate.Close("needs reconnect")
	m.update(func(s *Status) { s.State, s.Reason, s.Cause = NeedsReconnect, reason, cause })
	m.cfg.Logger.Warn("device needs reconnecting", "cause", cause)
}

// Run renews the access token before it expires, until ctx ends. It checks at least
// every 30 s against the wall clock, so a laptop waking from sleep refreshes at once. It
// first sends the revocation an earlier Unpair could not.
func (m *Manager) Run(ctx context.Context) {
	m.mu.Lock()
	m.runCtx = ctx
	paired := m.tokens.AccessToken != ""
	m.mu.Unlock()
	go m.revokePending(ctx)
	if paired {
		go m.fetchDevice() // which project the loaded tokens are in now
	}
	for {
		m.mu.Lock()
		t, state := m.tokens, m.status.State
		m.mu.Unlock()
		wait := 30 * time.Second
		if state == Paired && t.AccessToken != "" {
			due := t.RequestedAt.Add(time.Duration(float64(t.ExpiresIn) * m.cfg.RefreshAt))
			if left := due.Sub(m.clock.Now()); left <= 0 {
				if err := m.Refresh(ctx, t.AccessToken); err != nil && ctx.Err() == nil {
					m.cfg.Logger.Info("proactive refresh did not complete", "err", err)
				}
				continue
			} else if left < wait {
				wait = left
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-m.clock.After(wait):
		}
	}
}

// UnpairResult is how an Unpair ended.
type UnpairResult struct {
	// Revoked: the API ended the pairing (or it had already ended there).
	Revoked bool
	// Pending: the API could not be reached; the revocation is kept and sent when the
	// app next reaches it (Run).
	Pending bool
	// Reason says why the revocation is pending.
	Reason string
}

// Unpair revokes the pairing at the API, deletes the tokens from the store and closes
// the auth gate. When the API cannot be reached the tokens are kept aside (Revocations)
// and revoked later: a pairing must not stay live on the server because the app was
// offline when the user ended it. The upload history is not touched.
func (m *Manager) Unpair(ctx context.Context) (UnpairResult, error) {
	m.mu.Lock()
	t := m.tokens
	m.tokens = api.Tokens{}
	m.project = Project{}
	m.pairing++
	m.mu.Unlock()
	m.gate.Close("not paired")
	var res UnpairResult
	if t.RefreshToken == "" {
		res.Revoked = true
	} else if m.cfg.Online != nil && !m.cfg.Online.IsOpen() {
		res.Reason = "the API cannot be reached"
	} else {
		rctx, cancel := context.WithTimeout(ctx, api.TimeoutDefault)
		err := m.cfg.API.Revoke(rctx, m.cfg.Credentials, t.RefreshToken)
		cancel()
		switch e := api.Classify(rctx, api.EndpointRevoke, err); {
		case err == nil:
			res.Revoked = true
		case e.Retry == api.RetryNo && e.Kind != api.KindCancelled:
			// The API refused the token: it is dead there already.
			m.cfg.Logger.Info("the API refused the revocation; the pairing had already ended there", "err", err)
			res.Revoked = true
		default:
			res.Reason = e.UserMessage()
		}
	}
	var errs []error
	if !res.Revoked {
		if m.cfg.Revocations != nil {
			if err := m.cfg.Revocations.Save(context.WithoutCancel(ctx), t); err != nil {
				errs = append(errs, err)
			} else {
				res.Pending = true
			}
		}
		m.cfg.Logger.Warn("the pairing could not be revoked at the API", "reason", res.Reason, "kept_for_later", res.Pending)
	}
	errs = append(errs, m.cfg.Store.Delete(ctx))
	if m.cfg.Record != nil {
		errs = append(errs, m.cfg.Record.Unpaired())
	}
	m.update(func(s *Status) { *s = Status{State: Unpaired} })
	return res, errors.Join(errs...)
}

// RevokePending sends the revocation an earlier Unpair kept, if there is one, for a
// command that reaches the API without running the token manager (status).
func (m *Manager) RevokePending(ctx context.Context) { m.revokePending(ctx) }

// revokePending sends the revocation an earlier Unpair kept, once the API answers; it
// tries again with the backoff until it gets an answer or ctx ends.
func (m *Manager) revokePending(ctx context.Context) {
	if m.cfg.Revocations == nil {
		return
	}
	t, err := m.cfg.Revocations.Load(ctx)
	if err != nil {
		if !errors.Is(err, ErrNoTokens) {
			m.cfg.Logger.Warn("reading the pairing to revoke failed", "err", err)
		}
		return
	}
	err = m.cfg.Policy.Do(ctx, retry.Call{Endpoint: api.EndpointRevoke, Gates: []*retry.Gate{m.cfg.Online}},
		func(ctx context.Context, _ int) error {
			return m.cfg.API.Revoke(ctx, m.cfg.Credentials, t.RefreshToken)
		})
	if e, ok := api.AsError(err); ok && (e.Kind == api.KindCancelled || e.Retry != api.RetryNo) {
		// No answer from the API: kept for the next run.
		m.cfg.Logger.Info("the revocation kept from an earlier unpair could not be sent yet", "err", err)
		return
	}
	if err != nil {
		m.cfg.Logger.Info("the API refused the revocation kept from an earlier unpair; the pairing had ended there", "err", err)
	} else {
		m.cfg.Logger.Info("revoked the pairing an earlier unpair could not reach the API for")
	}
	if err := m.cfg.Revocations.Delete(context.WithoutCancel(ctx)); err != nil {
		m.cfg.Logger.Warn("forgetting the revoked pairing failed", "err", err)
	}
}
