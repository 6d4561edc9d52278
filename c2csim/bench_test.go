package c2csim

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// BenchmarkChunkPUT measures how fast the simulator takes chunk PUTs on loopback from 4
// parallel clients (b.SetParallelism makes 4 goroutines on this 2-core machine), so that it
// is known never to be the bottleneck when the uploader is benchmarked against it. Each
// PUT is one 8 MiB part; MB/s is what to read.
//
//	go test -run '^$' -bench ChunkPUT -benchtime 200x ./c2csim/
func BenchmarkChunkPUT(b *testing.B) {
	for _, discard := range []bool{true, false} {
		name := "disk"
		if discard {
			name = "discard"
		}
		b.Run(name, func(b *testing.B) { benchChunkPUT(b, discard) })
	}
}

func benchChunkPUT(b *testing.B, discard bool) {
	const partSize = 8 << 20
	s, err := New(Options{DataDir: b.TempDir(), Discard: discard, PartSize: partSize})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	token := benchPair(b, s)
	// Enough parts that no goroutine has to re-send an acknowledged one.
	urls := benchAsset(b, s, token, 1000*partSize)
	payload := make([]byte, partSize)
	_, _ = rand.Read(payload)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}
	next := make(chan string, len(urls))
	for _, u := range urls {
		next <- u
	}
	b.SetBytes(partSize)
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var u string
			select {
			case u = <-next:
			default:
				u = urls[0] // past 1000 parts: overwrite, as S3 allows
			}
			req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(payload))
			req.Header.Set("Content-Type", "video/quicktime")
			req.Header.Set("x-amz-acl", "private")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("PUT: %s", resp.Status)
				return
			}
		}
	})
}

// benchPair pairs a device through the API and returns its access token.
func benchPair(b *testing.B, s *Server) string {
	form := url.Values{"client_id": {"bench"}, "client_secret": {DemoClientSecret}, "scope": {"asset_create offline"}}
	var code struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	benchPost(b, s.URL()+"/v2/auth/device/code", form, &code)
	if err := s.Approve(code.UserCode, Approval{ProjectName: "Bench"}); err != nil {
		b.Fatal(err)
	}
	form.Set("grant_type", deviceCodeGrant)
	form.Set("device_code", code.DeviceCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	benchPost(b, s.URL()+"/v2/auth/token", form, &tok)
	return tok.AccessToken
}

func benchAsset(b *testing.B, s *Server, token string, size int64) []string {
	body := fmt.Sprintf(`{"name":"bench.mov","filetype":"video/quicktime","filesize":%d}`, size)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v2/devices/assets", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	var a struct {
		UploadURLs []string `json:"upload_urls"`
	}
	benchDo(b, req, &a)
	return a.UploadURLs
}

func benchPost(b *testing.B, u string, form url.Values, out any) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("x-client-version", "1.0.0")
	benchDo(b, req, out)
}

func benchDo(b *testing.B, req *http.Request, out any) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %s %s", req.Method, req.URL.Path, resp.Status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		b.Fatal(err)
	}
}
