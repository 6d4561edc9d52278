package c2csim_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func TestS3UploadAssembles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 300000)
	a := e.newAsset(tok.Access, "clip.mov", len(data))
	if len(a.URLs) != 5 {
		t.Fatalf("%d urls, want 5", len(a.URLs))
	}
	parts := chunks(data, len(a.URLs))
	// Any order will do; the last one in completes the file.
	for i := len(parts) - 1; i >= 0; i-- {
		r := e.put(a.URLs[i], parts[i])
		wantStatus(t, r, http.StatusOK)
		if etag := r.Header.Get("ETag"); etag != `"`+sha(parts[i])[:32]+`"` {
			t.Errorf("part %d: ETag %s", i+1, etag)
		}
		if r.Header.Get("x-amz-request-id") == "" || len(r.Body) != 0 {
			t.Errorf("part %d: request id %q, body %q", i+1, r.Header.Get("x-amz-request-id"), r.Body)
		}
		if i == 1 {
			if info := e.asset(a.ID); info.State != "uploading" || info.Complete {
				t.Errorf("with one part missing: state %q", info.State)
			}
		}
	}
	info := e.asset(a.ID)
	if !info.Complete || info.State != "complete" || info.SHA256 != sha(data) {
		t.Fatalf("asset %+v: want complete with sha256 %s", info, sha(data))
	}
	if info.BytesReceived != int64(len(data)) {
		t.Errorf("bytes_received %d, want %d", info.BytesReceived, len(data))
	}
	for i, p := range info.Parts {
		if !p.Received || p.SHA256 != sha(parts[i]) || p.Puts != 1 || p.Attempts != 1 || p.ResentAfterAck != 0 {
			t.Errorf("part %+v", p)
		}
	}
	want := filepath.Join(e.sim.DataDir(), "assets", a.ID, "clip.mov")
	if info.Path != want {
		t.Errorf("path %q, want %q", info.Path, want)
	}
	got, err := os.ReadFile(info.Path)
	if err != nil || sha(got) != sha(data) {
		t.Fatalf("assembled file: %v, sha256 %s", err, sha(got))
	}
	// The parts are gone once assembled.
	if _, err := os.Stat(filepath.Join(e.sim.DataDir(), "parts", a.ID)); !os.IsNotExist(err) {
		t.Errorf("parts folder still there: %v", err)
	}
}

func TestS3EmptyFileAndOddNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	a := e.newAsset(tok.Access, "empty.mov", 0)
	if len(a.URLs) != 1 {
		t.Fatalf("%d urls for an empty file", len(a.URLs))
	}
	wantStatus(t, e.put(a.URLs[0], nil), http.StatusOK)
	info := e.asset(a.ID)
	if !info.Complete || info.SHA256 != sha(nil) {
		t.Errorf("empty asset %+v", info)
	}
	// A name cannot escape the data dir.
	data := testData(t, 10)
	for _, name := range []string{"../../escape.mov", "/abs/path.mov", ".."} {
		a := e.newAsset(tok.Access, name, len(data))
		e.upload(a, data)
		info := e.asset(a.ID)
		rel, err := filepath.Rel(filepath.Join(e.sim.DataDir(), "assets", a.ID), info.Path)
		if !info.Complete || err != nil || strings.Contains(rel, "..") || strings.Contains(rel, string(filepath.Separator)) {
			t.Errorf("name %q stored at %q (%v)", name, info.Path, err)
		}
	}
}

func TestS3MissingContentLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 1000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	req := putReq(t, a.URLs[0], nil)
	req.Body = io.NopCloser(bytes.NewReader(data)) // unknown length: chunked encoding
	req.ContentLength = -1
	r := send(t, e.c, req)
	wantS3(t, r, http.StatusLengthRequired, "MissingContentLength", "")
	if info := e.asset(a.ID); info.Parts[0].Received || info.Parts[0].Attempts != 0 {
		t.Errorf("part %+v", info.Parts[0])
	}
	last, _ := e.lastRequest(req.URL.Path)
	if last.Error != "MissingContentLength" || last.Status != 411 || last.Kind != "s3" || last.AssetID != a.ID || last.Part != 1 {
		t.Errorf("logged %+v", last)
	}
}

func TestS3SignatureDoesNotMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	parts := chunks(data, len(a.URLs))
	tamper := func(key, value string) string {
		u, _ := url.Parse(a.URLs[0])
		q := u.Query()
		if value == "" {
			q.Del(key)
		} else {
			q.Set(key, value)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	otherPath := func() string {
		u, _ := url.Parse(a.URLs[0])
		u.Path = strings.TrimSuffix(u.Path, "/1") + "/2"
		return u.String()
	}()
	cases := []struct {
		name string
		req  *http.Request
	}{
		{"wrong content type", putReq(t, a.URLs[0], parts[0], "Content-Type", "video/mp4")},
		{"no content type", func() *http.Request {
			r := putReq(t, a.URLs[0], parts[0])
			r.Header.Del("Content-Type")
			return r
		}()},
		{"no acl", func() *http.Request {
			r := putReq(t, a.URLs[0], parts[0])
			r.Header.Del("x-amz-acl")
			return r
		}()},
		{"other acl", func() *http.Request {
			r := putReq(t, a.URLs[0], parts[0])
			r.Header.Set("x-amz-acl", "public-read")
			return r
		}()},
		{"part number", putReq(t, tamper("x-amz-meta-part_number", "2"), parts[0])},
		{"lifetime", putReq(t, tamper("X-Amz-Expires", "999999"), parts[0])},
		{"date", putReq(t, tamper("X-Amz-Date", time.Now().Add(time.Hour).UTC().Format("20060102T150405Z")), parts[0])},
		{"signature", putReq(t, tamper("X-Amz-Signature", strings.Repeat("0", 64)), parts[0])},
		{"no signature", putReq(t, tamper("X-Amz-Signature", ""), parts[0])},
		{"other path", putReq(t, otherPath, parts[1])},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantS3(t, send(t, e.c, tc.req), http.StatusForbidden, "SignatureDoesNotMatch", "")
		})
	}
	info := e.asset(a.ID)
	for _, p := range info.Parts {
		if p.Received || p.Attempts != 0 {
			t.Errorf("part %+v touched by refused PUTs", p)
		}
	}
	// The untampered request still works, with a Content-Type carrying no parameters.
	wantStatus(t, e.put(a.URLs[0], parts[0]), http.StatusOK)
}

func TestS3Expired(t *testing.T) {
	t.Parallel()
	t.Run("24 h", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{})
		tok := e.pair("dev-1", c2csim.Approval{})
		data := testData(t, 1000)
		a := e.newAsset(tok.Access, "a.mov", len(data))
		b := e.newAsset(tok.Access, "b.mov", len(data))
		u, _ := url.Parse(b.URLs[0])
		issued, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
		if err != nil {
			t.Fatal(err)
		}
		e.sim.AdvanceClock(23 * time.Hour)
		e.upload(a, data) // still valid at 23 h
		e.sim.AdvanceClock(2 * time.Hour)
		r := e.put(b.URLs[0], data)
		x := wantS3(t, r, http.StatusForbidden, "AccessDenied", "Request has expired")
		if x.XAmzExpire != "86400" {
			t.Errorf("X-Amz-Expires %q", x.XAmzExpire)
		}
		if want := issued.Add(24 * time.Hour).UTC().Format(time.RFC3339); x.Expires != want {
			t.Errorf("Expires %q, want %q", x.Expires, want)
		}
		st, err := time.Parse(time.RFC3339, x.ServerTime)
		if err != nil || st.Sub(issued) < 25*time.Hour {
			t.Errorf("ServerTime %q (%v): want at least 25 h after %v", x.ServerTime, err, issued)
		}
		// Elements in S3's order.
		body := string(r.Body)
		order := []string{"<Code>", "<Message>", "<X-Amz-Expires>", "<Expires>", "<ServerTime>", "<RequestId>", "<HostId>"}
		for i := 1; i < len(order); i++ {
			if strings.Index(body, order[i-1]) > strings.Index(body, order[i]) {
				t.Errorf("%s after %s in %s", order[i-1], order[i], body)
			}
		}
		if p := e.asset(b.ID).Parts[0]; p.Received || p.Attempts != 0 {
			t.Errorf("part %+v", p)
		}
		// A new asset has fresh URLs (after a token refresh: 25 h outlived the access token).
		tok = tokensFrom(t, e.refresh("dev-1", tok.Refresh))
		c := e.newAsset(tok.Access, "c.mov", len(data))
		e.upload(c, data)
	})
	t.Run("URLTTL", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, c2csim.Options{URLTTL: time.Hour})
		tok := e.pair("dev-1", c2csim.Approval{})
		data := testData(t, 1000)
		a := e.newAsset(tok.Access, "a.mov", len(data))
		if u, _ := url.Parse(a.URLs[0]); u.Query().Get("X-Amz-Expires") != "3600" {
			t.Errorf("url %s", a.URLs[0])
		}
		e.sim.AdvanceClock(61 * time.Minute)
		x := wantS3(t, e.put(a.URLs[0], data), http.StatusForbidden, "AccessDenied", "Request has expired")
		if x.XAmzExpire != "3600" {
			t.Errorf("X-Amz-Expires %q", x.XAmzExpire)
		}
	})
}

func TestS3WrongLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	parts := chunks(data, len(a.URLs)) // 2 × 50000
	wantS3(t, e.put(a.URLs[0], parts[0][:len(parts[0])-1]), http.StatusBadRequest, "InvalidArgument",
		"part 1 takes exactly 50000 bytes, the request declares 49999")
	wantS3(t, e.put(a.URLs[1], append(append([]byte{}, parts[1]...), 0)), http.StatusBadRequest, "InvalidArgument",
		"part 2 takes exactly 50000 bytes, the request declares 50001")
	wantS3(t, e.put(a.URLs[0], nil), http.StatusBadRequest, "InvalidArgument",
		"part 1 takes exactly 50000 bytes, the request declares 0")
	info := e.asset(a.ID)
	if info.Parts[0].Received || info.Parts[0].Attempts != 2 || info.Parts[1].Attempts != 1 {
		t.Errorf("parts %+v", info.Parts)
	}
	// A retry with the right length is not a resend.
	e.upload(a, data)
	info = e.asset(a.ID)
	if !info.Complete || info.Parts[0].Puts != 1 || info.Parts[0].Attempts != 3 || info.Parts[0].ResentAfterAck != 0 {
		t.Errorf("after the retry: %+v", info)
	}
}

// rawPut writes a chunk PUT by hand: headers declaring length, then the bytes of body
// (possibly fewer). The connection stays open for the caller.
func rawPut(t *testing.T, rawURL string, length int64, body []byte) net.Conn {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nx-amz-acl: private\r\nContent-Length: %d\r\n\r\n",
		u.RequestURI(), u.Host, filetype, length)
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		t.Fatal(err)
	}
	return conn
}

func readResponse(t *testing.T, conn net.Conn) response {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestS3RequestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{IdleReadTimeout: 300 * time.Millisecond})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 50000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	start := time.Now()
	conn := rawPut(t, a.URLs[0], int64(len(data)), data[:1000]) // then nothing
	r := readResponse(t, conn)
	wantS3(t, r, http.StatusBadRequest, "RequestTimeout", "")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("RequestTimeout after %v, before the 300 ms idle limit", d)
	}
	info := e.asset(a.ID)
	if info.Parts[0].Received || info.Parts[0].Attempts != 1 || info.BytesReceived != 1000 {
		t.Errorf("asset %+v", info)
	}
	eventually(t, 5*time.Second, "the timed-out PUT is logged", func() bool {
		last, ok := e.lastRequest(urlPath(a.URLs[0]))
		return ok && last.Error == "RequestTimeout" && last.Status == 400 && last.BytesIn == 1000
	})
	// The same URL works afterwards.
	wantStatus(t, e.put(a.URLs[0], data), http.StatusOK)
}

func urlPath(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Path
}

// A slow body is not an idle one: the deadline moves with every read.
func TestS3SlowBodyIsNotIdle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{IdleReadTimeout: time.Second})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 6000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	start := time.Now()
	conn := rawPut(t, a.URLs[0], int64(len(data)), data[:1000])
	for i := 1; i < 6; i++ {
		time.Sleep(250 * time.Millisecond)
		if _, err := conn.Write(data[i*1000 : (i+1)*1000]); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, readResponse(t, conn), http.StatusOK)
	if d := time.Since(start); d < 1200*time.Millisecond {
		t.Fatalf("the body took only %v; the test needs it longer than the idle limit", d)
	}
	if info := e.asset(a.ID); !info.Complete || info.SHA256 != sha(data) {
		t.Errorf("asset %+v", info)
	}
}

func TestS3IncompleteBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 50000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	conn := rawPut(t, a.URLs[0], int64(len(data)), data[:1000])
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	wantS3(t, readResponse(t, conn), http.StatusBadRequest, "IncompleteBody", "")
	if info := e.asset(a.ID); info.Parts[0].Received {
		t.Error("an incomplete body was stored")
	}
}

func TestS3EntityTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	a := e.newAsset(tok.Access, "a.mov", 1000)
	conn := rawPut(t, a.URLs[0], 6<<30, nil)
	// No body follows (net/http reads up to 256 KiB of an unread body before answering).
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	wantS3(t, readResponse(t, conn), http.StatusBadRequest, "EntityTooLarge",
		"part 1 takes exactly 1000 bytes, the request declares "+strconv.Itoa(6<<30))
}

func TestS3InternalError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 1000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	// A file where the part folder should be: the disk write fails.
	blocker := filepath.Join(e.sim.DataDir(), "parts", a.ID)
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantS3(t, e.put(a.URLs[0], data), http.StatusInternalServerError, "InternalError", "")
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.put(a.URLs[0], data), http.StatusOK)
	if info := e.asset(a.ID); !info.Complete || info.Parts[0].Attempts != 2 || info.Parts[0].Puts != 1 {
		t.Errorf("asset %+v", info)
	}
}

func TestS3ResentAfterAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 100000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	parts := chunks(data, len(a.URLs))
	wantStatus(t, e.put(a.URLs[0], parts[0]), http.StatusOK)
	wantStatus(t, e.put(a.URLs[0], parts[0]), http.StatusOK) // overwrites, as S3 does
	info := e.asset(a.ID)
	if p := info.Parts[0]; p.Puts != 2 || p.Attempts != 2 || p.ResentAfterAck != 1 || !p.Received {
		t.Errorf("part 1 %+v", p)
	}
	wantStatus(t, e.put(a.URLs[1], parts[1]), http.StatusOK)
	info = e.asset(a.ID)
	if !info.Complete || info.SHA256 != sha(data) {
		t.Fatalf("asset %+v", info)
	}
	// After completion too.
	wantStatus(t, e.put(a.URLs[1], parts[1]), http.StatusOK)
	info = e.asset(a.ID)
	if p := info.Parts[1]; p.ResentAfterAck != 1 || p.Puts != 2 || !info.Complete || info.SHA256 != sha(data) {
		t.Errorf("after a resend of a complete asset: %+v", info)
	}
	// The assembled object keeps the parts folder away: a late PUT stores nothing there.
	if _, err := os.Stat(filepath.Join(e.sim.DataDir(), "parts", a.ID)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("parts folder of a complete asset: %v", err)
	}
}

func TestS3Discard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{Discard: true})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 150000)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	e.upload(a, data)
	info := e.asset(a.ID)
	if !info.Complete || info.SHA256 != "" || info.Path != "" || info.BytesReceived != int64(len(data)) {
		t.Errorf("asset %+v", info)
	}
	for i, c := range chunks(data, len(a.URLs)) {
		if p := info.Parts[i]; !p.Received || p.SHA256 != sha(c) {
			t.Errorf("part %+v, want sha256 %s", p, sha(c))
		}
	}
	err := filepath.WalkDir(e.sim.DataDir(), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("discard mode left %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestS3OnlyPut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	a := e.newAsset(tok.Access, "a.mov", 10)
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		r := send(t, e.c, newRequest(t, m, a.URLs[0], nil))
		wantStatus(t, r, http.StatusMethodNotAllowed)
	}
}
