package journal

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// BenchmarkChunkDoneParallel marks chunks finished from many goroutines at once, as the
// upload pool does. "group-commit" is the journal as it runs; "commit-per-write" turns
// batching off (one transaction, so one fsync, per call) as the baseline. ns/op is the
// time per ChunkDone across all goroutines; commits/op shows how many calls share one.
//
// Every call marks a different chunk: marking a finished chunk again changes no page, and
// SQLite commits such a transaction without writing or syncing anything.
func BenchmarkChunkDoneParallel(b *testing.B) {
	for _, bc := range []struct {
		name     string
		maxBatch int
	}{{"group-commit", defaultMaxBatch}, {"commit-per-write", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			const perFile = 10_000
			ctx := context.Background()
			j := openT(b, tempJournal(b), options{maxBatch: bc.maxBatch})
			var ids []upload.FileID
			for range (b.N + perFile - 1) / perFile {
				f := queuedFile(len(ids))
				f.Size = perFile
				f = startAssetT(b, j, insertT(b, j, f)[0], perFile)
				ids = append(ids, f.ID)
			}
			var next atomic.Int64
			start := j.stats()
			b.SetParallelism(16) // 16 goroutines per CPU: many chunks in flight
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := int(next.Add(1) - 1)
					if err := j.ChunkDone(ctx, ids[k/perFile], upload.Part{Index: k % perFile}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(j.stats()-start)/float64(b.N), "commits/op")
		})
	}
}

// BenchmarkLoadTenThousand reads back a journal of 10,000 finished files, as every start
// of the app and every headless command does (a week of cards).
func BenchmarkLoadTenThousand(b *testing.B) {
	ctx := context.Background()
	j := openT(b, tempJournal(b), options{})
	files := make([]upload.File, 10_000)
	for i := range files {
		files[i] = queuedFile(i)
	}
	inserted := insertT(b, j, files...)
	var wg sync.WaitGroup
	for w := range 16 { // writes in parallel share commits: the setup takes seconds, not minutes
		wg.Go(func() {
			for k := w; k < len(inserted); k += 16 {
				f := withAsset(inserted[k], 1)
				if err := j.StartAsset(ctx, f); err != nil {
					b.Error(err)
					return
				}
				f.State, f.DoneAt = upload.Done, time.Now()
				if err := j.Update(ctx, f, upload.Part{Index: 0, Hash: "xxh64:0123456789abcdef"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportAllocs()
	for b.Loop() {
		recs, err := j.Load(ctx)
		if err != nil || len(recs) != len(files) {
			b.Fatalf("Load: %d records, %v", len(recs), err)
		}
	}
}
