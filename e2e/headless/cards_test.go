//go:build linux

package headless

// Camera cards (README "Cards"), through the real binary: `watch` follows the volumes
// mounted in the mount roots (the system's and the card-roots setting's); a volume of its
// own whose top has a camera's folders is a card, queued at once with `cards always`,
// offered (a "card" event, nothing uploaded) with `cards ask`; a card removed mid-upload
// pauses its files that were not finished (error kind card-removed), and mounted again at
// the same place they finish, nothing S3 acknowledged sent again.
//
// The cards are real volumes: a tmpfs of their own (disktest.Card), bind-mounted onto a
// folder in a mount root of the test's and unmounted from it, as a card reader's volume
// comes and goes; the tmpfs keeps the card's files meanwhile, so that it can be mounted
// again. This needs root (CI runs these tests as root): where volumes cannot be mounted
// the tests fail, saying so, rather than pass without having tested anything.
//
// Every test here is named TestCard<Behaviour>, so that
//
//	./scripts/test.sh -run 'TestCard' ./e2e/headless/
//
// runs them all.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
)

// sonyLayout is how the product names a Sony XAVC card's layout (core/ingest).
const sonyLayout = "Sony XAVC (PRIVATE/M4ROOT)"

// sonyClips is where a Sony XAVC card keeps its clips.
const sonyClips = "PRIVATE/M4ROOT/CLIP"

// cardRunGuard bounds one wait for a card to be seen, paused or finished (a hang guard:
// the Cards look at the roots every 2 s).
const cardRunGuard = 40 * time.Second

// cardVolume is a card (disktest.Card: a volume of its own, mounted in a mount root,
// taken away and mounted again with the same files) that the test puts clips on.
type cardVolume struct {
	*disktest.Card
	t *testing.T
}

// newCardVolume is a card of size bytes; where volumes cannot be mounted the test fails,
// saying so.
func newCardVolume(t *testing.T, size int64) *cardVolume {
	t.Helper()
	return &cardVolume{Card: disktest.NewCard(t, size), t: t}
}

// clip writes size random bytes at rel on the card and returns the path in the tmpfs
// (readable whether the card is mounted in the root or not).
func (v *cardVolume) clip(rel string, size int) string {
	v.t.Helper()
	dir := filepath.Join(v.Dir, filepath.Dir(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		v.t.Fatal(err)
	}
	path, _ := writeFile(v.t, dir, filepath.Base(rel), size)
	// Written a while ago, as a camera's clips are when the card is put in.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		v.t.Fatal(err)
	}
	return path
}

// cardEnv is a paired installation with a mount root of its own and a watched folder.
func cardEnv(t *testing.T, project string, opts c2csim.Options) (ctx context.Context, e *e2etest.Env, root, watched string) {
	t.Helper()
	e2etest.RequireKeychain(t)
	ctx = testContext(t)
	e = newEnv(t, opts)
	pair(ctx, t, e, project, nil)
	return ctx, e, t.TempDir(), t.TempDir()
}

// startCardWatch runs `c2c-uploader watch --json --settle 300ms EXTRA... DIR` and waits
// for its "watching" event for DIR.
func startCardWatch(ctx context.Context, t *testing.T, e *e2etest.Env, dir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"watch", "--json", "--settle", watchSettle}, extra...)
	p := start(ctx, t, e, nil, append(args, dir)...)
	waitWatching(ctx, t, p, dir)
	return p
}

// cardEvents are the "card" events for the card at path in state ("mounted", "removed").
func cardEvents(evs []map[string]any, path, state string) []map[string]any {
	var out []map[string]any
	for _, ev := range ofType(evs, "card") {
		if ev["path"] == path && ev["state"] == state {
			out = append(out, ev)
		}
	}
	return out
}

// waitCardEvent waits until the watch run has printed n "card" events for path in state,
// and returns the last.
func waitCardEvent(ctx context.Context, t *testing.T, p *proc, path, state string, n int) map[string]any {
	t.Helper()
	var ev map[string]any
	waitFor(within(ctx, t, cardRunGuard), t, "card event "+state+" for "+path, func() (bool, error) {
		watchNotEnded(t, p)
		evs := cardEvents(watchEventsSoFar(t, p), path, state)
		if len(evs) >= n {
			ev = evs[n-1]
			return true, nil
		}
		return false, nil
	})
	return ev
}

// lastFileEvents are the last "file" event of each file below dir, by path.
func lastFileEvents(evs []map[string]any, dir string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, ev := range ofType(evs, "file") {
		if p, _ := ev["path"].(string); inCard(dir, p) {
			out[p] = ev
		}
	}
	return out
}

// inCard tells whether path is dir or inside it.
func inCard(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// eventInt is a number of an event (JSON numbers are float64), 0 when absent.
func eventInt(ev map[string]any, key string) int {
	f, _ := ev[key].(float64)
	return int(f)
}

// waitedForCard tells whether a file event says its file waits for its card.
func waitedForCard(ev map[string]any) bool {
	return ev["state"] == "paused" && ev["error_kind"] == "card-removed"
}

// failedEvents are the "file" events with state failed of the files below dir.
func failedEvents(evs []map[string]any, dir string) []map[string]any {
	var out []map[string]any
	for _, ev := range ofType(evs, "file") {
		if p, _ := ev["path"].(string); inCard(dir, p) && ev["state"] == "failed" {
			out = append(out, ev)
		}
	}
	return out
}

// waitCardFilesSettled waits, after the card at card was removed, until each of its
// files (paths, as mounted) is done or waits for the card, and returns the last event of
// each.
func waitCardFilesSettled(ctx context.Context, t *testing.T, p *proc, card string, paths []string) map[string]map[string]any {
	t.Helper()
	var last map[string]map[string]any
	waitFor(within(ctx, t, cardRunGuard), t, "the card's files to be paused for it (or done)", func() (bool, error) {
		watchNotEnded(t, p)
		last = lastFileEvents(watchEventsSoFar(t, p), card)
		for _, path := range paths {
			ev := last[path]
			if ev == nil || !(ev["state"] == "done" || waitedForCard(ev)) {
				return false, nil
			}
		}
		return true, nil
	})
	return last
}

// quietSeq waits until every request that met a fault is in the simulator's log (a PUT
// the app abandoned in flight is held by the delay, then answered to nobody, and logged
// only then, under the number it got as it arrived), and returns the highest number
// logged: the requests after it were all made later.
func quietSeq(ctx context.Context, t *testing.T, e *e2etest.Env) int64 {
	t.Helper()
	waitFor(within(ctx, t, cardRunGuard), t, "the requests in the simulator to be answered", func() (bool, error) {
		logged := 0
		for _, rq := range requests(ctx, t, e) {
			if rq.Fault != 0 {
				logged++
			}
		}
		return logged == faultHits(ctx, t, e), nil
	})
	return lastSeq(ctx, t, e.Sim)
}

// journalAcked reads the journal (read-only, as `status` does, so while watch runs too):
// the parts it holds as finished, by asset (part numbers, 1-based).
func journalAcked(ctx context.Context, t *testing.T, e *e2etest.Env) map[string]map[int]bool {
	t.Helper()
	out := map[string]map[int]bool{}
	for _, r := range journalRecords(ctx, t, e, true) {
		if r.File.AssetID == "" {
			continue
		}
		done := map[int]bool{}
		for _, i := range r.DoneChunks {
			done[i+1] = true
		}
		out[r.File.AssetID] = done
	}
	return out
}

// ackedAtPause is what the journal acknowledged of the clips paused for their card (see
// journalAcked), checked against the chunks done their last event said.
func ackedAtPause(ctx context.Context, t *testing.T, e *e2etest.Env, paths []string, last map[string]map[string]any) map[string]map[int]bool {
	t.Helper()
	acked := journalAcked(ctx, t, e)
	for _, path := range paths {
		ev := last[path]
		if id, _ := ev["asset_id"].(string); id != "" && waitedForCard(ev) && len(acked[id]) != eventInt(ev, "chunks_done") {
			t.Errorf("%s: watch said %d chunks done as it paused it, the journal has %d", path, eventInt(ev, "chunks_done"), len(acked[id]))
		}
	}
	return acked
}

// expectAckedNotResent fails the test if a part the journal had acknowledged (acked, by
// asset) was sent after the request numbered since. A part sent again after the
// simulator had answered it 200 is logged with its PUTs, not failed, when the journal did
// not have it: a PUT the app abandoned in flight (the card removed) that the simulator
// answered to nobody; the project's design sends such a part again (core/upload's tests
// allow it for a pause: "acknowledged to nobody").
func expectAckedNotResent(ctx context.Context, t *testing.T, e *e2etest.Env, names []string, acked map[string]map[int]bool, since int64) {
	t.Helper()
	log := requests(ctx, t, e)
	for _, rq := range log {
		if rq.Seq > since && rq.Kind == "s3" && rq.Method == "PUT" && acked[rq.AssetID][rq.Part] {
			t.Errorf("part %d of asset %s was sent again (request %d), although the journal had it acknowledged", rq.Part, rq.AssetID, rq.Seq)
		}
	}
	as := assetsByName(ctx, t, e)
	for _, n := range names {
		for _, a := range as[n] {
			for _, pt := range a.Parts {
				if pt.ResentAfterAck == 0 && pt.Puts == 1 {
					continue
				}
				var puts []string
				for _, rq := range log {
					if rq.Kind == "s3" && rq.Method == "PUT" && rq.AssetID == a.ID && rq.Part == pt.Number {
						puts = append(puts, fmt.Sprintf("request %d at %s (%.0f ms): status %d, aborted %v %s",
							rq.Seq, rq.Time.Format("15:04:05.000"), rq.Duration, rq.Status, rq.Aborted, rq.Error))
					}
				}
				report := t.Logf
				if acked[a.ID][pt.Number] {
					report = t.Errorf
				}
				report("%s: part %d was answered 200 %d times, sent %d times after the simulator had acknowledged it (journaled before: %v); its PUTs:\n\t%s",
					n, pt.Number, pt.Puts, pt.ResentAfterAck, acked[a.ID][pt.Number], strings.Join(puts, "\n\t"))
			}
		}
	}
}

// expectOnlyAssets fails the test unless the simulator's assets are names, once each.
func expectOnlyAssets(ctx context.Context, t *testing.T, e *e2etest.Env, names []string) {
	t.Helper()
	want := append([]string(nil), names...)
	sort.Strings(want)
	if got := assetNames(ctx, t, e); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the simulator's assets are %v, want exactly %v, one each", got, want)
	}
}

// cardSimOptions: parts of 256 KiB, so that a card of some MiB is some dozens of parts.
func cardSimOptions() c2csim.Options {
	o := simOptions()
	o.PartSize = 256 << 10
	return o
}

// TestCardAlwaysIsQueuedAndUploadedWhenMounted: with `cards always` (the setting) and
// --card-roots ROOT, a Sony card mounted under ROOT while watch runs is queued at once and
// uploaded: each of its files one complete asset equal to its bytes; --json says it with
// a "card" event (state mounted, the layout, files, added).
func TestCardAlwaysIsQueuedAndUploadedWhenMounted(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Always Project", cardSimOptions())
	vol := newCardVolume(t, 32<<20)
	files := map[string]string{
		"C0001.MP4":    vol.clip(sonyClips+"/C0001.MP4", 3<<20+12345),
		"C0002.MP4":    vol.clip(sonyClips+"/C0002.MP4", 2<<20),
		"C0003.MP4":    vol.clip(sonyClips+"/C0003.MP4", 1<<20+1),
		"C0001M01.XML": vol.clip(sonyClips+"/C0001M01.XML", 4<<10),
	}
	names := clipNames(files)
	if r := run(ctx, t, e, nil, "settings", "set", "cards", "always"); r.Code != 0 {
		t.Fatalf("settings set cards always: exit %d: %s", r.Code, r.Stderr)
	}

	p := startCardWatch(ctx, t, e, watched, "--card-roots", root)
	card := filepath.Join(root, "SONY_A7S")
	vol.MountAt(card)
	ev := waitCardEvent(ctx, t, p, card, "mounted", 1)
	waitComplete(ctx, t, e, p, names...)
	r := stopWatch(ctx, t, p, os.Interrupt)

	if ev["layout"] != sonyLayout || eventInt(ev, "files") != 4 || eventInt(ev, "added") != 4 || eventInt(ev, "known") != 0 || ev["problem"] != nil {
		t.Errorf("the card event is %v; want state mounted, layout %q, files 4, added 4, known 0, no problem", ev, sonyLayout)
	}
	if cats, _ := ev["categories"].(map[string]any); eventInt(cats, "originals") != 3 || eventInt(cats, "sidecars") != 1 || len(cats) != 2 {
		t.Errorf("the card event's categories are %v, want originals 3 (the clips) and sidecars 1 (the XML)", ev["categories"])
	}
	wantBytes := int64(3<<20 + 12345 + 2<<20 + 1<<20 + 1 + 4<<10)
	if b, _ := ev["bytes"].(float64); int64(b) != wantBytes {
		t.Errorf("the card event says bytes %v, want %d", ev["bytes"], wantBytes)
	}
	evs := jsonLines(t, "watch --json", r.Stdout)
	if n := len(ofType(evs, "card")); n != 1 {
		t.Errorf("watch printed %d card events, want 1 (the card mounted once):\n%v", n, ofType(evs, "card"))
	}
	for _, f := range failedEvents(evs, card) {
		t.Errorf("a file of the card failed: %v", f)
	}
	expectStoredBytes(ctx, t, e, files)
	expectOnlyAssets(ctx, t, e, names)
}

// TestCardAskOffersTheCardAndUploadsNothing: with `cards ask` (the default) a card
// mounted while watch runs gives a "card" event saying what it holds (files, known 0,
// added 0) and nothing of it is uploaded; `c2c-uploader upload CARD` run meanwhile is
// refused, as README "One process per data folder" says (exit 1, naming watch as the
// holder: only the window takes uploads handed to it); once watch has stopped, the same
// command uploads the card.
func TestCardAskOffersTheCardAndUploadsNothing(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Ask Project", cardSimOptions())
	vol := newCardVolume(t, 16<<20)
	files := map[string]string{
		"C0101.MP4": vol.clip(sonyClips+"/C0101.MP4", 1<<20+777),
		"C0102.MP4": vol.clip(sonyClips+"/C0102.MP4", 2<<20),
	}

	p := startCardWatch(ctx, t, e, watched, "--card-roots", root)
	card := filepath.Join(root, "Untitled")
	vol.MountAt(card)
	ev := waitCardEvent(ctx, t, p, card, "mounted", 1)
	if ev["layout"] != sonyLayout || eventInt(ev, "files") != 2 || eventInt(ev, "known") != 0 || eventInt(ev, "added") != 0 || ev["problem"] != nil {
		t.Errorf("the card event is %v; want state mounted, layout %q, files 2, known 0, added 0, no problem", ev, sonyLayout)
	}
	if nb, _ := ev["new_bytes"].(float64); int64(nb) != 3<<20+777 {
		t.Errorf("the card event says new_bytes %v, want %d", ev["new_bytes"], 3<<20+777)
	}

	// A file landing in the watched folder after the card was offered is uploaded: watch
	// went on, and had it queued the card, its files would have gone first or beside.
	later, _ := writeFile(t, watched, "later.mov", 100<<10)
	waitComplete(ctx, t, e, p, "later.mov")

	// upload CARD while watch holds the data folder.
	up := run(ctx, t, e, nil, "upload", card)
	expectCode(t, "upload CARD while watch runs", up, 1)
	expectContains(t, "upload CARD while watch runs", up.Stderr, "`watch` (pid "+strconv.Itoa(p.cmd.Process.Pid))

	r := stopWatch(ctx, t, p, os.Interrupt)
	evs := jsonLines(t, "watch --json", r.Stdout)
	for path := range lastFileEvents(evs, card) {
		t.Errorf("watch queued %s from a card offered with cards ask", path)
	}
	expectOnlyAssets(ctx, t, e, []string{"later.mov"})
	expectStoredBytes(ctx, t, e, map[string]string{"later.mov": later})

	// Watch stopped: the command it suggests uploads the card.
	up = run(ctx, t, e, nil, "upload", card)
	expectCode(t, "upload CARD after watch stopped", up, 0)
	expectStoredBytes(ctx, t, e, files)
	expectOnlyAssets(ctx, t, e, []string{"later.mov", "C0101.MP4", "C0102.MP4"})

	// Watch again, the card in as it starts: it is offered with its files known (uploaded
	// before), and nothing is sent again.
	since := lastSeq(ctx, t, e.Sim)
	p = startCardWatch(ctx, t, e, watched, "--card-roots", root)
	ev = waitCardEvent(ctx, t, p, card, "mounted", 1)
	stopWatch(ctx, t, p, os.Interrupt)
	if eventInt(ev, "files") != 2 || eventInt(ev, "known") != 2 || eventInt(ev, "added") != 0 || eventInt(ev, "new_bytes") != 0 {
		t.Errorf("the card uploaded before gave %v; want files 2, known 2, added 0, new_bytes 0", ev)
	}
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.Kind == "s3" || isAssetCreation(rq) {
			t.Errorf("watch sent %s %s for a card uploaded before", rq.Method, rq.Path)
		}
	}
}

// ejectMidUpload runs watch (with extra flags) over a card of three clips mounted at
// ROOT/card while each chunk PUT is held 1.5 s, and pulls the card out once a part of a
// clip was acknowledged: it waits for the "removed" card event and for each clip to be
// done or paused for the card, and returns the watch run, the card's mount point, the
// clips (name → path in the tmpfs), their paths as mounted, and the last event of each.
func ejectMidUpload(ctx context.Context, t *testing.T, e *e2etest.Env, root, watched string, vol *cardVolume, extra ...string) (p *proc, card string, files map[string]string, paths []string, last map[string]map[string]any) {
	t.Helper()
	files = map[string]string{}
	for _, n := range []string{"C0201.MP4", "C0202.MP4", "C0203.MP4"} {
		files[n] = vol.clip(sonyClips+"/"+n, 3<<20+4321) // 13 parts of 256 KiB
	}
	card = filepath.Join(root, "SONY_FX6")
	for n := range files {
		paths = append(paths, filepath.Join(card, sonyClips, n))
	}
	sort.Strings(paths)
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(1500 * time.Millisecond)})

	p = startCardWatch(ctx, t, e, watched, extra...)
	vol.MountAt(card)
	ev := waitCardEvent(ctx, t, p, card, "mounted", 1)
	if eventInt(ev, "added") != 3 {
		t.Fatalf("the card event is %v; want added 3 (cards always)", ev)
	}
	waitFor(within(ctx, t, cardRunGuard), t, "a part of a clip acknowledged (watch --json)", func() (bool, error) {
		watchNotEnded(t, p)
		for _, ev := range lastFileEvents(watchEventsSoFar(t, p), card) {
			if eventInt(ev, "chunks_done") > 0 {
				return true, nil
			}
		}
		return false, nil
	})
	vol.Eject()
	removed := waitCardEvent(ctx, t, p, card, "removed", 1)
	last = waitCardFilesSettled(ctx, t, p, card, paths)
	t.Logf("the card removed event at %v", removed["at"])
	for _, path := range paths {
		ev := last[path]
		t.Logf("%s: %v at %v, chunks %d of %d done", filepath.Base(path), ev["state"], ev["at"], eventInt(ev, "chunks_done"), eventInt(ev, "chunks"))
	}

	midway := 0
	for _, path := range paths {
		ev := last[path]
		if ev["state"] == "done" {
			continue
		}
		if !strings.Contains(strings.ToLower(eventString(ev["error"])), "card was removed") {
			t.Errorf("%s: paused saying %q, want \"The card was removed; its files go on when it is back\"", path, ev["error"])
		}
		if c := eventInt(ev, "chunks_done"); c > 0 && c < eventInt(ev, "chunks") {
			midway++
		}
	}
	if midway == 0 {
		t.Fatalf("no clip was mid-way when the card was pulled out (the test proves nothing so): %v", last)
	}
	for _, f := range failedEvents(watchEventsSoFar(t, p), card) {
		t.Errorf("a clip of the card removed was said failed (want paused, waiting for the card): %v", f)
	}
	return p, card, files, paths, last
}

// eventString is a string of an event, "" when absent.
func eventString(v any) string {
	s, _ := v.(string)
	return s
}

// expectStatusWaitsForCard runs `status --json` (another process) and fails the test
// unless each of paths that is not done shows paused with error kind card-removed.
func expectStatusWaitsForCard(ctx context.Context, t *testing.T, e *e2etest.Env, card string, paths []string) {
	t.Helper()
	st := run(ctx, t, e, nil, "status", "--json")
	expectCode(t, "status --json", st, 0)
	got := lastFileEvents(jsonLines(t, "status --json", st.Stdout), card)
	for _, path := range paths {
		ev := got[path]
		switch {
		case ev == nil:
			t.Errorf("status --json lists no %s", path)
		case ev["state"] == "done":
		case !waitedForCard(ev):
			t.Errorf("status --json shows %s as %v (error_kind %v), want paused with error_kind card-removed", path, ev["state"], ev["error_kind"])
		}
	}
}

// clipNames are the names of files (name → path).
func clipNames(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	return names
}

// ejectThenInterrupt, with cards always and the card root ROOT kept in the settings, pulls
// a card out mid-upload (a new card volume; ejectMidUpload) and stops watch with Ctrl-C;
// it returns the card, its mount point, its clips (name → path in the tmpfs), their paths
// as mounted, and the last event of each.
func ejectThenInterrupt(ctx context.Context, t *testing.T, e *e2etest.Env, root, watched string) (vol *cardVolume, card string, files map[string]string, paths []string, last map[string]map[string]any) {
	t.Helper()
	for _, kv := range [][2]string{{"cards", "always"}, {"card-roots", root}} {
		if r := run(ctx, t, e, nil, "settings", "set", kv[0], kv[1]); r.Code != 0 {
			t.Fatalf("settings set %s %s: exit %d: %s", kv[0], kv[1], r.Code, r.Stderr)
		}
	}
	vol = newCardVolume(t, 32<<20)
	p, card, files, paths, last := ejectMidUpload(ctx, t, e, root, watched, vol)
	stopWatch(ctx, t, p, os.Interrupt)
	return vol, card, files, paths, last
}

// resumeAfterPause is what the journal acknowledged of the clips paused for their card
// (ackedAtPause) and the last request before the card comes back (quietSeq); the faults
// that held the PUTs are cleared.
func resumeAfterPause(ctx context.Context, t *testing.T, e *e2etest.Env, paths []string, last map[string]map[string]any) (acked map[string]map[int]bool, since int64) {
	t.Helper()
	acked = ackedAtPause(ctx, t, e, paths, last)
	since = quietSeq(ctx, t, e)
	clearFaults(ctx, t, e)
	return acked, since
}

// stopWhenComplete waits until each of files (name → path) is uploaded, then stops watch
// with Ctrl-C and returns the run.
func stopWhenComplete(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc, files map[string]string) e2etest.Result {
	t.Helper()
	waitComplete(ctx, t, e, p, clipNames(files)...)
	return stopWatch(ctx, t, p, os.Interrupt)
}

// expectCardFinished checks the run r (the next run after the one the card was pulled
// out in, when next) that finished the card's clips (files): none of them failed, each is
// one complete asset equal to its bytes and the only assets are theirs, no part the
// journal had acknowledged (acked) sent after request since; the timeline is logged if
// the test failed.
func expectCardFinished(ctx context.Context, t *testing.T, e *e2etest.Env, r e2etest.Result, card string, files map[string]string, acked map[string]map[int]bool, since int64, next bool) {
	t.Helper()
	what, failed := "watch --json", "a clip of the card failed: %v"
	if next {
		what, failed = "the next watch --json", "a clip of the card failed on the next run: %v"
	}
	for _, f := range failedEvents(jsonLines(t, what, r.Stdout), card) {
		t.Errorf(failed, f)
	}
	names := clipNames(files)
	expectStoredBytes(ctx, t, e, files)
	expectOnlyAssets(ctx, t, e, names)
	expectAckedNotResent(ctx, t, e, names, acked, since)
	logTimelineOnFailure(ctx, t, e, r)
}

// TestCardRemovedMidUploadPausesAndFinishesWhenMountedAgain: with --cards always
// --card-roots ROOT, a card is pulled out while its clips are being sent (each PUT held
// 1.5 s): the clips not finished are paused with error_kind card-removed (--json, and
// `status --json` from another process), none failed, and nothing is sent while the card
// is away; the same volume mounted again at the same place, they finish: each clip one
// complete asset equal to its bytes, no part S3 acknowledged sent again.
func TestCardRemovedMidUploadPausesAndFinishesWhenMountedAgain(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Eject Project", cardSimOptions())
	vol := newCardVolume(t, 32<<20)
	p, card, files, paths, last := ejectMidUpload(ctx, t, e, root, watched, vol, "--cards", "always", "--card-roots", root)
	expectStatusWaitsForCard(ctx, t, e, card, paths)

	// Nothing is sent while the card is away, though its volume, detached lazily, could
	// still be read through a file the app had open.
	hits := faultHits(ctx, t, e)
	time.Sleep(2500 * time.Millisecond) // more than a look of the Cards (2 s)
	if n := faultHits(ctx, t, e) - hits; n != 0 {
		t.Errorf("%d chunk PUTs began while the card was away", n)
	}
	watchNotEnded(t, p)

	acked, since := resumeAfterPause(ctx, t, e, paths, last)
	vol.MountAt(card)
	ev := waitCardEvent(ctx, t, p, card, "mounted", 2)
	r := stopWhenComplete(ctx, t, e, p, files)

	if eventInt(ev, "files") != 3 || eventInt(ev, "known") != 3 || eventInt(ev, "added") != 0 {
		t.Errorf("the card mounted again gave %v; want files 3, known 3 (its clips are in the queue), added 0", ev)
	}
	expectCardFinished(ctx, t, e, r, card, files, acked, since, false)
}

// TestCardRemovedThenWatchInterruptedFinishesOnTheNextRun: watch (cards always and the
// card root kept in the settings) is stopped with Ctrl-C while a card's clips are paused
// because it was pulled out: it exits 0, and `status --json` shows them waiting for the
// card. The next run, the card mounted again at the same place, finishes them: each one
// complete asset equal to its bytes, no part the journal had acknowledged sent again.
func TestCardRemovedThenWatchInterruptedFinishesOnTheNextRun(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Interrupted Project", cardSimOptions())
	vol, card, files, paths, last := ejectThenInterrupt(ctx, t, e, root, watched)
	expectStatusWaitsForCard(ctx, t, e, card, paths)

	acked, since := resumeAfterPause(ctx, t, e, paths, last)
	vol.MountAt(card)
	p := startCardWatch(ctx, t, e, watched)
	r := stopWhenComplete(ctx, t, e, p, files)
	expectCardFinished(ctx, t, e, r, card, files, acked, since, true)
}

// TestCardPausedWaitsAcrossRunsUntilTheCardIsBack: the clips of a card pulled out mid-
// upload, watch then stopped with Ctrl-C, wait for their card through the next run that
// starts without it: they stay paused for the card (not failed for a missing file, not
// sent), and once the card is mounted again at the same place they finish, each one
// complete asset equal to its bytes, no part the journal had acknowledged sent again.
func TestCardPausedWaitsAcrossRunsUntilTheCardIsBack(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Later Project", cardSimOptions())
	vol, card, files, paths, last := ejectThenInterrupt(ctx, t, e, root, watched)
	acked, since := resumeAfterPause(ctx, t, e, paths, last)
	p := startCardWatch(ctx, t, e, watched)
	time.Sleep(3 * time.Second) // more than a look of the Cards (2 s)
	watchNotEnded(t, p)
	for _, f := range failedEvents(watchEventsSoFar(t, p), card) {
		t.Errorf("a clip waiting for its card failed on the run that started without it: %v", f)
	}
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.Kind == "s3" || isAssetCreation(rq) {
			t.Errorf("%s %s (part %d) was sent at %s while the card was away", rq.Method, rq.Path, rq.Part, rq.Time.Format("15:04:05.000"))
		}
	}
	expectStatusWaitsForCard(ctx, t, e, card, paths)

	vol.MountAt(card)
	r := stopWhenComplete(ctx, t, e, p, files)
	expectCardFinished(ctx, t, e, r, card, files, acked, since, true)
}

// expectOneCompleteAsset fails the test unless each file of files (name → path) has
// exactly one complete asset, equal to its bytes, and any other asset of its name is an
// untouched orphan (created, not a byte received: a creation the app abandoned in flight
// that the simulator answered to nobody, as e2e/crash allows after a kill); orphans are
// logged.
func expectOneCompleteAsset(ctx context.Context, t *testing.T, e *e2etest.Env, files map[string]string) {
	t.Helper()
	as := assetsByName(ctx, t, e)
	for name, path := range files {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		complete := 0
		for _, a := range as[name] {
			switch {
			case a.Complete:
				complete++
				if a.SHA256 != sha256Hex(want) {
					t.Errorf("%s: the complete asset %s has sha256 %s, the file %s", name, a.ID, a.SHA256, sha256Hex(want))
				}
			case a.BytesReceived == 0:
				t.Logf("%s: asset %s is an orphan (state %s, inserted %s, no byte received): its creation was abandoned in flight and answered to nobody",
					name, a.ID, a.State, a.InsertedAt.Format("15:04:05.000"))
			default:
				t.Errorf("%s: asset %s is incomplete with %d bytes received (state %s)", name, a.ID, a.BytesReceived, a.State)
			}
		}
		if complete != 1 {
			t.Errorf("%s: %d complete assets, want exactly 1", name, complete)
		}
	}
}

// TestCardPulledOutBetweenReadsIsPausedNotFailed: a card pulled out while its clips wait
// for their assets to be created (each creation held 0.5 s), no file of it open, so that
// a plain umount takes it at once and the clips are found missing before the card is seen
// gone (it is looked for every 2 s). README: "a file that failed unreadable as the card
// went is paused the same way": each clip ends paused for the card (error_kind
// card-removed), not failed (`status --json` too; the "failed" events on the way, which
// that sentence allows, are logged); mounted again, they finish, each one complete asset
// equal to its bytes, and nothing of the card fails once it is back.
func TestCardPulledOutBetweenReadsIsPausedNotFailed(t *testing.T) {
	t.Parallel()
	ctx, e, root, watched := cardEnv(t, "Cards Between Reads Project", cardSimOptions())
	vol := newCardVolume(t, 16<<20)
	files := map[string]string{}
	for _, n := range []string{"C0301.MP4", "C0302.MP4", "C0303.MP4"} {
		files[n] = vol.clip(sonyClips+"/"+n, 1<<20+99)
	}
	card := filepath.Join(root, "SONY_FX3")
	var paths, names []string
	for n := range files {
		paths = append(paths, filepath.Join(card, sonyClips, n))
		names = append(names, n)
	}
	for _, path := range []string{"/v2/devices/assets", "/v2/assets"} {
		addFault(ctx, t, e, c2csim.Fault{Method: "POST", Path: path, Delay: c2csim.Duration(500 * time.Millisecond)})
	}

	p := startCardWatch(ctx, t, e, watched, "--cards", "always", "--card-roots", root)
	vol.MountAt(card)
	if ev := waitCardEvent(ctx, t, p, card, "mounted", 1); eventInt(ev, "added") != 3 {
		t.Fatalf("the card event is %v; want added 3 (cards always)", ev)
	}
	waitFor(within(ctx, t, cardRunGuard), t, "an asset creation in flight", func() (bool, error) {
		watchNotEnded(t, p)
		return faultHits(ctx, t, e) > 0, nil
	})
	vol.Eject()
	waitCardEvent(ctx, t, p, card, "removed", 1)
	last := waitCardFilesSettled(ctx, t, p, card, paths)
	for _, path := range paths {
		if ev := last[path]; ev["state"] == "done" {
			t.Errorf("%s is done, although its card was pulled out before a part of it was sent", path)
		}
	}
	evs := watchEventsSoFar(t, p)
	for _, f := range failedEvents(evs, card) {
		t.Logf("on the way to being paused for its card, %s was said failed: error_kind %v, error %q", filepath.Base(f["path"].(string)), f["error_kind"], f["error"])
	}
	for _, ev := range ofType(evs, "alert") {
		t.Logf("alert while the card was away: %v", ev)
	}
	expectStatusWaitsForCard(ctx, t, e, card, paths)

	clearFaults(ctx, t, e)
	vol.MountAt(card)
	waitComplete(ctx, t, e, p, names...)
	r := stopWatch(ctx, t, p, os.Interrupt)
	// Once the card was back (its second "mounted" event), nothing of it failed.
	evs = jsonLines(t, "watch --json", r.Stdout)
	for i, mounted := 0, 0; i < len(evs); i++ {
		if ev := evs[i]; ev["type"] == "card" && ev["path"] == card && ev["state"] == "mounted" {
			mounted++
		} else if mounted >= 2 && len(failedEvents(evs[i:i+1], card)) > 0 {
			t.Errorf("a clip of the card failed after the card was back: %v", ev)
		}
	}
	expectOneCompleteAsset(ctx, t, e, files)
	logTimelineOnFailure(ctx, t, e, r)
}

// logTimelineOnFailure logs, when the test failed, the simulator's API requests and the
// run's file, card and alert events, in their order: what is needed to tell a product's
// fault from the test's.
func logTimelineOnFailure(ctx context.Context, t *testing.T, e *e2etest.Env, r e2etest.Result) {
	t.Helper()
	if !t.Failed() {
		return
	}
	for _, rq := range requests(ctx, t, e) {
		if rq.Kind == "api" {
			t.Logf("request %d %s %s at %s (%.0f ms): status %d, aborted %v, fault %d, asset %s",
				rq.Seq, rq.Method, rq.Path, rq.Time.Format("15:04:05.000"), rq.Duration, rq.Status, rq.Aborted, rq.Fault, rq.AssetID)
		}
	}
	for _, ev := range jsonLines(t, "watch --json", r.Stdout) {
		if ev["type"] == "file" || ev["type"] == "card" || ev["type"] == "alert" {
			t.Logf("%v %v %v %v asset %v chunks %v %v %v", ev["at"], ev["type"], ev["name"], ev["state"],
				ev["asset_id"], ev["chunks_done"], ev["error_kind"], ev["error"])
		}
	}
}
