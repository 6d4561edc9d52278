package api_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// TestLifetimesCountFromTheRequest: the server starts a token's (and a pairing code's)
// lifetime when it issues it, which is after our request left and before its answer
// reached us. A laptop that sleeps with a refresh in flight reads the answer on waking,
// long after the token was issued (the field trial caught it: the uploader took a token
// the server had let expire for fresh and was refused). So a lifetime counts from when the
// request left — never later than the server's own clock started it.
func TestLifetimesCountFromTheRequest(t *testing.T) {
	const held = 300 * time.Millisecond
	var (
		mu      sync.Mutex
		arrived = map[string]time.Time{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived[r.URL.Path] = time.Now()
		mu.Unlock()
		time.Sleep(held) // the answer is delayed on its way back, as by a sleeping laptop
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v2/auth/token":
			_, _ = w.Write([]byte(`{"access_token":"a","refresh_token":"r","expires_in":60,"token_type":"Bearer"}`))
		case "/v2/auth/device/code":
			_, _ = w.Write([]byte(`{"device_code":"d","user_code":"123456","verification_uri":"https://example.test","expires_in":600,"interval":5}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, api.Config{BaseURL: srv.URL})
	ctx := t.Context()

	tok, err := c.RefreshTokens(ctx, testCreds("lifetime-device"), "r0")
	if err != nil {
		t.Fatalf("RefreshTokens: %v", err)
	}
	mu.Lock()
	issued := arrived["/v2/auth/token"]
	mu.Unlock()
	if latest := issued.Add(60 * time.Second); tok.ExpiresAt().After(latest) {
		t.Errorf("the access token expires at %s by our clock, %s after the server started its 60 s (at %s)",
			tok.ExpiresAt().Format("15:04:05.000"), tok.ExpiresAt().Sub(latest), issued.Format("15:04:05.000"))
	}

	dc, err := c.RequestDeviceCode(ctx, testCreds("lifetime-device"))
	if err != nil {
		t.Fatalf("RequestDeviceCode: %v", err)
	}
	mu.Lock()
	issued = arrived["/v2/auth/device/code"]
	mu.Unlock()
	if latest := issued.Add(600 * time.Second); dc.ExpiresAt().After(latest) {
		t.Errorf("the pairing code expires at %s by our clock, %s after the server started its 600 s (at %s)",
			dc.ExpiresAt().Format("15:04:05.000"), dc.ExpiresAt().Sub(latest), issued.Format("15:04:05.000"))
	}
}
