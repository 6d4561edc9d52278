package headless

import (
	"net"
	"net/url"
	"testing"
)

// TestAPIURLSchemes: a plain http:// API URL that is not loopback is refused before any
// request, with a message that says https is required; an https URL gets past the check
// (here to a closed port: status then reports offline, no network needed); http to a
// loopback address is accepted.
func TestAPIURLSchemes(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	for _, api := range []string{"http://example.com", "http://192.0.2.10:8080", "ftp://example.com"} {
		for _, viaEnv := range []bool{false, true} {
			var opts []cmdOpt
			args := []string{"status"}
			if viaEnv {
				opts = []cmdOpt{withEnv("C2C_API_URL=" + api)}
			} else {
				args = append(args, "--api", api)
			}
			r := run(ctx, t, e, opts, args...)
			if r.Code == 0 {
				t.Errorf("status with API %s (env %v) exited 0:\n%s%s", api, viaEnv, r.Stdout, r.Stderr)
			}
			expectContains(t, "status with API "+api+": stderr", r.Stderr, "https")
		}
	}

	// https to a loopback port where nothing listens: accepted, then offline.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r := run(ctx, t, e, nil, "status", "--api", "https://"+closed)
	expectCode(t, "status --api https://"+closed, r, 0)
	expectContains(t, "status with an unreachable https API", r.Stdout, "Connection:  offline")

	// http to loopback (the simulator): accepted and online.
	r = run(ctx, t, e, nil, "status", "--api", e.Sim.URL())
	expectCode(t, "status --api "+e.Sim.URL(), r, 0)
	expectContains(t, "status against the simulator", r.Stdout, "Connection:  online")
	u, err := url.Parse(e.Sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	r = run(ctx, t, e, []cmdOpt{withEnv("C2C_API_URL=http://localhost:" + u.Port())}, "status")
	expectCode(t, "status with C2C_API_URL=http://localhost:…", r, 0)
	expectContains(t, "status against the simulator as localhost", r.Stdout, "Connection:  online")
}
