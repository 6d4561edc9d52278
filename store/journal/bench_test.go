package journal

import (
	"context"
	"sync/atomic"
	"testing"

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
