package upload_test

import (
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// onlyAsset returns the one asset the simulator has for name.
func (r *rig) onlyAsset(name string) c2csim.AssetInfo {
	r.t.Helper()
	as := r.assetsByName()[name]
	if len(as) != 1 {
		r.t.Fatalf("%d assets named %s, want 1", len(as), name)
	}
	return as[0]
}

// partAttempts is how often each part of the asset with id reached the simulator's
// chunk handler, by chunk index.
func (r *rig) partAttempts(id string) map[int]int {
	r.t.Helper()
	for _, a := range r.sim.Assets() {
		if a.ID == id {
			out := map[int]int{}
			for _, p := range a.Parts {
				out[p.Number-1] = p.Attempts
			}
			return out
		}
	}
	r.t.Fatalf("no asset %s", id)
	return nil
}

// quietAttempts waits until the attempts on the asset with id have not changed for
// 300 ms (requests abandoned by the client may still reach the handler a moment later)
// and returns them.
func (r *rig) quietAttempts(id string) map[int]int {
	r.t.Helper()
	last, since := r.partAttempts(id), time.Now()
	deadline := time.Now().Add(waitLong)
	for time.Since(since) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			r.t.Fatalf("the requests for asset %s never stopped", id)
		}
		time.Sleep(20 * time.Millisecond)
		if now := r.partAttempts(id); !maps.Equal(now, last) {
			last, since = now, time.Now()
		}
	}
	return last
}

// pauseMidUpload queues a file of 48 chunks on a slow link and pauses it once 8 of them
// are done; it returns the file's path, id and view as paused.
func pauseMidUpload(t *testing.T, r *rig) (string, core.FileID, core.FileView) {
	t.Helper()
	r.slowChunks(60 * time.Millisecond)
	p := writeFile(t, r.dir, "interview.mov", 48*rigPartSize)
	id := r.add(p).Added[0].ID
	r.waitChunks(p, 8)
	if err := r.svc.Pause(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	return p, id, r.waitState(p, core.Paused)
}

// TestControlPauseResume pauses a file in the middle of its upload, restarts the app
// while it is paused, and resumes it: the finished chunks are kept (each was sent once),
// and only the rest is sent after the resume.
func TestControlPauseResume(t *testing.T) {
	r := newRig(t, rigConfig{})
	p, id, paused := pauseMidUpload(t, r)
	asset := r.onlyAsset("interview.mov")
	kept := map[int]bool{}
	for k := range r.rec.journaled() {
		if k.asset == asset.ID {
			kept[k.index] = true
		}
	}
	if paused.ChunksDone != len(kept) || len(kept) < 8 || len(kept) == 48 {
		t.Fatalf("paused with %d chunks shown done and %d journaled; want the same, at least 8, not all", paused.ChunksDone, len(kept))
	}
	atPause := r.quietAttempts(asset.ID)
	for i := range kept {
		if atPause[i] != 1 {
			t.Errorf("chunk %d was journaled finished after %d attempts, want 1", i, atPause[i])
		}
	}

	// Paused stays paused across a restart, with its chunks, and nothing is sent.
	r.restart()
	if v, _ := r.view(p); v.State != core.Paused || v.ChunksDone != len(kept) {
		t.Fatalf("after a restart the file is %s with %d chunks; want paused with %d", v.State, v.ChunksDone, len(kept))
	}
	time.Sleep(300 * time.Millisecond) // room for a chunk that should not be sent
	if now := r.partAttempts(asset.ID); !maps.Equal(now, atPause) {
		t.Errorf("chunks were sent while the file was paused: attempts %v, then %v", atPause, now)
	}
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(p)
	if n := len(r.sim.Assets()); n != 1 {
		t.Fatalf("%d assets: resuming made a new one", n)
	}
	// The resumed upload sent each missing chunk once, and no finished one. (A chunk
	// abandoned by the pause may have been acknowledged to nobody: it was not journaled,
	// so it is sent again, which ResentAfterAck counts; that is allowed.)
	end := r.partAttempts(asset.ID)
	for i := range 48 {
		sent := end[i] - atPause[i]
		switch {
		case kept[i] && sent != 0:
			t.Errorf("chunk %d was finished at the pause and was sent %d times after the resume", i, sent)
		case !kept[i] && sent != 1:
			t.Errorf("chunk %d was missing at the pause and was sent %d times after the resume", i, sent)
		}
	}
	r.noResendAfterJournal()
	r.checkJournal(doneAll(p))
}

// TestControlPauseAllResumeAll pauses a whole queue, then resumes it.
func TestControlPauseAllResumeAll(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(30 * time.Millisecond)
	paths := r.batch(4)
	r.add(paths...)
	r.waitChunks(paths[0], 1)
	if err := r.svc.Pause(context.Background(), core.All); err != nil {
		t.Fatal(err)
	}
	paused := 0
	r.waitFor("every file paused (or done before the pause)", func(vs map[string]core.FileView) bool {
		paused = 0
		for _, v := range vs {
			switch v.State {
			case core.Paused:
				paused++
			case core.Done:
			default:
				return false
			}
		}
		return true
	})
	if _, tot := r.svc.Snapshot(); paused == 0 || !tot.Paused || tot.FilesRemaining != paused {
		t.Errorf("totals with %d files paused and the rest done: %+v", paused, tot)
	}
	if err := r.svc.Resume(context.Background(), core.All); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(paths...)
	r.noResendAfterJournal()
	r.checkJournal(doneAll(paths...))
}

// TestControlCancelRetry cancels a running file (the journal says so), then retries it:
// it resumes with the same asset and its finished chunks.
func TestControlCancelRetry(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(40 * time.Millisecond)
	p := writeFile(t, r.dir, "b-roll.mov", 24*rigPartSize)
	id := r.add(p).Added[0].ID
	r.waitChunks(p, 4)
	if err := r.svc.Cancel(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	r.waitState(p, core.Cancelled)
	r.checkJournal(map[string]journalWant{p: {state: core.Cancelled}})
	r.restart()
	if v, _ := r.view(p); v.State != core.Cancelled {
		t.Fatalf("after a restart the cancelled file is %s", v.State)
	}
	if err := r.svc.Retry(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(p)
	r.onlyAsset("b-roll.mov")
	r.noResendAfterJournal()
	r.checkJournal(doneAll(p))
}

// TestControlRemoveRunning removes a file while it uploads: it leaves the list and the
// journal, nothing more is sent for it, the file on disk stays, and the rest goes on.
func TestControlRemoveRunning(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(40 * time.Millisecond)
	gone := writeFile(t, r.dir, "outtake.mov", 32*rigPartSize)
	kept := writeFile(t, r.dir, "keeper.mov", 12*rigPartSize)
	res := r.add(gone, kept)
	r.waitChunks(gone, 2)
	if err := r.svc.Remove(context.Background(), res.Added[0].ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the file to leave the list", func(vs map[string]core.FileView) bool {
		_, there := vs[gone]
		return !there
	})
	asset := r.onlyAsset("outtake.mov")
	atRemoval := r.quietAttempts(asset.ID)
	r.waitFinished()
	time.Sleep(200 * time.Millisecond) // room for a chunk that should not be sent
	if now := r.partAttempts(asset.ID); !maps.Equal(now, atRemoval) {
		t.Errorf("chunks of the removed file were sent: attempts %v, then %v", atRemoval, now)
	}
	if _, err := os.Stat(gone); err != nil {
		t.Errorf("the removed file is gone from disk: %v", err)
	}
	if err := r.svc.Remove(context.Background(), res.Added[0].ID); err != upload.ErrUnknownFile {
		t.Errorf("removing it twice: %v, want ErrUnknownFile", err)
	}
	r.checkIntact(kept)
	r.noResendAfterJournal()
	r.checkJournal(doneAll(kept))
}

// TestControlRetryFailed retries a file that failed because it had gone, once it is
// back as it was.
func TestControlRetryFailed(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	p := writeFile(t, r.dir, "card-copy.mov", 6*rigPartSize)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	id := r.add(p).Added[0].ID
	if err := os.Rename(p, p+".away"); err != nil {
		t.Fatal(err)
	}
	r.run()
	if v := r.waitFinished()[p]; v.State != core.Failed || v.ErrorKind != string(api.KindLocalFile) {
		t.Fatalf("the missing file is %s (%s)", v.State, v.ErrorKind)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Retry(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	if v := r.waitFinished()[p]; v.Error != "" || v.ErrorKind != "" {
		t.Errorf("the retried file still shows an error: %s %q", v.ErrorKind, v.Error)
	}
	r.checkIntact(p)
	r.noResend()
	r.checkJournal(doneAll(p))
}

// TestSettingsValidation checks the limits of the settings and that a refused change
// leaves the settings as they were.
func TestSettingsValidation(t *testing.T) {
	cases := []struct {
		s    upload.Settings
		want string // "" = valid
	}{
		{upload.DefaultSettings(), ""},
		{upload.Settings{ParallelFiles: 1, ParallelChunks: 1}, ""},
		{upload.Settings{ParallelFiles: upload.MaxParallelFiles, ParallelChunks: upload.MaxParallelChunks, BandwidthLimit: 64 << 10}, ""},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, BandwidthLimit: 100 << 20, OffsetFromNow: true}, ""},
		{upload.Settings{ParallelFiles: 0, ParallelChunks: 4}, "parallel files"},
		{upload.Settings{ParallelFiles: upload.MaxParallelFiles + 1, ParallelChunks: 4}, "parallel files"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 0}, "parallel chunks"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: upload.MaxParallelChunks + 1}, "parallel chunks"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, BandwidthLimit: -1}, "negative"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, BandwidthLimit: 64<<10 - 1}, "at least 64 KiB/s"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, Realtime: true, PartSize: upload.MaxPartSize, Settle: time.Second}, ""},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, PartSize: upload.MinPartSize - 1}, "part size"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, PartSize: upload.MaxPartSize + 1}, "part size"},
		{upload.Settings{ParallelFiles: 2, ParallelChunks: 4, Settle: -time.Second}, "settle"},
	}
	r := newIdleRig(t, rigConfig{})
	if got := r.svc.Settings().Upload(); got != upload.DefaultSettings() {
		t.Errorf("zero settings became %+v, want the defaults", got)
	}
	for _, c := range cases {
		err := c.s.Validate()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.s, err, c.want)
		}
		before := r.svc.Settings().Upload()
		err = r.svc.SetSettings(coreSettings(c.s))
		switch {
		case c.want == "" && (err != nil || r.svc.Settings().Upload() != c.s):
			t.Errorf("SetSettings(%+v) = %v; settings now %+v", c.s, err, r.svc.Settings())
		case c.want != "" && (err == nil || r.svc.Settings().Upload() != before):
			t.Errorf("SetSettings(%+v) = %v; settings now %+v, want refused and unchanged", c.s, err, r.svc.Settings())
		}
	}
}

// TestSettingsLowerParallelChunksWhileRunning lowers the chunks in flight to one while a
// file is being sent: the file still finishes, one chunk at a time.
func TestSettingsLowerParallelChunksWhileRunning(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(30 * time.Millisecond)
	p := writeFile(t, r.dir, "wide.mov", 40*rigPartSize)
	r.add(p)
	r.waitChunks(p, 4)
	if err := r.svc.SetSettings(coreSettings(upload.Settings{ParallelFiles: 2, ParallelChunks: 1})); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	r.waitFinished()
	r.checkIntact(p)
	// Chunks that began well after the change never overlap.
	var later []c2csim.Request
	for _, q := range r.sim.Requests(0) {
		if q.Kind == "s3" && q.Time.After(changed.Add(500*time.Millisecond)) {
			later = append(later, q)
		}
	}
	slices.SortFunc(later, func(a, b c2csim.Request) int { return a.Time.Compare(b.Time) })
	for i := 1; i < len(later); i++ {
		prevEnd := later[i-1].Time.Add(time.Duration(later[i-1].Duration * float64(time.Millisecond)))
		if later[i].Time.Before(prevEnd) {
			t.Errorf("request %d began before request %d ended, with one chunk allowed in flight", later[i].Seq, later[i-1].Seq)
		}
	}
	r.noResend()
	r.checkJournal(doneAll(p))
}

// TestBandwidthLimitShapes uploads 1.5 MiB under a 512 KiB/s limit: it cannot take less
// than (1.5 MiB - one 64 KiB burst) / 512 KiB/s ≈ 2.9 s. Only that lower bound is checked.
func TestBandwidthLimitShapes(t *testing.T) {
	const limit = 512 << 10
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 4, BandwidthLimit: limit}})
	a := writeFile(t, r.dir, "limited-a.mov", 1<<20)
	b := writeFile(t, r.dir, "limited-b.mov", 512<<10)
	start := time.Now()
	r.add(a, b)
	r.waitFinished()
	took := time.Since(start)
	floor := time.Duration(float64((3<<19)-(64<<10)) / limit * float64(time.Second))
	if took < floor {
		t.Errorf("1.5 MiB took %v under a %d KiB/s limit, less than the %v the limit allows", took, limit>>10, floor)
	}
	t.Logf("1.5 MiB in %v under %d KiB/s", took, limit>>10)
	r.checkIntact(a, b)
	r.checkJournal(doneAll(a, b))
}

// filesAroundAPause writes a clip shot 2 h ago, inside a pause window the simulator
// keeps from 3 h to 1 h ago, and one shot 5 h ago, before it (returned with its time).
func filesAroundAPause(t *testing.T, r *rig) (inside, outside string, shotOutside time.Time) {
	t.Helper()
	inside = writeFile(t, r.dir, "during-pause.mov", 3*rigPartSize)
	outside = writeFile(t, r.dir, "before-pause.mov", 2*rigPartSize)
	now := time.Now()
	shotOutside = now.Add(-5 * time.Hour)
	for p, at := range map[string]time.Time{inside: now.Add(-2 * time.Hour), outside: shotOutside} {
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.sim.Admin.AddPauseWindow(context.Background(), 0, now.Add(-3*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return inside, outside, shotOutside
}

// TestOffsetPauseWindow checks the offset sent with each asset: media created inside a
// pause window is skipped with Channel Paused while media from outside it is uploaded
// (its offset is its age); with OffsetFromNow the offset is 0 and the server judges by
// the upload time, so the same file goes through.
func TestOffsetPauseWindow(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	inside, outside, shotOutside := filesAroundAPause(t, r)
	r.add(inside, outside)
	r.run()
	vs := r.waitFinished()
	if v := vs[inside]; v.State != core.Skipped || v.ErrorKind != string(api.KindChannelPaused) {
		t.Errorf("media from the pause window is %s (%s), want skipped (ChannelPaused)", v.State, v.ErrorKind)
	}
	r.checkIntact(outside)
	age := int64(time.Since(shotOutside) / time.Second)
	if off := r.onlyAsset("before-pause.mov").Offset; off < 5*3600 || off > age {
		t.Errorf("offset %d s for media shot 5 h ago (at most %d)", off, age)
	}
	want := doneAll(outside)
	want[inside] = journalWant{state: core.Skipped, kind: api.KindChannelPaused}
	r.checkJournal(want)

	r.restart()
	if err := r.svc.SetSettings(coreSettings(upload.Settings{ParallelFiles: 2, ParallelChunks: 4, OffsetFromNow: true})); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Retry(context.Background(), core.One(vs[inside].ID)); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(inside, outside)
	if off := r.onlyAsset("during-pause.mov").Offset; off != 0 {
		t.Errorf("offset %d with OffsetFromNow, want 0", off)
	}
	r.checkJournal(doneAll(inside, outside))
}

// TestUploadAnywaySendsRefusedMediaAsNew: a file the project refused for a channel pause
// is sent, on the person's word, as new media — offset 0, filed by its arrival — and
// stays so across a restart; a file the project did not refuse is left as it is.
func TestUploadAnywaySendsRefusedMediaAsNew(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	inside, outside, _ := filesAroundAPause(t, r)
	r.add(inside, outside)
	r.run()
	vs := r.waitFinished()
	if v := vs[inside]; v.State != core.Skipped {
		t.Fatalf("media from the pause window is %s, want skipped", v.State)
	}
	// Retrying all leaves it: the project would refuse it again by its date. A file the
	// project did not refuse is left alone by UploadAnyway.
	if err := r.svc.Retry(context.Background(), core.All); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.view(inside); v.State != core.Skipped {
		t.Errorf("Retry all took a refused file back to %s", v.State)
	}
	if err := r.svc.UploadAnyway(context.Background(), core.One(vs[outside].ID)); err != nil {
		t.Fatal(err)
	}
	r.restart()
	if err := r.svc.UploadAnyway(context.Background(), core.All); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(inside, outside)
	if off := r.onlyAsset("during-pause.mov").Offset; off != 0 {
		t.Errorf("sent anyway with offset %d, want 0: dated by its arrival", off)
	}
	if off := r.onlyAsset("before-pause.mov").Offset; off < 5*3600 {
		t.Errorf("the file uploaded before has offset %d", off)
	}
	for _, rec := range r.checkJournal(doneAll(inside, outside)) {
		if want := rec.File.Path == inside; rec.File.DatedOnArrival != want {
			t.Errorf("journal: %s dated on arrival %v, want %v", rec.File.Name, rec.File.DatedOnArrival, want)
		}
	}
}

// TestAcknowledgedBytesNeverStepBack: what a front end shows as uploaded (the bytes S3
// acknowledged) only grows, through a pause, a restart and the resume; the bytes in
// flight, which the pause takes back, are told apart. Pausing a clip used to take its
// count from 17.6 MiB to 8.9 MiB, and a restart from 24.3 to 20.0.
func TestAcknowledgedBytesNeverStepBack(t *testing.T) {
	r := newRig(t, rigConfig{})
	path, id, paused := pauseMidUpload(t, r)
	if want := int64(paused.ChunksDone) * rigPartSize; paused.BytesAcked != want || paused.BytesDone != want {
		t.Errorf("paused with %d chunks done, %d bytes acknowledged and %d done; want both %d", paused.ChunksDone, paused.BytesAcked, paused.BytesDone, want)
	}
	r.restart()
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.waitPublished(path, core.Done)

	r.mu.Lock()
	defer r.mu.Unlock()
	var last, lastTotal int64
	seen := 0
	for _, ev := range r.events {
		switch {
		case ev.Type == core.EventFile && ev.File.ID == id:
			v := ev.File
			seen++
			if v.BytesAcked < last {
				t.Errorf("%s: %d bytes acknowledged after %d", v.State, v.BytesAcked, last)
			}
			if v.BytesAcked > v.BytesDone {
				t.Errorf("%s: %d bytes acknowledged of %d sent", v.State, v.BytesAcked, v.BytesDone)
			}
			last = v.BytesAcked
		case ev.Type == core.EventTotals:
			if ev.Totals.BytesAcked < lastTotal {
				t.Errorf("the queue's acknowledged bytes went from %d to %d", lastTotal, ev.Totals.BytesAcked)
			}
			lastTotal = ev.Totals.BytesAcked
		}
	}
	if seen < 3 || last != 48*rigPartSize {
		t.Errorf("%d events of the file, the last with %d bytes acknowledged; want several, ending with all %d", seen, last, 48*rigPartSize)
	}
}
