package upload_test

import (
	"fmt"
	"github.com/c2c-uploader/c2c-uploader/core"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// The engine in process, through the service, against an in-process simulator that keeps
// nothing (Discard), with the real SQLite journal and the product's settings and part
// size. They leave out what scripts/bench.sh measures on top (process start, the CLI) and
// are the place for a profile:
//
//	go test -run '^$' -bench Upload -benchtime 3x -cpuprofile cpu.out ./core/upload/
//
// Files are sparse (zeros read from holes), as in scripts/bench.sh.

// BenchmarkUploadBigFile uploads one 512 MiB file (21 parts of the default 25 MiB).
func BenchmarkUploadBigFile(b *testing.B) {
	benchUpload(b, 1, 512<<20)
}

// BenchmarkUploadSmallFiles uploads 200 files of 1 MiB (one part each): the cost per
// file (asset creation, journal writes, scheduling) rather than the bytes.
func BenchmarkUploadSmallFiles(b *testing.B) {
	benchUpload(b, 200, 1<<20)
}

func benchUpload(b *testing.B, files int, size int64) {
	benchUploadWith(b, upload.Settings{}, files, size)
}

func benchUploadWith(b *testing.B, s upload.Settings, files int, size int64) {
	dir := b.TempDir()
	var paths []string
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("bench-%04d.mov", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	r := newBenchRig(b, s)
	b.SetBytes(int64(files) * size)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := r.svc.Add(b.Context(), paths, core.AddOptions{Force: true})
		if err != nil || len(res.Added) != files {
			b.Fatalf("Add: %v, %d added", err, len(res.Added))
		}
		ids := map[core.FileID]bool{}
		for _, v := range res.Added {
			ids[v.ID] = true
		}
		for {
			vs, _ := r.svc.Snapshot()
			left := 0
			for _, v := range vs {
				if ids[v.ID] && v.State != core.Done {
					if v.State.Finished() {
						b.Fatalf("%s is %s: %s", v.Name, v.State, v.Error)
					}
					left++
				}
			}
			if left == 0 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if files > 1 {
			b.ReportMetric(float64(files)/time.Since(start).Seconds(), "files/s")
		}
	}
}

// newBenchRig is a rig for benchmarks: the product's part size, a discarding simulator.
func newBenchRig(b *testing.B, s upload.Settings) *rig {
	b.Helper()
	return newRig(b, rigConfig{settings: s, sim: c2csim.Options{PartSize: c2csim.DefaultPart, Discard: true}})
}

// BenchmarkUploadSmallFilesEight uploads 600 files of 1 MiB eight at a time, one request
// each in flight: the shape scripts/bench.sh compares with a plain client.
func BenchmarkUploadSmallFilesEight(b *testing.B) {
	benchUploadWith(b, upload.Settings{ParallelFiles: 8, ParallelChunks: 1}, 600, 1<<20)
}
