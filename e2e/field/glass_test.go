package field

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// Glass to cloud on the hotel profile (README, "Clips uploaded while they are
// recorded"): a 40 MiB clip recorded at 4 MiB/s into a watched folder should be complete
// within one part's transfer time plus the settle time of its last write on the field
// trial's hotel profile, as it is within 2 s on loopback. BenchmarkGlassToCloud
// (core/upload) measures the loopback half in process; this one measures the hotel
// half with the real binary. Like the field trial it needs a keychain (without one it
// skips; with C2C_REQUIRE_KEYRING=1 it fails); scripts/field.sh runs only the trial and
// scripts/test.sh adds -race, so from the repository's root:
//
//	dbus-run-session -- bash -c 'source scripts/lib/keyring.sh; private_keyring c2c-test;
//	  trap stop_private_keyring EXIT;
//	  go test -run "^$" -bench GlassToCloudHotel -benchtime 1x ./e2e/field/'
//
// Each sub-benchmark is one bitrate: `c2c-uploader watch --json --settle 1s
// --part-size 5 DIR` (the real binary: C2C_FIELD_BIN, else built by e2etest.Binary),
// paired with the simulator through the field trial's path (pathProxy, the c2cpath
// toxic) set to the hotel profile, in its loopback mode: the proxy shapes the link rate
// too (one token bucket per direction) and adds the profile's latency and loss-like
// holds; the kernel's TCP sees loopback. (Network namespaces would put the rate in tbf,
// but need this test binary re-executed inside the uploader's namespace, which is more
// than a benchmark should do.) The simulator runs in this process, on loopback, its
// upload links pointing at the proxy, so chunks take the shaped path as API calls do.
//
// An e2etest.Recorder records a 40 MiB clip into the watched folder at the bitrate (64
// KiB writes), closes it, and the benchmark waits for the clip's `done` event and its
// asset complete in the simulator. It reports, averaged over b.N clips:
//
//	s-done         seconds from the clip's last write to the done event's done_at
//	s-complete     seconds from the last write to the simulator's CompletedAt
//	s-final-start  seconds from the last write to the simulator receiving the final
//	               part's (last) PUT: the wait for the settle time and for the
//	               backlog of earlier parts, which the final part must follow
//	s-final-put    how long that PUT took in the simulator, its 5 MiB crossing the path
//	MiB-unsent     MiB of the clip not yet through the path at the last write (the
//	               proxy's upload meter; API requests count too, a few KiB)
//	MiB/s-per-put  the rate of one part's PUT, one connection: the PUTs' bytes over
//	               the sum of their durations in the simulator
//	s-part-time    one part's transfer time on the profile: part size / link rate
//	s-target       the target, s-part-time + the settle time
//
// ns/op is a clip's recording and the wait for it (the setup, pairing over the path and
// starting watch, is left out). All use this machine's one clock (the simulator is in
// this process; the uploader's done_at is the same system clock). No target is
// enforced: the numbers are reported as measured. At 4 MiB/s (33.6 Mbit/s) the clip is
// recorded faster than the 20 Mbit/s link carries it, so the backlog at the last write
// dominates. On this path one connection carries far less than the link (the c2cpath
// loss model holds a 32 KiB read chunk with a lost segment, about one in five, for
// 200-400 ms), and a part is one PUT on one connection: MiB/s-per-put shows it, and the
// final part, sent alone after every other part is in, takes s-final-put.
func BenchmarkGlassToCloudHotel(b *testing.B) {
	e2etest.RequireKeychain(b)
	bin := os.Getenv("C2C_FIELD_BIN")
	if bin == "" {
		bin = e2etest.Binary(b)
	}
	for _, rate := range []int{4 << 20, 2 << 20} {
		b.Run(fmt.Sprintf("rate=%gMiB/s", float64(rate)/(1<<20)), func(b *testing.B) {
			benchGlassToCloud(b, bin, hotel, rate)
		})
	}
}

// Glass to cloud parameters: the clip, the settle time and the part size of the watch
// run (--settle 1s --part-size 5: the README's setting and the default part).
const (
	glassClip   = 40 << 20
	glassSettle = time.Second
	glassPart   = 5 << 20
	// glassGuard bounds each wait: a hang guard, not a measure.
	glassGuard = 5 * time.Minute
)

// benchGlassToCloud sets up the path, the simulator, a paired installation and its watch
// run, then records b.N clips at rate bytes per second over profile p.
func benchGlassToCloud(b *testing.B, bin string, p profile, rate int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	work := b.TempDir()
	listen := "127.0.0.1:" + glassPort(b)
	sim := c2csim.Start(b, c2csim.Options{
		PublicURL: "http://" + listen, DataDir: filepath.Join(work, "sim"),
		PartSize: glassPart, PollInterval: time.Second,
	})
	proxy, err := newPathProxy(fmt.Sprintf("c2cglass-%d", rate), listen, strings.TrimPrefix(sim.URL(), "http://"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(proxy.close)
	if err := proxy.setProfile(p, true); err != nil {
		b.Fatal(err)
	}
	inst, err := newInstallation(bin, "http://"+proxy.Addr(), work)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		kctx, kcancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer kcancel()
		_ = store.NewKeychain(inst.keyring, "").DeleteAll(kctx)
	})
	// The field trial's pairing: pair --json, its code approved in the simulator.
	d := &day{ctx: ctx, inst: inst, admin: sim.Admin, logf: b.Logf}
	if err := d.pair("pair"); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(work, "card")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	w, err := inst.start("watch", -1, "watch", "--json", "--settle", glassSettle.String(),
		"--part-size", strconv.Itoa(glassPart>>20), dir)
	if err != nil {
		b.Fatal(err)
	}
	// Cleanups run after this function's deferred cancel: the stop has its own bound.
	b.Cleanup(func() { glassStopWatch(b, w) })
	glassWaitEvent(b, ctx, w, "the watching event", func(ev map[string]any) bool {
		return ev["type"] == "watch" && ev["state"] == "watching"
	})

	partTime := float64(glassPart) * 8 / float64(p.RateBits)
	b.Logf("%s (%s), loopback mode (the proxy shapes the rate); a %d MiB clip at %.1f MiB/s (%.1f Mbit/s); race detector %v",
		p.Name, p, glassClip>>20, float64(rate)/(1<<20), float64(rate)*8/1e6, raceEnabled)
	var sum glassResult
	b.ResetTimer()
	for i := range b.N {
		r := recordGlass(b, ctx, sim.Admin, proxy, w, dir, fmt.Sprintf("A001C%03d.mov", i+1), rate)
		b.Logf("%s: recorded in %.2f s, %.2f MiB unsent at the last write; after it: final part's PUT in at %.2f s, took %.2f s; asset complete %.2f s, done %.2f s (part time %.2f s, target %.2f s)",
			r.name, r.recording.Seconds(), r.unsentMiB, r.finalStart.Seconds(), r.finalPut.Seconds(),
			r.complete.Seconds(), r.done.Seconds(), partTime, partTime+glassSettle.Seconds())
		b.Logf("%s: its PUTs, part@came-in/took(status) from the first write: %s", r.name, r.puts)
		sum.add(r)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(sum.done.Seconds()/n, "s-done")
	b.ReportMetric(sum.complete.Seconds()/n, "s-complete")
	b.ReportMetric(sum.finalStart.Seconds()/n, "s-final-start")
	b.ReportMetric(sum.finalPut.Seconds()/n, "s-final-put")
	b.ReportMetric(sum.unsentMiB/n, "MiB-unsent")
	b.ReportMetric(sum.putMiBps/n, "MiB/s-per-put")
	b.ReportMetric(partTime, "s-part-time")
	b.ReportMetric(partTime+glassSettle.Seconds(), "s-target")
}

// glassResult is one clip's measures, each after its last write.
type glassResult struct {
	name       string
	recording  time.Duration // first write to last
	unsentMiB  float64
	done       time.Duration
	complete   time.Duration
	finalStart time.Duration
	finalPut   time.Duration
	putMiBps   float64 // one PUT's rate: the PUTs' bytes over the sum of their durations
	puts       string  // part@came-in/took(status), from the first write
}

func (s *glassResult) add(r glassResult) {
	s.recording += r.recording
	s.unsentMiB += r.unsentMiB
	s.done += r.done
	s.complete += r.complete
	s.finalStart += r.finalStart
	s.finalPut += r.finalPut
	s.putMiBps += r.putMiBps
}

// recordGlass records one clip into dir and waits until watch says it done and the
// simulator has its asset complete.
func recordGlass(b *testing.B, ctx context.Context, admin *c2csim.Admin, proxy *pathProxy, w *proc, dir, name string, rate int) glassResult {
	rec := e2etest.NewRecorder(b, dir, name, glassClip, e2etest.RecorderOptions{Rate: rate})
	sent := proxy.up.bytes.Load()
	start := time.Now()
	rec.WriteTo(rec.Size())
	last := rec.Close()
	sent = proxy.up.bytes.Load() - sent
	r := glassResult{name: name, recording: last.Sub(start), unsentMiB: max(0, float64(glassClip-sent)/(1<<20))}

	ev := glassWaitEvent(b, ctx, w, name+" done", func(ev map[string]any) bool {
		return ev["type"] == "file" && ev["name"] == name && ev["state"] == "done"
	})
	doneAt, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["done_at"]))
	if err != nil {
		b.Fatalf("%s: done_at %v: %v", name, ev["done_at"], err)
	}
	r.done = doneAt.Sub(last)

	var a c2csim.AssetInfo
	glassWaitFor(b, ctx, name+"'s asset complete in the simulator", func() bool {
		as, err := admin.Assets(ctx)
		if err != nil {
			b.Fatalf("reading the simulator's assets: %v", err)
		}
		var mine []c2csim.AssetInfo
		for _, x := range as {
			if x.Name == name {
				mine = append(mine, x)
			}
		}
		if len(mine) == 0 || !mine[len(mine)-1].Complete {
			return false
		}
		if len(mine) != 1 {
			b.Errorf("%s: %d assets, want 1 (the clip was not uploaded as one real-time asset): %+v", name, len(mine), mine)
		}
		a = mine[len(mine)-1]
		return true
	})
	r.complete = a.CompletedAt.Sub(last)
	switch {
	case !a.Realtime:
		b.Errorf("%s was uploaded as an ordinary asset, not as it was written: this measures the wrong path", name)
	case a.SHA256 != rec.SHA256():
		b.Errorf("%s: the asset's SHA-256 %s is not the clip's %s", name, a.SHA256, rec.SHA256())
	case len(a.Parts) != glassClip/glassPart:
		b.Errorf("%s went in %d parts, want %d", name, len(a.Parts), glassClip/glassPart)
	}

	// The parts' PUTs as the simulator logged them: when each came in (after the first
	// write), how long its body took; the final part's last one after the last write.
	reqs, err := admin.Requests(ctx, 0)
	if err != nil {
		b.Fatalf("reading the simulator's request log: %v", err)
	}
	var puts []string
	var putBytes int64
	var putTime float64
	for _, q := range reqs {
		if q.Kind != "s3" || q.Method != "PUT" || q.AssetID != a.ID {
			continue
		}
		took := time.Duration(q.Duration * float64(time.Millisecond))
		puts = append(puts, fmt.Sprintf("%d@%.1fs/%.1fs(%d)", q.Part, q.Time.Sub(start).Seconds(), took.Seconds(), q.Status))
		if q.Status != 200 {
			continue
		}
		putBytes += q.BytesIn
		putTime += took.Seconds()
		if q.Part == len(a.Parts) {
			r.finalStart, r.finalPut = q.Time.Sub(last), took
		}
	}
	r.puts = strings.Join(puts, " ")
	if putTime > 0 {
		r.putMiBps = float64(putBytes) / (1 << 20) / putTime
	}
	return r
}

// glassWaitEvent waits for the first --json event of w that match holds for, while w runs.
func glassWaitEvent(b *testing.B, ctx context.Context, w *proc, what string, match func(map[string]any) bool) map[string]any {
	var found map[string]any
	glassWaitFor(b, ctx, what, func() bool {
		if w.exited() {
			b.Fatalf("waiting for %s: watch ended: %s", what, w.describe())
		}
		for _, ev := range jsonEvents(w.stdout.String()) {
			if match(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// glassWaitFor polls cond every 50 ms, within glassGuard.
func glassWaitFor(b *testing.B, ctx context.Context, what string, cond func() bool) {
	ctx, cancel := context.WithTimeout(ctx, glassGuard)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			b.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// glassStopWatch ends the watch run with SIGTERM, as a person's Ctrl-C would.
func glassStopWatch(b *testing.B, w *proc) {
	if w.exited() {
		return
	}
	_ = w.signal(syscall.SIGTERM)
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.wait(wctx); err != nil {
		b.Errorf("stopping watch: %v", err)
	} else if w.Code != 0 {
		b.Errorf("watch, stopped with SIGTERM, exited %d: %s", w.Code, w.describe())
	}
}

// glassPort is a free port on 127.0.0.1 (the proxy's: the simulator must know it
// before the proxy can be started toward the simulator).
func glassPort(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
