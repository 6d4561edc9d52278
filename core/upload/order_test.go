package upload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// oneAtATime: one request in flight, so the simulator sees the files' creations in the
// order the queue takes them.
var oneAtATime = upload.Settings{ParallelFiles: 1, ParallelChunks: 1}

// writeCard writes files (slash-separated paths below dir, in this order) with sizes.
func writeCard(t *testing.T, dir string, files []cardFile) []string {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		paths[i] = writeFile(t, filepath.Dir(p), filepath.Base(p), f.size)
	}
	return paths
}

type cardFile struct {
	path string
	size int64
}

// creations are the names of the assets the simulator made, in the order it made them.
func (r *rig) creations() []string {
	r.t.Helper()
	assets, err := r.sim.Admin.Assets(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	slices.SortStableFunc(assets, func(a, b c2csim.AssetInfo) int { return a.InsertedAt.Compare(b.InsertedAt) })
	names := make([]string, len(assets))
	for i, a := range assets {
		names[i] = a.Name
	}
	return names
}

func (r *rig) idOf(path string) core.FileID {
	r.t.Helper()
	v, ok := r.view(path)
	if !ok {
		r.t.Fatalf("%s is not in the queue", path)
	}
	return v.ID
}

// A card of mixed media added in one drop goes in the rule's order: sound, proxies,
// sidecars, stills, originals — each in the order it was shot — and every file shows its
// category.
func TestACardGoesInTheRulesOrder(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: oneAtATime})
	card := filepath.Join(r.dir, "A001")
	writeCard(t, card, []cardFile{
		{"A001C001_220101_R1AB.mov", 6 * rigPartSize},
		{"A001C002_220101_R1AB.mov", 6 * rigPartSize},
		{"A001C003_220101_R1AB.mov", 6 * rigPartSize},
		{"Sound/T001.WAV", 2 * rigPartSize},
		{"Sound/T002.WAV", 2 * rigPartSize},
		{"Sound/T003.WAV", 2 * rigPartSize},
		{"Proxy/A001C001_220101_R1AB.mov", rigPartSize / 2},
		{"Proxy/A001C002_220101_R1AB.mov", rigPartSize / 2},
		{"Proxy/A001C003_220101_R1AB.mov", rigPartSize / 2},
		{"A001.cdl", 300},
		{"frame.jpg", 4000},
	})
	r.add(card)
	want := []string{
		"T001.WAV", "T002.WAV", "T003.WAV",
		"A001C001_220101_R1AB.mov", "A001C002_220101_R1AB.mov", "A001C003_220101_R1AB.mov", // the proxies
		"A001.cdl", "frame.jpg",
		"A001C001_220101_R1AB.mov", "A001C002_220101_R1AB.mov", "A001C003_220101_R1AB.mov",
	}
	cats := map[string]core.Category{}
	views, _ := r.svc.Snapshot()
	core.SortByRun(views, core.CategoryOrder{})
	var planned []string
	for _, v := range views {
		planned = append(planned, v.Name)
		cats[strings.TrimPrefix(v.Path, card+string(filepath.Separator))] = v.Category
	}
	if !slices.Equal(planned, want) {
		t.Errorf("the queue plans\n%q\nwant\n%q", planned, want)
	}
	for path, c := range map[string]core.Category{
		"Sound/T001.WAV": core.Sound, "Proxy/A001C002_220101_R1AB.mov": core.Proxies, "A001.cdl": core.Sidecars,
		"frame.jpg": core.Stills, "A001C003_220101_R1AB.mov": core.Originals,
	} {
		if cats[filepath.FromSlash(path)] != c {
			t.Errorf("%s is %q, want %s", path, cats[filepath.FromSlash(path)], c)
		}
	}
	r.run()
	r.waitFinished()
	if got := r.creations(); !slices.Equal(got, want) {
		t.Errorf("the simulator made assets in the order\n%q\nwant\n%q", got, want)
	}
}

// A sound file added while originals upload is created before the next original:
// nothing running is interrupted.
func TestSoundAddedLaterGoesNext(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: oneAtATime})
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 512 << 10})
	clips := writeCard(t, r.dir, []cardFile{
		{"C001.mov", 8 * rigPartSize}, {"C002.mov", 8 * rigPartSize}, {"C003.mov", 8 * rigPartSize},
	})
	r.add(clips...)
	r.run()
	r.waitChunks(clips[0], 1)
	sound := writeFile(t, r.dir, "T001.WAV", rigPartSize)
	r.add(sound)
	if err := r.sim.Admin.RemoveFault(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	if got, want := r.creations(), []string{"C001.mov", "T001.WAV", "C002.mov", "C003.mov"}; !slices.Equal(got, want) {
		t.Errorf("the simulator made assets in the order %q, want %q", got, want)
	}
	r.checkIntact(append(clips, sound)...)
}

// Move to top and to bottom reorder the queue, and the order survives a restart (the
// journal reopened), and a move made while a file runs is not undone by what the file
// writes next.
func TestMovesSurviveARestart(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: oneAtATime})
	clips := writeCard(t, r.dir, []cardFile{
		{"C001.mov", 2 * rigPartSize}, {"C002.mov", 2 * rigPartSize}, {"C003.mov", 2 * rigPartSize},
		{"C004.mov", 2 * rigPartSize}, {"C005.mov", 2 * rigPartSize},
	})
	r.add(clips...)
	ctx := context.Background()
	if err := r.svc.Move(ctx, core.One(r.idOf(clips[3])), core.Top); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Move(ctx, core.Some(r.idOf(clips[0]), r.idOf(clips[2])), core.Bottom); err != nil {
		t.Fatal(err)
	}
	want := []string{"C004.mov", "C002.mov", "C005.mov", "C001.mov", "C003.mov"}
	r.stop()
	r.open()
	views, _ := r.svc.Snapshot()
	core.SortByRun(views, core.CategoryOrder{})
	var planned []string
	for _, v := range views {
		planned = append(planned, v.Name)
	}
	if !slices.Equal(planned, want) {
		t.Fatalf("after a restart the queue plans %q, want %q", planned, want)
	}
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 64 << 10})
	r.run()
	r.waitChunks(clips[3], 1)
	// C004 runs: moved to the bottom now, it finishes (nothing running is stopped) and
	// keeps its new place.
	if err := r.svc.Move(ctx, core.One(r.idOf(clips[3])), core.Bottom); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Admin.RemoveFault(ctx, slow.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	if got := r.creations(); !slices.Equal(got, want) {
		t.Errorf("the simulator made assets in the order %q, want %q", got, want)
	}
	if v, _ := r.view(clips[3]); v.Rank <= 0 {
		t.Errorf("C004 moved to the bottom while it ran is at rank %d once done", v.Rank)
	}
	r.restart()
	if v, _ := r.view(clips[3]); v.Rank <= 0 || v.State != core.Done {
		t.Errorf("C004 moved to the bottom while it ran reads back %s at rank %d", v.State, v.Rank)
	}
}

// A move of a file that is not in the queue says so and moves nothing.
func TestMoveOfAnUnknownFile(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{})
	clips := writeCard(t, r.dir, []cardFile{{"C001.mov", 100}, {"C002.mov", 100}})
	r.add(clips...)
	err := r.svc.Move(context.Background(), core.Some(r.idOf(clips[1]), 999), core.Top)
	if !errors.Is(err, core.ErrUnknownFile) {
		t.Fatalf("Move of 999 = %v, want ErrUnknownFile", err)
	}
	if v, _ := r.view(clips[1]); v.Rank != 0 {
		t.Errorf("C002 moved (rank %d) although the move was refused", v.Rank)
	}
}
