package api_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
)

// Helpers for the black-box tests that run the client against the simulator. The
// white-box tests of this package (package api) have helpers of their own; nothing here
// shares a name with them.

const clientVersion = "1.2.3"

// simOptions are the simulator settings of these tests: small parts, a short poll interval.
func simOptions() c2csim.Options {
	return c2csim.Options{PartSize: 64 << 10, PollInterval: 200 * time.Millisecond}
}

func zeroJitter() float64 { return 0 }

// secs turns seconds into durations, for expected waits.
func secs(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

// Expected waits of each retry class with zero jitter (docs/error-policy.md §2).
var (
	waitsYes  = secs(0.5, 1, 2, 4, 8, 16, 32)
	waitsOnce = secs(0.5)
	waitsNo   = []time.Duration{}
)

// attempt is one request attempt as the client reported it through Config.Observe.
type attempt struct {
	endpoint string
	err      error
}

// observer records every attempt a client makes and passes it on (to a monitor).
type observer struct {
	next func(string, error)

	mu       sync.Mutex
	attempts []attempt
}

func (o *observer) Observe(endpoint string, err error) {
	o.mu.Lock()
	o.attempts = append(o.attempts, attempt{endpoint, err})
	o.mu.Unlock()
	if o.next != nil {
		o.next(endpoint, err)
	}
}

func (o *observer) Attempts() []attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.attempts)
}

// newTestClient makes a client with the test client version unless cfg sets one.
func newTestClient(t *testing.T, cfg api.Config) *api.Client {
	t.Helper()
	if cfg.ClientVersion == "" {
		cfg.ClientVersion = clientVersion
	}
	c, err := api.New(cfg)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	return c
}

// testCreds are the credentials of one simulated installation.
func testCreds(clientID string) api.Credentials {
	return api.Credentials{ClientID: clientID, ClientSecret: c2csim.DemoClientSecret}
}

// pairDevice pairs cr's installation with plain client calls, as a person would: ask for
// a code, have it approved in the "web app", wait the poll interval, poll.
func pairDevice(ctx context.Context, t *testing.T, sim *c2csim.Sim, c *api.Client, cr api.Credentials, project string) api.Tokens {
	t.Helper()
	dc, err := c.RequestDeviceCode(ctx, cr)
	if err != nil {
		t.Fatalf("RequestDeviceCode: %v", err)
	}
	if err := sim.Approve(dc.UserCode, c2csim.Approval{ProjectName: project}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("pairing: %v", context.Cause(ctx))
		case <-time.After(dc.Interval):
		}
		tok, err := c.PollToken(ctx, cr, dc.DeviceCode)
		switch api.KindOf(err) {
		case "":
			return tok
		case api.KindAuthorizationPending, api.KindSlowDown:
			continue
		}
		t.Fatalf("PollToken: %v", err)
	}
}

// lastSeq is the highest sequence number in the simulator's request log: requests logged
// with a higher one came later.
func lastSeq(sim *c2csim.Sim) int64 {
	var seq int64
	for _, r := range sim.Requests(0) {
		seq = max(seq, r.Seq)
	}
	return seq
}

// requestsTo lists the requests logged after since whose path is path (or begins with it
// when it ends in "*"), or whose kind is "s3" when path is "s3".
func requestsTo(sim *c2csim.Sim, since int64, method, path string) []c2csim.Request {
	var out []c2csim.Request
	prefix, isPrefix := strings.CutSuffix(path, "*")
	for _, r := range sim.Requests(since) {
		if method != "" && r.Method != method {
			continue
		}
		if (path == "s3" && r.Kind == "s3") || r.Path == path || (isPrefix && strings.HasPrefix(r.Path, prefix)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b c2csim.Request) int { return int(a.Seq - b.Seq) })
	return out
}

// newMonitor makes a connection monitor that is not run: it records going offline and
// closes its gate, but never polls /health.
func newMonitor(clock retry.Clock) *conn.Monitor {
	return conn.New(conn.Config{Health: healthNever{}, Policy: retry.Policy{Clock: clock, Rand: zeroJitter}})
}

type healthNever struct{}

func (healthNever) Health(context.Context) error { return errors.New("not used") }
