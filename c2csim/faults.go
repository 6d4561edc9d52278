package c2csim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a scripted misbehaviour for requests that match Method and Path. It fires for
// the next Times matching requests (after letting Skip of them through), or for every
// match while it exists when Times is 0; Probability, when set, makes each match fire at
// random. What it does, in this order of precedence:
//
//   - Reset: read ResetAfter bytes of the request body, then reset the TCP connection;
//   - Stall: read StallAfter bytes of the body, then stop reading and hold the request until
//     the client gives up (or StallFor passes), then reset;
//   - S3Code: answer S3's XML error with that code (Status overrides S3's status);
//   - Status: answer that status with Body, ContentType and Headers; in Body, {bearer}
//     stands for the request's bearer token and {form:NAME} for a form field it sent,
//     as a server that echoes what it was sent in its errors (the redaction tests);
//   - StallResponse: handle the request, then send only half of the response body and hold;
//   - Bandwidth: handle the request with its body and response throttled to that rate;
//   - Delay alone: wait, then handle the request normally. Delay also precedes the others.
type Fault struct {
	ID            int               `json:"id"`
	Method        string            `json:"method,omitempty"`
	Path          string            `json:"path"` // exact, or a prefix when it ends in "*"
	Skip          int               `json:"skip,omitempty"`
	Times         int               `json:"times,omitempty"`
	Probability   float64           `json:"probability,omitempty"`
	Status        int               `json:"status,omitempty"`
	Body          string            `json:"body,omitempty"`
	ContentType   string            `json:"content_type,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	S3Code        string            `json:"s3_code,omitempty"`
	Message       string            `json:"message,omitempty"`
	Delay         Duration          `json:"delay,omitempty"`
	Reset         bool              `json:"reset,omitempty"`
	ResetAfter    int64             `json:"reset_after,omitempty"`
	Stall         bool              `json:"stall,omitempty"`
	StallAfter    int64             `json:"stall_after,omitempty"`
	StallFor      Duration          `json:"stall_for,omitempty"`
	StallResponse bool              `json:"stall_response,omitempty"`
	Bandwidth     int64             `json:"bandwidth,omitempty"` // bytes per second
	// Hits counts the requests this fault met so far.
	Hits int `json:"hits"`

	seen int
}

func (f *Fault) validate() error {
	if f.Path == "" {
		return fmt.Errorf("a fault needs a path (exact, or a prefix ending in *)")
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("probability must be within 0..1")
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	}
	if f.S3Code == "" && f.Status == 0 && !f.Reset && !f.Stall && !f.StallResponse && f.Bandwidth == 0 && f.Delay == 0 {
		return fmt.Errorf("a fault must do something: status, s3_code, delay, reset, stall, stall_response or bandwidth")
	}
	return nil
}

func (f *Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(r.URL.Path, prefix)
	}
	return r.URL.Path == f.Path
}

type faultSet struct {
	mu     sync.Mutex
	faults []*Fault
	nextID int
}

func (fs *faultSet) add(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Hits, f.seen = fs.nextID, 0, 0
	fs.faults = append(fs.faults, &f)
	return f, nil
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.faults))
	for _, f := range fs.faults {
		out = append(out, *f)
	}
	return out
}

func (fs *faultSet) remove(id int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.faults {
		if f.ID == id {
			fs.faults = append(fs.faults[:i], fs.faults[i+1:]...)
			return true
		}
	}
	return false
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.faults = nil
	fs.mu.Unlock()
}

// match returns a copy of the first armed fault for r, counting the hit; a fault whose
// Times are used up is kept (so its Hits stay readable) but no longer fires.
func (fs *faultSet) match(r *http.Request) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if !f.matches(r) || (f.Times > 0 && f.Hits >= f.Times) {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
			continue
		}
		if f.Probability > 0 && rand.Float64() >= f.Probability {
			continue
		}
		f.Hits++
		cp := *f
		return &cp
	}
	return nil
}

// applyFault does what f says; it returns false when the request should go on to its
// handler as usual (a plain delay).
func (s *Server) applyFault(rec *recorder, r *http.Request, f *Fault, next http.Handler) bool {
	ctx := r.Context()
	if f.Delay > 0 {
		select {
		case <-time.After(time.Duration(f.Delay)):
		case <-ctx.Done():
			rec.entry.Aborted = true
			return true
		}
	}
	switch {
	case f.Reset:
		readUpTo(r.Body, f.ResetAfter)
		s.resetConn(rec)
	case f.Stall:
		readUpTo(r.Body, f.StallAfter)
		hold(ctx, time.Duration(f.StallFor), s.done)
		s.resetConn(rec)
	case f.S3Code != "":
		status := f.Status
		if status == 0 {
			status = S3Status[f.S3Code]
		}
		if status == 0 {
			status = http.StatusBadRequest
		}
		rid := randomString(16)
		body := S3ErrorXML(f.S3Code, f.Message, rid)
		noteError(rec, f.S3Code)
		rec.Header().Set("x-amz-request-id", rid)
		writeFaultAnswer(rec, status, "application/xml", body, f.Headers)
	case f.Status != 0:
		ct := f.ContentType
		if ct == "" && f.Body != "" {
			ct = "application/json"
		}
		noteError(rec, fmt.Sprintf("fault %d", f.Status))
		writeFaultAnswer(rec, f.Status, ct, []byte(echo(f.Body, r)), f.Headers)
	case f.StallResponse:
		buf := &bufferedWriter{parent: rec, header: http.Header{}}
		next.ServeHTTP(buf, r)
		for k, v := range buf.header {
			rec.Header()[k] = v
		}
		rec.Header().Set("Content-Length", strconv.Itoa(buf.body.Len()))
		rec.WriteHeader(buf.status())
		_, _ = rec.Write(buf.body.Bytes()[:buf.body.Len()/2])
		rec.Flush()
		hold(ctx, time.Duration(f.StallFor), s.done)
		s.resetConn(rec)
	case f.Bandwidth > 0:
		// A slow link does not park megabytes in the receiver's kernel: keep the socket's
		// receive buffer small so the client feels the limit as it would on a real link.
		if tc, ok := connFrom(ctx).conn.(*trackedConn); ok {
			if tcp, ok := tc.Conn.(*net.TCPConn); ok {
				_ = tcp.SetReadBuffer(int(min(max(f.Bandwidth/4, 16<<10), 1<<20)))
			}
		}
		r.Body = &throttledReader{r: r.Body, rate: f.Bandwidth, start: time.Now()}
		next.ServeHTTP(&throttledWriter{recorder: rec, rate: f.Bandwidth, start: time.Now()}, r)
	default:
		return false
	}
	return true
}

// echoField is a {form:NAME} placeholder of a fault's body.
var echoField = regexp.MustCompile(`\{form:([a-z_]+)\}`)

// echo fills a fault's body with what the request sent (see Fault).
func echo(body string, r *http.Request) string {
	if !strings.Contains(body, "{") {
		return body
	}
	body = strings.ReplaceAll(body, "{bearer}", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	return echoField.ReplaceAllStringFunc(body, func(m string) string {
		return r.PostFormValue(echoField.FindStringSubmatch(m)[1])
	})
}

func writeFaultAnswer(w http.ResponseWriter, status int, contentType string, body []byte, headers map[string]string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func readUpTo(body io.Reader, n int64) {
	if body != nil && n > 0 {
		_, _ = io.CopyN(io.Discard, body, n)
	}
}

// hold waits until the client goes away, d (at most 10 minutes) passes, or the simulator
// closes. (A client that gives up in the middle of a body is not noticed while its body
// is not read, so quit is what frees such a request at Close.)
func hold(ctx interface{ Done() <-chan struct{} }, d time.Duration, quit <-chan struct{}) {
	if d <= 0 || d > defaultStall {
		d = defaultStall
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-quit:
	}
}

func (s *Server) resetConn(rec *recorder) {
	rec.entry.Aborted = true
	conn, _, err := http.NewResponseController(rec).Hijack()
	if err != nil {
		return
	}
	abort(conn)
}

// bufferedWriter holds a whole response so a fault can send only part of it. parent
// keeps the request's log entry and connection reachable through Unwrap.
type bufferedWriter struct {
	parent http.ResponseWriter
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedWriter) Unwrap() http.ResponseWriter { return b.parent }

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferedWriter) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

// throttledReader paces reads to rate bytes per second, in slices of about 1/20 s so the
// flow is smooth rather than bursty.
type throttledReader struct {
	r     io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (t *throttledReader) Read(p []byte) (int, error) {
	if slice := max(t.rate/20, 1); int64(len(p)) > slice {
		p = p[:slice]
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	pace(t.start, t.n, t.rate)
	return n, err
}

func (t *throttledReader) Close() error { return t.r.Close() }

type throttledWriter struct {
	*recorder
	rate  int64
	start time.Time
	n     int64
}

func (t *throttledWriter) Unwrap() http.ResponseWriter { return t.recorder }

func (t *throttledWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(int64(len(p)), max(t.rate/20, 1))]
		n, err := t.recorder.Write(chunk)
		written += n
		t.n += int64(n)
		if err != nil {
			return written, err
		}
		t.recorder.Flush()
		pace(t.start, t.n, t.rate)
		p = p[n:]
	}
	return written, nil
}

func pace(start time.Time, n, rate int64) {
	due := start.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		time.Sleep(wait)
	}
}

// Duration is a time.Duration that reads and writes JSON as "1.5s" (a number is seconds).
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		*d = Duration(x * float64(time.Second))
	case string:
		p, err := time.ParseDuration(x)
		if err != nil {
			return err
		}
		*d = Duration(p)
	case nil:
		*d = 0
	default:
		return fmt.Errorf("a duration is a string such as \"1.5s\" or a number of seconds")
	}
	return nil
}
