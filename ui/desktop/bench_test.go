package desktop

// The load target: 10,000 files added at once. The window must stay responsive
// (from the add to the first painted list in under a second) and the process under
// 300 MiB of RSS.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
)

const (
	manyFiles    = 10000
	paintBudget  = time.Second // add → first painted list
	rssBudgetMiB = 300
)

var (
	manyOnce sync.Once
	manyDir  string
	manyErr  error
)

// manyFilesFolder is a folder of 10,000 small files (in 100 sub-folders, like cards of
// stills), made once per test process.
func manyFilesFolder(tb testing.TB) string {
	tb.Helper()
	manyOnce.Do(func() {
		manyDir, manyErr = os.MkdirTemp("", "c2c-desktop-10k-")
		if manyErr != nil {
			return
		}
		for i := range manyFiles {
			dir := filepath.Join(manyDir, fmt.Sprintf("CARD%03d", i/100))
			if i%100 == 0 {
				if manyErr = os.MkdirAll(dir, 0o755); manyErr != nil {
					return
				}
			}
			body := fmt.Appendf(nil, "still %05d %s", i, strings.Repeat("x", 200+i%300))
			if manyErr = os.WriteFile(filepath.Join(dir, fmt.Sprintf("IMG_%05d.JPG", i)), body, 0o644); manyErr != nil {
				return
			}
		}
	})
	if manyErr != nil {
		tb.Fatalf("making %d files: %v", manyFiles, manyErr)
	}
	return manyDir
}

// addRun is one measurement.
type addRun struct {
	add      time.Duration // svc.Add: scanning and journaling (off the UI goroutine)
	toPaint  time.Duration // from Add's return until the list holds every file, painted
	paint    time.Duration // the paint itself (a software render of the whole window)
	apply    time.Duration // the longest batch the presenter applied (the UI goroutine busy)
	uiWait   time.Duration // the longest a probe waited for the UI goroutine meanwhile
	uiProbes int

	// Then, while the files upload (a few hundred finish a second):
	upApply time.Duration // the longest batch applied
	upBusy  float64       // the share of the time spent applying batches
	upDone  int           // files finished meanwhile
}

// addManyAndWatch adds the folder to a fresh, paired, running window and times how long
// the list takes to show every file. A probe asks the UI goroutine for a no-op every few
// milliseconds throughout, and reports the longest it had to wait (which on a shared
// machine includes waiting for a CPU). With b, the benchmark's timer runs exactly over
// the interval the issue names.
// With watch > 0 it goes on watching the presenter for that long while the files
// upload.
func addManyAndWatch(tb testing.TB, folder string, b *testing.B, watch time.Duration) addRun {
	tb.Helper()
	d := newDesk(tb, deskConfig{paired: true, run: true, noStart: true,
		sim: c2csim.Options{Discard: true}})
	// Watch every batch the presenter applies; after the first one that leaves every file
	// in the list, the window is painted, as the real driver would on its next frame.
	full := make(chan struct{}, 1)
	var longest, busy time.Duration // guarded by the UI lock
	apply := d.ui.p.apply
	d.ui.p.apply = func(evs []core.Event) {
		t0 := time.Now()
		apply(evs)
		took := time.Since(t0)
		longest, busy = max(longest, took), busy+took
		if d.ui.queue.list.Visible() && len(d.ui.m.row) == manyFiles {
			select {
			case full <- struct{}{}:
			default:
			}
		}
	}
	onUI(func() { d.ui.Start(d.ctx) })
	d.eventually("the window shows the empty queue", func() bool {
		return d.showsQueue() && d.ui.banner.text.Text == "Connected to “Desk Tests”"
	})
	onUI(func() { longest = 0 })

	stop := make(chan struct{})
	probed := make(chan addRun, 1)
	go func() {
		var r addRun
		for {
			select {
			case <-stop:
				probed <- r
				return
			case <-time.After(5 * time.Millisecond):
			}
			t0 := time.Now()
			onUI(func() {})
			r.uiWait = max(r.uiWait, time.Since(t0))
			r.uiProbes++
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), deskWaitLong)
	defer cancel()
	t0 := time.Now()
	res, err := d.svc.Add(ctx, []string{folder}, core.AddOptions{})
	added := time.Now()
	if b != nil {
		b.StartTimer()
	}
	if err != nil {
		tb.Fatalf("Add: %v", err)
	}
	if len(res.Added) != manyFiles || len(res.Rejected) != 0 {
		tb.Fatalf("Add queued %d and refused %d", len(res.Added), len(res.Rejected))
	}
	select {
	case <-full:
	case <-time.After(deskWaitLong):
		tb.Fatalf("the list never showed %d files (it has %d)", manyFiles,
			uiValue(func() int { return len(d.ui.m.row) }))
	}
	var r addRun
	onUI(func() {
		p0 := time.Now()
		d.win.Canvas().Capture()
		r.paint = time.Since(p0)
		if len(rows(d.win.Content())) == 0 {
			tb.Errorf("the list holds %d files but paints no row", manyFiles)
		}
	})
	painted := time.Now()
	if b != nil {
		b.StopTimer()
	}
	close(stop)
	p := <-probed
	r.add, r.toPaint, r.uiWait, r.uiProbes = added.Sub(t0), painted.Sub(added), p.uiWait, p.uiProbes
	onUI(func() { r.apply = longest })
	if watch > 0 {
		var done0 int
		onUI(func() { longest, busy, done0 = 0, 0, d.ui.m.totals.Done })
		time.Sleep(watch)
		onUI(func() {
			r.upApply, r.upBusy = longest, float64(busy)/float64(watch)
			r.upDone = d.ui.m.totals.Done - done0
		})
	}
	// Stop this window's uploads now: a benchmark's ops must not run beside each other.
	d.close()
	_ = d.sim.Close()
	return r
}

// BenchmarkAddTenThousandFiles times, per op, from svc.Add of a folder of 10,000 files
// returning until the presenter has applied them and the list is painted with them
// (ns/op). Each op builds a fresh window, service and journal, outside the timer.
func BenchmarkAddTenThousandFiles(b *testing.B) {
	b.StopTimer()
	folder := manyFilesFolder(b)
	var add, toPaint, paint, apply, wait time.Duration
	n := 0
	for range b.N {
		r := addManyAndWatch(b, folder, b, 0)
		add, toPaint, paint = add+r.add, toPaint+r.toPaint, paint+r.paint
		apply, wait = max(apply, r.apply), max(wait, r.uiWait)
		n++
	}
	avg := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(n) }
	b.ReportMetric(avg(add), "add-call-ms/op")
	b.ReportMetric(avg(paint), "paint-ms/op")
	b.ReportMetric(float64(apply.Milliseconds()), "max-apply-ms")
	b.ReportMetric(float64(wait.Milliseconds()), "max-ui-wait-ms")
	if toPaint/time.Duration(n) > paintBudget {
		b.Errorf("from the add to the painted list took %v on average, over the %v budget", toPaint/time.Duration(n), paintBudget)
	}
}

// TestTenThousandFilesMemory adds 10,000 files to a running window and reports the
// process's RSS (and the time to the painted list): both must stay within the load
// targets above. The race detector multiplies memory use several times over; under it the
// RSS is reported, not held to the budget.
func TestTenThousandFilesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 files: not in -short")
	}
	folder := manyFilesFolder(t)
	runtime.GC()
	before := procStatus(t)
	r := addManyAndWatch(t, folder, nil, 3*time.Second)
	runtime.GC()
	after := procStatus(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("10,000 files: Add %v, add→painted list %v (paint %v), longest apply %v, longest UI wait %v over %d probes",
		r.add, r.toPaint, r.paint, r.apply, r.uiWait, r.uiProbes)
	t.Logf("RSS before %d MiB, after %d MiB, peak %d MiB; Go heap in use %d MiB (race detector: %v)",
		before["VmRSS"]>>10, after["VmRSS"]>>10, after["VmHWM"]>>10, ms.HeapInuse>>20, raceOn)
	// The race detector slows the window several times over: it gets three budgets.
	budget := paintBudget
	if raceOn {
		budget = 3 * paintBudget
	}
	if r.toPaint > budget {
		t.Errorf("from the add to the painted list took %v, over the %v budget", r.toPaint, budget)
	}
	t.Logf("then for 3 s of uploads: %d files done, longest apply %v, applying %.0f%% of the time",
		r.upDone, r.upApply, 100*r.upBusy)
	if r.upDone == 0 {
		t.Error("no file was uploaded: nothing was measured while uploading")
	}
	// Without the race detector the presenter needs a few per cent; the detector slows
	// the window more than the engine, hence its looser bound. On this project's 2-core
	// machines the race-built window measures 94-105% here (the bound was 90%, which
	// failed the same on the code before it); 150% still catches a presenter that cannot
	// keep up, which was at 345%.
	busyBudget := 0.5
	if raceOn {
		busyBudget = 1.5
	}
	if r.upBusy > busyBudget {
		t.Errorf("while files finish, the presenter keeps the UI goroutine busy %.0f%% of the time", 100*r.upBusy)
	}
	if r.apply > budget || r.upApply > budget {
		t.Errorf("the presenter held the UI goroutine for %v with one batch (%v while uploading)", r.apply, r.upApply)
	}
	if !raceOn && after["VmRSS"]>>10 > rssBudgetMiB {
		t.Errorf("RSS %d MiB after adding %d files, over the %d MiB budget", after["VmRSS"]>>10, manyFiles, rssBudgetMiB)
	}
}

// Clearing 10,000 finished files from the list (what "Clear finished" does after a big
// batch) is one quick batch, not a freeze.
func TestTenThousandFilesCleared(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	evs := make([]core.Event, 0, manyFiles)
	for i := 1; i <= manyFiles; i++ {
		evs = append(evs, fileEv(core.FileView{ID: core.FileID(i), Name: fmt.Sprintf("IMG_%05d.JPG", i), Size: 1000, State: core.Done}))
	}
	d.apply(evs...)
	evs = evs[:0]
	for i := 1; i <= manyFiles; i++ { // the engine removes them oldest first
		evs = append(evs, core.Event{Type: core.EventRemoved, Removed: core.FileID(i)})
	}
	t0 := time.Now()
	d.apply(evs...)
	took := time.Since(t0)
	t.Logf("removing %d rows in one batch: %v", manyFiles, took)
	if took > paintBudget {
		t.Errorf("removing %d rows held the UI goroutine for %v", manyFiles, took)
	}
	onUI(func() {
		if n := d.ui.queue.list.Length(); n != 0 || !d.ui.queue.empty.Visible() {
			t.Errorf("after clearing: %d rows, drop zone visible %v", n, d.ui.queue.empty.Visible())
		}
	})
}

// procStatus reads the kB figures of /proc/self/status (VmRSS, VmHWM...).
func procStatus(t testing.TB) map[string]int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}
