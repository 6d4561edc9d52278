package c2csim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running simulator.
type Server struct {
	opts      Options
	baseURL   string
	publicURL string // what clients are told to use: baseURL unless behind a proxy
	ln        *switchListener
	http      *http.Server
	dataDir   string
	tempDir   bool
	signKey   []byte

	clockOffset atomic.Int64 // nanoseconds added to the wall clock (admin /_sim/clock)
	connSeq     atomic.Int64
	reqSeq      atomic.Int64

	mu        sync.Mutex
	config    runtimeConfig
	pairings  map[string]*pairing // by device_code
	userCodes map[string]*pairing // by user_code, live codes only
	devices   map[string]*device  // by client_id
	access    map[string]*token
	refresh   map[string]*token
	channels  map[int]*channel
	assets    map[string]*asset
	assetList []*asset // in creation order
	faults    faultSet
	log       requestLog
	received  receivedLog
	offlineTm *time.Timer

	assembling inFlight
	done       chan struct{}
	serveErr   chan error
}

// runtimeConfig is what the admin API may change while the simulator runs.
type runtimeConfig struct {
	PartSize        int64         `json:"part_size"`
	VaryPartSize    bool          `json:"vary_part_size"`
	PaymentRequired bool          `json:"payment_required"`
	AccessTokenTTL  time.Duration `json:"-"`
	AutoApprove     bool          `json:"auto_approve"`
}

// New starts a simulator listening on opts.Addr.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	s := &Server{
		opts:      opts,
		pairings:  map[string]*pairing{},
		userCodes: map[string]*pairing{},
		devices:   map[string]*device{},
		access:    map[string]*token{},
		refresh:   map[string]*token{},
		channels:  map[int]*channel{},
		assets:    map[string]*asset{},
		done:      make(chan struct{}),
		serveErr:  make(chan error, 1),
		signKey:   []byte(randomString(32)),
		config: runtimeConfig{
			PartSize:       opts.PartSize,
			VaryPartSize:   opts.VaryPartSize,
			AccessTokenTTL: opts.AccessTokenTTL,
			AutoApprove:    opts.AutoApprove,
		},
	}
	s.dataDir = opts.DataDir
	if s.dataDir == "" {
		dir, err := os.MkdirTemp("", "c2csim-*")
		if err != nil {
			return nil, err
		}
		s.dataDir, s.tempDir = dir, true
	} else if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("c2csim: data dir: %w", err)
	}
	ln, err := newSwitchListener(opts.Addr)
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("c2csim: listen on %s: %w", opts.Addr, err)
	}
	s.ln = ln
	s.baseURL = "http://" + ln.addr
	s.publicURL = strings.TrimSuffix(opts.PublicURL, "/")
	if s.publicURL == "" {
		s.publicURL = s.baseURL
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connInfo{id: s.connSeq.Add(1), conn: c})
		},
		ErrorLog: nil,
	}
	go func() { s.serveErr <- s.http.Serve(ln) }()
	return s, nil
}

// URL is the base URL of the API (and of the S3 endpoint and the admin API), e.g.
// http://127.0.0.1:41234.
func (s *Server) URL() string { return s.baseURL }

// AdminURL is the base of the admin API.
func (s *Server) AdminURL() string { return s.baseURL + "/_sim/" }

// DataDir is where parts and assembled files are kept.
func (s *Server) DataDir() string { return s.dataDir }

// Close stops the simulator, waits for assemblies in progress and removes a temporary
// data dir.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	s.mu.Lock()
	if s.offlineTm != nil {
		s.offlineTm.Stop()
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.http.Close()
	}
	_ = s.ln.Close()
	s.assembling.Wait()
	s.removeTemp()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) removeTemp() {
	if s.tempDir {
		_ = os.RemoveAll(s.dataDir)
	}
}

// now is the simulator's clock: the wall clock moved by /_sim/clock.
func (s *Server) now() time.Time {
	return time.Now().Add(time.Duration(s.clockOffset.Load()))
}

// AdvanceClock moves the simulator's clock forward (tokens, codes and URLs expire).
func (s *Server) AdvanceClock(d time.Duration) { s.clockOffset.Add(int64(d)) }

// SetOnline takes the simulator off the network (connections refused, open ones cut) or
// brings it back on the same address.
func (s *Server) SetOnline(on bool) error {
	s.mu.Lock()
	if s.offlineTm != nil {
		s.offlineTm.Stop()
		s.offlineTm = nil
	}
	s.mu.Unlock()
	return s.ln.SetOnline(on)
}

// Online tells whether the simulator accepts connections.
func (s *Server) Online() bool { return s.ln.Online() }

// offlineFor goes offline now and comes back after d.
func (s *Server) offlineFor(d time.Duration) error {
	if err := s.SetOnline(false); err != nil {
		return err
	}
	s.mu.Lock()
	s.offlineTm = time.AfterFunc(d, func() {
		s.mu.Lock()
		s.offlineTm = nil
		s.mu.Unlock()
		if err := s.ln.SetOnline(true); err != nil {
			s.opts.Logger.Error("c2csim: coming back online failed", "err", err)
		}
	})
	s.mu.Unlock()
	return nil
}

type connKey struct{}

type connInfo struct {
	id   int64
	conn net.Conn
	// deviceCodeRequests counts device-code requests on this connection: the real API
	// answers slow_down to a second one (error guide: "make each on its own connection").
	deviceCodeRequests atomic.Int32
}

func connFrom(ctx context.Context) *connInfo {
	ci, _ := ctx.Value(connKey{}).(*connInfo)
	if ci == nil {
		ci = &connInfo{}
	}
	return ci
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/auth/device/code", s.handleDeviceCode)
	mux.HandleFunc("POST /v2/device/code", s.handleDeviceCode) // the older spec's path
	mux.HandleFunc("POST /v2/auth/token", s.handleToken)
	mux.HandleFunc("POST /v2/auth/revoke", s.handleRevoke)
	mux.HandleFunc("GET /v2/devices/me", s.bearer(s.handleMe))
	mux.HandleFunc("POST /v2/devices/heartbeat", s.bearer(s.handleHeartbeat))
	mux.HandleFunc("POST /v2/devices/assets", s.bearer(s.handleCreateAsset))
	mux.HandleFunc("POST /v2/assets", s.bearer(s.handleCreateAsset))
	mux.HandleFunc("POST /v2/devices/assets/{id}/realtime_upload/parts", s.bearer(s.handleRealtimeParts))
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.HandleFunc("GET /v2/health", s.handleHealthV2)
	mux.HandleFunc("PUT /s3/{asset}/{part}", s.handlePutPart)
	mux.HandleFunc("GET /pair", s.handlePairPage)
	mux.HandleFunc("GET /pair/{code}", s.handlePairPage)
	mux.HandleFunc("POST /pair", s.handlePairForm)
	mux.HandleFunc("GET /{$}", s.handleIndexPage)
	s.adminRoutes(mux)
	return s.middleware(mux)
}

// middleware logs every request, applies scripted faults, and checks x-client-version on
// API calls.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			next.ServeHTTP(w, r)
			return
		}
		rec := s.startEntry(w, r)
		defer s.finishEntry(rec)
		if isAPIPath(r.URL.Path) {
			// The API names each answer so a client can quote it
			// (docs/error-policy.md §7).
			w.Header().Set("x-request-id", "sim-"+randomString(20))
		}
		if r.Body != nil {
			body := &countingBody{ReadCloser: r.Body, n: &rec.bytesIn}
			if rec.entry.Kind == "s3" {
				body.timeline = &s.received
			}
			r.Body = body
		}
		// The version check is part of handling, so faults that let the request through
		// (delay, stall_response, bandwidth) keep it.
		serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isAPIPath(r.URL.Path) && !s.checkClientVersion(w, r) {
				return
			}
			next.ServeHTTP(w, r)
		})
		if f := s.faults.match(r); f != nil {
			rec.entry.Fault = f.ID
			if handled := s.applyFault(rec, r, f, serve); handled {
				return
			}
		}
		serve.ServeHTTP(rec, r)
	})
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/v2/") || p == "/health"
}

// checkClientVersion answers 400 "Invalid client version" when the header is sent more
// than once or is not a semantic version (error guide). Absent means 0.0.0.
func (s *Server) checkClientVersion(w http.ResponseWriter, r *http.Request) bool {
	vals := r.Header.Values("x-client-version")
	if len(vals) == 0 {
		return true
	}
	if len(vals) > 1 || !isSemver(vals[0]) {
		simpleError(w, http.StatusBadRequest, "Invalid client version")
		return false
	}
	return true
}

// isSemver accepts MAJOR.MINOR.PATCH with optional -prerelease and +build parts.
func isSemver(v string) bool {
	if i := strings.IndexByte(v, '+'); i >= 0 {
		if !validIdents(v[i+1:], false) {
			return false
		}
		v = v[:i]
	}
	if i := strings.IndexByte(v, '-'); i >= 0 {
		if !validIdents(v[i+1:], true) {
			return false
		}
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !isNumericIdent(p) {
			return false
		}
	}
	return true
}

func validIdents(s string, noLeadingZero bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for _, c := range id {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if digits && noLeadingZero && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func isNumericIdent(p string) bool {
	if p == "" || (len(p) > 1 && p[0] == '0') {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleHealthV2(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
