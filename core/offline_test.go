package core_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/retry/retrytest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// TestOnlyHealthLeavesWhileOfflineThenUploadsResume: the whole service over real HTTP,
// with the production retry policy on a clock 20 times faster. While files are being
// uploaded the API goes down (every request answered 503, as from a gateway with nothing
// behind it) for longer than six failed health checks, so that the checks back off to
// their 32 s cap. Meanwhile the heartbeat and a token renewal fall due and the files have
// chunks left to send, yet the simulator must see nothing but GET /health: no asset
// creation, no chunk PUT, no token call, no heartbeat. Requests already under way when
// the outage began may still arrive within its first second (the field trial's rule,
// docs/field-trial.md: "every request line ... between link-down + 1 s ... and
// link-up"). Once the API answers again, the uploads resume and every file arrives
// whole, once.
func TestOnlyHealthLeavesWhileOfflineThenUploadsResume(t *testing.T) {
	const (
		partSize = 64 << 10
		files    = 6
		// A token lives 2 s, renewed after 1.6 s: a renewal falls due during an outage
		// of more than six failed checks (0.5+1+2+4+8+16 s of policy time, 1.6 s here).
		tokenTTL    = 2 * time.Second
		failedLimit = 6
	)
	ctx := t.Context()
	sim := c2csim.Start(t, c2csim.Options{PartSize: partSize, PollInterval: 200 * time.Millisecond, AccessTokenTTL: tokenTTL})
	svc, tokens := loadedService(t, sim, "offline-service-test", func(c *core.Config) {
		c.Policy = retry.Policy{Clock: &retrytest.Scaled{Factor: 20}, Rand: func() float64 { return 0 }}
		c.Upload = core.UploadTuning{SettleTime: 300 * time.Millisecond, ProgressInterval: 50 * time.Millisecond}
		// 10 s of policy time: a beat every half second of real time.
		c.Heartbeat = 10 * time.Second
	})
	// Running before pairing, as the window does: with tokens living 2 s, a loaded
	// machine can need a renewal before pairing has looked the project up, and only a
	// running service renews.
	runCtx, stop := context.WithCancel(ctx)
	if err := svc.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	coretest.Pair(t, svc, sim, "Offline Project", time.Minute)
	t.Cleanup(stop)

	// Files of 20 parts each; every chunk takes 100 ms at the simulator, so that the
	// upload is still under way when the API goes down.
	dir := t.TempDir()
	want := map[string]string{} // name → SHA-256
	var paths []string
	for i := range files {
		name := fmt.Sprintf("clip-%02d.mov", i)
		data := make([]byte, 20*partSize-1000*i)
		rng := rand.NewChaCha8([32]byte{byte(i)})
		_, _ = rng.Read(data)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		want[name] = hex.EncodeToString(sum[:])
		paths = append(paths, p)
	}
	slow, err := sim.AddFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(100 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, paths, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "a few chunks acknowledged", func() bool {
		views, _ := svc.Snapshot()
		done := 0
		for _, v := range views {
			done += v.ChunksDone
		}
		return done >= 4
	})

	// The outage.
	if err := sim.Admin.RemoveFault(ctx, slow.ID); err != nil {
		t.Fatal(err)
	}
	down, err := sim.AddFault(c2csim.Fault{Path: "/*", Status: 503,
		Body: `{"code":503,"errors":[{"code":503,"detail":"","status":503,"title":"Service Unavailable"}],"message":"Service Unavailable"}`})
	if err != nil {
		t.Fatal(err)
	}
	downAt := time.Now()
	outage := func() []c2csim.Request {
		var out []c2csim.Request
		for _, r := range sim.Requests(0) {
			if r.Fault == down.ID {
				out = append(out, r)
			}
		}
		return out
	}
	failedChecks := func() int {
		n := 0
		for _, r := range outage() {
			if r.Method == "GET" && r.Path == "/health" {
				n++
			}
		}
		return n
	}
	waitfor.Condition(t, fmt.Sprintf("more than %d failed health checks", failedLimit), func() bool {
		return svc.Connection().Checks > failedLimit
	})
	if st := svc.Connection(); st.State == core.Online {
		t.Errorf("connection %+v during the outage, want offline", st)
	}
	if n := failedChecks(); n <= failedLimit {
		t.Errorf("the monitor counted %d failed checks, the simulator saw %d", svc.Connection().Checks, n)
	}
	views, _ := svc.Snapshot()
	left := 0
	for _, v := range views {
		if v.State != core.Done {
			left++
		}
	}
	if left == 0 {
		t.Fatal("every file was uploaded before the outage ended: nothing was held back")
	}
	// The token renewal due during the outage is still waiting (the pair in use was
	// received before the outage).
	saved := tokens.Saved()
	if last := saved[len(saved)-1]; !last.RequestedAt.Add(tokenTTL * 8 / 10).Before(time.Now()) {
		t.Fatalf("no token renewal fell due during the outage (last tokens received %v, outage since %v)", last.RequestedAt, downAt)
	}
	if err := sim.Admin.RemoveFault(ctx, down.ID); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()

	for _, r := range outage() {
		if r.Time.Before(downAt.Add(time.Second)) {
			continue // under way when the API went down
		}
		if r.Method != "GET" || r.Path != "/health" {
			t.Errorf("while offline (%.1f s into the outage) the simulator saw %s %s", r.Time.Sub(downAt).Seconds(), r.Method, r.Path)
		}
	}
	t.Logf("outage of %.1f s: %d failed health checks, %d files left to send", upAt.Sub(downAt).Seconds(), failedChecks(), left)

	// Uploads resume: every file arrives whole, in one asset.
	waitfor.Condition(t, "every file to be uploaded", func() bool {
		views, _ := svc.Snapshot()
		for _, v := range views {
			if v.State != core.Done {
				return false
			}
		}
		return len(views) == files
	})
	got := map[string]int{}
	for _, a := range sim.Assets() {
		if !a.Complete {
			continue
		}
		got[a.Name]++
		if a.SHA256 != want[a.Name] {
			t.Errorf("%s arrived with SHA-256 %s, want %s", a.Name, a.SHA256, want[a.Name])
		}
	}
	for name := range want {
		if got[name] != 1 {
			t.Errorf("%s: %d complete assets, want 1", name, got[name])
		}
	}
	var puts, refreshes int
	for _, r := range sim.Requests(0) {
		if r.Time.Before(upAt) {
			continue
		}
		switch {
		case r.Method == "PUT" && r.Status == 200:
			puts++
		case r.Grant == "refresh_token" && r.Status == 200:
			refreshes++
		}
	}
	if puts == 0 || refreshes == 0 {
		t.Errorf("after the outage: %d chunks acknowledged, %d tokens renewed; want both to resume", puts, refreshes)
	}
}
