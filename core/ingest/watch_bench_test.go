//go:build unix

package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// What watching costs a folder of 10,000 files (README, "Watch folders"): a walk of
// them all (the rescan every 5 minutes, and the first look), and the CPU of a Watcher
// sitting on them while nothing changes:
//
//	go test -run '^$' -bench . -benchtime 3x ./core/ingest/

// tenThousandFiles makes 10,000 small files in 100 folders of a card-like tree.
func tenThousandFiles(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for d := range 100 {
		sub := filepath.Join(dir, "DCIM", fmt.Sprintf("%03dCLIP", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("C%04d.MP4", f)), []byte("clip"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dir
}

// BenchmarkRescanTenThousandFiles is one walk of 10,000 files already handed over: what
// a rescan costs when nothing changed.
func BenchmarkRescanTenThousandFiles(b *testing.B) {
	dir := tenThousandFiles(b)
	s := &state{
		cfg: Config{Settle: time.Second, Rescan: time.Hour, GiveUp: time.Hour}, ctx: b.Context(),
		roots: map[string]*root{}, known: map[string]version{}, pending: map[string]*pend{}, dirs: &watches{paths: map[string]bool{}},
	}
	r := &root{path: dir, state: Watching}
	s.roots[dir], s.order = r, []string{dir}
	s.walk(r, time.Now())
	if len(s.pending) != 10000 {
		b.Fatalf("the first walk found %d files, want 10000", len(s.pending))
	}
	for p, pd := range s.pending {
		s.known[p] = pd.seen
		delete(s.pending, p)
	}
	b.ResetTimer()
	for range b.N {
		s.walk(r, time.Now())
	}
	b.StopTimer()
	if len(s.pending) != 0 || len(s.known) != 10000 {
		b.Fatalf("a rescan of unchanged files left %d waiting and %d known, want 0 and 10000", len(s.pending), len(s.known))
	}
}

// BenchmarkIdleWatchTenThousandFiles runs a Watcher on 10,000 files, waits until every
// one was handed over, then sits for 10 s while nothing changes and reports the CPU the
// process spent meanwhile, per minute.
func BenchmarkIdleWatchTenThousandFiles(b *testing.B) {
	dir := tenThousandFiles(b)
	const idle = 10 * time.Second
	for range b.N {
		var handed atomic.Int64
		w := New(Config{Settle: 200 * time.Millisecond, Hand: func(_ context.Context, _ string, paths []string) error {
			handed.Add(int64(len(paths)))
			return nil
		}})
		ctx, cancel := context.WithCancel(b.Context())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		if err := w.Set(ctx, []string{dir}); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for handed.Load() < 10000 {
			if time.Now().After(deadline) {
				b.Fatalf("%d of 10000 files handed after a minute", handed.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		before := cpuTime(b)
		time.Sleep(idle)
		spent := cpuTime(b) - before
		cancel()
		<-done
		b.ReportMetric(float64(spent.Microseconds())/1000*float64(time.Minute/idle), "cpu-ms/min")
		if got := handed.Load(); got != 10000 {
			b.Fatalf("%d files handed while nothing changed, want 10000", got)
		}
	}
}

// cpuTime is the CPU this process has spent, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
