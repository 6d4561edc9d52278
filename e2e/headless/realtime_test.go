package headless

// Clips uploaded while they are recorded (docs/api-notes.md §3.6, core/upload/realtime.go),
// end to end: the real binary's `watch --json` against the simulator over HTTP, a clip
// recorded into the watched folder at a camera's bitrate (e2etest.Recorder). Every test
// here is named TestRealtime<Behaviour>, so that
//
//	./scripts/test.sh -count=3 -run TestRealtime ./e2e/headless/
//
// runs them all. Nothing here measures time: the order of things is asserted by waiting
// for them (the first part arrived before the last block is written) or read from the
// simulator's request log (sequence numbers, given as requests arrive).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

const (
	// rtPart is the part size of these runs (--part-size 5): the least S3 takes, and the
	// default.
	rtPart = 5 << 20
	// rtSettle is how long a clip must be still before its final part goes. Longer than
	// watch's other tests (300ms): a recorder on a loaded machine may stall a few hundred
	// milliseconds between blocks, and a clip still for the settle time is a clip ended.
	rtSettle = "1s"
	// rtBlock is the recorder's block: the last one is held back until what the test
	// waits for has happened.
	rtBlock = 64 << 10
	// rtGuard bounds each wait (a hang guard, not a measure of the product).
	rtGuard = 60 * time.Second
)

// rtSimOptions: the simulator's parts of an ordinary asset are 5 MiB too, so a clip that
// is not uploaded as it is written goes in a handful of parts.
func rtSimOptions() c2csim.Options {
	o := simOptions()
	o.PartSize = rtPart
	return o
}

// startRealtimeWatch starts `c2c-uploader watch --json --settle 1s --part-size 5 [extra]
// DIR` in the background; it does not wait for the "watching" event (waitWatching), so
// that a recorder can go on writing while the command starts.
func startRealtimeWatch(ctx context.Context, t *testing.T, e *e2etest.Env, dir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"watch", "--json", "--settle", rtSettle, "--part-size", "5"}, extra...)
	return start(ctx, t, e, nil, append(args, dir)...)
}

// newRealtimeEnv is a paired installation, and a folder to watch.
func newRealtimeEnv(t *testing.T, project string) (context.Context, *e2etest.Env, string) {
	t.Helper()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, rtSimOptions())
	pair(ctx, t, e, project, nil)
	return ctx, e, t.TempDir()
}

// startRealtime is a paired installation (newRealtimeEnv) with `watch` running over its
// folder (startRealtimeWatch with extra), its "watching" event seen.
func startRealtime(t *testing.T, project string, extra ...string) (context.Context, *e2etest.Env, string, *proc) {
	t.Helper()
	ctx, e, dir := newRealtimeEnv(t, project)
	p := startRealtimeWatch(ctx, t, e, dir, extra...)
	waitWatching(ctx, t, p, dir)
	return ctx, e, dir, p
}

// recordClip is a camera recording name into dir at 4 MiB/s, size bytes in blocks of
// rtBlock (e2etest.Recorder); nothing is written yet.
func recordClip(t *testing.T, dir, name string, size int) *e2etest.Recorder {
	t.Helper()
	return e2etest.NewRecorder(t, dir, name, size, e2etest.RecorderOptions{Rate: 4 << 20, Block: rtBlock})
}

// recordUntilAcked records the clip up to upTo bytes until watch --json says n of its
// parts done (chunksDone); if it has not said so by then, it is waited for, within the
// hang guard.
func recordUntilAcked(ctx context.Context, t *testing.T, p *proc, rec *e2etest.Recorder, upTo, n int, what string) {
	t.Helper()
	name := filepath.Base(rec.Path())
	acked := func() bool {
		watchNotEnded(t, p)
		return chunksDone(t, p, name) >= n
	}
	if !rec.WriteUntil(upTo, acked) {
		waitFor(within(ctx, t, rtGuard), t, what+" (watch --json)", func() (bool, error) { return acked(), nil })
	}
}

// realtimeAssets are the simulator's real-time assets named name.
func realtimeAssets(ctx context.Context, t *testing.T, e *e2etest.Env, name string) []c2csim.AssetInfo {
	t.Helper()
	var out []c2csim.AssetInfo
	for _, a := range assetsByName(ctx, t, e)[name] {
		if a.Realtime {
			out = append(out, a)
		}
	}
	return out
}

// receivedParts are the numbers of the parts the simulator holds of name's assets.
func receivedParts(ctx context.Context, t *testing.T, e *e2etest.Env, name string) map[int]bool {
	t.Helper()
	got := map[int]bool{}
	for _, a := range assetsByName(ctx, t, e)[name] {
		for _, pt := range a.Parts {
			if pt.Received {
				got[pt.Number] = true
			}
		}
	}
	return got
}

// chunksDone is the most chunks_done a "file" event of the run has said for name: parts
// the app has taken S3's answer for and journaled.
func chunksDone(t *testing.T, p *proc, name string) int {
	t.Helper()
	n := 0
	for _, ev := range ofType(watchEventsSoFar(t, p), "file") {
		if ev["name"] == name {
			if c, ok := ev["chunks_done"].(float64); ok {
				n = max(n, int(c))
			}
		}
	}
	return n
}

// finishRecording records the clip up to its last block, until cond holds (if it does
// not by then, it is waited for, within the hang guard, the clip still open), then
// writes the last block; header > 0 rewrites the clip's first header bytes; the clip is
// closed.
func finishRecording(ctx context.Context, t *testing.T, rec *e2etest.Recorder, what string, cond func() bool, header int) {
	t.Helper()
	if cond != nil && !rec.WriteUntil(rec.Size()-rtBlock, cond) {
		t.Logf("%s: not yet with %d of %d bytes written; waiting for it with the clip open", what, rec.Written(), rec.Size())
		waitFor(within(ctx, t, rtGuard), t, what+" while the clip is still open", func() (bool, error) { return cond(), nil })
	}
	rec.WriteTo(rec.Size())
	if header > 0 {
		rec.RewriteHeader(header)
	}
	rec.Close()
}

// expectRealtimeAsset checks the simulator's one asset of the clip: real-time, complete,
// in the clip's parts of rtPart bytes, the file's bytes on disk (expectStoredBytes), and
// returns it.
func expectRealtimeAsset(ctx context.Context, t *testing.T, e *e2etest.Env, rec *e2etest.Recorder) c2csim.AssetInfo {
	t.Helper()
	name := filepath.Base(rec.Path())
	onDisk, err := os.ReadFile(rec.Path())
	if err != nil {
		t.Fatal(err)
	}
	if sha256Hex(onDisk) != rec.SHA256() {
		t.Fatalf("%s on disk is not what the recorder wrote", name)
	}
	expectStoredBytes(ctx, t, e, map[string]string{name: rec.Path()})
	as := assetsByName(ctx, t, e)[name]
	if len(as) != 1 {
		t.Fatalf("%s: %d assets, want exactly 1: %+v", name, len(as), as)
	}
	a := as[0]
	if !a.Realtime {
		t.Errorf("%s was uploaded as an ordinary asset, not as it was written (a real-time asset)", name)
	}
	if want := (rec.Size() + rtPart - 1) / rtPart; len(a.Parts) != want {
		t.Errorf("%s went in %d parts, want %d (parts of %d bytes, the rest in the final one)", name, len(a.Parts), want, rtPart)
	}
	for _, pt := range a.Parts {
		if want := min(int64(rtPart), int64(rec.Size())-int64(pt.Number-1)*rtPart); pt.Size != want {
			t.Errorf("%s: part %d holds %d bytes, want %d", name, pt.Number, pt.Size, want)
		}
	}
	return a
}

// expectFinalPartLast checks in the request log that the final part of asset a was sent
// after every other part was answered: each of its PUTs arrived after the last PUT of
// any other part (the final part completes the asset).
func expectFinalPartLast(ctx context.Context, t *testing.T, e *e2etest.Env, a c2csim.AssetInfo) {
	t.Helper()
	final := len(a.Parts)
	var lastOther, firstFinal int64
	for _, rq := range requests(ctx, t, e) {
		if rq.Kind != "s3" || rq.Method != "PUT" || rq.AssetID != a.ID {
			continue
		}
		if rq.Part == final {
			if firstFinal == 0 || rq.Seq < firstFinal {
				firstFinal = rq.Seq
			}
		} else {
			lastOther = max(lastOther, rq.Seq)
		}
	}
	if firstFinal == 0 || firstFinal < lastOther {
		t.Errorf("%s: the final part %d was PUT (request %d) before the last PUT of another part (request %d)", a.Name, final, firstFinal, lastOther)
	}
}

// expectFinishedAfterClose checks, by the simulator's clock (the test's own: it runs in
// this process), that asset a of a clip last written at closed was finished after it:
// its final part registered after the last write, put together after that, and the
// final part's bytes received after every other part's last PUT.
func expectFinishedAfterClose(t *testing.T, a c2csim.AssetInfo, closed time.Time) {
	t.Helper()
	closed = closed.Round(0) // the wall clock, as the simulator's times are
	switch {
	case a.FinalRegisteredAt.IsZero():
		t.Errorf("%s: the simulator has no time for the final part's registration", a.Name)
	case a.FinalRegisteredAt.Before(closed):
		t.Errorf("%s: the final part was registered at %s, before the clip's last write at %s", a.Name,
			a.FinalRegisteredAt.Format(time.StampMicro), closed.Format(time.StampMicro))
	case a.CompletedAt.Before(a.FinalRegisteredAt):
		t.Errorf("%s: put together at %s, before its final part was registered at %s", a.Name,
			a.CompletedAt.Format(time.StampMicro), a.FinalRegisteredAt.Format(time.StampMicro))
	}
	final := a.Parts[len(a.Parts)-1]
	for _, pt := range a.Parts[:len(a.Parts)-1] {
		if final.FirstReceivedAt.Before(pt.LastReceivedAt) {
			t.Errorf("%s: the final part %d arrived at %s, before part %d's last PUT at %s", a.Name, final.Number,
				final.FirstReceivedAt.Format(time.StampMicro), pt.Number, pt.LastReceivedAt.Format(time.StampMicro))
		}
	}
}

// expectSentInOrder checks that asset a of the clip rec was finished in order: its final
// part PUT after every other part's (expectFinalPartLast), and registered, put together
// and received after the clip's last write (expectFinishedAfterClose).
func expectSentInOrder(ctx context.Context, t *testing.T, e *e2etest.Env, rec *e2etest.Recorder, a c2csim.AssetInfo) {
	t.Helper()
	expectFinalPartLast(ctx, t, e, a)
	_, closed := rec.Closed()
	expectFinishedAfterClose(t, a, closed)
}

// finishedAs waits for the watch run p (started again after a kill or a stop) to be
// watching dir and to have the clip rec complete, stops it, and returns the clip's one
// real-time asset (expectRealtimeAsset), which must be asset id: the one it was being
// sent as before.
func finishedAs(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc, dir string, rec *e2etest.Recorder, id string) c2csim.AssetInfo {
	t.Helper()
	waitWatching(ctx, t, p, dir)
	waitComplete(ctx, t, e, p, filepath.Base(rec.Path()))
	stopWatch(ctx, t, p, os.Interrupt)
	a := expectRealtimeAsset(ctx, t, e, rec)
	if a.ID != id {
		t.Errorf("the clip was finished as asset %s, not as the real-time asset %s it was being sent as", a.ID, id)
	}
	return a
}

// logRunOnFailure logs, when the test failed, the simulator's requests after sequence
// number since, the watch run's file events (each change of a file's state or chunks
// done) and its log: what is needed to tell a product's fault from the test's. Deferred,
// it runs after the run was stopped.
func logRunOnFailure(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc, since int64) {
	t.Helper()
	if !t.Failed() {
		return
	}
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		t.Logf("request %d at %s: %s %s part %d: %d %s", rq.Seq, rq.Time.Format("15:04:05.000"), rq.Method, rq.Path, rq.Part, rq.Status, rq.Error)
	}
	var last map[string]any
	for _, ev := range ofType(watchEventsSoFar(t, p), "file") {
		if last == nil || ev["id"] != last["id"] || ev["state"] != last["state"] || ev["chunks_done"] != last["chunks_done"] {
			t.Logf("file %v (id %v) at %v: %v, %v chunks done; %v %v %v", ev["name"], ev["id"], ev["at"], ev["state"], ev["chunks_done"], ev["detail"], ev["error"], ev["next_attempt"])
		}
		last = ev
	}
	t.Logf("the run's log:\n%s", p.stderr.String())
}

// expectOrdinaryAsset waits for the clip rec to be complete, stops watch, and checks
// that the simulator holds the file's bytes (expectStoredBytes) and no real-time asset
// of it (why says why it must not be sent as one); it returns the clip's assets.
func expectOrdinaryAsset(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc, rec *e2etest.Recorder, why string) []c2csim.AssetInfo {
	t.Helper()
	name := filepath.Base(rec.Path())
	waitComplete(ctx, t, e, p, name)
	stopWatch(ctx, t, p, os.Interrupt)
	expectStoredBytes(ctx, t, e, map[string]string{name: rec.Path()})
	as := assetsByName(ctx, t, e)[name]
	for _, a := range as {
		if a.Realtime {
			t.Errorf("%s, %s, was sent as a real-time asset %s", name, why, a.ID)
		}
	}
	return as
}

// expectPartsSentOnce checks that each part of asset a was sent once.
func expectPartsSentOnce(t *testing.T, a c2csim.AssetInfo) {
	t.Helper()
	for _, pt := range a.Parts {
		if pt.Puts != 1 {
			t.Errorf("%s (real-time %v): part %d was sent %d times, want once; puts %v", a.Name, a.Realtime, pt.Number, pt.Puts, puts(a))
		}
	}
}

// sentBefore is what a watch run, stopped or killed, had sent of the clip name: its one
// real-time asset's id, the parts the simulator received, and the parts the journal has
// done (journaledParts).
func sentBefore(ctx context.Context, t *testing.T, e *e2etest.Env, name string) (id string, received, journaled map[int]bool) {
	t.Helper()
	rts := realtimeAssets(ctx, t, e, name)
	if len(rts) != 1 {
		t.Fatalf("when watch stopped, the simulator had %d real-time assets for %s, want 1: %+v", len(rts), name, rts)
	}
	return rts[0].ID, receivedParts(ctx, t, e, name), journaledParts(ctx, t, e, rts[0].ID)
}

// puts are the parts' PUT counts, by number.
func puts(a c2csim.AssetInfo) map[int]int {
	m := map[int]int{}
	for _, pt := range a.Parts {
		m[pt.Number] = pt.Puts
	}
	return m
}

// TestRealtimeClipIsSentWhileRecordedAndItsRewrittenHeaderAgain: a clip recorded at
// 4 MiB/s into a watched folder: its first part reaches the project while the clip is
// still open; the recorder rewrites the header at close; the clip ends as one real-time
// asset equal to the file byte for byte, in parts of 5 MiB, part 1 sent twice (the
// header changed after it went), every other part once, the final part last; watch
// --json says it done.
func TestRealtimeClipIsSentWhileRecordedAndItsRewrittenHeaderAgain(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Project")

	const name = "A001C001.mov"
	rec := recordClip(t, dir, name, 3*rtPart+1234567)
	finishRecording(ctx, t, rec, "part 1 of the clip in the simulator", func() bool {
		watchNotEnded(t, p)
		return receivedParts(ctx, t, e, name)[1]
	}, 4096)
	_, closed := rec.Closed()

	waitComplete(ctx, t, e, p, name)
	r := stopWatch(ctx, t, p, os.Interrupt)

	a := expectRealtimeAsset(ctx, t, e, rec)
	expectFinishedAfterClose(t, a, closed)
	if p1 := a.Parts[0]; !p1.FirstReceivedAt.Before(closed.Round(0)) || p1.LastReceivedAt.Before(closed.Round(0)) {
		t.Errorf("part 1 was received first at %s and last at %s; want the first before the clip's last write (%s), the last (the rewritten header) after",
			p1.FirstReceivedAt.Format(time.StampMicro), p1.LastReceivedAt.Format(time.StampMicro), closed.Format(time.StampMicro))
	}
	for n, got := range puts(a) {
		want := 1
		if n == 1 {
			want = 2 // sent as it was written, then again with the header rewritten at close
		}
		if got != want {
			t.Errorf("part %d was sent %d times, want %d (all puts: %v)", n, got, want, puts(a))
		}
	}
	expectFinalPartLast(ctx, t, e, a)
	if !doneNames(jsonLines(t, "watch --json", r.Stdout))[name] {
		t.Errorf("watch --json never said %s done:\n%s", name, r.Stdout)
	}
}

// TestRealtimeSigkillMidRecordingResumesWithoutResendingAcknowledgedParts: watch is
// killed (SIGKILL) once two parts of a clip being recorded are acknowledged; the camera
// goes on recording; watch is started again and takes the clip up while it is still
// being written; the recorder rewrites the header at close. The clip is one real-time
// asset equal to the file; no asset was made again; part 1 went twice (its bytes
// changed at close) and no part acknowledged before the kill was sent again.
func TestRealtimeSigkillMidRecordingResumesWithoutResendingAcknowledgedParts(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Crash Project")

	const name = "A002C001.mov"
	rec := recordClip(t, dir, name, 6*rtPart+54321)
	recordUntilAcked(ctx, t, p, rec, rec.Size()-3*rtPart, 2, "two parts of the clip acknowledged")
	killWatch(ctx, t, p)
	killedAt := rec.Written()
	id, received, journaled := sentBefore(ctx, t, e, name)
	if len(journaled) < 2 {
		t.Fatalf("at the kill the journal has parts %v of %s done, want at least 2 (watch --json said 2)", sortedInts(journaled), name)
	}
	for n := range journaled {
		if !received[n] {
			t.Errorf("the journal has part %d done, which the simulator never received", n)
		}
	}
	t.Logf("killed with %d bytes recorded; parts received %v, journaled %v", killedAt, sortedInts(received), sortedInts(journaled))

	// The camera goes on; watch comes back while it does, and sends a part the first
	// run never sent, before the clip is closed.
	since := lastSeq(ctx, t, e.Sim)
	p = startRealtimeWatch(ctx, t, e, dir)
	finishRecording(ctx, t, rec, "a part the first run did not send, sent by the second", func() bool {
		watchNotEnded(t, p)
		for n := range receivedParts(ctx, t, e, name) {
			if !received[n] {
				return true
			}
		}
		return false
	}, 4096)
	a := finishedAs(ctx, t, e, p, dir, rec, id)
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if isAssetCreation(rq) {
			t.Errorf("the run after the kill created an asset: %s %s", rq.Method, rq.Path)
		}
	}
	got := puts(a)
	for n, k := range got {
		switch {
		case n == 1 && k != 2:
			t.Errorf("part 1 was sent %d times, want 2 (before the kill, and again with the header rewritten at close); puts %v", k, got)
		case n != 1 && journaled[n] && k != 1:
			t.Errorf("part %d, acknowledged and journaled before the kill and unchanged since, was sent %d times, want once; puts %v", n, k, got)
		case n != 1 && !received[n] && k != 1:
			t.Errorf("part %d, sent after the kill, was sent %d times, want once; puts %v", n, k, got)
		case n != 1 && k > 2:
			t.Errorf("part %d was sent %d times (at most twice: S3 had it, the journal not, at the kill); puts %v", n, k, got)
		}
	}
	expectSentInOrder(ctx, t, e, rec, a)
}

// TestRealtimeOffUploadsAGrowingClipOnlyOnceItSettles: with the realtime setting off
// (--realtime=false), a clip recorded into the watched folder is not sent while it is
// written: no asset, no real-time asset, until it is closed; then it is one ordinary
// asset with the file's bytes.
func TestRealtimeOffUploadsAGrowingClipOnlyOnceItSettles(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Off Project", "--realtime=false")

	const name = "A003C001.mov"
	rec := recordClip(t, dir, name, 3*rtPart+4321)
	early := rec.WriteUntil(rec.Size(), func() bool {
		watchNotEnded(t, p)
		return len(assetsByName(ctx, t, e)[name]) > 0
	})
	if early {
		t.Errorf("with realtime off, an asset was made for %s while it was being written (%d of %d bytes): %+v",
			name, rec.Written(), rec.Size(), assetsByName(ctx, t, e)[name])
		rec.WriteTo(rec.Size())
	}
	rec.Close()

	expectOrdinaryAsset(ctx, t, e, p, rec, "with realtime off")
	for _, rq := range requests(ctx, t, e) {
		if strings.HasSuffix(rq.Path, "/realtime_upload/parts") {
			t.Errorf("with realtime off, the app registered real-time parts: %s %s", rq.Method, rq.Path)
		}
	}
}

// TestRealtimeCopiedFilesArriveOnceIntact: files copied into the watched folder with cp
// (written in place, like a recording, but fast; bigger than a part, or exactly one, or
// a byte past one) each end as exactly one complete asset with the file's bytes, every
// part sent once, whether the app took them for clips being recorded or not.
func TestRealtimeCopiedFilesArriveOnceIntact(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Copy Project")

	src := t.TempDir()
	sizes := map[string]int{
		"B001C001.mov": 4*rtPart + 777,
		"B001C002.mxf": 2 * rtPart,
		"B001C003.mov": rtPart + 1,
		"B001C004.mov": rtPart,
	}
	files := map[string]string{}
	var names []string
	for name, size := range sizes {
		from, _ := writeFile(t, src, name, size)
		to := filepath.Join(dir, name)
		if out, err := exec.CommandContext(ctx, "cp", from, to).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v: %s", name, err, out)
		}
		files[name] = to
		names = append(names, name)
	}
	slices.Sort(names)
	waitComplete(ctx, t, e, p, names...)
	stopWatch(ctx, t, p, os.Interrupt)

	expectStoredBytes(ctx, t, e, files)
	if got := assetNames(ctx, t, e); !slices.Equal(got, names) {
		t.Errorf("the simulator's assets are %v, want exactly %v, each once", got, names)
	}
	for _, as := range assetsByName(ctx, t, e) {
		for _, a := range as {
			t.Logf("%s: real-time %v, %d parts", a.Name, a.Realtime, len(a.Parts))
			expectPartsSentOnce(t, a)
		}
	}
}

// sortedInts are the keys of m, in order.
func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestRealtimeSigkillAfterTheFinalPartIsRegisteredFinishesTheClipIntact: the clip is
// closed, its header rewritten; watch, finishing it, has registered the final part and
// is sending part 1 again (held by the simulator) when it is killed (SIGKILL). The next
// run must finish the clip with the bytes it has now: one real-time asset, equal to the
// file — not put together from the part 1 sent before the header changed.
func TestRealtimeSigkillAfterTheFinalPartIsRegisteredFinishesTheClipIntact(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Final Crash Project")

	const name = "A004C001.mov"
	rec := recordClip(t, dir, name, 3*rtPart+1234567)
	var id string
	finishRecording(ctx, t, rec, "part 1 of the clip in the simulator", func() bool {
		watchNotEnded(t, p)
		if !receivedParts(ctx, t, e, name)[1] {
			return false
		}
		id = realtimeAssets(ctx, t, e, name)[0].ID
		// Part 1 sent again (its header rewritten at close) is held: the run is killed
		// while it is in flight, the final part registered and not yet sent.
		addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/" + id + "/1", Delay: c2csim.Duration(time.Minute), Times: 1})
		return true
	}, 4096)
	waitFor(within(ctx, t, rtGuard), t, "part 1 sent again, with the final part registered", func() (bool, error) {
		watchNotEnded(t, p)
		return faultHits(ctx, t, e) > 0, nil
	})
	killWatch(ctx, t, p)
	before := realtimeAssets(ctx, t, e, name)
	t.Logf("killed; the simulator has %d parts registered (%d bytes of the clip's %d), puts %v, complete %v",
		len(before[0].Parts), before[0].Filesize, rec.Size(), puts(before[0]), before[0].Complete)
	if before[0].Complete {
		t.Fatalf("the asset was complete before the final part was sent")
	}
	clearFaults(ctx, t, e)

	since := lastSeq(ctx, t, e.Sim)
	p = startRealtimeWatch(ctx, t, e, dir, "--verbose")
	defer logRunOnFailure(ctx, t, e, p, since)
	a := finishedAs(ctx, t, e, p, dir, rec, id)
	if got := puts(a); got[len(a.Parts)] != 1 {
		t.Errorf("the final part was sent %d times, want once; puts %v", got[len(a.Parts)], got)
	}
	expectSentInOrder(ctx, t, e, rec, a)
}

// killWatch ends the run with SIGKILL and waits for it to be gone.
func killWatch(ctx context.Context, t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-p.done:
	case <-within(ctx, t, watchExitGuard).Done():
		t.Fatal("watch did not die of SIGKILL")
	}
}

// journaledParts are the part numbers the journal of a stopped installation has done
// for asset id.
func journaledParts(ctx context.Context, t *testing.T, e *e2etest.Env, id string) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	for i := range journaledChunks(ctx, t, e, id) {
		out[i+1] = true
	}
	return out
}

// TestRealtimeSigtermMidRecordingExitsZeroAndTheNextRunFinishes: SIGTERM (a service
// manager stopping watch) while a clip is being recorded, parts of it acknowledged:
// watch exits 0; the camera goes on, and the next run finishes the clip as the same
// real-time asset, equal to the file, sending no acknowledged part again.
func TestRealtimeSigtermMidRecordingExitsZeroAndTheNextRunFinishes(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Sigterm Project")

	const name = "A005C001.mov"
	rec := recordClip(t, dir, name, 5*rtPart+98765)
	recordUntilAcked(ctx, t, p, rec, rec.Size()-3*rtPart, 1, "a part of the clip acknowledged")
	signalWatch(t, p, syscall.SIGTERM)
	// The camera goes on while watch winds down.
	for {
		select {
		case <-p.done:
		default:
			if rec.Written() < rec.Size()-2*rtPart {
				rec.WriteTo(rec.Written() + rtBlock)
				continue
			}
		}
		break
	}
	r := p.wait(within(ctx, t, watchExitGuard))
	expectCode(t, "watch, told to stop with SIGTERM mid-recording", r, 0)
	id, received, journaled := sentBefore(ctx, t, e, name)
	t.Logf("stopped with %d bytes recorded; parts received %v, journaled %v", rec.Written(), sortedInts(received), sortedInts(journaled))
	for n := range received {
		if !journaled[n] {
			t.Errorf("part %d reached the simulator but watch, let wind down, did not journal it", n)
		}
	}

	p = startRealtimeWatch(ctx, t, e, dir)
	finishRecording(ctx, t, rec, "", nil, 4096)
	a := finishedAs(ctx, t, e, p, dir, rec, id)
	for n, k := range puts(a) {
		if want := map[bool]int{true: 2, false: 1}[n == 1]; k != want {
			t.Errorf("part %d was sent %d times, want %d; puts %v", n, k, want, puts(a))
		}
	}
	expectSentInOrder(ctx, t, e, rec, a)
}

// TestRealtimeClipClosedWhileWatchIsDownIsFinishedByTheNextRun: watch is killed while a
// clip is being recorded; the clip is finished and closed (its header rewritten) before
// watch runs again. The next run finishes it as the same real-time asset, equal to the
// file, part 1 sent again and no other acknowledged part; a run after that sends
// nothing.
func TestRealtimeClipClosedWhileWatchIsDownIsFinishedByTheNextRun(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Down Project")

	const name = "A006C001.mov"
	rec := recordClip(t, dir, name, 4*rtPart+4242)
	recordUntilAcked(ctx, t, p, rec, rec.Size()-rtPart, 2, "two parts of the clip acknowledged")
	watchNotEnded(t, p)
	killWatch(ctx, t, p)
	finishRecording(ctx, t, rec, "", nil, 4096)
	id, received, journaled := sentBefore(ctx, t, e, name)

	p = startRealtimeWatch(ctx, t, e, dir)
	a := finishedAs(ctx, t, e, p, dir, rec, id)
	got := puts(a)
	for n, k := range got {
		switch {
		case n == 1 && k != 2:
			t.Errorf("part 1 was sent %d times, want 2 (before the kill, and again with its header rewritten); puts %v", k, got)
		case n != 1 && (journaled[n] || !received[n]) && k != 1:
			t.Errorf("part %d was sent %d times, want once; puts %v (journaled at the kill: %v)", n, k, got, sortedInts(journaled))
		}
	}
	expectSentInOrder(ctx, t, e, rec, a)

	// Once more: the clip is done, nothing goes.
	since := lastSeq(ctx, t, e.Sim)
	p = startRealtimeWatch(ctx, t, e, dir)
	waitWatching(ctx, t, p, dir)
	waitFor(within(ctx, t, rtGuard), t, "the next run to have the clip done", func() (bool, error) {
		watchNotEnded(t, p)
		return doneNames(watchEventsSoFar(t, p))[name], nil
	})
	time.Sleep(2 * time.Second) // a settle time and more: a file queued again would be sent by now
	stopWatch(ctx, t, p, os.Interrupt)
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.Kind == "s3" || isAssetCreation(rq) || strings.HasSuffix(rq.Path, "/realtime_upload/parts") {
			t.Errorf("a run after the clip was done sent %s %s (part %d)", rq.Method, rq.Path, rq.Part)
		}
	}
}

// TestRealtimeTwoCamerasAtOnceWithPauses: two clips recorded at once into the watched
// folder, each pausing now and then for less than the settle time: each is one
// real-time asset equal to its file, every part sent once (no header rewritten).
func TestRealtimeTwoCamerasAtOnceWithPauses(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Two Cameras Project")

	// Each at 8 MiB/s, taking turns block by block: about 4 MiB/s each.
	a := e2etest.NewRecorder(t, dir, "A007C001.mov", 3*rtPart+111, e2etest.RecorderOptions{Rate: 8 << 20, Block: rtBlock})
	b := e2etest.NewRecorder(t, dir, "B007C001.mxf", 2*rtPart+222222, e2etest.RecorderOptions{Rate: 8 << 20, Block: rtBlock})
	paused := false
	for a.Written() < a.Size() || b.Written() < b.Size() {
		a.WriteTo(a.Written() + rtBlock)
		b.WriteTo(b.Written() + rtBlock)
		if !paused && a.Written() >= rtPart+rtPart/2 {
			// Both cameras hold for 300 ms (under the settle time of 1 s).
			paused = true
			a.Pause(300 * time.Millisecond)
			b.Pause(0)
		}
	}
	a.Close()
	b.Close()
	waitComplete(ctx, t, e, p, "A007C001.mov", "B007C001.mxf")
	stopWatch(ctx, t, p, os.Interrupt)

	for _, rec := range []*e2etest.Recorder{a, b} {
		asset := expectRealtimeAsset(ctx, t, e, rec)
		expectPartsSentOnce(t, asset)
		expectSentInOrder(ctx, t, e, rec, asset)
	}
}

// TestRealtimeClipWithoutAnExtensionIsUploadedWholeOnce: the API names a real-time
// asset by its extension, so a clip recorded under a name without one is not sent as it
// is written; it is uploaded once it settles, as one ordinary asset equal to the file —
// never a part of it sent while it grew.
func TestRealtimeClipWithoutAnExtensionIsUploadedWholeOnce(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime No Extension Project")

	const name = "A008C001"
	rec := recordClip(t, dir, name, 3*rtPart+5555)
	rec.WriteTo(rec.Size())
	rec.Close()
	for _, a := range expectOrdinaryAsset(ctx, t, e, p, rec, "without an extension") {
		expectPartsSentOnce(t, a)
	}
}

// TestRealtimeClipDeletedMidRecordingLeavesNothingAndWatchGoesOn: a clip being recorded
// is deleted (the take is thrown away) after parts of it went, and watch gives it up
// (failed: not found); the next take is recorded under the same name (a recorder that
// starts the clip again). The deleted take's real-time asset is never finished, watch
// goes on, and the new take is one complete asset equal to its file — a file that took
// the name of one given up is a new file, as README's "replaced" says, whether it came
// before the old one was given up or after.
func TestRealtimeClipDeletedMidRecordingLeavesNothingAndWatchGoesOn(t *testing.T) {
	t.Parallel()
	ctx, e, dir, p := startRealtime(t, "Realtime Deleted Project")
	defer logRunOnFailure(ctx, t, e, p, 0)

	const name = "A009C001.mov"
	first := recordClip(t, dir, name, 4*rtPart)
	if !first.WriteUntil(first.Size(), func() bool {
		watchNotEnded(t, p)
		return receivedParts(ctx, t, e, name)[1]
	}) {
		t.Fatalf("part 1 of the first take never arrived while it was recorded")
	}
	first.WriteTo(first.Written() + rtPart/2)
	if err := os.Remove(first.Path()); err != nil {
		t.Fatal(err)
	}
	first.Close()
	abandoned := realtimeAssets(ctx, t, e, name)[0].ID
	// The engine takes the deletion in (its last word on the take is no longer that it
	// is being sent: failed, not found) before the next take starts.
	waitFor(within(ctx, t, rtGuard), t, "watch to give the deleted take up", func() (bool, error) {
		watchNotEnded(t, p)
		state := ""
		for _, ev := range ofType(watchEventsSoFar(t, p), "file") {
			if ev["name"] == name {
				state, _ = ev["state"].(string)
			}
		}
		return state != "" && state != "queued" && state != "creating" && state != "uploading", nil
	})

	second := recordClip(t, dir, name, 2*rtPart+999)
	finishRecording(ctx, t, second, "", nil, 0)
	waitFor(within(ctx, t, 30*time.Second), t, "the second take complete", func() (bool, error) {
		watchNotEnded(t, p)
		return len(completeAssets(assetsByName(ctx, t, e)[name])) > 0, nil
	})
	stopWatch(ctx, t, p, os.Interrupt)

	want := second.SHA256()
	var complete []c2csim.AssetInfo
	for _, a := range assetsByName(ctx, t, e)[name] {
		if a.Complete {
			complete = append(complete, a)
		}
		if a.ID == abandoned && a.Complete {
			t.Errorf("the deleted take's real-time asset %s was finished", a.ID)
		}
	}
	if len(complete) != 1 || complete[0].SHA256 != want {
		t.Errorf("the complete assets of %s are %+v, want one with the second take's bytes (sha256 %s)", name, complete, want)
	}
}
