package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Per-request deadlines (docs/error-policy.md §7). No request leaves without one.
const (
	TimeoutDefault = 15 * time.Second
	TimeoutRefresh = 2 * time.Minute
	TimeoutChunk   = 5 * time.Minute
)

// Endpoint names, as they appear in errors, logs and the journal.
const (
	EndpointDeviceCode = "POST /v2/auth/device/code"
	EndpointToken      = "POST /v2/auth/token"
	EndpointRefresh    = "POST /v2/auth/token (refresh)"
	EndpointRevoke     = "POST /v2/auth/revoke"
	EndpointMe         = "GET /v2/devices/me"
	EndpointHeartbeat  = "POST /v2/devices/heartbeat"
	EndpointHealth     = "GET /health"
	EndpointAssets     = "POST /v2/devices/assets"
	EndpointParts      = "POST /v2/devices/assets/{id}/realtime_upload/parts"
	EndpointChunk      = "PUT s3 part"
)

// Gate is where requests wait while the connection is down (retry.Gate implements it).
type Gate interface {
	Wait(ctx context.Context) error
}

// Config configures a Client.
type Config struct {
	// BaseURL is the API, e.g. https://api.frame.io. Plain http is accepted only for a
	// loopback host (the simulator).
	BaseURL string
	// ClientVersion is the app's semantic version, sent as x-client-version.
	ClientVersion string
	// Online is waited on before every request but GET /health, so that nothing else
	// leaves the process while the connection is known to be down. nil: never waits.
	Online Gate
	// Observe sees the outcome of every request attempt (nil error on success); the
	// connection monitor listens here.
	Observe func(endpoint string, err error)
	// Transport is the base for the API's HTTP transports; nil means a tuned copy of
	// http.DefaultTransport. Tests point it at a proxy.
	Transport *http.Transport
	// Timeouts overrides the per-request deadlines; zero fields keep the defaults.
	Timeouts Timeouts
	// Logger, when set, gets one debug line per request attempt (endpoint, outcome,
	// duration, request ids; never a token or a URL's query).
	Logger *slog.Logger
}

// Timeouts are the per-request deadlines.
type Timeouts struct {
	Default, Refresh, Chunk time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Default <= 0 {
		t.Default = TimeoutDefault
	}
	if t.Refresh <= 0 {
		t.Refresh = TimeoutRefresh
	}
	if t.Chunk <= 0 {
		t.Chunk = TimeoutChunk
	}
	return t
}

// Client is the C2C HTTP client: one method per endpoint, one attempt per call. Retries,
// gates and tokens are the caller's business (core/retry, core/auth); the client turns
// every answer into a typed *Error.
type Client struct {
	base    *url.URL
	version string
	online  Gate
	observe func(string, error)
	timeout Timeouts
	logger  *slog.Logger
	api     *http.Client
	s3      *http.Client
	newTr   func() *http.Transport
}

// New makes a client. It refuses a base URL that is not https (loopback excepted).
func New(cfg Config) (*Client, error) {
	base, err := ValidateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ClientVersion == "" {
		return nil, errors.New("api: the client version is required (x-client-version)")
	}
	tmpl := cfg.Transport
	if tmpl == nil {
		tmpl = defaultTransport()
	}
	apiTr := tmpl.Clone()
	// As many kept-alive connections as creations may run at once (one per request slot of
	// the default budget and more): with fewer, a burst of small files closes connections
	// only to open new ones, each a TLS handshake against the real API.
	apiTr.MaxIdleConnsPerHost = 32
	s3Tr := tmpl.Clone()
	// Many chunks in flight at once, each a long body: a bigger pool and a write buffer
	// large enough that a fast link is not held back by small writes. The body is read as
	// the socket accepts it, so progress counted on reads is at most this far ahead.
	s3Tr.MaxIdleConnsPerHost = 64
	s3Tr.WriteBufferSize = 64 << 10
	if cfg.Transport == nil {
		s3Tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: limitUnsent}).DialContext
	}
	// S3 speaks HTTP/1.1; one connection per chunk in flight also keeps a slow chunk from
	// holding up the others behind one TCP window.
	s3Tr.Protocols = new(http.Protocols)
	s3Tr.Protocols.SetHTTP1(true)
	return &Client{
		base:    base,
		version: cfg.ClientVersion,
		online:  cfg.Online,
		observe: cfg.Observe,
		timeout: cfg.Timeouts.withDefaults(),
		logger:  cfg.Logger,
		api:     &http.Client{Transport: apiTr, CheckRedirect: noRedirects},
		s3:      &http.Client{Transport: s3Tr},
		newTr:   tmpl.Clone,
	}, nil
}

func defaultTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.IdleConnTimeout = 90 * time.Second
	tr.DisableCompression = true
	return tr
}

// The API never redirects; following one could send the form with the client secret
// somewhere else.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// ValidateBaseURL accepts https URLs, and http only for loopback hosts.
func ValidateBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the API URL %q is not a valid URL", raw)
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the API URL %q has no valid port (%q is not between 1 and 65535)", raw, p)
		}
	}
	if u.User != nil {
		return nil, fmt.Errorf("the API URL %q holds a user name or password; leave them out", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Origin is the scheme, host and port of an API URL, as tokens are bound to it:
// "https://api.frame.io" for "https://API.frame.io:443/v2/". A data folder's tokens are
// only ever sent to the origin it was paired with.
func Origin(raw string) (string, error) {
	u, err := ValidateBaseURL(raw)
	if err != nil {
		return "", err
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

func checkScheme(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("refusing plain http to %s: use https (http is allowed only for a loopback host such as 127.0.0.1)", u.Host)
	}
	return fmt.Errorf("the URL scheme %q is not supported: use https", u.Scheme)
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL is the API's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

type requestIDKey struct{}

// WithRequestID makes every request under ctx carry id as x-request-id: one logical call
// keeps one id across its retries, so the server's logs and ours line up.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the id set by WithRequestID, or a new one.
func RequestIDFrom(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok && id != "" {
		return id
	}
	return uuid.NewString()
}

// call is one API request attempt.
type call struct {
	endpoint    string
	method      string
	path        string
	contentType string
	body        []byte
	bearer      string
	expected    int
	timeout     time.Duration
	header      http.Header
	client      *http.Client // nil: the shared API client
	waitOnline  bool
	sent        *time.Time // if set, noted with when the request left
}

// do sends one API request and decodes a JSON answer into out (nil: body ignored).
func (c *Client) do(ctx context.Context, k call, out any) error {
	start := time.Now()
	err := c.doOnce(ctx, k, out)
	c.finished(k.endpoint, k.path, start, err)
	return err
}

// finished reports an attempt's outcome to the connection monitor and the debug log.
func (c *Client) finished(endpoint, path string, start time.Time, err error) {
	if c.observe != nil {
		c.observe(endpoint, err)
	}
	if c.logger == nil || !c.logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"endpoint", endpoint, "path", path, "ms", time.Since(start).Milliseconds()}
	if e, ok := AsError(err); ok {
		attrs = append(attrs, "kind", e.Kind, "status", e.Status, "request_id", e.RequestID, "server_request_id", e.ServerRequestID)
	} else if err != nil {
		attrs = append(attrs, "err", err)
	}
	c.logger.Debug("request", attrs...)
}

func (c *Client) doOnce(ctx context.Context, k call, out any) error {
	if k.waitOnline && c.online != nil {
		if err := c.online.Wait(ctx); err != nil {
			return Classify(ctx, k.endpoint, err)
		}
	}
	rid := RequestIDFrom(ctx)
	ctx, cancel := context.WithTimeoutCause(ctx, k.timeout, errDeadline)
	defer cancel()
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.base.JoinPath(k.path).String(), body)
	if err != nil {
		return withRequestID(Classify(ctx, k.endpoint, err), rid)
	}
	for name, vals := range k.header {
		req.Header[name] = vals
	}
	// Set, not Add: exactly one x-client-version (the API rejects two).
	req.Header.Set("x-client-version", c.version)
	req.Header.Set("x-request-id", rid)
	req.Header.Set("Accept", "application/json")
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	if k.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+k.bearer)
	}
	hc := k.client
	if hc == nil {
		hc = c.api
	}
	if k.sent != nil {
		*k.sent = time.Now()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return withRequestID(Classify(ctx, k.endpoint, err), rid)
	}
	if err := CheckResponse(k.endpoint, resp, k.expected, false); err != nil {
		return withRequestID(err, rid)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return withRequestID(Classify(ctx, k.endpoint, err), rid)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		e := newError(k.endpoint, UnexpectedBodyRule)
		e.Status = resp.StatusCode
		e.Detail = "the answer is not the JSON the API documents"
		e.Err = err
		e.ServerRequestID = resp.Header.Get("x-request-id")
		return withRequestID(e, rid)
	}
	return nil
}

// errDeadline is the cause of a per-request deadline; Classify reads it as a timeout.
var errDeadline = fmt.Errorf("the per-request deadline passed: %w", context.DeadlineExceeded)

func withRequestID(err error, rid string) error {
	if e, ok := AsError(err); ok && e.RequestID == "" {
		e.RequestID = rid
	}
	return err
}
