// Package crash proves the upload engine's crash safety with the real binary: it starts
// `c2c-uploader upload --json DIR` on a batch of files, kills it with SIGKILL at several
// points chosen from its event stream, restarts it, and checks what the simulator
// received against what the journal said at each kill.
package crash

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/c2c-uploader/c2c-uploader/core"
	"math/rand/v2"
	"net/http"
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

const (
	partSize = 256 << 10
	files    = 8
	// inFlight is the most chunk PUTs the app has in flight with the default settings
	// (2 files x 4 chunks): the most chunks a kill can catch between S3's answer and the
	// journal.
	inFlight = 2 * 4
)

// event is the part of a --json line the test reads.
type event struct {
	Type       string `json:"type"`
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	State      string `json:"state"`
	ChunksDone int    `json:"chunks_done"`
	Chunks     int    `json:"chunks"`
}

// killPoint decides, from the events of one run (and the simulator), when to kill it.
type killPoint struct {
	name string
	// setup runs before the run starts (a fault to arm, say).
	setup func(t *testing.T, env *e2etest.Env)
	// now is called after every event (and every 20 ms with a nil event); true kills.
	now func(env *e2etest.Env, ev *event) bool
}

func TestCrashSafety(t *testing.T) {
	e2etest.RequireKeychain(t)
	env := e2etest.NewEnv(t, c2csim.Options{PartSize: partSize, PollInterval: 200 * time.Millisecond})
	pair(t, env)

	dir := t.TempDir()
	sums := map[string]string{} // asset name -> SHA-256
	for i := range files {
		name := fmt.Sprintf("A%03d_C%03d.mov", i+1, 7*i+1)
		size := int64(2<<20) + int64(i)*300<<10 + int64(97*i)
		sums[name] = writeNoise(t, filepath.Join(dir, name), size)
	}
	// Each chunk PUT is held to 1 MiB/s, so a run lasts long enough to be killed where
	// the test wants.
	if _, err := env.Sim.AddFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Bandwidth: 1 << 20}); err != nil {
		t.Fatal(err)
	}

	var stalled *c2csim.Fault
	points := []killPoint{
		{name: "after the first file starts uploading", now: func(_ *e2etest.Env, ev *event) bool {
			return ev != nil && ev.Type == "file" && ev.State == "uploading"
		}},
		{name: "after a few chunks", now: chunksSeen(3)},
		{
			// The asset is made by the server but its answer is held: the kill lands in
			// the window between the server creating an asset and the journal recording
			// it. The design cannot close that window (the API has no way to find an
			// asset by our request id); what it promises is that such an asset is
			// orphaned harmlessly: no chunk is ever sent to it, and the file gets one
			// complete asset of its own.
			name: "while an asset creation is answered (server made it, journal does not know it)",
			setup: func(t *testing.T, env *e2etest.Env) {
				f, err := env.Sim.AddFault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", StallResponse: true,
					StallFor: c2csim.Duration(time.Minute), Times: 1})
				if err != nil {
					t.Fatal(err)
				}
				stalled = &f
			},
			now: func(env *e2etest.Env, _ *event) bool {
				for _, f := range faultList(env) {
					if f.ID == stalled.ID && f.Hits == 1 {
						// Hit: the handler makes the asset, then holds half an answer.
						time.Sleep(200 * time.Millisecond)
						return true
					}
				}
				return false
			},
		},
		{name: "right after a file is done", now: doneInRun()},
		{name: "after more chunks", now: chunksSeen(5)},
	}

	jpath := filepath.Join(env.DataDir, "journal.db")
	// journaled[asset][chunk]: the chunks the journal held as finished at the last kill.
	journaled := map[string]map[int]bool{}
	last := killPoint{name: "the last run", now: func(*e2etest.Env, *event) bool { return false }}
	for i, kp := range append(points, last) {
		if kp.setup != nil {
			kp.setup(t, env)
		}
		first := marker(t, env) // every later request comes from this run
		code, killed := runUntil(t, env, dir, kp)
		switch {
		case i < len(points) && !killed:
			t.Fatalf("%s: the upload ended (exit %d) before the kill point", kp.name, code)
		case i == len(points) && code != 0:
			t.Fatalf("the last run exited %d, want 0", code)
		}
		if i > 0 {
			// Nothing this restarted run sent may be a chunk the journal held at the kill
			// before it.
			held := 0
			for _, m := range journaled {
				held += len(m)
			}
			n := checkAfter(t, env, first, journaled, points[i-1].name)
			t.Logf("restart %d: %d chunk PUTs checked against the %d chunks journaled at the kill", i, n, held)
		}
		if !killed {
			break
		}
		t.Logf("killed %s", kp.name)
		time.Sleep(200 * time.Millisecond) // the dead process's sockets drain
		for _, rec := range loadJournal(t, jpath) {
			if rec.File.AssetID == "" {
				continue
			}
			m := journaled[rec.File.AssetID]
			if m == nil {
				m = map[int]bool{}
				journaled[rec.File.AssetID] = m
			}
			for _, i := range rec.DoneChunks {
				m[i] = true
			}
		}
	}

	// Every file arrived intact, in exactly one complete asset.
	assets := env.Sim.Assets()
	byName := map[string][]c2csim.AssetInfo{}
	for _, a := range assets {
		byName[a.Name] = append(byName[a.Name], a)
	}
	puts := map[string]int{}
	for _, q := range env.Sim.Requests(0) {
		if q.Kind == "s3" {
			id := q.AssetID
			if id == "" {
				id = strings.Split(strings.TrimPrefix(q.Path, "/s3/"), "/")[0]
			}
			puts[id]++
		}
	}
	orphans, stalledOrphan := 0, false
	complete := map[string]string{}
	for name, sum := range sums {
		var done []c2csim.AssetInfo
		for _, a := range byName[name] {
			switch {
			case a.Complete:
				done = append(done, a)
			case puts[a.ID] == 0 && a.BytesReceived == 0:
				// Orphaned in the window between the server's answer and the journal.
				orphans++
				if stalled != nil && wasStalled(env, stalled.ID, a.ID) {
					stalledOrphan = true
				}
			default:
				t.Errorf("%s: asset %s is %s with %d chunk requests: an asset the app knew and left unfinished",
					name, a.ID, a.State, puts[a.ID])
			}
		}
		if len(done) != 1 {
			t.Errorf("%s: %d complete assets, want exactly 1", name, len(done))
			continue
		}
		if done[0].SHA256 != sum {
			t.Errorf("%s: assembled SHA-256 %s, the file's is %s", name, done[0].SHA256, sum)
		}
		complete[name] = done[0].ID
	}
	if len(byName) != files {
		t.Errorf("assets for %d names, want %d", len(byName), files)
	}
	kills := len(points)
	if orphans > kills*2 {
		t.Errorf("%d orphaned assets; each of the %d kills can orphan at most one per file in flight (2)", orphans, kills)
	}
	if !stalledOrphan {
		t.Errorf("the asset made during the held creation answer is not an untouched orphan")
	}

	// No acknowledged chunk was sent twice, except those a kill caught in flight. A
	// SIGKILL closes the sockets gracefully, so a chunk whose bytes were already in the
	// socket buffers still reaches the simulator whole and is acknowledged, to nobody:
	// the app never recorded it, and sends it again after the restart. That is the same
	// window as for assets, and the design's promise is the one checkAfter proved after
	// every restart: a chunk the journal holds as finished is never sent again. Here the
	// others are bounded by what can be in flight at a kill.
	resent := 0
	for _, a := range assets {
		for _, p := range a.Parts {
			if p.ResentAfterAck > kills {
				t.Errorf("%s part %d was sent %d times after it was acknowledged", a.Name, p.Number, p.ResentAfterAck)
			}
			resent += p.ResentAfterAck
		}
	}
	t.Logf("%d orphaned assets, %d chunks sent again after an acknowledgement the app never recorded", orphans, resent)
	if resent > kills*inFlight {
		t.Errorf("%d chunks were sent again after their acknowledgement; at most %d can be caught in flight by %d kills",
			resent, kills*inFlight, kills)
	}

	// The journal tells the truth: every file done with its complete asset and every chunk.
	for _, rec := range loadJournal(t, jpath) {
		f := rec.File
		if f.State != core.Done || f.AssetID != complete[f.Name] || len(rec.DoneChunks) != f.ChunkCount() {
			t.Errorf("journal: %s is %s with asset %s and %d/%d chunks; want done with %s and all chunks",
				f.Name, f.State, f.AssetID, len(rec.DoneChunks), f.ChunkCount(), complete[f.Name])
		}
	}
}

// doneInRun kills as soon as a file that was not done when the run started is done.
func doneInRun() func(*e2etest.Env, *event) bool {
	started := map[int64]bool{} // files first seen unfinished
	return func(_ *e2etest.Env, ev *event) bool {
		if ev == nil || ev.Type != "file" {
			return false
		}
		if _, seen := started[ev.ID]; !seen {
			started[ev.ID] = ev.State != "done"
			return false
		}
		return started[ev.ID] && ev.State == "done"
	}
}

// chunksSeen kills once n chunk completions were reported in this run.
func chunksSeen(n int) func(*e2etest.Env, *event) bool {
	first, last := map[int64]int{}, map[int64]int{}
	return func(_ *e2etest.Env, ev *event) bool {
		if ev == nil || ev.Type != "file" {
			return false
		}
		if _, ok := first[ev.ID]; !ok {
			first[ev.ID] = ev.ChunksDone
		}
		last[ev.ID] = ev.ChunksDone
		seen := 0
		for id, l := range last {
			seen += l - first[id]
		}
		return seen >= n
	}
}

// pair pairs the installation: `pair` shows a code, the test approves it in the
// simulator as the project's editor would.
func pair(t *testing.T, env *e2etest.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := env.Command(ctx, "pair", "--json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for approved := false; !approved; {
		ps, err := env.Sim.Admin.Pairings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.State == "pending" && !p.Expired {
				if err := env.Sim.Admin.Approve(ctx, p.UserCode, c2csim.Approval{ProjectName: "Crash Tests"}); err != nil {
					t.Fatal(err)
				}
				approved = true
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no pairing code appeared; stderr:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("pair: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
}

// runUntil runs `upload --json dir` until kp says kill (SIGKILL) or it exits by itself.
func runUntil(t *testing.T, env *e2etest.Env, dir string, kp killPoint) (code int, killed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := env.Command(ctx, "upload", "--json", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan *event)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("%s: not a JSON event: %q", kp.name, sc.Text())
				continue
			}
			events <- &ev
		}
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	alive := true
	for alive && !killed {
		var ev *event
		select {
		case ev, alive = <-events:
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("%s: the upload did not end; stderr:\n%s", kp.name, errOut.String())
		}
		if alive && kp.now(env, ev) {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	for range events {
		// The rest of what the dead process wrote.
	}
	err = cmd.Wait()
	code = cmd.ProcessState.ExitCode()
	if !killed && err != nil && code != 0 {
		t.Logf("%s: exit %d; stderr:\n%s", kp.name, code, errOut.String())
	}
	return code, killed
}

// marker makes a request of its own once the simulator has been quiet for a moment (a
// dead process's last requests may still be in its buffers) and returns its sequence
// number: every later request comes from the next run.
func marker(t *testing.T, env *e2etest.Env) int64 {
	t.Helper()
	last, since := len(env.Sim.Requests(0)), time.Now()
	for time.Since(since) < 500*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
		if n := len(env.Sim.Requests(0)); n != last {
			last, since = n, time.Now()
		}
	}
	id := fmt.Sprintf("marker-%d", time.Now().UnixNano())
	resp, err := http.Get(env.Sim.URL() + "/health?" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 100 {
		for _, q := range env.Sim.Requests(0) {
			if q.Path == "/health" && strings.Contains(q.Query, id) {
				return q.Seq
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the marker request is not in the simulator's log")
	return 0
}

// checkAfter fails when a chunk PUT after seq went to a chunk the journal had recorded
// as finished. It returns how many chunk PUTs it checked.
func checkAfter(t *testing.T, env *e2etest.Env, seq int64, journaled map[string]map[int]bool, kill string) int {
	t.Helper()
	n := 0
	for _, q := range env.Sim.Requests(seq) {
		if q.Kind != "s3" {
			continue
		}
		n++
		if journaled[q.AssetID][q.Part-1] {
			t.Errorf("after the kill %s: request %d sent part %d of asset %s, which the journal held as finished",
				kill, q.Seq, q.Part, q.AssetID)
		}
	}
	return n
}

// wasStalled reports whether the asset with id was made by the request the fault held.
func wasStalled(env *e2etest.Env, faultID int, assetID string) bool {
	for _, q := range env.Sim.Requests(0) {
		if q.Fault == faultID && q.Path == "/v2/devices/assets" {
			return q.AssetID == assetID
		}
	}
	return false
}

func faultList(env *e2etest.Env) []c2csim.Fault {
	fs, _ := env.Sim.Admin.Faults(context.Background())
	return fs
}

func loadJournal(t *testing.T, path string) []upload.Record {
	t.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, path)
	if err != nil {
		t.Fatalf("opening the journal after the kill: %v", err)
	}
	defer j.Close()
	recs, err := j.Load(ctx)
	if err != nil {
		t.Fatalf("loading the journal after the kill: %v", err)
	}
	return recs
}

// writeNoise writes size reproducible random bytes and returns their SHA-256.
func writeNoise(t *testing.T, path string, size int64) string {
	t.Helper()
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(size))
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(seed).Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
