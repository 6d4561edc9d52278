// Package field is the field trial: a shooting day on a bad network, played by the real
// binary against the simulator across an emulated network path, measured and checked.
// See docs/field-trial.md.
//
// `go test ./e2e/field` runs the CI-sized day; C2C_FIELD=full (make field) the full one.
// It needs a working keychain (scripts/test.sh provides one) and, for the network
// namespaces, root and iproute2; without them it says so and runs the proxy alone on
// loopback. C2C_FIELD_NETNS=0 asks for the loopback mode; C2C_FIELD_REPORT=FILE writes
// the report's tables (markdown) to FILE; C2C_FIELD_KEEP=DIR keeps the evidence there
// (the simulator's request log and assets, every uploader's log and output);
// C2C_FIELD_BIN=PATH plays the day with that c2c-uploader binary instead of building one.
package field

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// childEnv carries, to the test binary re-executed inside the uploader's namespace, the
// path of its configuration.
const childEnv = "C2C_FIELD_CHILD"

// childConfig is what the parent tells the child.
type childConfig struct {
	Size       string
	ModeDetail string
	Bin        string
	Work       string
	NsUp       string
	NsSim      string
	VethUp     string
	VethSim    string
}

func TestFieldTrial(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		runChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("the field trial takes minutes")
	}
	e2etest.RequireKeychain(t)
	sz, err := chooseSize()
	if err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("C2C_FIELD_BIN")
	if bin == "" {
		bin = e2etest.Binary(t)
	}
	work := t.TempDir()
	var ns *netns
	reason := "C2C_FIELD_NETNS=0"
	if os.Getenv("C2C_FIELD_NETNS") != "0" {
		if ns, err = setupNetns(t.Logf); err != nil {
			reason = err.Error()
		}
	}
	if ns != nil {
		t.Cleanup(ns.teardown)
		runInNamespaces(t, ns, sz, bin, work)
		return
	}
	t.Logf("field: network namespaces are not available (%s): FALLBACK to the proxy alone on loopback", reason)
	runOnLoopback(t, sz, bin, work, reason)
}

// deadline is the test's deadline less a margin for the cleanup.
func deadline(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-30 * time.Second)
	}
	return time.Now().Add(2 * time.Hour)
}

// runInNamespaces starts the simulator in its namespace and the day in the uploader's,
// by running this test again there.
func runInNamespaces(t *testing.T, ns *netns, sz size, bin, work string) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline(t))
	defer cancel()
	sim := startSim(t, ctx, []string{"ip", "netns", "exec", ns.sim}, bin, sz,
		simAddr+":"+simPort, "http://"+proxyListen, filepath.Join(work, "sim"))
	defer sim.stop(t)
	cfg := childConfig{
		Size: sz.Name, Bin: bin, Work: filepath.Join(work, "day"),
		ModeDetail: fmt.Sprintf("network namespaces %s (uploader, proxy) and %s (simulator) joined by a veth pair; tbf on both ends of the veth for the link rate; toxiproxy in the uploader's namespace for latency, jitter, loss-like stalls, resets and outages", ns.up, ns.sim),
		NsUp:       ns.up, NsSim: ns.sim, VethUp: ns.vethUp, VethSim: ns.vethSim,
	}
	path := filepath.Join(work, "child.json")
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	left := time.Until(deadline(t)) - 15*time.Second
	args := []string{"netns", "exec", ns.up, os.Args[0], "-test.run=^TestFieldTrial$", "-test.v=true",
		"-test.count=1", "-test.timeout=" + left.Round(time.Second).String()}
	child := exec.CommandContext(ctx, "ip", args...)
	child.Env = append(os.Environ(), childEnv+"="+path)
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	child.WaitDelay = 10 * time.Second
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = child.Stdout
	if err := child.Start(); err != nil {
		t.Fatalf("running the trial in %s: %v", ns.up, err)
	}
	// The child's lines, live: the trial takes minutes.
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fmt.Println("    " + sc.Text())
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("the trial in namespace %s failed (%v): its output is above", ns.up, err)
	}
}

// runChild is the day inside the uploader's namespace.
func runChild(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg childConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	e2etest.RequireKeychain(t)
	sz, ok := sizeNamed(cfg.Size)
	if !ok {
		t.Fatalf("unknown size %q", cfg.Size)
	}
	n := &netns{up: cfg.NsUp, sim: cfg.NsSim, vethUp: cfg.VethUp, vethSim: cfg.VethSim, logf: t.Logf}
	runDay(t, dayConfig{
		Mode: "network namespaces", ModeDetail: cfg.ModeDetail, Size: sz, Bin: cfg.Bin,
		AdminURL: "http://" + simAddr + ":" + simPort, Upstream: simAddr + ":" + simPort,
		Listen: proxyListen, Work: cfg.Work, Shape: n.shape,
	})
}

// runOnLoopback is the fallback: the simulator and the proxy on loopback, the proxy
// shaping the link rate too.
func runOnLoopback(t *testing.T, sz size, bin, work, reason string) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline(t))
	defer cancel()
	simPort, proxyPort := freePort(t), freePort(t)
	sim := startSim(t, ctx, nil, bin, sz, "127.0.0.1:"+simPort, "http://127.0.0.1:"+proxyPort, filepath.Join(work, "sim"))
	defer sim.stop(t)
	runDay(t, dayConfig{
		Mode:       "FALLBACK: proxy alone on loopback",
		ModeDetail: "network namespaces unavailable (" + reason + "); toxiproxy on loopback shapes the rate too (one token bucket per direction, shared by all connections) and adds latency, jitter, loss-like stalls, resets and outages; the kernel's TCP sees a loopback path",
		Size:       sz, Bin: bin, AdminURL: "http://127.0.0.1:" + simPort, Upstream: "127.0.0.1:" + simPort,
		Listen: "127.0.0.1:" + proxyPort, Work: filepath.Join(work, "day"),
	})
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// simProc is the simulator, a process of its own (in its namespace in netns mode).
type simProc struct {
	cmd    *exec.Cmd
	out    e2etest.Buffer
	exited chan struct{}
}

// startSim runs `c2c-uploader sim`, behind prefix (ip netns exec ...), and waits until it
// listens.
func startSim(t *testing.T, ctx context.Context, prefix []string, bin string, sz size, addr, public, dir string) *simProc {
	args := append(append([]string(nil), prefix...), bin, "sim", "--addr", addr, "--public-url", public,
		"--data-dir", dir, "--part-size", strconv.FormatInt(sz.PartSize, 10), "--vary-part-size",
		"--access-token-ttl", sz.TokenTTL.String(), "--poll-interval", "1s", "--quiet")
	s := &simProc{exited: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, args[0], args[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.WaitDelay = 10 * time.Second
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	limit := time.After(time.Minute)
	for !strings.Contains(s.out.String(), "C2C simulator listening") {
		select {
		case <-s.exited:
			t.Fatalf("the simulator ended at once:\n%s", s.out.String())
		case <-limit:
			s.stop(t)
			t.Fatalf("the simulator did not start listening within a minute:\n%s", s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s
}

func (s *simProc) stop(t *testing.T) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	var warned []string
	for _, l := range strings.Split(s.out.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			warned = append(warned, l)
		}
	}
	if len(warned) > 0 {
		t.Logf("the simulator's warnings and errors:\n%s", tail(strings.Join(warned, "\n"), 20))
	}
	if strings.Contains(s.out.String(), "WARNING: DATA RACE") {
		t.Errorf("the race detector spoke in the simulator:\n%s", s.out.String())
	}
}

// runDay plays the day, checks it and reports.
func runDay(t *testing.T, cfg dayConfig) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline(t))
	defer cancel()
	var logMu sync.Mutex
	cfg.Logf = func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Logf("field: %s trial, mode: %s", cfg.Size.Name, cfg.Mode)
	started := time.Now()
	d, err := play(ctx, cfg)
	if d != nil {
		defer d.proxy.close()
	}
	if d != nil && d.inst != nil {
		t.Cleanup(func() {
			kctx, kcancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer kcancel()
			_ = store.NewKeychain(d.inst.keyring, "").DeleteAll(kctx)
		})
	}
	if err != nil {
		if d != nil && d.inst != nil {
			for _, p := range d.inst.all() {
				t.Logf("%s: exit %d, stderr:\n%s", p.Name, p.Code, tail(p.stderr.String(), 15))
			}
		}
		t.Fatalf("the day did not play out: %v", err)
	}
	ev, err := gather(ctx, d)
	if err != nil {
		t.Fatalf("gathering the evidence: %v", err)
	}
	r := &report{
		Size: cfg.Size.Name, Mode: cfg.Mode, ModeDetail: cfg.ModeDetail, Race: raceEnabled,
		PartSize: cfg.Size.PartSize, TokenTTL: cfg.Size.TokenTTL, Started: started,
	}
	measure(d, ev, r)
	v := check(d, ev, r)
	if keep := os.Getenv("C2C_FIELD_KEEP"); keep != "" {
		if err := ev.keep(keep, d); err != nil {
			t.Errorf("keeping the evidence in %s: %v", keep, err)
		} else {
			cfg.Logf("field: the evidence (request log, assets, uploader logs) is in %s", keep)
		}
	}
	r.Duration = time.Since(started)
	md := r.markdown(v)
	cfg.Logf("\n%s", md)
	for _, n := range v.notes {
		t.Log("note: " + n)
	}
	if out := os.Getenv("C2C_FIELD_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
	for _, f := range v.failures {
		t.Error(f)
	}
	// The goodput targets hold every day played without the race detector, which slows
	// the fast links several times over: make test plays the CI-sized day twice, with it
	// for the checks and without it for these budgets (scripts/test.sh).
	if !raceEnabled {
		for i, b := range r.Batches {
			if b.fraction() < b.Profile.Target {
				t.Errorf("batch %d (%s): goodput %.2f of the link rate, the target is %.1f", i+1, b.Profile.Name, b.fraction(), b.Profile.Target)
			}
		}
	}
}
