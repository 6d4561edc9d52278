package c2csim_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func (e *env) addr() string {
	u, _ := url.Parse(e.sim.URL())
	return u.Host
}

func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// dialRefused tells whether a new TCP connection is refused right now.
func (e *env) dialRefused() bool {
	c, err := net.DialTimeout("tcp", e.addr(), 2*time.Second)
	if err == nil {
		_ = c.Close()
		return false
	}
	return refused(err)
}

func TestSetOnline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})

	// A keep-alive connection that has served a request and waits for the next.
	idle, err := net.Dial("tcp", e.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	br := bufio.NewReader(idle)
	if _, err := idle.Write([]byte("GET /health HTTP/1.1\r\nHost: sim\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health over a raw connection: %v", err)
	}
	resp.Body.Close()

	// A request in flight, held by a stall.
	e.addFault(c2csim.Fault{Path: "/v2/health", Stall: true})
	inflight := make(chan error, 1)
	stalledClient := newClient(t, true)
	stalledReq := newRequest(t, http.MethodGet, e.url("/v2/health"), nil)
	go func() {
		resp, err := stalledClient.Do(stalledReq)
		if err == nil {
			resp.Body.Close()
		}
		inflight <- err
	}()
	eventually(t, 5*time.Second, "the stalled request arrives", func() bool {
		fs, _ := e.sim.Admin.Faults(e.ctx)
		return len(fs) == 1 && fs[0].Hits == 1
	})

	if err := e.sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	if e.sim.Online() {
		t.Error("Online() after SetOnline(false)")
	}
	// New connections are refused, by the kernel.
	if !e.dialRefused() {
		t.Error("a new connection was not refused")
	}
	if _, err := newClient(t, true).Get(e.url("/health")); !refused(err) {
		t.Errorf("GET while offline: %v, want connection refused", err)
	}
	if _, err := e.sim.Admin.Config(e.ctx); err == nil {
		t.Error("the admin API answered while offline")
	}
	// Open connections were cut: the idle one reads an error at once, not a timeout.
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("idle keep-alive connection: %v, want it cut", err)
	}
	select {
	case err := <-inflight:
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Errorf("in-flight request: %v, want a connection error", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the in-flight request was not cut")
	}
	if err := e.sim.SetOnline(false); err != nil {
		t.Errorf("offline twice: %v", err)
	}

	// Back on the same URL, with its state.
	if err := e.sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	if !e.sim.Online() {
		t.Error("not Online() after SetOnline(true)")
	}
	if err := e.sim.Admin.ClearFaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantBody(t, e.get("/health"), http.StatusOK, `{"status":"ok"}`)
	wantStatus(t, e.get("/v2/devices/me", bearer(tok.Access)...), http.StatusOK)
	if err := e.sim.SetOnline(true); err != nil {
		t.Errorf("online twice: %v", err)
	}
}

func TestAdminOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	start := time.Now()
	if err := e.sim.Admin.Offline(e.ctx, 500*time.Millisecond); err != nil {
		t.Fatalf("the offline call should be answered before the cut: %v", err)
	}
	eventually(t, 3*time.Second, "connections refused", e.dialRefused)
	eventually(t, 10*time.Second, "back online by itself", func() bool {
		c, err := net.DialTimeout("tcp", e.addr(), time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	})
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("back after %v, before the 500 ms", d)
	}
	wantStatus(t, e.get("/health"), http.StatusOK)
	if !e.sim.Online() {
		t.Error("Online() false after coming back")
	}

	// SetOnline(true) ends an admin outage early (the admin API itself is unreachable).
	if err := e.sim.Admin.Offline(e.ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "connections refused", e.dialRefused)
	if err := e.sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.get("/health"), http.StatusOK)

	// Durations are bounded.
	for _, body := range []string{`{"duration":"0s"}`, `{"duration":"2h"}`, `{}`, `{"duration":"soon"}`, `{"duration":-5}`} {
		if r := e.postJSON("/_sim/offline", body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %s", body, r)
		}
	}
	if !e.sim.Online() {
		t.Error("a refused offline request took the simulator offline")
	}
}

// Close works while offline, and an offline switch after Close fails.
func TestCloseWhileOffline(t *testing.T) {
	t.Parallel()
	s, err := c2csim.New(c2csim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.DataDir()
	if err := s.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := s.SetOnline(true); err == nil {
		t.Error("SetOnline(true) after Close worked")
	}
	if _, err := net.DialTimeout("tcp", s.URL()[len("http://"):], time.Second); err == nil {
		t.Error("listening after Close")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("temporary data dir %s kept after Close", dir)
	}
}
