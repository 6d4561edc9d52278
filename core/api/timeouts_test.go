package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// deadlineLog is a transport hook that notes, for every request the client sends, how
// much time its context had left when it reached the transport: the per-request deadline
// the client set (docs/error-policy.md §7).
type deadlineLog struct {
	mu   sync.Mutex
	left map[string]time.Duration // by path; -1 when the request had no deadline
}

func (d *deadlineLog) proxy(r *http.Request) (*url.URL, error) {
	left := time.Duration(-1)
	if dl, ok := r.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	d.mu.Lock()
	d.left[r.Method+" "+r.URL.Path] = left
	d.mu.Unlock()
	return nil, nil // no proxy: straight to the simulator
}

func (d *deadlineLog) get(key string) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	left, ok := d.left[key]
	return left, ok
}

// TestDefaultTimeouts pins the per-request deadlines of docs/error-policy.md §7: 15 s for
// every ordinary API call, 2 minutes for a token refresh, 5 minutes for one chunk PUT —
// read off the requests the client really sends to the simulator, not off the constants.
// A Timeouts override changes only the fields it sets.
func TestDefaultTimeouts(t *testing.T) {
	const (
		ordinary = 15 * time.Second
		refresh  = 2 * time.Minute
		chunk    = 5 * time.Minute
	)
	if api.TimeoutDefault != ordinary || api.TimeoutRefresh != refresh || api.TimeoutChunk != chunk {
		t.Errorf("the constants are %v / %v / %v, want %v / %v / %v",
			api.TimeoutDefault, api.TimeoutRefresh, api.TimeoutChunk, ordinary, refresh, chunk)
	}
	sim := c2csim.Start(t, simOptions())
	ctx := t.Context()
	creds := testCreds("timeouts-device")
	tok := pairDevice(ctx, t, sim, newTestClient(t, api.Config{BaseURL: sim.URL()}), creds, "Timeouts")
	// A chunk to the simulator's S3: the answer (an unknown asset) does not matter here.
	data := []byte("chunk bytes")
	chunkURL := sim.URL() + "/s3/no-such-asset/1"

	for _, tc := range []struct {
		name               string
		timeouts           api.Timeouts
		ordinary, rf, part time.Duration
	}{
		{"defaults", api.Timeouts{}, ordinary, refresh, chunk},
		{"default_overridden_only", api.Timeouts{Default: 3 * time.Second}, 3 * time.Second, refresh, chunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &deadlineLog{left: map[string]time.Duration{}}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.Proxy = log.proxy
			c := newTestClient(t, api.Config{BaseURL: sim.URL(), Transport: tr, Timeouts: tc.timeouts})

			calls := []struct {
				key  string
				want time.Duration
				call func() error
			}{
				{"GET /health", tc.ordinary, func() error { return c.Health(ctx) }},
				{"GET /v2/devices/me", tc.ordinary, func() error { _, err := c.Me(ctx, tok.AccessToken); return err }},
				{"POST /v2/devices/heartbeat", tc.ordinary, func() error { return c.Heartbeat(ctx, tok.AccessToken) }},
				{"POST /v2/devices/assets", tc.ordinary, func() error {
					_, err := c.CreateAsset(ctx, tok.AccessToken, api.AssetRequest{Name: "clip.mov", Filetype: assetType, Filesize: assetSize})
					return err
				}},
				{"POST /v2/auth/device/code", tc.ordinary, func() error { _, err := c.RequestDeviceCode(ctx, creds); return err }},
				{"POST /v2/auth/token", tc.rf, func() error {
					var err error
					tok, err = c.RefreshTokens(ctx, creds, tok.RefreshToken)
					return err
				}},
				{"PUT /s3/no-such-asset/1", tc.part, func() error {
					return c.PutChunk(ctx, api.Chunk{URL: chunkURL, File: bytes.NewReader(data), Path: "clip.mov", Length: int64(len(data)), ContentType: assetType})
				}},
			}
			for _, k := range calls {
				start := time.Now()
				err := k.call()
				if k.key != "PUT /s3/no-such-asset/1" && err != nil {
					t.Errorf("%s: %v", k.key, err)
				}
				left, ok := log.get(k.key)
				switch {
				case !ok:
					t.Errorf("%s never reached the transport", k.key)
				case left < 0:
					t.Errorf("%s went without a deadline", k.key)
				case left > k.want || left < k.want-time.Since(start)-time.Second:
					t.Errorf("%s had %v left when it was sent, want a deadline of %v", k.key, left.Round(time.Millisecond), k.want)
				}
			}
		})
	}
}
