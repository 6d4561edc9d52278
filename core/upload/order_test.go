package upload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/media"
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

// Uploads started by hand: files added wait on hold and nothing is created for them; a
// file started goes alone (the ones on hold ahead of it stay); start all sends the rest.
// An add asked to hold holds whatever the setting.
func TestManualStart(t *testing.T) {
	t.Parallel()
	manual := oneAtATime
	manual.ManualStart = true
	r := newIdleRig(t, rigConfig{settings: manual})
	clips := writeCard(t, r.dir, []cardFile{{"C001.mov", 2 * rigPartSize}, {"C002.mov", 2 * rigPartSize}, {"C003.mov", 2 * rigPartSize}})
	res := r.add(clips...)
	for _, v := range res.Added {
		if v.State != core.OnHold {
			t.Fatalf("%s was added %s, want on hold", v.Name, v.State)
		}
	}
	r.run()
	ctx := context.Background()
	if err := r.svc.Start(ctx, core.One(r.idOf(clips[1]))); err != nil {
		t.Fatal(err)
	}
	r.waitState(clips[1], core.Done)
	if got := r.creations(); !slices.Equal(got, []string{"C002.mov"}) {
		t.Fatalf("after starting C002 the simulator made %q", got)
	}
	for _, p := range []string{clips[0], clips[2]} {
		if v, _ := r.view(p); v.State != core.OnHold {
			t.Errorf("%s is %s, want on hold", v.Name, v.State)
		}
	}
	if _, totals := r.svc.Snapshot(); totals.OnHold != 2 || totals.FilesRemaining != 0 {
		t.Errorf("totals count %d on hold and %d to go, want 2 and 0 (they wait for the person)", totals.OnHold, totals.FilesRemaining)
	}
	if err := r.svc.Start(ctx, core.All); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	if got := r.creations(); !slices.Equal(got, []string{"C002.mov", "C001.mov", "C003.mov"}) {
		t.Errorf("the simulator made %q", got)
	}

	// Automatic again, but this add holds.
	auto := oneAtATime
	if err := r.svc.SetSettings(core.DefaultSettings().WithUpload(auto)); err != nil {
		t.Fatal(err)
	}
	later := writeFile(t, r.dir, "C004.mov", 100)
	res, err := r.svc.Add(ctx, []string{later}, core.AddOptions{Hold: true})
	if err != nil || len(res.Added) != 1 || res.Added[0].State != core.OnHold {
		t.Fatalf("Add with Hold = %+v, %v", res, err)
	}
	r.restart() // on hold survives a restart
	if v, _ := r.view(later); v.State != core.OnHold {
		t.Fatalf("after a restart C004 is %s, want on hold", v.State)
	}
}

// A filter leaves files out of an add: they never reach the simulator, and each says
// why; the settings' filter applies unless the add brings its own.
func TestFiltersLeaveFilesOut(t *testing.T) {
	t.Parallel()
	settings := oneAtATime
	settings.Filter = media.FilterSpec{Exclude: "*.tmp"}
	r := newRig(t, rigConfig{settings: settings})
	card := filepath.Join(r.dir, "A001")
	writeCard(t, card, []cardFile{
		{"A001C001.mov", 3 * rigPartSize}, {"Sound/T001.WAV", rigPartSize}, {"Proxy/A001C001.mov", 100},
		{"render.tmp", 100}, {"Sound/T001.tmp", 100},
	})
	res, err := r.svc.Add(context.Background(), []string{card}, core.AddOptions{Filter: &media.FilterSpec{Only: "sound,proxies", Exclude: "*.tmp"}})
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, v := range res.Added {
		added = append(added, strings.TrimPrefix(v.Path, card+string(filepath.Separator)))
	}
	slices.Sort(added)
	if want := []string{filepath.FromSlash("Proxy/A001C001.mov"), filepath.FromSlash("Sound/T001.WAV")}; !slices.Equal(added, want) {
		t.Errorf("added %q, want %q", added, want)
	}
	groups := core.LeftOut(res.Rejected)
	if len(groups) != 2 || groups[0].Reason != "not sound or proxies (only sound,proxies)" || len(groups[0].Paths) != 1 ||
		groups[1].Reason != "excluded by *.tmp" || len(groups[1].Paths) != 2 {
		t.Errorf("left out %+v", groups)
	}
	r.waitFinished()
	if got := r.creations(); len(got) != 2 || slices.Contains(got, "render.tmp") || slices.Contains(got, "T001.tmp") {
		t.Errorf("the simulator made %q", got)
	}
	// The settings' filter: the .tmp files still stay out; the original goes now.
	res = r.add(card)
	if len(res.Added) != 1 || res.Added[0].Name != "A001C001.mov" || len(core.LeftOut(res.Rejected)) != 1 {
		t.Errorf("with the settings' filter: added %+v, rejected %+v", res.Added, res.Rejected)
	}
	// A bad filter is refused, with nothing queued.
	if _, err := r.svc.Add(context.Background(), []string{card}, core.AddOptions{Filter: &media.FilterSpec{Exclude: "[x"}}); err == nil ||
		!strings.Contains(err.Error(), "not a valid pattern") {
		t.Errorf("a bad pattern: %v", err)
	}
}

// The bandwidth schedule: with a clock three seconds before the end of a weekday period
// of 256 KB/s, the simulator receives no more than the period allows until its end, and
// the rest of the file at once after it (no limit outside the period). Judged from the
// simulator's timeline of received bytes, not from the wall clock's durations.
func TestScheduleChangesTheLimitAtThePeriodsEdge(t *testing.T) {
	t.Parallel()
	const limit = 256_000
	// A Wednesday, 18:59:57 here.
	base := time.Date(2026, 12, 9, 18, 59, 57, 0, time.Local)
	settings := oneAtATime
	settings.Schedule = "weekdays 08:00-19:00 256KB/s"
	// The clock stands at 18:59:57 until the upload starts, then runs: however long the
	// rig takes to set up, the period ends three seconds into the upload.
	var started atomic.Int64 // the system's time when it started to run, in ns
	clock := func() time.Time {
		if s := started.Load(); s != 0 {
			return base.Add(time.Since(time.Unix(0, s)))
		}
		return base
	}
	r := newIdleRig(t, rigConfig{settings: settings, tuning: core.UploadTuning{Now: clock}})
	if _, totals := r.svc.Snapshot(); totals.Limit != limit || !totals.LimitUntil.Equal(base.Add(3*time.Second)) {
		t.Fatalf("totals say limited to %d until %s, want %d until 19:00", totals.Limit, totals.LimitUntil, limit)
	}
	clip := writeFile(t, r.dir, "C001.mov", 40*rigPartSize) // 2.6 MB: ten seconds at the limit
	if err := r.sim.Admin.ClearReceived(context.Background()); err != nil {
		t.Fatal(err)
	}
	running := time.Now()
	started.Store(running.UnixNano())
	edge := running.Add(3 * time.Second) // 19:00 on the injected clock, on the system's
	r.add(clip)
	r.run()
	r.waitFinished()
	r.checkIntact(clip)
	var before, after int64
	var last time.Time
	for _, s := range r.sim.ReceivedTimeline() {
		if s.Time.Before(edge) {
			before += s.Bytes
		} else {
			after += s.Bytes
			last = s.Time
		}
	}
	// What the limit lets through from the run's start to the edge, its burst (a tenth
	// of a second, at least 64 KiB) and one part on its way besides.
	allowed := int64(float64(limit)*edge.Sub(running).Seconds()) + 64<<10 + rigPartSize
	if before > allowed {
		t.Errorf("%d bytes arrived before the period's end, more than the %d it allows", before, allowed)
	}
	if after == 0 {
		t.Fatal("nothing arrived after the period's end: the file finished inside it")
	}
	// After the edge nothing is limited: the rest arrives far faster than the limit.
	if span := last.Sub(edge) + 10*time.Millisecond; float64(after) < 3*limit*span.Seconds() {
		t.Errorf("after the period %d bytes took %s: not faster than three times its limit", after, span)
	}
	if _, totals := r.svc.Snapshot(); totals.Limit != 0 || !totals.LimitUntil.Equal(time.Date(2026, 12, 10, 8, 0, 0, 0, time.Local)) {
		t.Errorf("after the period totals say %d until %s, want no limit until Thursday 08:00", totals.Limit, totals.LimitUntil)
	}
}

// A sound file added while two originals take every request slot does not wait for one
// of them to end: it takes the next slot either frees, and arrives while both still
// upload (nothing running is stopped).
func TestSoundOvertakesOriginalsThatFillTheBudget(t *testing.T) {
	t.Parallel()
	r := newIdleRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 2}})
	slow := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 256 << 10})
	clips := writeCard(t, r.dir, []cardFile{{"C001.mov", 32 * rigPartSize}, {"C002.mov", 32 * rigPartSize}})
	r.add(clips...)
	r.run()
	r.waitChunks(clips[0], 1)
	r.waitChunks(clips[1], 1)
	sound := writeFile(t, r.dir, "T001.WAV", rigPartSize)
	r.add(sound)
	r.waitState(sound, core.Done)
	for _, p := range clips {
		if v, _ := r.view(p); v.State == core.Done {
			t.Errorf("%s finished before the sound file added after it started: the sound waited for it", v.Name)
		}
	}
	if err := r.sim.Admin.RemoveFault(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(append(clips, sound)...)
	r.noResend()
}
