package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// §6 rows, each produced by a real failure where one can be made locally.

// TestClassify has one subtest per row of docs/error-policy.md §6 (and the ways to reach
// it).
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"§6_connection_refused", classify_connection_refused},
		{"§6_connection_reset", classify_connection_reset},
		{"§6_unexpected_EOF", classify_unexpected_EOF},
		{"§6_server_closes_before_answer_EOF", classify_server_closes_before_answer_EOF},
		{"§6_DNS_failure", classify_DNS_failure},
		{"§6_TLS_handshake_failure", classify_TLS_handshake_failure},
		{"§6_per_request_deadline", classify_per_request_deadline},
		{"§6_deadline_of_an_inner_context", classify_deadline_of_an_inner_context},
		{"§6_cancelled_by_the_user", classify_cancelled_by_the_user},
		{"§6_parent_cancelled_during_child_deadline", classify_parent_cancelled_during_child_deadline},
		{"§6_stall_watchdog", classify_stall_watchdog},
		{"§6_local_file_unreadable", classify_local_file_unreadable},
		{"§6_anything_else_is_internal", classify_anything_else_is_internal},
	} {
		t.Run(tc.name, tc.test)
	}
}

func checkRule(t *testing.T, e *Error, r Rule) {
	t.Helper()
	if e == nil {
		t.Fatal("nil *Error")
	}
	if e.Kind != r.Kind || e.Retry != r.Retry || e.Effect != r.Effect {
		t.Errorf("got %s/%s/%s, want %s/%s/%s (err: %v)", e.Kind, e.Retry, e.Effect, r.Kind, r.Retry, r.Effect, e.Err)
	}
	if e.Status != 0 || e.Endpoint != ep {
		t.Errorf("Status=%d Endpoint=%q", e.Status, e.Endpoint)
	}
}

func classify_connection_refused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx := context.Background()
	_, err = http.Get("http://" + addr + "/health")
	if err == nil {
		t.Fatal("expected an error from a closed port")
	}
	checkRule(t, Classify(ctx, ep, err), NetworkRule)
}

func classify_connection_reset(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0) // close with RST, not FIN
		conn.Close()
	}))
	defer srv.Close()
	ctx := context.Background()
	_, err := srv.Client().Get(srv.URL)
	if err == nil {
		t.Fatal("expected an error from a reset connection")
	}
	t.Logf("reset error: %v", err)
	checkRule(t, Classify(ctx, ep, err), NetworkRule)
}

func classify_unexpected_EOF(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"upload_urls":["https://s3/part1`) // half a body, then the handler ends
	}))
	defer srv.Close()
	ctx := context.Background()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want unexpected EOF, got %v", err)
	}
	checkRule(t, Classify(ctx, ep, err), NetworkRule)
}

func classify_server_closes_before_answer_EOF(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	_, err := srv.Client().Get(srv.URL)
	if err == nil {
		t.Fatal("expected an error")
	}
	checkRule(t, Classify(context.Background(), ep, err), NetworkRule)
}

func classify_DNS_failure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://c2c-uploader-test.invalid/health", nil)
	_, err := http.DefaultClient.Do(req)
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Fatalf("want a *net.DNSError, got %v", err)
	}
	checkRule(t, Classify(ctx, ep, err), NetworkRule)
}

func classify_TLS_handshake_failure(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	_, err := http.Get(srv.URL) // the default client does not trust the test certificate
	if err == nil {
		t.Fatal("expected a certificate error")
	}
	checkRule(t, Classify(context.Background(), ep, err), NetworkRule)

	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	_, err = srv.Client().Get(strings.Replace(plain.URL, "http:", "https:", 1)) // TLS to a plain server
	if err == nil {
		t.Fatal("expected a handshake error")
	}
	checkRule(t, Classify(context.Background(), ep, err), NetworkRule)

	// Both sides speak TLS but cannot agree on a version.
	modern := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	modern.Config.ErrorLog = log.New(io.Discard, "", 0)
	modern.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	modern.StartTLS()
	defer modern.Close()
	old := modern.Client()
	old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	_, err = old.Get(modern.URL)
	if err == nil {
		t.Fatal("expected a version mismatch")
	}
	t.Logf("version mismatch: %v", err)
	checkRule(t, Classify(context.Background(), ep, err), NetworkRule)
}

// hang answers nothing until the client gives up.
func hang(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func classify_per_request_deadline(t *testing.T) {
	srv := hang(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := srv.Client().Do(req)
	e := Classify(ctx, ep, err)
	checkRule(t, e, TimeoutRule)
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("cause lost: %v", e.Err)
	}
}

func classify_deadline_of_an_inner_context(t *testing.T) {
	// The op made its own per-request context; the caller's ctx is still live.
	err := fmt.Errorf("Put %q: %w", "https://s3/part", context.DeadlineExceeded)
	checkRule(t, Classify(context.Background(), ep, err), TimeoutRule)
}

func classify_cancelled_by_the_user(t *testing.T) {
	srv := hang(t)
	for _, cause := range []error{nil, ErrUserCancelled, fmt.Errorf("pause file 3: %w", ErrUserCancelled)} {
		ctx, cancel := context.WithCancelCause(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		time.AfterFunc(20*time.Millisecond, func() { cancel(cause) })
		_, err := srv.Client().Do(req)
		e := Classify(ctx, ep, err)
		checkRule(t, e, CancelledRule)
		if cause != nil && !errors.Is(e, ErrUserCancelled) {
			t.Errorf("cause lost: %v", e.Err)
		}
	}
}

func classify_parent_cancelled_during_child_deadline(t *testing.T) {
	// The user's cancel reaches a request that also has its own deadline.
	srv := hang(t)
	parent, cancel := context.WithCancelCause(context.Background())
	ctx, stop := context.WithTimeout(parent, time.Minute)
	defer stop()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	time.AfterFunc(20*time.Millisecond, func() { cancel(ErrUserCancelled) })
	_, err := srv.Client().Do(req)
	checkRule(t, Classify(ctx, ep, err), CancelledRule)
}

func classify_stall_watchdog(t *testing.T) {
	srv := hang(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	time.AfterFunc(20*time.Millisecond, func() { cancel(ErrStalled) })
	_, err := srv.Client().Do(req)
	e := Classify(ctx, ep, err)
	checkRule(t, e, TimeoutRule)
	if !errors.Is(e, ErrStalled) {
		t.Errorf("cause lost: %v", e.Err)
	}
	checkRule(t, Classify(context.Background(), ep, fmt.Errorf("chunk 4: %w", ErrStalled)), TimeoutRule)
}

type failingFile struct{ err error }

func (f failingFile) Read([]byte) (int, error) { return 0, f.err }

func classify_local_file_unreadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	body := failingFile{&LocalFileError{Path: "/media/A001.mov", Err: errors.New("input/output error")}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
	req.ContentLength = 10
	_, err := srv.Client().Do(req)
	if err == nil {
		t.Fatal("expected the body error")
	}
	e := Classify(context.Background(), ep, err)
	checkRule(t, e, LocalFileRule)
	if !strings.Contains(e.Error(), "/media/A001.mov") {
		t.Errorf("Error() lost the path: %s", e.Error())
	}
}

func classify_anything_else_is_internal(t *testing.T) {
	checkRule(t, Classify(context.Background(), ep, errors.New("index out of range")), InternalRule)
	checkRule(t, Classify(context.Background(), ep, nil), InternalRule)
	// Canceled by someone other than the user (ctx live): a bug, tried once more.
	checkRule(t, Classify(context.Background(), ep, context.Canceled), InternalRule)
	_, err := http.Get("ftp://example.com/") // unsupported scheme: our bug, not the network
	checkRule(t, Classify(context.Background(), ep, err), InternalRule)
}

func TestClassifyReturnsAnErrorUnchanged(t *testing.T) {
	in := Decode(ep, 409, nil, []byte(simple("Channel Paused")), false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Classify(ctx, ep, fmt.Errorf("create asset: %w", in)); got != in {
		t.Fatalf("got %v, want the same *Error", got)
	}
}
