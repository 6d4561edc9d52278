// Package coretest helps tests drive a core.Service against the simulator.
package coretest

import (
	"context"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// Pair pairs svc the way a person would: it runs the device-code flow and approves the
// code in the simulator for a project of that name, as the project's editor would. It
// fails the test if no code shows or the pairing does not end paired within limit.
func Pair(tb testing.TB, svc *core.Service, sim *c2csim.Sim, project string, limit time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- svc.Pair(ctx) }()
	for {
		p := svc.Pairing()
		if p.State == auth.PairPending && p.UserCode != "" {
			if err := sim.Approve(p.UserCode, c2csim.Approval{ProjectName: project}); err != nil {
				tb.Fatalf("approving %s: %v", p.UserCode, err)
			}
			break
		}
		select {
		case err := <-errc:
			tb.Fatalf("pairing ended before a code was shown: %v", err)
		case <-ctx.Done():
			tb.Fatalf("no pairing code was shown")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := <-errc; err != nil {
		tb.Fatalf("Pair: %v", err)
	}
	if st := svc.AuthStatus(); st.State != auth.Paired {
		tb.Fatalf("after pairing the state is %s", st.State)
	}
}
