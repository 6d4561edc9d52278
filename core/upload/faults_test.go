package upload_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// batch writes n files of a few to a dozen parts each into the rig's folder.
func (r *rig) batch(n int) []string {
	var paths []string
	for i := range n {
		size := int64(3+3*i)*rigPartSize + int64(1000*i) + 17
		paths = append(paths, writeFile(r.t, r.dir, fmt.Sprintf("clip-%02d.mov", i), size))
	}
	return paths
}

// slowChunks makes every chunk PUT wait d before the simulator handles it, so that an
// upload is still under way when a test acts on it.
func (r *rig) slowChunks(d time.Duration) c2csim.Fault {
	return r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(d)})
}

// finishFaultTest is how every fault test ends: every file intact, the chunk requests
// well formed, and the journal, read back from disk, telling the truth.
func (r *rig) finishFaultTest(paths []string) {
	r.t.Helper()
	r.waitFinished()
	r.checkIntact(paths...)
	r.checkChunkHygiene()
	r.noResendAfterJournal()
	r.checkJournal(doneAll(paths...))
}

func TestFaultS3SlowDownBursts(t *testing.T) {
	r := newRig(t, rigConfig{})
	first := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: "SlowDown", Times: 12})
	second := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: "ServiceUnavailable", Skip: 25, Times: 8})
	paths := r.batch(5)
	r.add(paths...)
	r.finishFaultTest(paths)
	r.expectFired("the first SlowDown burst", first, 12)
	r.expectFired("the second burst", second, 8)
	// No r.noResend() here: a chunk that fails for good stops its file, and the file's
	// other chunks in flight are abandoned; one of them may have been acknowledged to
	// nobody, so it was not journaled and is sent again when the file resumes. The
	// promise kept is noResendAfterJournal's (checked by finishFaultTest).
	r.expectAssets(len(paths))
}

func TestFaultS3InternalError(t *testing.T) {
	r := newRig(t, rigConfig{})
	s3 := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", S3Code: "InternalError", Times: 9})
	// A 500 on the (non-idempotent) asset creation: retried once, as the policy says.
	create := r.fault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Status: 500, Times: 1,
		Body: `{"code":500,"errors":[{"code":500,"detail":"","status":500,"title":"Internal Server Error"}],"message":"Internal Server Error"}`})
	paths := r.batch(5)
	r.add(paths...)
	r.finishFaultTest(paths)
	r.expectFired("InternalError", s3, 9)
	r.expectFired("the 500 on asset creation", create, 1)
	// No r.noResend() here: a chunk that fails for good stops its file, and the file's
	// other chunks in flight are abandoned; one of them may have been acknowledged to
	// nobody, so it was not journaled and is sent again when the file resumes. The
	// promise kept is noResendAfterJournal's (checked by finishFaultTest).
	r.expectAssets(len(paths))
}

func TestFaultStallWatchdog(t *testing.T) {
	// Without the watchdog a stalled chunk would hang until its 5-minute deadline, past
	// this test's wait; with a 1 s stall timeout it is retried within seconds.
	r := newRig(t, rigConfig{tuning: core.UploadTuning{StallTimeout: time.Second}})
	stall := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Stall: true, StallAfter: 10000,
		StallFor: c2csim.Duration(2 * time.Minute), Times: 3})
	paths := r.batch(3)
	r.add(paths...)
	r.finishFaultTest(paths)
	r.expectFired("the stall", stall, 3)
	r.noResend()
}

func TestFaultConnectionResets(t *testing.T) {
	r := newRig(t, rigConfig{})
	chunks := r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Reset: true, ResetAfter: 20000, Times: 6})
	create := r.fault(c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Reset: true, Skip: 1, Times: 1})
	paths := r.batch(4)
	r.add(paths...)
	r.finishFaultTest(paths)
	r.expectFired("chunk resets", chunks, 6)
	r.expectFired("asset creation resets", create, 1)
	if !r.sawConnection("offline") {
		t.Errorf("a reset did not take the connection offline")
	}
	r.noResend()
	r.expectAssets(len(paths))
}

func TestFaultOfflineForAWhile(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(40 * time.Millisecond)
	paths := r.batch(5)
	r.add(paths...)
	r.waitChunks(paths[0], 3)
	if err := r.sim.Admin.Offline(context.Background(), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The connection goes down and the files wait instead of failing.
	r.waitFor("a file waiting for the connection", func(vs map[string]core.FileView) bool {
		for _, v := range vs {
			if v.State == core.Waiting {
				return true
			}
		}
		return false
	})
	r.finishFaultTest(paths)
	if !r.sawConnection("offline") || !r.sawConnection("online") {
		t.Errorf("the connection was not seen going offline and back")
	}
	// A chunk whose answer was cut with the connection may be sent again (its
	// acknowledgement never arrived); noResendAfterJournal has checked the promise
	// that matters. Each file has one complete asset; a creation whose answer the cut
	// took leaves an empty one beside it.
	r.expectAssetsAcrossACut(paths, upload.DefaultSettings().ParallelFiles)
}

func TestFault401MidFile(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 4}})
	r.slowChunks(30 * time.Millisecond)
	paths := r.batch(5)
	r.add(paths...)
	r.waitChunks(paths[0], 2)
	// The access token dies while the first file is being sent: its chunks go on (S3
	// needs no token); the next asset creation is answered 401, the token is refreshed
	// and the call repeated.
	if err := r.sim.Admin.ExpireAccess(context.Background(), r.clientID); err != nil {
		t.Fatal(err)
	}
	r.finishFaultTest(paths)
	var unauthorized, refreshes int
	for _, q := range r.sim.Requests(0) {
		if q.Path == "/v2/devices/assets" && q.Status == 401 {
			unauthorized++
		}
		if q.Grant == "refresh_token" && q.Status == 200 {
			refreshes++
		}
	}
	if unauthorized == 0 || refreshes != 1 {
		t.Errorf("%d asset creations answered 401, %d refreshes; want some and exactly one", unauthorized, refreshes)
	}
	r.noResend()
	r.expectAssets(len(paths))
}

// The device is revoked while a long file is sending its chunks. The next API call
// finds out and the device needs reconnecting: every call that needs a token waits, but
// the chunks already on their way to presigned URLs are not thrown away. The long file
// keeps uploading (and says so) and arrives; the file that needs an asset waits, says for
// what, and is not created until the device is paired again.
func TestFaultRevokedWhileSendingChunks(t *testing.T) {
	r := newRig(t, rigConfig{settings: upload.Settings{ParallelFiles: 2, ParallelChunks: 2}})
	ctx := context.Background()
	r.slowChunks(100 * time.Millisecond)
	long := writeFile(t, r.dir, "long.mov", 80*rigPartSize)
	short := writeFile(t, r.dir, "short.wav", rigPartSize/2)
	r.add(long, short)
	r.waitChunks(long, 1)
	r.waitState(short, core.Done)
	if err := r.sim.Admin.Revoke(ctx, r.clientID); err != nil {
		t.Fatal(err)
	}
	late := writeFile(t, r.dir, "late.wav", rigPartSize/2)
	r.add(late)

	// First the refresh that finds out is under way ("refreshing the access token"), then
	// the device needs reconnecting.
	r.waitFor("the device to need reconnecting, the late file waiting for it", func(vs map[string]core.FileView) bool {
		return r.svc.AuthStatus().State == core.NeedsReconnect &&
			vs[late].State == core.Waiting && strings.Contains(vs[late].Detail, "needs reconnect")
	})
	if v, _ := r.view(long); v.State != core.Uploading || !v.Sending {
		// 80 parts two at a time, each held 100 ms: seconds more to go, unless it stopped.
		t.Errorf("while the device needs reconnecting the long file is %s (%q, sending %v), want uploading", v.State, v.Detail, v.Sending)
	}
	if v, _ := r.view(late); v.Sending {
		t.Errorf("the late file, waiting for an asset, says it is sending: %+v", v)
	}
	r.waitState(long, core.Done)
	if st := r.svc.AuthStatus(); st.State != core.NeedsReconnect {
		t.Fatalf("the long file arrived and the device is %s, want still %s", st.State, core.NeedsReconnect)
	}
	r.checkIntact(long, short)
	if as := r.assetsByName()["late.wav"]; len(as) != 0 {
		t.Errorf("an asset was created for the late file while the device needed reconnecting: %+v", as)
	}
	var reconnects int
	for _, a := range r.alerts() {
		if a.Kind == core.AlertReconnect {
			reconnects++
		}
	}
	if reconnects != 1 {
		t.Errorf("%d reconnect alerts, want 1", reconnects)
	}

	r.pair()
	r.finishFaultTest([]string{long, short, late})
	r.noResend()
	var refused int
	for _, q := range r.sim.Requests(0) {
		if q.Path == "/v2/devices/assets" && q.Status == 401 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d asset creations answered 401, want the 1 that found out", refused)
	}
}

func TestFaultChannelPausedOneOfFive(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	paths := r.batch(5)
	// The third clip was shot three days ago, while the channel was paused.
	shot := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(paths[2], shot, shot); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Admin.AddPauseWindow(context.Background(), 0, shot.Add(-time.Hour), shot.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.add(paths...)
	r.run()
	vs := r.waitFinished()
	paused := vs[paths[2]]
	if paused.State != core.Skipped || paused.ErrorKind != string(api.KindChannelPaused) {
		t.Errorf("the clip shot while paused is %s (%s), want skipped (ChannelPaused)", paused.State, paused.ErrorKind)
	}
	var others []string
	for i, p := range paths {
		if i != 2 {
			others = append(others, p)
		}
	}
	r.checkIntact(others...)
	alerted := false
	for _, a := range r.alerts() {
		if a.Kind == "channel-paused" && slices.Contains(a.Files, paused.Name) {
			alerted = true
		}
	}
	if !alerted {
		t.Errorf("no Channel Paused alert named %s: %+v", paused.Name, r.alerts())
	}
	if n := len(r.assetsByName()[paused.Name]); n != 0 {
		t.Errorf("%d assets for the refused clip", n)
	}
	// Never retried: one creation request for it.
	creations := 0
	for _, q := range r.sim.Requests(0) {
		if q.Path == "/v2/devices/assets" && q.Status == 409 {
			creations++
		}
	}
	if creations != 1 {
		t.Errorf("%d creations answered 409, want 1 (Channel Paused is never retried)", creations)
	}
	r.checkChunkHygiene()
	r.noResend()
	want := doneAll(others...)
	want[paths[2]] = journalWant{state: core.Skipped, kind: api.KindChannelPaused}
	r.checkJournal(want)
}

func TestFaultExpiredURLs(t *testing.T) {
	r := newRig(t, rigConfig{})
	r.slowChunks(100 * time.Millisecond)
	clip := writeFile(t, r.dir, "long-take.mov", 32*rigPartSize+99)
	r.add(clip)
	r.waitChunks(clip, 4)
	// A day passes (a laptop asleep overnight): the presigned URLs have expired, and so
	// has the access token. The file starts again with a new asset.
	r.sim.AdvanceClock(25 * time.Hour)
	r.waitFinished()
	r.checkIntact(clip)
	assets := r.assetsByName()["long-take.mov"]
	if len(assets) != 2 {
		t.Fatalf("%d assets, want 2 (the expired one and its replacement)", len(assets))
	}
	if assets[0].Complete || !assets[1].Complete {
		t.Errorf("the expired asset is %s, its replacement %s", assets[0].State, assets[1].State)
	}
	expired := 0
	for _, q := range r.sim.Requests(0) {
		if q.Kind == "s3" && q.AssetID == assets[0].ID && q.Status == 403 {
			expired++
		}
	}
	if expired == 0 {
		t.Errorf("no chunk was refused with an expired URL")
	}
	r.checkChunkHygiene()
	r.noResend()
	recs := r.checkJournal(doneAll(clip))
	if len(recs) == 1 && recs[0].File.AssetID != assets[1].ID {
		t.Errorf("the journal names asset %s, want the replacement %s", recs[0].File.AssetID, assets[1].ID)
	}
}

// stoppedHalfway adds a file of 24 parts sent slowly, pauses it once 4 are sent, and
// stops the rig: a file half uploaded, for a restart.
func (r *rig) stoppedHalfway(name string) (string, core.FileID) {
	r.t.Helper()
	r.slowChunks(50 * time.Millisecond)
	p := writeFile(r.t, r.dir, name, 24*rigPartSize)
	id := r.add(p).Added[0].ID
	r.waitChunks(p, 4)
	if err := r.svc.Pause(context.Background(), core.One(id)); err != nil {
		r.t.Fatal(err)
	}
	r.waitState(p, core.Paused)
	r.stop()
	return p, id
}

// TestFaultURLsTooOldAfterRestart stops an upload half way and opens the app again when
// its upload URLs are older than the engine trusts (23 h in production; a millisecond
// here): the file starts again with a new asset instead of sending chunks to URLs that
// may have expired, and the journal names the new asset.
func TestFaultURLsTooOldAfterRestart(t *testing.T) {
	r := newRig(t, rigConfig{})
	p, id := r.stoppedHalfway("overnight.mov")
	r.cfg.tuning.URLMaxAge = time.Millisecond
	r.restart()
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	a := r.checkIntact(p)[p]
	assets := r.assetsByName()["overnight.mov"]
	if len(assets) != 2 || assets[0].Complete || assets[1].ID != a.ID {
		t.Errorf("want the old asset left unfinished and a new one complete; got %d assets", len(assets))
	}
	r.noResendAfterJournal()
	if recs := r.checkJournal(doneAll(p)); len(recs) == 1 && recs[0].File.AssetID != a.ID {
		t.Errorf("the journal names asset %s, want the new one %s", recs[0].File.AssetID, a.ID)
	}
}

// TestSealedLinksResumeWithTheirKey: the journal keeps an asset's links sealed under a
// key kept where the tokens are. Opened again with that key, a paused file goes on with
// the same asset; opened with the key gone (a wiped keychain), its links cannot be read
// and it starts again with a new asset, the old one left unfinished: never a file
// marked done that was not sent, never two complete assets.
func TestSealedLinksResumeWithTheirKey(t *testing.T) {
	for _, keyKept := range []bool{true, false} {
		t.Run(map[bool]string{true: "kept", false: "gone"}[keyKept], func(t *testing.T) {
			r := newRig(t, rigConfig{})
			p, id := r.stoppedHalfway("sealed.mov")
			if !keyKept {
				r.keys = journal.NewMemoryKey()
			}
			r.restart()
			if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
				t.Fatal(err)
			}
			r.waitFinished()
			a := r.checkIntact(p)[p]
			assets := r.assetsByName()["sealed.mov"]
			switch {
			case keyKept && len(assets) != 1:
				t.Errorf("with its key the file went on with its asset; got %d assets", len(assets))
			case !keyKept && (len(assets) != 2 || assets[0].Complete || assets[1].ID != a.ID):
				t.Errorf("without its key the file needs a new asset, the old one left unfinished; got %d assets", len(assets))
			}
			r.noResendAfterJournal()
			r.checkJournal(doneAll(p))
		})
	}
}

// TestLinksWaitForTheirKey: a restart while the key's store cannot tell (the window
// waits for the token file's passphrase, a keychain that does not answer) does not give
// the file up: it waits, keeps its asset, and goes on with it once the store answers.
func TestLinksWaitForTheirKey(t *testing.T) {
	r := newRig(t, rigConfig{})
	p, id := r.stoppedHalfway("locked.mov")
	locked := &lockedKeys{KeyStore: r.keys}
	locked.locked.Store(true)
	r.keys = locked
	r.restart()
	if err := r.svc.Resume(context.Background(), core.One(id)); err != nil {
		t.Fatal(err)
	}
	var v core.FileView
	r.waitFor("the file waiting for its key", func(vs map[string]core.FileView) bool {
		v = vs[p]
		return strings.Contains(v.Error, "key")
	})
	if v.State == core.Done || v.AssetID == "" {
		t.Fatalf("while the key is locked the file is %s with asset %q", v.State, v.AssetID)
	}
	locked.locked.Store(false)
	r.waitFinished()
	a := r.checkIntact(p)[p]
	if assets := r.assetsByName()["locked.mov"]; len(assets) != 1 || assets[0].ID != a.ID {
		t.Errorf("the file should have gone on with its asset; got %d assets", len(assets))
	}
	r.noResendAfterJournal()
	r.checkJournal(doneAll(p))
}

// lockedKeys is a key store that cannot tell while locked.
type lockedKeys struct {
	journal.KeyStore
	locked atomic.Bool
}

func (l *lockedKeys) LoadKey(ctx context.Context) ([]byte, error) {
	if l.locked.Load() {
		return nil, errors.New("the keychain is locked")
	}
	return l.KeyStore.LoadKey(ctx)
}
