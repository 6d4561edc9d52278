package headless

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// expectArrived checks that the simulator holds exactly one complete asset per file,
// with the file's bytes.
func expectArrived(ctx context.Context, t *testing.T, e *e2etest.Env, sums map[string]string) {
	t.Helper()
	assets := assetsByName(ctx, t, e)
	for name, sum := range sums {
		as := assets[name]
		if len(as) != 1 {
			t.Errorf("%s: the simulator has %d assets, want 1: %+v", name, len(as), as)
			continue
		}
		if a := as[0]; !a.Complete || a.SHA256 != sum {
			t.Errorf("%s: asset complete=%v sha256=%s state=%s, want complete with sha256 %s", name, a.Complete, a.SHA256, a.State, sum)
		}
	}
}

// TestUploadAllArrive: upload of a folder exits 0 when every file arrived, and the
// simulator has each file's bytes; naming the files again uploads nothing twice; with
// --json, stdout is events and a result.
func TestUploadAllArrive(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Upload Project", nil)

	dir := t.TempDir()
	sums := map[string]string{}
	for name, size := range map[string]int{"a.mov": 300 << 10, "b.wav": 70 << 10, "c.txt": 1} {
		_, sums[name] = writeFile(t, dir, name, size)
	}
	r := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload", r, 0)
	expectContains(t, "upload's stderr", r.Stderr, "Uploading 3 files", "3 arrived in “Upload Project”.")
	expectArrived(ctx, t, e, sums)

	again := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload of the same folder again", again, 0)
	expectContains(t, "second upload's stderr", again.Stderr, "already in “Upload Project”, uploaded ", filepath.Join(dir, "a.mov")+" (--force sends it again)", "Nothing new to upload: 3 files were uploaded already.")
	expectArrived(ctx, t, e, sums)

	path, sum := writeFile(t, t.TempDir(), "d.mov", 150<<10)
	rj := run(ctx, t, e, nil, "upload", "--json", path)
	expectCode(t, "upload --json", rj, 0)
	evs := jsonLines(t, "upload --json", rj.Stdout)
	last := evs[len(evs)-1]
	if last["type"] != "result" || last["arrived"] != float64(1) || last["not_arrived"] != float64(0) {
		t.Errorf("upload --json ends with %v, want a result with 1 arrived, 0 not", last)
	}
	done := false
	for _, ev := range ofType(evs, "file") {
		done = done || (ev["path"] == path && ev["state"] == "done")
	}
	if !done {
		t.Errorf("upload --json printed no file event with %s done:\n%s", path, rj.Stdout)
	}
	expectArrived(ctx, t, e, map[string]string{"d.mov": sum})

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout, "Queue:       4 files, 0 to go (0 B), 4 done, 0 failed, 0 skipped")
}

// TestUploadSkippedChannelPaused: a file made while the channel was paused is skipped;
// upload exits 1 and lists it with its reason; the other file arrives. Named again, it
// stays skipped; named again with --anyway, it is sent as new media (offset 0) and
// arrives.
func TestUploadSkippedChannelPaused(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Paused Project", nil)

	dir := t.TempDir()
	okPath, okSum := writeFile(t, dir, "fresh.mov", 100<<10)
	pausedPath, _ := writeFile(t, dir, "old.mov", 100<<10)
	made := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(pausedPath, made, made); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.Admin.AddPauseWindow(ctx, 0, made.Add(-time.Hour), made.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	r := run(ctx, t, e, nil, "upload", okPath, pausedPath)
	expectCode(t, "upload with a paused file", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "1 arrived in “Paused Project”, 1 did not:", "upload --anyway PATH", "skipped "+pausedPath+": ")
	for _, line := range strings.Split(r.Stderr, "\n") {
		if strings.Contains(line, "skipped "+pausedPath+": ") && !strings.Contains(strings.ToLower(line), "paused") {
			t.Errorf("the skipped file's reason does not say the channel was paused: %q", line)
		}
	}
	expectArrived(ctx, t, e, map[string]string{"fresh.mov": okSum})
	if as := assetsByName(ctx, t, e)["old.mov"]; len(as) != 0 {
		t.Errorf("the file made during the pause has assets: %+v", as)
	}

	st := run(ctx, t, e, nil, "status", "--json")
	expectCode(t, "status --json", st, 0)
	for _, ev := range ofType(jsonLines(t, "status --json", st.Stdout), "file") {
		want := "done"
		if ev["path"] == pausedPath {
			want = "skipped"
		}
		if ev["state"] != want {
			t.Errorf("status --json: %v, want state %s", ev, want)
		}
	}

	again := run(ctx, t, e, nil, "upload", pausedPath)
	expectCode(t, "upload of the refused file again", again, 1)
	anyway := run(ctx, t, e, nil, "upload", "--anyway", pausedPath)
	expectCode(t, "upload --anyway", anyway, 0)
	expectContains(t, "upload --anyway's stderr", anyway.Stderr, "1 arrived in “Paused Project”.")
	// Named for the first time with --anyway: refused, then sent as new media in the
	// same run.
	laterPath, _ := writeFile(t, dir, "also-old.mov", 50<<10)
	if err := os.Chtimes(laterPath, made, made); err != nil {
		t.Fatal(err)
	}
	first := run(ctx, t, e, nil, "upload", "--anyway", laterPath)
	expectCode(t, "upload --anyway of a file refused in that run", first, 0)
	for _, name := range []string{"old.mov", "also-old.mov"} {
		as := assetsByName(ctx, t, e)[name]
		if len(as) != 1 || as[0].Offset != 0 || !as[0].Complete {
			t.Errorf("%s sent anyway as %+v, want one complete asset with offset 0", name, as)
		}
	}
}

// TestUploadInterruptedResumes: Ctrl-C during an upload exits 130; a later upload run
// finishes the queue (exit 0) with the same asset, without sending again the chunks the
// journal had marked done.
func TestUploadInterruptedResumes(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Slow Project", nil)

	path, sum := writeFile(t, t.TempDir(), "long.mov", 2<<20)
	if _, err := e.Sim.Admin.AddFault(ctx, c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	p := start(ctx, t, e, nil, "upload", path)
	waitFirstPart(ctx, t, e, "long.mov")
	p.interrupt()
	r := p.wait(ctx)
	expectCode(t, "upload, interrupted", r, 130)
	expectContains(t, "upload's stderr", r.Stderr, "interrupted", "resumes")

	as := assetsByName(ctx, t, e)["long.mov"]
	if len(as) != 1 || as[0].Complete {
		t.Fatalf("after the interruption the simulator has %+v, want one incomplete asset", as)
	}
	st := run(ctx, t, e, nil, "status", "--json")
	expectCode(t, "status --json after the interruption", st, 0)
	files := ofType(jsonLines(t, "status --json", st.Stdout), "file")
	if len(files) != 1 || files[0]["state"] == "done" {
		t.Fatalf("status --json after the interruption: %v, want one unfinished file", files)
	}
	// The chunks the journal holds as finished: they must never be sent again.
	journaled := journaledChunks(ctx, t, e, as[0].ID)
	if n := int(files[0]["chunks_done"].(float64)); n != len(journaled) {
		t.Errorf("status --json says %d chunks done, the journal %d", n, len(journaled))
	}

	if err := e.Sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	r = run(ctx, t, e, nil, "upload", path)
	expectCode(t, "upload after the interruption", r, 0)
	expectContains(t, "second upload's stderr", r.Stderr, "1 arrived in “Slow Project”.")
	expectArrived(ctx, t, e, map[string]string{"long.mov": sum})

	for _, pt := range assetsByName(ctx, t, e)["long.mov"][0].Parts {
		if journaled[pt.Number-1] && (pt.Puts != 1 || pt.ResentAfterAck != 0) {
			t.Errorf("part %d was journaled as done, yet sent again: %+v", pt.Number, pt)
		}
	}
	t.Logf("%d chunks were journaled as done at the interruption", len(journaled))
}

// TestUploadRevokedFinishesChunksUnderWay: the device is revoked while two long files are
// sending their chunks. upload finds out at its next refresh; the chunks need no token, so
// it sees those two files through (across a short outage too), then stops with exit 1 and
// says why, leaving the third file (which needs an asset) queued. After pairing again,
// upload sends just that one.
func TestUploadRevokedFinishesChunksUnderWay(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	opts := simOptions()
	opts.AccessTokenTTL = 2 * time.Second // refreshed every 1.6 s: the revocation shows soon
	e := newEnv(t, opts)
	pair(ctx, t, e, "Revoked Project", nil)

	dir := t.TempDir()
	// 128 parts each, four at a time per file, each PUT held 150 ms: about 5 s per file,
	// long enough for the refresh that finds the revocation to come first.
	longA, sumA := writeFile(t, dir, "a-long.mov", 8<<20)
	longB, sumB := writeFile(t, dir, "b-long.mov", 8<<20)
	// A file that goes after the two (of their kind, shot after them).
	late, lateSum := writeFile(t, dir, "c-late.mov", 10<<10)
	if _, err := e.Sim.Admin.AddFault(ctx, c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(150 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	p := start(ctx, t, e, nil, "upload", longA, longB, late)
	waitFirstPart(ctx, t, e, "a-long.mov")
	if err := e.Sim.Admin.Revoke(ctx, clientID(t, e)); err != nil {
		t.Fatal(err)
	}
	// While it finishes, the link drops for 2 s: the two files wait for it (their chunks
	// still need no token) instead of being given up.
	waitFor(ctx, t, "upload to finish the files under way", func() (bool, error) {
		return strings.Contains(p.stderr.String(), "Finishing the uploads already sending chunks"), nil
	})
	if err := e.Sim.Admin.Offline(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	r := p.wait(ctx)
	expectCode(t, "upload, revoked", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "Finishing the uploads already sending chunks", "upload: stopped: ")
	expectArrived(ctx, t, e, map[string]string{"a-long.mov": sumA, "b-long.mov": sumB})
	if as := assetsByName(ctx, t, e)["c-late.mov"]; len(as) != 0 {
		t.Errorf("c-late.mov has assets although the device was revoked before it started: %+v", as)
	}

	if err := e.Sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	pair(ctx, t, e, "Revoked Project", nil)
	r = run(ctx, t, e, nil, "upload", longA, longB, late)
	expectCode(t, "upload after pairing again", r, 0)
	expectArrived(ctx, t, e, map[string]string{"a-long.mov": sumA, "b-long.mov": sumB, "c-late.mov": lateSum})
}

// waitFirstPart waits until the simulator has received a part of the file called name.
func waitFirstPart(ctx context.Context, t *testing.T, e *e2etest.Env, name string) {
	t.Helper()
	waitFor(ctx, t, "the first part of "+name, func() (bool, error) {
		for _, a := range assetsByName(ctx, t, e)[name] {
			for _, pt := range a.Parts {
				if pt.Received {
					return true, nil
				}
			}
		}
		return false, nil
	})
}

// journalRecords reads the installation's journal: read-only, as `status` does (so while
// watch runs too), or, readOnly false, opened as the app opens it (a stopped
// installation).
func journalRecords(ctx context.Context, t *testing.T, e *e2etest.Env, readOnly bool) []upload.Record {
	t.Helper()
	path := filepath.Join(e.DataDir, "journal.db")
	var j *journal.Journal
	var err error
	if readOnly {
		j, err = journal.OpenReadOnly(ctx, path)
	} else {
		j, err = journal.Open(ctx, path)
	}
	if err != nil {
		t.Fatalf("opening the journal: %v", err)
	}
	defer j.Close()
	recs, err := j.Load(ctx)
	if err != nil {
		t.Fatalf("reading the journal: %v", err)
	}
	return recs
}

// journaledChunks reads the journal of a stopped installation: the finished chunks of
// the file whose current asset is assetID (0-based indexes; part number = index + 1).
func journaledChunks(ctx context.Context, t *testing.T, e *e2etest.Env, assetID string) map[int]bool {
	t.Helper()
	for _, r := range journalRecords(ctx, t, e, false) {
		if r.File.AssetID == assetID {
			done := map[int]bool{}
			for _, i := range r.DoneChunks {
				done[i] = true
			}
			return done
		}
	}
	t.Fatalf("the journal has no file with asset %s", assetID)
	return nil
}

// TestUploadNotPaired: upload on an unpaired installation queues the files, exits 1
// and says to pair.
func TestUploadNotPaired(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	path, _ := writeFile(t, t.TempDir(), "early.mov", 10<<10)
	r := run(ctx, t, e, nil, "upload", path)
	expectCode(t, "upload when not paired", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "not paired", "Run `c2c-uploader pair`")
	for _, rq := range requests(ctx, t, e) {
		if rq.Kind == "api" || rq.Kind == "s3" {
			t.Errorf("upload when not paired made a request: %s %s", rq.Method, rq.Path)
		}
	}
	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout, "not paired", "Queue:       1 file, 1 to go", "early.mov")
}

// TestUploadMissingPath: a path that cannot be queued is listed with its reason and
// makes upload exit 1, even when nothing else is to be done.
func TestUploadMissingPath(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	missing := filepath.Join(t.TempDir(), "gone.mov")
	r := run(ctx, t, e, nil, "upload", missing)
	expectCode(t, "upload of a missing file", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "not queued: "+missing+": ", "0 arrived, 1 did not")

	rj := run(ctx, t, e, nil, "upload", "--json", missing)
	expectCode(t, "upload --json of a missing file", rj, 1)
	evs := jsonLines(t, "upload --json", rj.Stdout)
	if rej := ofType(evs, "rejected"); len(rej) != 1 || rej[0]["path"] != missing || rej[0]["reason"] == "" {
		t.Errorf("upload --json: rejected events %v, want one for %s with a reason", rej, missing)
	}
	if res := ofType(evs, "result"); len(res) != 1 || res[0]["rejected"] != float64(1) {
		t.Errorf("upload --json: result events %v, want one with rejected 1", res)
	}
}
