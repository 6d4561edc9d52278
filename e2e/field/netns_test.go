package field

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The namespace topology (netns mode):
//
//	namespace c2cf-<pid>-u                           namespace c2cf-<pid>-s
//	  this test, re-executed (the child):              c2c-uploader sim
//	    toxiproxy on 127.0.0.1:18080  --- veth --->      on 10.77.0.2:8080
//	  c2c-uploader (pair, upload, status)  tbf both ways
//	    → http://127.0.0.1:18080
//
// The uploader talks to loopback only (it refuses plain http anywhere else); the
// simulator hands out upload URLs on the proxy's address (--public-url), so chunks take
// the same path as API calls. tbf on both ends of the veth is the link rate; the proxy
// adds latency, jitter, loss-like stalls, resets and outages. The addresses exist only
// inside these two namespaces.

const (
	prefix      = "c2cf"
	upAddr      = "10.77.0.1"
	simAddr     = "10.77.0.2"
	simPort     = "8080"
	proxyListen = "127.0.0.1:18080"
)

// netns is the pair of namespaces and the veth between them.
type netns struct {
	up, sim         string // namespace names
	vethUp, vethSim string
	logf            func(string, ...any)
}

// cmdTimeout bounds every ip/tc/sysctl command.
const cmdTimeout = 20 * time.Second

func runCmd(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func cmdOutput(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	return string(out), err
}

// setupNetns builds the topology, after removing what an earlier interrupted run left.
// Any error means netns mode is not available here (not root, no iproute2, no veth...):
// the caller then falls back to the proxy alone on loopback.
func setupNetns(logf func(string, ...any)) (*netns, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s (iproute2) is not installed", tool)
		}
	}
	removeStale(logf)
	pid := strconv.Itoa(os.Getpid())
	n := &netns{
		up: prefix + "-" + pid + "-u", sim: prefix + "-" + pid + "-s",
		vethUp: prefix + pid + "u", vethSim: prefix + pid + "s",
		logf: logf,
	}
	steps := [][]string{
		{"ip", "netns", "add", n.up},
		{"ip", "netns", "add", n.sim},
		{"ip", "link", "add", n.vethUp, "type", "veth", "peer", "name", n.vethSim},
		{"ip", "link", "set", n.vethUp, "netns", n.up},
		{"ip", "link", "set", n.vethSim, "netns", n.sim},
		{"ip", "-n", n.up, "addr", "add", upAddr + "/30", "dev", n.vethUp},
		{"ip", "-n", n.sim, "addr", "add", simAddr + "/30", "dev", n.vethSim},
		{"ip", "-n", n.up, "link", "set", "lo", "up"},
		{"ip", "-n", n.sim, "link", "set", "lo", "up"},
		{"ip", "-n", n.up, "link", "set", n.vethUp, "up"},
		{"ip", "-n", n.sim, "link", "set", n.vethSim, "up"},
	}
	for _, s := range steps {
		if err := runCmd(s[0], s[1:]...); err != nil {
			n.teardown()
			return nil, err
		}
	}
	// Socket buffers of the uploader's namespace, where the proxy lives too: the
	// uploader's loopback hop to the proxy and the proxy's own sockets must not hide
	// megabytes between the uploader and the link (a real sender holds about the
	// path's bandwidth-delay product in flight). These settings exist only in this
	// namespace.
	for _, kv := range []string{
		"net.ipv4.tcp_rmem=4096 131072 524288",
		"net.ipv4.tcp_wmem=4096 16384 1048576",
		"net.ipv4.tcp_notsent_lowat=131072",
	} {
		if err := runCmd("ip", "netns", "exec", n.up, "sysctl", "-q", "-w", kv); err != nil {
			logf("field: could not set %s in %s (%v); the path buffers more", kv, n.up, err)
		}
	}
	if err := n.shape(office.RateBits); err != nil {
		n.teardown()
		return nil, err
	}
	return n, nil
}

// shape sets the link rate on both ends of the veth: a token bucket (tbf), the only
// shaping qdisc this kernel has besides htb. The queue holds 50 ms at the rate.
func (n *netns) shape(bits int64) error {
	burst := max(64<<10, bits/8/1000) // at least one GSO packet, about 1 ms at the rate
	for _, end := range [][2]string{{n.up, n.vethUp}, {n.sim, n.vethSim}} {
		if err := runCmd("tc", "-n", end[0], "qdisc", "replace", "dev", end[1], "root", "tbf",
			"rate", strconv.FormatInt(bits, 10)+"bit", "burst", strconv.FormatInt(burst, 10), "latency", "50ms"); err != nil {
			return err
		}
	}
	return nil
}

// teardown deletes the namespaces; the veth and its qdiscs go with them.
func (n *netns) teardown() {
	for _, ns := range []string{n.up, n.sim} {
		if err := runCmd("ip", "netns", "del", ns); err != nil && !strings.Contains(err.Error(), "No such file") {
			n.logf("field: removing namespace %s: %v", ns, err)
		}
	}
	// A veth that never made it into a namespace is still in this one.
	_ = runCmd("ip", "link", "del", n.vethUp)
}

var staleName = regexp.MustCompile(`^` + prefix + `-?(\d+)-?[us]$`)

// removeStale deletes the namespaces and veths of runs whose process is gone (an
// interrupted run); those of a run still going are left alone.
func removeStale(logf func(string, ...any)) {
	alive := func(pid string) bool {
		_, err := os.Stat("/proc/" + pid)
		return err == nil
	}
	if out, err := cmdOutput("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			name := strings.Fields(line + " x")[0]
			if m := staleName.FindStringSubmatch(name); m != nil && !alive(m[1]) {
				logf("field: removing namespace %s left by an interrupted run", name)
				_ = runCmd("ip", "netns", "del", name)
			}
		}
	}
	if out, err := cmdOutput("ip", "-o", "link", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if m := staleName.FindStringSubmatch(name); m != nil && !alive(m[1]) {
				logf("field: removing link %s left by an interrupted run", name)
				_ = runCmd("ip", "link", "del", name)
			}
		}
	}
}
