package c2csim_test

import (
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// Behind a proxy (the field trial's network), clients must be sent to the proxy: the
// pairing page and every upload URL use PublicURL, while the simulator still listens on
// its own address.
func TestPublicURLIsWhereClientsAreSent(t *testing.T) {
	const public = "http://127.0.0.1:1/behind-proxy"
	e := newEnv(t, c2csim.Options{PublicURL: public + "/"})
	code := e.requestCode("proxied", "x-client-platypus-enabled", "true")
	if got := code["verification_uri"]; got != public+"/pair" {
		t.Fatalf("verification_uri = %v, want %s/pair", got, public)
	}
	if got, _ := code["verification_uri_complete"].(string); !strings.HasPrefix(got, public+"/pair/") {
		t.Fatalf("verification_uri_complete = %v, want it under %s", got, public)
	}
	tok := e.pair("proxied-2", c2csim.Approval{})
	a := e.newAsset(tok.Access, "clip.mov", 200<<10)
	if len(a.URLs) < 2 {
		t.Fatalf("want several upload URLs, got %d", len(a.URLs))
	}
	for _, u := range a.URLs {
		if !strings.HasPrefix(u, public+"/s3/") {
			t.Fatalf("upload URL %s does not point at the public URL", u)
		}
	}
	// The signature covers the path, not the host: the same path on the real address works.
	direct := e.sim.URL() + strings.TrimPrefix(a.URLs[0], public)
	body := make([]byte, 200<<10)
	parts := chunks(body, len(a.URLs))
	if r := e.put(direct, parts[0]); r.Status != 200 {
		t.Fatalf("PUT through the real address: %v", r)
	}
}
