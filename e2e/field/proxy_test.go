package field

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// The path between the uploader and the simulator is a toxiproxy proxy (used as a library,
// inside the test process) whose two directions each run one "c2cpath" toxic: the
// latency, jitter and loss model of the profile, a byte meter and, when the kernel does
// not shape the link (loopback mode), the link rate itself. Outages stop the proxy;
// roaming adds toxiproxy's own reset_peer toxic for a moment.

// segment is the TCP payload of one packet on a 1500-byte MTU link with timestamps: the
// unit the loss probability applies to.
const segment = 1448

// pathBuffer is how many read chunks (up to 32 KiB each, as the proxy reads them) may
// queue in front of a c2cpath toxic. toxiproxy's own latency toxic queues 1024: under
// back-pressure from a slow link that is up to 32 MiB per connection, a buffer bloat no
// real path has, which would let the uploader "send" a whole chunk long before the
// simulator sees it and trip its stall watchdog for the emulator's sake.
const pathBuffer = 8

// deepPathBuffer is the queue of a path whose one-way bandwidth-delay product is more
// than pathBuffer read chunks (the long fast path: 500 Mbit/s × 60 ms is 3.75 MB, 115
// chunks): one connection may then hold that product on its way, as a TCP sender with a
// large enough window does on a real long path, and no more than 4 MiB.
const deepPathBuffer = 128

// readChunk is the most the proxy reads at once, the unit of these queues.
const readChunk = 32 << 10

func init() {
	toxics.Register("c2cpath", new(pathToxic))
	toxics.Register("c2cpath-deep", new(deepPathToxic))
}

// deepPathToxic is pathToxic with the deeper queue. (toxiproxy asks a toxic for its queue
// before it reads the toxic's attributes, so the depth is a type of its own.)
type deepPathToxic struct{ pathToxic }

func (*deepPathToxic) GetBufferSize() int { return deepPathBuffer }

// pathToxicType is the toxic for profile p: the deep one when the path's one-way
// bandwidth-delay product needs more than pathBuffer read chunks on their way.
func pathToxicType(p profile) (string, error) {
	chunks := float64(p.RateBits) / 8 * (p.RTT + p.Jitter).Seconds() / 2 / readChunk
	switch {
	case chunks <= pathBuffer:
		return "c2cpath", nil
	case chunks <= deepPathBuffer:
		return "c2cpath-deep", nil
	}
	return "", fmt.Errorf("profile %s: a one-way bandwidth-delay product of %.0f read chunks, more than the deepest path queue (%d)", p.Name, chunks, deepPathBuffer)
}

// pathToxic is one direction of the emulated path.
//
// Loss model (there is no netem here): every segment of the data passing is lost with
// probability Loss; a read chunk with at least one lost segment is held, with everything
// behind it on that connection (head-of-line blocking, as TCP delivers in order), for a
// retransmission timeout drawn uniformly from [HoldMinMs, HoldMaxMs]. Losses within one
// chunk are recovered together, as one recovery episode of a real TCP. What it leaves
// out: the congestion window's reaction (a real sender also halves its rate), so it is
// kinder than real TCP to a single stream under loss, and harsher to a stream that is
// hit while the other streams could not use the time anyway.
type pathToxic struct {
	LatencyMs int64   `json:"latency_ms"`  // one way
	JitterMs  int64   `json:"jitter_ms"`   // ± around LatencyMs, uniform
	Loss      float64 `json:"loss"`        // per segment
	HoldMinMs int64   `json:"hold_min_ms"` // retransmission timeout range
	HoldMaxMs int64   `json:"hold_max_ms"`
	Meter     string  `json:"meter"` // the shared counters and (loopback mode) rate limiter
}

// GetBufferSize keeps the queue in front of the toxic short (see pathBuffer).
func (*pathToxic) GetBufferSize() int { return pathBuffer }

// Pipe forwards chunks in order, each no earlier than its arrival plus the one-way delay,
// later if a loss holds it or the shared link rate has no room for it yet.
func (t *pathToxic) Pipe(stub *toxics.ToxicStub) {
	m := meters.get(t.Meter)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			wait := t.delay() - time.Since(c.Timestamp)
			if lim := m.link(); lim != nil {
				r := lim.ReserveN(time.Now(), len(c.Data))
				if r.OK() {
					wait = max(wait, r.Delay())
				}
			}
			if hold := t.hold(len(c.Data)); hold > 0 {
				wait = max(wait, 0) + hold
				m.holds.Add(1)
			}
			if wait > 0 {
				timer := time.NewTimer(wait)
				select {
				case <-timer.C:
				case <-stub.Interrupt:
					// Interrupted to change the chain: pass the chunk on, drop nothing.
					timer.Stop()
					stub.Output <- c
					m.bytes.Add(int64(len(c.Data)))
					return
				}
			}
			stub.Output <- c
			m.bytes.Add(int64(len(c.Data)))
		}
	}
}

func (t *pathToxic) delay() time.Duration {
	d := t.LatencyMs
	if t.JitterMs > 0 {
		d += rand.Int64N(2*t.JitterMs+1) - t.JitterMs
	}
	return time.Duration(max(d, 0)) * time.Millisecond
}

// hold is the retransmission timeout a chunk of n bytes waits for, 0 if none of its
// segments is lost.
func (t *pathToxic) hold(n int) time.Duration {
	if t.Loss <= 0 {
		return 0
	}
	segs := (n + segment - 1) / segment
	lost := false
	for range segs {
		if rand.Float64() < t.Loss {
			lost = true
			break
		}
	}
	if !lost {
		return 0
	}
	ms := t.HoldMinMs
	if t.HoldMaxMs > t.HoldMinMs {
		ms += rand.Int64N(t.HoldMaxMs - t.HoldMinMs + 1)
	}
	return time.Duration(ms) * time.Millisecond
}

// meter counts what one direction of the path forwarded, and holds that direction's
// link rate limiter in loopback mode (shared by every connection, as a link is).
type meter struct {
	bytes atomic.Int64
	holds atomic.Int64

	mu      sync.Mutex
	limiter *rate.Limiter
}

func (m *meter) link() *rate.Limiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.limiter
}

// setRate limits the direction to bitsPerSecond (0: no limit in the proxy).
func (m *meter) setRate(bitsPerSecond int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if bitsPerSecond <= 0 {
		m.limiter = nil
		return
	}
	// A burst of a few read chunks: enough for one 32 KiB read, small enough that the
	// average holds over a fraction of a second.
	m.limiter = rate.NewLimiter(rate.Limit(bitsPerSecond/8), 128<<10)
}

type meterSet struct {
	mu sync.Mutex
	m  map[string]*meter
}

func (s *meterSet) get(name string) *meter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*meter{}
	}
	if s.m[name] == nil {
		s.m[name] = &meter{}
	}
	return s.m[name]
}

// meters are the process's meters by name; toxics are made by toxiproxy from JSON, so
// they find theirs by name.
var meters meterSet

// pathProxy is the proxy between the uploader and the simulator.
type pathProxy struct {
	server *toxiproxy.ApiServer
	proxy  *toxiproxy.Proxy
	up     *meter // uploader -> simulator
	down   *meter // simulator -> uploader
	mu     sync.Mutex
	resets int
}

// newPathProxy starts a proxy on listen (host:port) to upstream.
func newPathProxy(name, listen, upstream string) (*pathProxy, error) {
	logger := zerolog.Nop()
	zerolog.SetGlobalLevel(zerolog.Disabled)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	p := toxiproxy.NewProxy(server, name, listen, upstream)
	if err := server.Collection.Add(p, true); err != nil {
		return nil, fmt.Errorf("starting the proxy on %s: %w", listen, err)
	}
	return &pathProxy{
		server: server, proxy: p,
		up: meters.get(name + "-up"), down: meters.get(name + "-down"),
	}, nil
}

// Addr is where the proxy listens.
func (p *pathProxy) Addr() string { return p.proxy.Listen }

// setProfile replaces the path toxics with the profile's; inProxyRate also makes the
// proxy shape the link rate (loopback mode, where no qdisc does).
func (p *pathProxy) setProfile(pr profile, inProxyRate bool) error {
	ctx := context.Background()
	kind, err := pathToxicType(pr)
	if err != nil {
		return err
	}
	for _, dir := range []string{"upstream", "downstream"} {
		name := "path_" + dir
		if p.proxy.Toxics.GetToxic(name) != nil {
			if err := p.proxy.Toxics.RemoveToxic(ctx, name); err != nil {
				return err
			}
		}
		m := p.up
		meterName := p.proxy.Name + "-up"
		if dir == "downstream" {
			m, meterName = p.down, p.proxy.Name+"-down"
		}
		var rateBits int64
		if inProxyRate {
			rateBits = pr.RateBits
		}
		m.setRate(rateBits)
		body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":{"latency_ms":%d,"jitter_ms":%d,"loss":%g,"hold_min_ms":%d,"hold_max_ms":%d,"meter":%q}}`,
			name, kind, dir, pr.RTT.Milliseconds()/2, pr.Jitter.Milliseconds()/2, pr.Loss, holdMin.Milliseconds(), holdMax.Milliseconds(), meterName)
		if _, err := p.proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
			return fmt.Errorf("adding the %s path toxic: %w", dir, err)
		}
	}
	return nil
}

// linkDown takes the path down: the listener closes (new connections are refused) and
// every connection through it is closed, as when the interface goes away.
func (p *pathProxy) linkDown() { p.proxy.Stop() }

// linkUp brings the path back on the same address.
func (p *pathProxy) linkUp() error {
	if err := p.proxy.Start(); err != nil && err != toxiproxy.ErrProxyAlreadyStarted {
		return err
	}
	return nil
}

// roam resets every connection that carries data during d (a Wi-Fi roam, a NAT rebinding):
// toxiproxy's reset_peer toxic on the upload direction for a moment.
func (p *pathProxy) roam(d time.Duration) error {
	body := `{"name":"roam","type":"reset_peer","stream":"upstream","toxicity":1,"attributes":{"timeout":0}}`
	if _, err := p.proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		return fmt.Errorf("adding reset_peer: %w", err)
	}
	time.Sleep(d)
	p.mu.Lock()
	p.resets++
	p.mu.Unlock()
	return p.proxy.Toxics.RemoveToxic(context.Background(), "roam")
}

func (p *pathProxy) close() {
	p.proxy.Stop()
}

// holdMin and holdMax bound the retransmission timeout of a loss (Linux's minimum RTO is
// 200 ms).
const (
	holdMin = 200 * time.Millisecond
	holdMax = 400 * time.Millisecond
)
