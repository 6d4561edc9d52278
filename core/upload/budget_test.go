package upload_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// putOverlap reads the simulator's log: the most chunk PUTs it was handling at once, and
// the most distinct assets among them.
func (r *rig) putOverlap() (puts, assets int) {
	type edge struct {
		at    time.Time
		delta int
		asset string
	}
	var edges []edge
	for _, q := range r.sim.Requests(0) {
		if q.Kind != "s3" || q.Status != 200 {
			continue
		}
		end := q.Time.Add(time.Duration(q.Duration * float64(time.Millisecond)))
		edges = append(edges, edge{q.Time, 1, q.AssetID}, edge{end, -1, q.AssetID})
	}
	// Ends before starts at the same instant: back-to-back PUTs do not overlap.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	open := map[string]int{}
	n := 0
	for _, e := range edges {
		n += e.delta
		open[e.asset] += e.delta
		if open[e.asset] == 0 {
			delete(open, e.asset)
		}
		puts, assets = max(puts, n), max(assets, len(open))
	}
	return puts, assets
}

// TestSmallFilesShareTheBudgetOfPUTs: files of one chunk each go up more than
// ParallelFiles at a time — as many as ParallelFiles × ParallelChunks PUTs — so a card
// of stills keeps the link as busy as one big clip would, and never more.
func TestSmallFilesShareTheBudgetOfPUTs(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 4}})
	r.slowChunks(300 * time.Millisecond)
	var paths []string
	for i := range 24 {
		paths = append(paths, writeFile(t, r.dir, fmt.Sprintf("still-%02d.jpg", i), 20<<10+int64(i)))
	}
	r.add(paths...)
	r.finishFaultTest(paths)
	puts, assets := r.putOverlap()
	if puts > 8 {
		t.Errorf("%d PUTs in flight at once, over the budget of 2 files × 4 chunks", puts)
	}
	if assets <= 2 {
		t.Errorf("at most %d files were sending at once: small files did not use the budget", assets)
	}
	t.Logf("small files: up to %d PUTs of %d files at once", puts, assets)
}

// TestLargeFilesKeepParallelFiles: files of many chunks take ParallelChunks PUTs each,
// so no more than ParallelFiles of them send at once.
func TestLargeFilesKeepParallelFiles(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 3}})
	r.slowChunks(50 * time.Millisecond)
	var paths []string
	for i := range 4 {
		paths = append(paths, writeFile(t, r.dir, fmt.Sprintf("clip-%d.mov", i), 10*rigPartSize+int64(i)))
	}
	r.add(paths...)
	r.finishFaultTest(paths)
	puts, assets := r.putOverlap()
	if puts > 6 || assets > 2 {
		t.Errorf("up to %d PUTs of %d files at once; want at most 2 files × 3 chunks", puts, assets)
	}
	if puts < 4 {
		t.Errorf("at most %d PUTs at once: the files did not use their chunks in parallel", puts)
	}
}
