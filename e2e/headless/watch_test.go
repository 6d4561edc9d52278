package headless

// `c2c-uploader watch [DIR...]`: the folders are watched and the files that settle in them
// uploaded until SIGINT or SIGTERM, after which the requests in flight finish and it exits
// 0; it exits 1 when it must stop (the device needs reconnecting), 2 for a DIR that is not
// a folder or no folders at all. Every test here is named TestWatch<Behaviour>, so that
//
//	./scripts/test.sh -run 'TestWatch' ./e2e/headless/
//
// runs them all.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// watchSettle is the settle time of the watch runs here: short, so the tests are quick.
const watchSettle = "300ms"

// watchExitGuard bounds how long a watch run may take to end once told to stop. It is a
// hang guard, not a measure of the product: the wind-down itself is at most 10 s.
const watchExitGuard = 60 * time.Second

// watchArrivalGuard bounds how long the files may take to arrive (a hang guard).
const watchArrivalGuard = 60 * time.Second

// startWatch runs `c2c-uploader watch --json --settle 300ms DIR` in the background and
// waits for its "watching" event for DIR.
func startWatch(ctx context.Context, t *testing.T, e *e2etest.Env, dir string) *proc {
	t.Helper()
	p := start(ctx, t, e, nil, "watch", "--json", "--settle", watchSettle, dir)
	waitWatching(ctx, t, p, dir)
	return p
}

// waitWatching waits for the {"type":"watch","state":"watching","path":DIR} event.
func waitWatching(ctx context.Context, t *testing.T, p *proc, dir string) {
	t.Helper()
	want := dir
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		want = real
	}
	waitFor(within(ctx, t, 30*time.Second), t, "watch's \"watching\" event for "+dir, func() (bool, error) {
		watchNotEnded(t, p)
		for _, ev := range watchEventsSoFar(t, p) {
			if ev["type"] == "watch" && ev["state"] == "watching" && (ev["path"] == want || ev["path"] == dir) {
				return true, nil
			}
		}
		return false, nil
	})
}

// watchNotEnded fails the test when the watch run has ended, which it must not do by
// itself.
func watchNotEnded(t *testing.T, p *proc) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("%v ended by itself (exit %d)\nstdout:\n%s\nstderr:\n%s", p.args, p.res.Code, p.res.Stdout, p.res.Stderr)
	default:
	}
}

// watchEventsSoFar parses the complete lines of a running command's --json stdout; each
// must be a JSON object.
func watchEventsSoFar(t *testing.T, p *proc) []map[string]any {
	t.Helper()
	out := p.stdout.String()
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i+1]
	} else {
		return nil
	}
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: stdout line is not a JSON object: %q: %v", p.args, line, err)
		}
		evs = append(evs, m)
	}
	return evs
}

// signalWatch sends sig to the watch run.
func signalWatch(t *testing.T, p *proc, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to %v: %v", sig, p.args, err)
	}
}

// stopWatch sends sig and expects exit 0 (within the hang guard).
func stopWatch(ctx context.Context, t *testing.T, p *proc, sig os.Signal) e2etest.Result {
	t.Helper()
	watchNotEnded(t, p)
	signalWatch(t, p, sig)
	r := p.wait(within(ctx, t, watchExitGuard))
	expectCode(t, "watch, told to stop with "+sig.String(), r, 0)
	return r
}

// waitComplete waits until each of names has a complete asset in the simulator and the
// watch run has said so itself (a "file" event with state done), while it goes on. The
// second matters: the simulator has an asset complete once its last part is in, before
// the app has taken the answer in and recorded the file done.
func waitComplete(ctx context.Context, t *testing.T, e *e2etest.Env, p *proc, names ...string) {
	t.Helper()
	waitFor(within(ctx, t, watchArrivalGuard), t, "complete assets for "+strings.Join(names, ", "), func() (bool, error) {
		watchNotEnded(t, p)
		done := doneNames(watchEventsSoFar(t, p))
		as := assetsByName(ctx, t, e)
		for _, n := range names {
			if len(completeAssets(as[n])) == 0 || !done[n] {
				return false, nil
			}
		}
		return true, nil
	})
}

// doneNames are the names of the files that have a "file" event with state done in evs.
func doneNames(evs []map[string]any) map[string]bool {
	done := map[string]bool{}
	for _, ev := range ofType(evs, "file") {
		if n, _ := ev["name"].(string); ev["state"] == "done" {
			done[n] = true
		}
	}
	return done
}

// expectStoredBytes fails the test unless the simulator has exactly one asset per file of
// files (name → path on disk), complete, whose stored bytes are the file's.
func expectStoredBytes(ctx context.Context, t *testing.T, e *e2etest.Env, files map[string]string) {
	t.Helper()
	as := assetsByName(ctx, t, e)
	for name, path := range files {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256Hex(want)
		got := as[name]
		if len(got) != 1 {
			t.Errorf("%s: the simulator has %d assets, want exactly 1: %+v", name, len(got), got)
			continue
		}
		a := got[0]
		if !a.Complete || a.SHA256 != sum {
			t.Errorf("%s: asset complete=%v sha256=%s state=%s, want complete with sha256 %s", name, a.Complete, a.SHA256, a.State, sum)
			continue
		}
		stored, err := os.ReadFile(a.Path)
		if err != nil {
			t.Errorf("%s: reading the simulator's stored bytes: %v", name, err)
			continue
		}
		if s := sha256Hex(stored); s != sum || !bytes.Equal(stored, want) {
			t.Errorf("%s: the stored bytes (%d, sha256 %s) are not the file's (%d, sha256 %s)", name, len(stored), s, len(want), sum)
		}
	}
}

// assetNames are the names of every asset of the simulator, sorted, once each per asset.
func assetNames(ctx context.Context, t *testing.T, e *e2etest.Env) []string {
	t.Helper()
	var out []string
	for name, as := range assetsByName(ctx, t, e) {
		for range as {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// writeInPieces writes data to path in n pieces, a short pause between them (far below
// the settle time: the file is still being written, not settled).
func writeInPieces(t *testing.T, path string, data []byte, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	step := (len(data) + n - 1) / n
	for off := 0; off < len(data); off += step {
		if _, err := f.Write(data[off:min(off+step, len(data))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// randomBytes is n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWatchUploadsFilesAsTheyLandAndExitsZeroOnInterrupt: watch uploads a file that was
// in the folder before it started, one written in several pieces in a folder made while
// it runs, and one written under NAME.part then renamed to NAME — each once, with its
// bytes; a hidden file, a file in a hidden folder and a .part never renamed are left
// alone. Ctrl-C (SIGINT) then ends it with exit 0.
func TestWatchUploadsFilesAsTheyLandAndExitsZeroOnInterrupt(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Watch Project", nil)

	dir := t.TempDir()
	before, _ := writeFile(t, dir, "before.mov", 150<<10)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(before, old, old); err != nil {
		t.Fatal(err)
	}
	p := startWatch(ctx, t, e, dir)

	// Left alone: hidden, in a hidden folder, a partial file never renamed.
	writeFile(t, dir, ".hidden.mov", 20<<10)
	if err := os.Mkdir(filepath.Join(dir, ".cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".cache"), "inside.mov", 20<<10)
	writeFile(t, dir, "never.mov.part", 20<<10)

	// A folder made while watching, and a file written into it in pieces.
	nested := filepath.Join(dir, "day1", "cam A")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(nested, "clip.mov")
	writeInPieces(t, clip, randomBytes(t, 300<<10), 6)

	// Written under a temporary name, left there longer than the settle time, renamed.
	part, _ := writeFile(t, dir, "render.mov.part", 200<<10)
	time.Sleep(3 * 300 * time.Millisecond)
	render := filepath.Join(dir, "render.mov")
	if err := os.Rename(part, render); err != nil {
		t.Fatal(err)
	}

	files := map[string]string{"before.mov": before, "clip.mov": clip, "render.mov": render}
	waitComplete(ctx, t, e, p, "before.mov", "clip.mov", "render.mov")
	r := stopWatch(ctx, t, p, os.Interrupt)

	expectStoredBytes(ctx, t, e, files)
	if got, want := assetNames(ctx, t, e), []string{"before.mov", "clip.mov", "render.mov"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the simulator's assets are %v, want exactly %v (no hidden file, no .part, each file once)", got, want)
	}
	// --json: the events of the files as `upload` prints them, each file done.
	evs := jsonLines(t, "watch --json", r.Stdout)
	done := doneNames(evs)
	for _, ev := range ofType(evs, "file") {
		if n, _ := ev["name"].(string); strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".part") || n == "inside.mov" {
			t.Errorf("watch queued a file it must leave alone: %v", ev)
		}
	}
	for name := range files {
		if !done[name] {
			t.Errorf("watch --json printed no \"file\" event with state done for %s:\n%s", name, r.Stdout)
		}
	}
}

// TestWatchExitsZeroOnSigtermAfterTheChunksInFlightFinish: SIGTERM (a service manager
// stopping it) while a file's chunks are being sent: the PUTs in flight are let finish,
// not cut, and watch exits 0; the next run sends the rest, and the file is one asset with
// its bytes.
func TestWatchExitsZeroOnSigtermAfterTheChunksInFlightFinish(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Sigterm Project", nil)

	dir := t.TempDir()
	long, _ := writeFile(t, dir, "long.mov", 1<<20) // 16 parts of 64 KiB
	// Each PUT is held 1.5 s: chunks are in flight when SIGTERM comes.
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(1500 * time.Millisecond)})
	p := startWatch(ctx, t, e, dir)
	waitFor(within(ctx, t, watchArrivalGuard), t, "the first chunk PUT", func() (bool, error) {
		watchNotEnded(t, p)
		return faultHits(ctx, t, e) > 0, nil
	})
	stopWatch(ctx, t, p, syscall.SIGTERM)

	var puts []c2csim.Request
	for _, rq := range requests(ctx, t, e) {
		if rq.Method == "PUT" && rq.Kind == "s3" {
			puts = append(puts, rq)
		}
	}
	if len(puts) == 0 {
		t.Fatalf("the simulator logged no chunk PUT, although %d met the fault", faultHits(ctx, t, e))
	}
	for _, rq := range puts {
		if rq.Status != 200 || rq.Aborted || rq.Error != "" {
			t.Errorf("a chunk PUT in flight at SIGTERM was not let finish: status %d, aborted %v, error %q (part %d)", rq.Status, rq.Aborted, rq.Error, rq.Part)
		}
	}

	clearFaults(ctx, t, e)
	p = startWatch(ctx, t, e, dir)
	waitComplete(ctx, t, e, p, "long.mov")
	stopWatch(ctx, t, p, syscall.SIGTERM)
	expectStoredBytes(ctx, t, e, map[string]string{"long.mov": long})
}

// TestWatchStoppedWhileTheLastChunksAreInFlightRecordsTheFileDone: Ctrl-C while every
// chunk a file still needs is in flight. Watch lets them finish (the asset is complete in
// the simulator), so the file has arrived: watch must take that in before it exits — say
// it (a "file" event, done) and record it, so that the next run sends nothing again.
func TestWatchStoppedWhileTheLastChunksAreInFlightRecordsTheFileDone(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Last Chunks Project", nil)

	dir := t.TempDir()
	four, _ := writeFile(t, dir, "four.mov", 256<<10) // 4 parts of 64 KiB: all in flight at once
	// Each PUT is held 1.5 s: the four are in flight together when Ctrl-C comes.
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(1500 * time.Millisecond)})
	p := startWatch(ctx, t, e, dir)
	waitFor(within(ctx, t, watchArrivalGuard), t, "the four chunk PUTs", func() (bool, error) {
		watchNotEnded(t, p)
		return faultHits(ctx, t, e) >= 4, nil
	})
	r := stopWatch(ctx, t, p, os.Interrupt)
	expectStoredBytes(ctx, t, e, map[string]string{"four.mov": four})
	if !doneNames(jsonLines(t, "watch --json", r.Stdout))["four.mov"] {
		t.Errorf("watch exited without saying four.mov is done, although its chunks in flight were let finish and the asset is complete:\n%s", r.Stdout)
	}

	clearFaults(ctx, t, e)
	since := lastSeq(ctx, t, e.Sim)
	p = startWatch(ctx, t, e, dir)
	waitFor(within(ctx, t, watchArrivalGuard), t, "the next run to have four.mov done", func() (bool, error) {
		watchNotEnded(t, p)
		return doneNames(watchEventsSoFar(t, p))["four.mov"], nil
	})
	stopWatch(ctx, t, p, os.Interrupt)
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.Kind == "s3" || isAssetCreation(rq) {
			t.Errorf("the next run sent %s %s (part %d) again for a file that had arrived", rq.Method, rq.Path, rq.Part)
		}
	}
	for _, a := range assetsByName(ctx, t, e)["four.mov"] {
		for _, pt := range a.Parts {
			if pt.Puts != 1 {
				t.Errorf("four.mov's part %d was sent %d times, want once", pt.Number, pt.Puts)
			}
		}
	}
}

// TestWatchAgainUploadsOnlyWhatIsNew: a second watch run of a folder a first run uploaded
// sends only the file added in between: one asset created, none for the files already
// uploaded.
func TestWatchAgainUploadsOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Again Project", nil)

	dir := t.TempDir()
	a, _ := writeFile(t, dir, "a.mov", 100<<10)
	b, _ := writeFile(t, dir, "b.wav", 30<<10)
	p := startWatch(ctx, t, e, dir)
	waitComplete(ctx, t, e, p, "a.mov", "b.wav")
	stopWatch(ctx, t, p, os.Interrupt)

	c, _ := writeFile(t, dir, "c.mov", 80<<10)
	since := lastSeq(ctx, t, e.Sim)
	p = startWatch(ctx, t, e, dir)
	waitComplete(ctx, t, e, p, "c.mov")
	r := stopWatch(ctx, t, p, os.Interrupt)

	created := 0
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if isAssetCreation(rq) {
			created++
		}
	}
	if created != 1 {
		t.Errorf("the second watch run created %d assets, want 1 (c.mov only)\nstdout:\n%s", created, r.Stdout)
	}
	// The files uploaded already were not queued again beside the new one.
	for _, ev := range ofType(jsonLines(t, "the second watch --json", r.Stdout), "totals") {
		if n, _ := ev["files"].(float64); n > 3 {
			t.Errorf("the second watch run's queue has %v files, want at most 3 (a.mov, b.wav, c.mov once each): %v", n, ev)
		}
	}
	expectStoredBytes(ctx, t, e, map[string]string{"a.mov": a, "b.wav": b, "c.mov": c})
	if got := assetNames(ctx, t, e); strings.Join(got, ",") != "a.mov,b.wav,c.mov" {
		t.Errorf("the simulator's assets are %v, want exactly a.mov, b.wav, c.mov", got)
	}
}

// TestWatchStopsWithOneWhenTheDeviceIsRevoked: the project revokes the device while watch
// runs; the next file that needs the API finds out, and watch stops by itself with exit 1
// and one line on stderr saying to pair again. The file is not uploaded.
func TestWatchStopsWithOneWhenTheDeviceIsRevoked(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Revoked Watch Project", nil)

	dir := t.TempDir()
	p := startWatch(ctx, t, e, dir)
	if err := e.Sim.Admin.Revoke(ctx, clientID(t, e)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "after.mov", 50<<10)
	r := p.wait(within(ctx, t, watchExitGuard))
	expectCode(t, "watch, device revoked", r, 1)

	// With --json, stderr is the reason alone: one line, saying to pair again.
	expectOneSentence(t, "watch, device revoked", r)
	expectContains(t, "watch's reason for stopping", r.Stderr, "watch: stopped: ", "needs reconnecting", "c2c-uploader pair")
	reconnect := false
	for _, ev := range ofType(jsonLines(t, "watch --json", r.Stdout), "alert") {
		reconnect = reconnect || ev["kind"] == "reconnect"
	}
	if !reconnect {
		t.Errorf("watch --json printed no alert of kind reconnect:\n%s", r.Stdout)
	}
	for _, a := range completeAssets(assetsByName(ctx, t, e)["after.mov"]) {
		t.Errorf("after.mov arrived although the device was revoked before it was written: %+v", a)
	}
}

// TestWatchRefusesWhatIsNotAFolder: watch exits 2 with one sentence for a DIR that does
// not exist, for a file given as DIR, and with no DIR and no watch setting.
func TestWatchRefusesWhatIsNotAFolder(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	file, _ := writeFile(t, t.TempDir(), "clip.mov", 10)
	missing := filepath.Join(t.TempDir(), "does", "not", "exist")
	for _, c := range []struct {
		what string
		args []string
		says string
	}{
		{"a DIR that does not exist", []string{"watch", missing}, missing},
		{"a file as DIR", []string{"watch", file}, file},
		{"no DIR and no watch setting", []string{"watch"}, "no folders to watch"},
		{"no DIR, flags only", []string{"watch", "--json", "--settle", watchSettle}, "no folders to watch"},
	} {
		r := run(ctx, t, e, nil, c.args...)
		expectCode(t, "watch with "+c.what, r, 2)
		expectOneSentence(t, "watch with "+c.what, r)
		expectContains(t, "watch with "+c.what, r.Stderr, c.says)
	}
	if as := assetNames(ctx, t, e); len(as) != 0 {
		t.Errorf("the refused watch runs made assets: %v", as)
	}
}
