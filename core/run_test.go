package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// TestRunAfterAPairingRun: a run that pairs first (`--demo upload`) runs the connection
// for the pairing, ends it, then runs the service. Run used to refuse ("already
// running"); it must start the connection again under its own context — the heartbeat,
// token renewal and the online check all stop with the pairing's.
func TestRunAfterAPairingRun(t *testing.T) {
	ctx := t.Context()
	sim := c2csim.Start(t, c2csim.Options{PollInterval: 200 * time.Millisecond})
	svc, _ := loadedService(t, sim, "run-after-pairing", func(c *core.Config) { c.Heartbeat = 100 * time.Millisecond })
	pairing, endPairing := context.WithCancel(ctx)
	if err := svc.RunConnection(pairing); err != nil {
		t.Fatal(err)
	}
	coretest.Pair(t, svc, sim, "Run Project", time.Minute)
	running, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	if err := svc.Run(running); err == nil {
		t.Fatal("Run while the pairing's connection still runs: no error, want already running")
	}
	endPairing()
	if err := svc.Run(running); err != nil {
		t.Fatalf("Run after the pairing's run ended: %v", err)
	}
	since := time.Now()
	waitfor.Condition(t, "a heartbeat from the service's own run", func() bool {
		for _, q := range sim.Requests(0) {
			if q.Path == "/v2/devices/heartbeat" && q.Time.After(since.Add(300*time.Millisecond)) {
				return true
			}
		}
		return false
	})
	if err := svc.Run(running); err == nil {
		t.Error("a second Run: no error, want already running")
	}
}
