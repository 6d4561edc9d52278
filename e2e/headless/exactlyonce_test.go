package headless

// Exactly once: each file arrives once, in the project it was meant for, with
// the bytes it has when it is done; a data folder serves one process at a time; tokens
// stay with their installation and their API; a damaged history sends nothing again.
// Every test here is named TestExactlyOnce<Behaviour>, so that
//
//	./scripts/test.sh -run 'TestExactlyOnce' ./e2e/headless/
//
// runs them all.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// within is a context for one wait of a test: a bounded part of testContext, so that a
// behaviour that never comes fails the test in seconds, not at its deadline.
func within(ctx context.Context, t *testing.T, d time.Duration) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	t.Cleanup(cancel)
	return c
}

// addFault scripts a fault in e's simulator.
func addFault(ctx context.Context, t *testing.T, e *e2etest.Env, f c2csim.Fault) {
	t.Helper()
	if _, err := e.Sim.Admin.AddFault(ctx, f); err != nil {
		t.Fatalf("adding fault %+v: %v", f, err)
	}
}

// clearFaults removes every fault of e's simulator.
func clearFaults(ctx context.Context, t *testing.T, e *e2etest.Env) {
	t.Helper()
	if err := e.Sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatalf("clearing the faults: %v", err)
	}
}

// faultHits is how many requests met e's scripted faults so far: a fault counts a request
// as it arrives, when the request log only has it once answered.
func faultHits(ctx context.Context, t *testing.T, e *e2etest.Env) int {
	t.Helper()
	fs, err := e.Sim.Admin.Faults(ctx)
	if err != nil {
		t.Fatalf("listing the faults: %v", err)
	}
	n := 0
	for _, f := range fs {
		n += f.Hits
	}
	return n
}

// lastSeq is the highest sequence number in the simulator's request log. Entries are
// numbered as requests arrive but logged as they are answered, so the last entry need
// not have the highest number.
func lastSeq(ctx context.Context, t *testing.T, sim *c2csim.Sim) int64 {
	t.Helper()
	rs, err := sim.Admin.Requests(ctx, 0)
	if err != nil {
		t.Fatalf("reading the request log: %v", err)
	}
	var last int64
	for _, rq := range rs {
		last = max(last, rq.Seq)
	}
	return last
}

// requestsSince are the simulator's requests after sequence number since.
func requestsSince(ctx context.Context, t *testing.T, sim *c2csim.Sim, since int64) []c2csim.Request {
	t.Helper()
	rs, err := sim.Admin.Requests(ctx, since)
	if err != nil {
		t.Fatalf("reading the request log: %v", err)
	}
	return rs
}

// isAssetCreation tells whether a request asks the API for a new asset.
func isAssetCreation(rq c2csim.Request) bool {
	return rq.Method == "POST" && (rq.Path == "/v2/devices/assets" || rq.Path == "/v2/assets")
}

// sha256Hex is the SHA-256 of data, in hex.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// completeAssets are the complete ones of as.
func completeAssets(as []c2csim.AssetInfo) []c2csim.AssetInfo {
	var out []c2csim.AssetInfo
	for _, a := range as {
		if a.Complete {
			out = append(out, a)
		}
	}
	return out
}

// TestExactlyOnceTwoProcessesOneDataFolder: a data folder serves one process at a time.
// A second `upload` on a folder an `upload` is using stops at once (exit 1) and names the
// process (command and pid) that holds it; `status` meanwhile reads the queue as last
// recorded and says the folder is in use. The first upload finishes alone: one complete
// asset per file. Pins the old bug "two processes on one data folder both run the queue
// and send the same files twice (two assets per file, spent refresh tokens)".
func TestExactlyOnceTwoProcessesOneDataFolder(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Lock Project", nil)

	dir := t.TempDir()
	sums := map[string]string{}
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("clip%d.mov", i)
		_, sums[name] = writeFile(t, dir, name, 2<<20)
	}
	// 8 PUTs at a time (2 files, 4 chunks each) at 128 KiB/s each: about 12 s for the lot.
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 128 << 10})
	first := start(ctx, t, e, nil, "upload", dir)
	pid := first.cmd.Process.Pid
	waitFor(within(ctx, t, 30*time.Second), t, "the first chunk PUT of the first upload", func() (bool, error) {
		select {
		case <-first.done:
			t.Fatalf("the first upload ended before sending a chunk (exit %d)\nstderr:\n%s", first.res.Code, first.res.Stderr)
		default:
		}
		return faultHits(ctx, t, e) > 0, nil
	})

	began := time.Now()
	second := run(ctx, t, e, nil, "upload", dir)
	took := time.Since(began)
	expectCode(t, "a second upload on the same data folder", second, 1)
	expectContains(t, "the second upload's stderr", second.Stderr,
		"`upload`", fmt.Sprintf("pid %d", pid), "is using the data folder")
	if took > 15*time.Second {
		t.Errorf("the second upload took %s to give up; it must not wait for the folder", took)
	}
	if strings.Contains(second.Stderr, "Uploading") {
		t.Errorf("the second upload started uploading:\n%s", second.Stderr)
	}

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status while upload holds the data folder", st, 0)
	expectContains(t, "status's stdout", st.Stdout, "Queue:       6 files", "clip1.mov", "clip6.mov")
	expectContains(t, "status's stderr", st.Stderr, fmt.Sprintf("pid %d", pid), "is using this data folder")
	select {
	case <-first.done:
		t.Fatalf("the first upload ended while the second ran (the throttle was too short): exit %d\nstderr:\n%s", first.res.Code, first.res.Stderr)
	default:
	}

	clearFaults(ctx, t, e)
	r := first.wait(ctx)
	expectCode(t, "the first upload", r, 0)
	expectContains(t, "the first upload's stderr", r.Stderr, "6 arrived")
	expectArrived(ctx, t, e, sums)
}

// TestExactlyOnceNewDataFolderIsUnpaired: a new data folder is a new installation, even
// with the same keychain service and API: it is not paired (status, upload), sends
// nothing, and `pair` there shows a new code. Pins the old bug "tokens are kept per
// keychain service, not per installation: a second data folder uses the first one's
// pairing, and both spend the same refresh token".
func TestExactlyOnceNewDataFolderIsUnpaired(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Folder A Project", nil)

	other := *e
	other.DataDir = t.TempDir()
	b := &other
	since := lastSeq(ctx, t, e.Sim)

	st := run(ctx, t, b, nil, "status")
	expectCode(t, "status in a new data folder", st, 0)
	expectContains(t, "status in a new data folder", st.Stdout, "not paired")

	path, _ := writeFile(t, t.TempDir(), "new-folder.mov", 50<<10)
	up := run(ctx, t, b, nil, "upload", path)
	expectCode(t, "upload in a new data folder", up, 1)
	expectContains(t, "upload's stderr in a new data folder", up.Stderr, "not paired")
	if as, err := e.Sim.Admin.Assets(ctx); err != nil {
		t.Fatal(err)
	} else if len(as) != 0 {
		t.Errorf("the simulator has assets after an upload from an unpaired folder: %+v", as)
	}
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.TokenFP != "" || strings.HasPrefix(rq.Path, "/v2/devices/") || rq.Kind == "s3" {
			t.Errorf("the new data folder used a credential or the device API: %s %s (token fp %q)", rq.Method, rq.Path, rq.TokenFP)
		}
	}

	p := start(ctx, t, b, nil, "pair")
	code := waitShownCode(ctx, t, b, p)
	if err := e.Sim.Admin.Approve(ctx, code, c2csim.Approval{ProjectName: "Folder B Project"}); err != nil {
		t.Fatal(err)
	}
	r := p.wait(ctx)
	expectCode(t, "pair in the new data folder", r, 0)
	if strings.Contains(r.Stderr, "Already paired") {
		t.Errorf("pair in a new data folder says it is already paired:\n%s", r.Stderr)
	}
	if clientID(t, e) == clientID(t, b) {
		t.Errorf("the two data folders share the client_id %s", clientID(t, e))
	}
	// Folder A's pairing is untouched by folder B's.
	stA := run(ctx, t, e, nil, "status")
	expectCode(t, "status in folder A", stA, 0)
	expectContains(t, "status in folder A", stA.Stdout, "paired with the project “Folder A Project”")
	stB := run(ctx, t, b, nil, "status")
	expectCode(t, "status in folder B", stB, 0)
	expectContains(t, "status in folder B", stB.Stdout, "paired with the project “Folder B Project”")
}

// TestExactlyOnceTokensStayWithTheirAPI: a data folder paired with one API never sends
// its tokens to another: upload and pair against another API stop (exit 1), naming the
// API it is paired with and saying to unpair first; status says so and uses no token;
// the other API sees no credential and no device call. unpair, even asked of the other
// API, revokes at the API the folder is paired with; then pairing with the other works.
// Pins the old bug "C2C_API_URL pointed elsewhere sends the refresh token of one API to
// another".
func TestExactlyOnceTokensStayWithTheirAPI(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "First API Project", nil)

	s2 := c2csim.Start(t, simOptions())
	other := *e
	other.Sim = s2
	b := &other

	path, _ := writeFile(t, t.TempDir(), "elsewhere.mov", 50<<10)
	up := run(ctx, t, b, nil, "upload", path)
	expectCode(t, "upload against another API", up, 1)
	expectContains(t, "upload's stderr against another API", up.Stderr, e.Sim.URL(), "unpair")

	pr := run(ctx, t, b, nil, "pair")
	expectCode(t, "pair against another API", pr, 1)
	expectContains(t, "pair's stderr against another API", pr.Stderr, e.Sim.URL(), "unpair")
	if shownCode.MatchString(pr.Stderr) {
		t.Errorf("pair against another API showed a code:\n%s", pr.Stderr)
	}

	st := run(ctx, t, b, nil, "status")
	expectCode(t, "status against another API", st, 0)
	expectContains(t, "status against another API", st.Stdout+st.Stderr, "paired with "+e.Sim.URL())

	for _, rq := range requestsSince(ctx, t, s2, 0) {
		if rq.TokenFP != "" {
			t.Errorf("the other API got a credential: %s %s (grant %q, token fp %s)", rq.Method, rq.Path, rq.Grant, rq.TokenFP)
		}
		if strings.HasPrefix(rq.Path, "/v2/devices/") {
			t.Errorf("the other API got a device call: %s %s", rq.Method, rq.Path)
		}
	}
	if as, err := s2.Admin.Assets(ctx); err != nil {
		t.Fatal(err)
	} else if len(as) != 0 {
		t.Errorf("the other API got assets: %+v", as)
	}

	since := lastSeq(ctx, t, e.Sim)
	un := run(ctx, t, b, nil, "unpair")
	expectCode(t, "unpair asked of the other API", un, 0)
	revoked := false
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		revoked = revoked || (rq.Method == "POST" && rq.Path == "/v2/auth/revoke" && rq.Status == 200)
	}
	if !revoked {
		t.Errorf("unpair did not revoke at the API the folder was paired with (%s)\nstderr:\n%s", e.Sim.URL(), un.Stderr)
	}
	if d := device(ctx, t, e); d.LiveRefresh != 0 || d.LiveAccess != 0 {
		t.Errorf("after unpair the first API's device still has live tokens: %+v", d)
	}
	for _, rq := range requestsSince(ctx, t, s2, 0) {
		if rq.TokenFP != "" {
			t.Errorf("unpair sent a credential to the other API: %s %s", rq.Method, rq.Path)
		}
	}

	r := pair(ctx, t, b, "Second API Project", nil)
	expectContains(t, "pair with the other API", r.Stderr, "Paired with the project “Second API Project”")
	st = run(ctx, t, b, nil, "status")
	expectCode(t, "status with the other API after pairing", st, 0)
	expectContains(t, "status with the other API after pairing", st.Stdout, "paired with the project “Second API Project”")
}

// TestExactlyOnceGrowingFileNeverCompletesTruncated: a file that grows while its chunks
// are being sent (a camera still writing) is never completed with its old length: the
// asset under way is abandoned, and the file, once still, arrives whole in a new one.
// Pins the old bug "chunks are read by offset from a file that has grown; the asset
// completes with the first 12 MB and the file is marked done".
func TestExactlyOnceGrowingFileNeverCompletesTruncated(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Growing Project", nil)

	const name = "growing.mov"
	path := filepath.Join(t.TempDir(), name)
	content := make([]byte, 12<<20)
	if _, err := rand.Read(content); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	// 4 PUTs at a time at 256 KiB/s each: about 12 s for 12 MB.
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 256 << 10})
	p := start(ctx, t, e, nil, "upload", path)
	waitFirstPart(within(ctx, t, 30*time.Second), t, e, name)

	more := make([]byte, 5<<20)
	if _, err := rand.Read(more); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(more); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	content = append(content, more...)
	clearFaults(ctx, t, e)

	r := p.wait(ctx)
	expectCode(t, "upload of a growing file", r, 0)
	want := sha256Hex(content)
	as := assetsByName(ctx, t, e)[name]
	done := completeAssets(as)
	if len(done) != 1 {
		t.Fatalf("the simulator has %d complete assets for %s, want 1: %+v", len(done), name, as)
	}
	if done[0].SHA256 != want || done[0].Filesize != int64(len(content)) {
		t.Errorf("the complete asset has %d bytes, sha256 %s; want the final %d bytes, sha256 %s",
			done[0].Filesize, done[0].SHA256, len(content), want)
	}
	t.Logf("%d assets for %s (%d complete)", len(as), name, len(done))
}

// TestExactlyOnceDamagedJournalDoesNotResend: a journal turned to garbage is moved aside,
// and the record of uploads brings back what had arrived: every command warns first (how
// many uploads were recovered) until `status --acknowledge`, and uploading the same folder
// again sends nothing. Pins the old bug "a damaged journal is replaced by an empty one
// and the next upload sends every file again".
func TestExactlyOnceDamagedJournalDoesNotResend(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Damage Project", nil)

	dir := t.TempDir()
	sums := map[string]string{}
	for _, name := range []string{"one.mov", "two.mov", "three.wav"} {
		_, sums[name] = writeFile(t, dir, name, 100<<10)
	}
	up := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload", up, 0)
	expectArrived(ctx, t, e, sums)

	garbage := bytes.Repeat([]byte("this is not an SQLite database \xff\x00\x13"), 2048)
	if err := os.WriteFile(filepath.Join(e.DataDir, "journal.db"), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(filepath.Join(e.DataDir, "journal.db"+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	since := lastSeq(ctx, t, e.Sim)

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status after the damage", st, 0)
	expectContains(t, "status's stderr after the damage", st.Stderr,
		"upload history was damaged", "3 finished uploads were brought back")

	again := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload of the same folder after the damage", again, 0)
	warn := strings.Index(again.Stderr, "upload history was damaged")
	if warn < 0 {
		t.Errorf("upload after the damage does not warn:\n%s", again.Stderr)
	} else {
		for _, later := range []string{"Uploading", "already uploaded", filepath.Join(dir, "one.mov"), "arrived"} {
			if i := strings.Index(again.Stderr, later); i >= 0 && i < warn {
				t.Errorf("upload after the damage prints %q before its warning:\n%s", later, again.Stderr)
			}
		}
	}
	if as, err := e.Sim.Admin.Assets(ctx); err != nil {
		t.Fatal(err)
	} else if len(as) != 3 {
		t.Errorf("after uploading the folder again the simulator has %d assets, want 3: %+v", len(as), as)
	}
	expectArrived(ctx, t, e, sums)
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if isAssetCreation(rq) || rq.Kind == "s3" {
			t.Errorf("after the damage the app sent %s %s", rq.Method, rq.Path)
		}
	}

	ack := run(ctx, t, e, nil, "status", "--acknowledge")
	expectCode(t, "status --acknowledge", ack, 0)
	after := run(ctx, t, e, nil, "status")
	expectCode(t, "status after --acknowledge", after, 0)
	if strings.Contains(after.Stderr+after.Stdout, "damaged") {
		t.Errorf("status still warns after --acknowledge:\n%s%s", after.Stdout, after.Stderr)
	}
}

// TestExactlyOnceRepairToAnotherProjectHoldsTheRest: files queued while paired with one
// project never get an asset in another the device is paired with later: they are held
// (upload exits 1, says so and names --to-current-project; status lists them) until the
// person sends them with --to-current-project. Files that arrived in the first project
// are not sent again. Pins the old bug "after re-pairing with another project, the queue
// left over from the first one uploads into the second".
func TestExactlyOnceRepairToAnotherProjectHoldsTheRest(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	opts := simOptions()
	opts.AccessTokenTTL = 2 * time.Second // refreshed every 1.6 s: the revocation shows soon
	e := newEnv(t, opts)
	pair(ctx, t, e, "First", nil)

	dir := t.TempDir()
	names := []string{"a.mov", "b.mov", "c.mov", "d.mov"}
	sums := map[string]string{}
	paths := map[string]string{}
	for _, name := range names {
		paths[name], sums[name] = writeFile(t, dir, name, 512<<10) // 8 parts of 64 KiB
	}
	// 8 KiB/s per PUT: a part takes 8 s; nothing completes before the revocation shows.
	addFault(ctx, t, e, c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 8 << 10})
	p := start(ctx, t, e, nil, "upload", dir)
	waitFor(within(ctx, t, 30*time.Second), t, "chunks flowing", func() (bool, error) {
		return faultHits(ctx, t, e) > 0, nil
	})
	if err := e.Sim.Admin.Revoke(ctx, clientID(t, e)); err != nil {
		t.Fatal(err)
	}
	// The files already sending chunks are seen through; let them go at full speed.
	waitFor(within(ctx, t, 30*time.Second), t, "upload to notice the revocation", func() (bool, error) {
		select {
		case <-p.done:
			return true, nil
		default:
		}
		return strings.Contains(p.stderr.String(), "Finishing the uploads already sending chunks") ||
			strings.Contains(p.stderr.String(), "stopped"), nil
	})
	clearFaults(ctx, t, e)
	r := p.wait(ctx)
	expectCode(t, "upload, revoked", r, 1)

	inFirst := map[string]bool{}
	for name, as := range assetsByName(ctx, t, e) {
		for _, a := range completeAssets(as) {
			if a.Project == "First" {
				inFirst[name] = true
			}
		}
	}
	if len(inFirst) == len(names) {
		t.Fatalf("every file arrived before the revocation stopped the upload; nothing is left to hold\nstderr:\n%s", r.Stderr)
	}
	t.Logf("arrived in First before the revocation: %v", sortedKeys(inFirst))

	pair(ctx, t, e, "Second", nil)
	if d := device(ctx, t, e); d.Project != "Second" || d.ProjectID == "" {
		t.Fatalf("after pairing again the device is in %q (%s), want Second", d.Project, d.ProjectID)
	}
	since := lastSeq(ctx, t, e.Sim)

	held := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload after pairing with another project", held, 1)
	expectContains(t, "upload's stderr after pairing with another project", held.Stderr,
		"held for another project", "--to-current-project")
	for _, name := range names {
		if !inFirst[name] && !strings.Contains(held.Stderr, "held "+paths[name]) {
			t.Errorf("upload does not list %s as held:\n%s", name, held.Stderr)
		}
	}
	for name, as := range assetsByName(ctx, t, e) {
		for _, a := range as {
			if a.Project == "Second" {
				t.Errorf("%s got an asset in the second project before --to-current-project: %+v", name, a)
			}
		}
	}
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if isAssetCreation(rq) {
			t.Errorf("upload asked for an asset after pairing with another project: %s %s (status %d)", rq.Method, rq.Path, rq.Status)
		}
	}

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status with held files", st, 0)
	expectContains(t, "status with held files", st.Stdout,
		fmt.Sprintf("%d held for another project", len(names)-len(inFirst)))
	for _, name := range names {
		if inFirst[name] {
			continue
		}
		row := false
		for _, line := range strings.Split(st.Stdout, "\n") {
			row = row || (strings.Contains(line, name) && strings.Contains(line, "held"))
		}
		if !row {
			t.Errorf("status does not show %s as held:\n%s", name, st.Stdout)
		}
	}

	sent := run(ctx, t, e, nil, "upload", "--to-current-project", dir)
	expectCode(t, "upload --to-current-project", sent, 0)
	byName := assetsByName(ctx, t, e)
	for _, name := range names {
		done := completeAssets(byName[name])
		if len(done) != 1 {
			t.Errorf("%s has %d complete assets, want exactly 1: %+v", name, len(done), byName[name])
			continue
		}
		wantProject := "Second"
		if inFirst[name] {
			wantProject = "First"
		}
		if done[0].SHA256 != sums[name] || done[0].Project != wantProject {
			t.Errorf("%s: complete asset in %q with sha256 %s, want %q with %s", name, done[0].Project, done[0].SHA256, wantProject, sums[name])
		}
	}
}

// TestExactlyOnceUnpairOfflineRevokesLater: unpair with the API out of reach says so
// (not that the project no longer accepts the computer), keeps the pairing to revoke, and
// the next command that reaches the API revokes it with that very refresh token. Pins
// the old bug "unpair offline forgets the tokens without revoking them: the device stays
// live in the project with a refresh token nobody can revoke".
func TestExactlyOnceUnpairOfflineRevokesLater(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Offline Unpair Project", nil)

	rt := keychainSecret(ctx, t, e, "refresh_token")
	if rt == "" {
		t.Fatal("no refresh token in the keychain after pairing")
	}
	fp := c2csim.Fingerprint(rt)

	if err := e.Sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	un := run(ctx, t, e, nil, "unpair")
	if err := e.Sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "unpair with the API out of reach", un, 0)
	expectContains(t, "unpair's stderr", un.Stderr, "could not be reached", "revocation is kept")
	if strings.Contains(un.Stderr, "Unpaired: the project no longer accepts") {
		t.Errorf("unpair offline says the project no longer accepts this computer:\n%s", un.Stderr)
	}
	if d := device(ctx, t, e); d.Removed || d.LiveRefresh == 0 {
		t.Fatalf("the device was revoked although the API was out of reach: %+v", d)
	}
	since := lastSeq(ctx, t, e.Sim)

	st := run(ctx, t, e, nil, "status")
	expectCode(t, "status once the API is back", st, 0)
	expectContains(t, "status after unpair", st.Stdout, "not paired")
	var revokes []c2csim.Request
	for _, rq := range requestsSince(ctx, t, e.Sim, since) {
		if rq.Method == "POST" && rq.Path == "/v2/auth/revoke" {
			revokes = append(revokes, rq)
		}
	}
	if len(revokes) != 1 || revokes[0].TokenFP != fp || revokes[0].Status != 200 {
		t.Errorf("once the API was back, status sent revocations %+v; want one of the refresh token (fp %s), answered 200", revokes, fp)
	}
	if d := device(ctx, t, e); !d.Removed || d.LiveRefresh != 0 || d.LiveAccess != 0 {
		t.Errorf("after status reached the API the device is still live: %+v", d)
	}
}

// TestExactlyOnceJSONPathsRoundTrip: with --json, every file event names its file so that
// a script finds it again: "path" for a name with a line break, "path_b64" (the exact
// bytes) for one that is not UTF-8. Pins the old bug "upload --json mangles names that
// are not UTF-8 (U+FFFD), so a script cannot tell which file arrived".
func TestExactlyOnceJSONPathsRoundTrip(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "JSON Paths Project", nil)

	dir := t.TempDir()
	lineBreak, _ := writeFile(t, dir, "line\nbreak.mov", 30<<10)
	badUTF8, _ := writeFile(t, dir, "bad\xff.mov", 30<<10)
	want := map[string]bool{lineBreak: true, badUTF8: true}

	r := run(ctx, t, e, nil, "upload", "--json", dir)
	expectCode(t, "upload --json", r, 0)
	seen := map[string]bool{}
	files := ofType(jsonLines(t, "upload --json", r.Stdout), "file")
	for _, ev := range files {
		path, _ := ev["path"].(string)
		if b64, ok := ev["path_b64"].(string); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Errorf("file event %v: path_b64 is not base64: %v", ev, err)
				continue
			}
			path = string(raw)
		}
		if !want[path] {
			t.Errorf("file event %v names %q, which is neither real path", ev, path)
			continue
		}
		seen[path] = true
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("no file event names %q:\n%s", p, r.Stdout)
		}
	}
}

// TestExactlyOnceSmallerMessages: mistakes get a plain message and the contract's exit
// code, never a panic: an API URL with an impossible port; pair against an address where
// nothing listens (it cannot reach it, and got no code: not "no approval"); a mistyped
// command. Pins the old smaller bugs: "a port out of range panics", "pair --timeout
// against a dead address says no approval came", "a typo opens the window".
func TestExactlyOnceSmallerMessages(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	noStack := func(what string, r e2etest.Result) {
		t.Helper()
		out := r.Stdout + r.Stderr
		for _, bad := range []string{"panic", "goroutine ", ".go:"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s printed %q (a crash?):\n%s", what, bad, out)
			}
		}
	}

	t.Run("port", func(t *testing.T) {
		r := run(ctx, t, e, nil, "--api", "http://127.0.0.1:99999", "status")
		if r.Code != 1 && r.Code != 2 {
			t.Errorf("status --api http://127.0.0.1:99999: exit %d, want 2 or 1\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		expectContains(t, "status --api http://127.0.0.1:99999: stderr", strings.ToLower(r.Stderr), "port")
		noStack("status --api http://127.0.0.1:99999", r)
	})

	t.Run("unreachable", func(t *testing.T) {
		const dead = "http://127.0.0.1:1"
		began := time.Now()
		r := run(ctx, t, e, nil, "--api", dead, "pair", "--timeout", "3s")
		took := time.Since(began)
		expectCode(t, "pair --timeout 3s against "+dead, r, 124)
		if took > 15*time.Second {
			t.Errorf("pair --timeout 3s against %s took %s", dead, took)
		}
		low := strings.ToLower(r.Stderr)
		expectContains(t, "pair's stderr", r.Stderr, dead)
		if !strings.Contains(low, "reach") {
			t.Errorf("pair's stderr does not say it cannot reach %s:\n%s", dead, r.Stderr)
		}
		if !strings.Contains(low, "no pairing code") && !strings.Contains(low, "could not get a pairing code") {
			t.Errorf("pair's stderr does not say no pairing code came back:\n%s", r.Stderr)
		}
		for _, wrong := range []string{"no approval within", "not approved within"} {
			if strings.Contains(low, wrong) {
				t.Errorf("pair's stderr says %q although no code was ever shown:\n%s", wrong, r.Stderr)
			}
		}
		if shownCode.MatchString(r.Stderr) {
			t.Errorf("pair showed a code from a dead address:\n%s", r.Stderr)
		}
		noStack("pair against "+dead, r)
	})

	t.Run("typo", func(t *testing.T) {
		r := run(ctx, t, e, nil, "uplaod", "x")
		expectCode(t, "c2c-uploader uplaod x", r, 2)
		expectContains(t, "c2c-uploader uplaod x: stderr", r.Stderr, "unknown command")
		noStack("c2c-uploader uplaod x", r)
	})
}

// sortedKeys is for messages.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
