package c2csim

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one entry of the request log: what a test needs to prove header hygiene,
// poll spacing, retries and "no chunk sent twice", with every secret reduced to a
// fingerprint (Fingerprint) so the log itself can be printed.
type Request struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Duration float64   `json:"duration_ms"`
	ConnID   int64     `json:"conn_id"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	// Query is the URL query with X-Amz-Signature replaced by its fingerprint.
	Query   string              `json:"query,omitempty"`
	Kind    string              `json:"kind"` // auth, api, health, s3, page
	Headers map[string][]string `json:"headers"`
	Status  int                 `json:"status"`
	// Error is the error message or S3 code the simulator answered with, if any.
	Error   string `json:"error,omitempty"`
	BytesIn int64  `json:"bytes_in"`
	// Fault is the id of the scripted fault that met this request, 0 if none.
	Fault    int    `json:"fault,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Grant is the grant_type of a token request.
	Grant string `json:"grant,omitempty"`
	// TokenFP fingerprints the credential the request carried: the bearer token, the
	// refresh token or device code of a token request, the token of a revoke.
	TokenFP string `json:"token_fp,omitempty"`
	AssetID string `json:"asset_id,omitempty"`
	Part    int    `json:"part,omitempty"`
	// Aborted is set when the connection was reset or stalled instead of answered.
	Aborted bool `json:"aborted,omitempty"`
}

// Fingerprint is how the log names a secret: the first 12 hex digits of its SHA-256.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}

type requestLog struct {
	mu      sync.Mutex
	entries []Request
	dropped int64
}

func (l *requestLog) add(e Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= requestLogCap {
		drop := requestLogCap / 10
		l.entries = append(l.entries[:0], l.entries[drop:]...)
		l.dropped += int64(drop)
	}
	l.entries = append(l.entries, e)
}

func (l *requestLog) since(seq int64) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Request{}
	for _, e := range l.entries {
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

func (l *requestLog) clear() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// recorder wraps the ResponseWriter of one request and fills its log entry.
type recorder struct {
	http.ResponseWriter
	entry       Request
	start       time.Time
	bytesIn     atomic.Int64
	wroteHeader bool
}

func (s *Server) startEntry(w http.ResponseWriter, r *http.Request) *recorder {
	rec := &recorder{ResponseWriter: w, start: time.Now()}
	rec.entry = Request{
		Seq:     s.reqSeq.Add(1),
		Time:    s.now(),
		ConnID:  connFrom(r.Context()).id,
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   redactQuery(r.URL.RawQuery),
		Kind:    requestKind(r.URL.Path),
		Headers: redactHeaders(r.Header),
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		rec.entry.TokenFP = Fingerprint(strings.TrimPrefix(auth, "Bearer "))
	}
	return rec
}

func (s *Server) finishEntry(rec *recorder) {
	rec.entry.Duration = float64(time.Since(rec.start).Microseconds()) / 1000
	rec.entry.BytesIn = rec.bytesIn.Load()
	if rec.entry.Status == 0 && !rec.entry.Aborted {
		rec.entry.Status = http.StatusOK
	}
	s.log.add(rec.entry)
	e := rec.entry
	s.opts.Logger.Info("request", "seq", e.Seq, "conn", e.ConnID, "method", e.Method, "path", e.Path,
		"status", e.Status, "error", e.Error, "ms", e.Duration, "bytes_in", e.BytesIn, "fault", e.Fault)
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.wroteHeader = true
		r.entry.Status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// entryOf gives handlers the log entry of their request, to note client ids, assets...
func entryOf(w http.ResponseWriter) *Request {
	for {
		switch t := w.(type) {
		case *recorder:
			return &t.entry
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return &Request{} // not logged (admin)
		}
	}
}

func noteError(w http.ResponseWriter, message string) { entryOf(w).Error = message }

func requestKind(p string) string {
	switch {
	case strings.HasPrefix(p, "/v2/auth/"), p == "/v2/device/code":
		return "auth"
	case p == "/health", p == "/v2/health":
		return "health"
	case strings.HasPrefix(p, "/s3/"):
		return "s3"
	case strings.HasPrefix(p, "/v2/"):
		return "api"
	default:
		return "page"
	}
}

// redactHeaders keeps every header name and value, except credentials, which keep only
// their presence and fingerprint.
func redactHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		cp := make([]string, len(vs))
		for i, v := range vs {
			switch ck {
			case "Authorization":
				scheme, cred, found := strings.Cut(v, " ")
				if !found {
					scheme, cred = "", v
				}
				cp[i] = strings.TrimSpace(scheme + " fp:" + Fingerprint(cred))
			case "Cookie":
				cp[i] = "redacted"
			default:
				cp[i] = v
			}
		}
		out[ck] = cp
	}
	return out
}

func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "unparsable"
	}
	if sig := q.Get("X-Amz-Signature"); sig != "" {
		q.Set("X-Amz-Signature", "fp:"+Fingerprint(sig))
	}
	return q.Encode()
}

type countingBody struct {
	io.ReadCloser
	n        *atomic.Int64
	timeline *receivedLog // chunk bodies only
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	if b.timeline != nil && n > 0 {
		b.timeline.add(time.Now(), int64(n))
	}
	return n, err
}
