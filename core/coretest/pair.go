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
// fails the test if no code shows or the pairing does not end paired within limit. A
// connection it started for the pairing ends with it (Run starts another).
func Pair(tb testing.TB, svc *core.Service, sim *c2csim.Sim, project string, limit time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	// With the connection monitor running, as the pair command has it (a service not
	// yet running gets it for the pairing): a request that fails as a disconnect (a poll
	// timing out on a loaded machine) closes the gate every request waits at, and only
	// the monitor's health checks open it again. Running already, it is left as it is.
	_ = svc.RunConnection(ctx)
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
