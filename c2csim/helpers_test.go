package c2csim_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// Helpers shared by the black-box tests of the simulator. They speak plain net/http, never
// the uploader's client.

const (
	secret      = c2csim.DemoClientSecret
	deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
	scope       = "asset_create offline"
	filetype    = "video/quicktime"
)

// Exact bodies from docs/api-notes.md §2.6 and §4.3.
const (
	body401 = `{"code":401,"errors":[{"code":401,"detail":"You are not allowed to access that resource","status":401,"title":"Not Authorized"}],"message":"Not Authorized"}`
	body409 = `{"code":409,"errors":[{"code":409,"detail":"The channel you're uploading from is currently paused.","status":409,"title":"Channel Paused"}],"message":"Channel Paused"}`
)

// env is one simulator and an HTTP client of its own (its own connection pool).
type env struct {
	t   *testing.T
	sim *c2csim.Sim
	c   *http.Client
	ctx context.Context
}

// newEnv starts a simulator with small parts and a short poll interval unless opts says
// otherwise.
func newEnv(t *testing.T, opts c2csim.Options) *env {
	t.Helper()
	if opts.PartSize == 0 {
		opts.PartSize = 64 << 10
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 200 * time.Millisecond
	}
	return &env{t: t, sim: c2csim.Start(t, opts), c: newClient(t, false), ctx: t.Context()}
}

// newClient is a client with a transport of its own, so connection reuse is under the
// test's control.
func newClient(t *testing.T, noKeepAlive bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = noKeepAlive
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func (e *env) url(p string) string { return e.sim.URL() + p }

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// newRequest builds a request; headers are name, value pairs (a name may repeat).
func newRequest(t *testing.T, method, target string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if len(headers)%2 != 0 {
		t.Fatalf("headers must come in pairs: %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}

func send(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (e *env) get(p string, headers ...string) response {
	e.t.Helper()
	return send(e.t, e.c, newRequest(e.t, http.MethodGet, e.url(p), nil, headers...))
}

func (e *env) postForm(p string, form url.Values, headers ...string) response {
	e.t.Helper()
	return e.post(p, "application/x-www-form-urlencoded", []byte(form.Encode()), headers...)
}

// postJSON sends v as JSON; a string or []byte is sent as it is.
func (e *env) postJSON(p string, v any, headers ...string) response {
	e.t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
	}
	return e.post(p, "application/json", b, headers...)
}

// post sends body with the given Content-Type.
func (e *env) post(p, contentType string, body []byte, headers ...string) response {
	e.t.Helper()
	req := newRequest(e.t, http.MethodPost, e.url(p), bytes.NewReader(body), headers...)
	req.Header.Set("Content-Type", contentType)
	return send(e.t, e.c, req)
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

func decodeJSON(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// wantBody checks the status, a JSON content type and the exact body.
func wantBody(t *testing.T, r response, status int, body string) {
	t.Helper()
	wantStatus(t, r, status)
	if got := strings.TrimSpace(string(r.Body)); got != body {
		t.Fatalf("body\n got %s\nwant %s", got, body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
}

// wantSimple checks the simple error schema: {"error":"..."} with status 400 unless told.
func wantSimple(t *testing.T, r response, status int, message string) {
	t.Helper()
	wantBody(t, r, status, fmt.Sprintf(`{"error":%q}`, message))
}

// wantDetailed checks the detailed error schema exactly.
func wantDetailed(t *testing.T, r response, status int, title, detail string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"code":    status,
		"errors":  []map[string]any{{"code": status, "detail": detail, "status": status, "title": title}},
		"message": title,
	})
	wantBody(t, r, status, string(b))
}

// wantRequestErrors checks the request-errors schema exactly.
func wantRequestErrors(t *testing.T, r response, status int, code, message string, path ...string) {
	t.Helper()
	if path == nil {
		path = []string{}
	}
	b, _ := json.Marshal(map[string]any{
		"code": "request_errors",
		"data": map[string]any{"errors": []map[string]any{{"code": code, "message": message, "path": path}}},
	})
	wantBody(t, r, status, string(b))
}

// s3Err is S3's XML error document with the elements an expired URL adds.
type s3Err struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
	XAmzExpire string   `xml:"X-Amz-Expires"`
	Expires    string   `xml:"Expires"`
	ServerTime string   `xml:"ServerTime"`
}

// wantS3 checks an S3 error answer: status, XML content type, code, S3's message unless
// message is given, and a request id matching x-amz-request-id.
func wantS3(t *testing.T, r response, status int, code, message string) s3Err {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/xml" {
		t.Fatalf("Content-Type %q, want application/xml", ct)
	}
	if !bytes.HasPrefix(r.Body, []byte(xml.Header)) {
		t.Fatalf("no XML declaration: %s", r.Body)
	}
	var e s3Err
	if err := xml.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("S3 error is not XML: %v: %s", err, r.Body)
	}
	if message == "" {
		message = c2csim.S3Messages[code]
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("S3 error %q %q, want %q %q", e.Code, e.Message, code, message)
	}
	if e.RequestID == "" || e.RequestID != r.Header.Get("x-amz-request-id") {
		t.Fatalf("RequestId %q, x-amz-request-id %q", e.RequestID, r.Header.Get("x-amz-request-id"))
	}
	if e.HostID == "" {
		t.Fatalf("no HostId: %s", r.Body)
	}
	return e
}

// ---- pairing ----

type tokens struct {
	Access, Refresh string
	ExpiresIn       int
}

// requestCode asks for a device code on a connection of its own.
func (e *env) requestCode(clientID string, headers ...string) map[string]any {
	e.t.Helper()
	form := url.Values{"client_id": {clientID}, "client_secret": {secret}, "scope": {scope}}
	headers = append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)
	req := newRequest(e.t, http.MethodPost, e.url("/v2/auth/device/code"), strings.NewReader(form.Encode()), headers...)
	r := send(e.t, newClient(e.t, true), req)
	wantStatus(e.t, r, http.StatusOK)
	return decodeJSON(e.t, r)
}

func (e *env) poll(clientID, deviceCode string) response {
	e.t.Helper()
	return e.postForm("/v2/auth/token", url.Values{
		"grant_type": {deviceGrant}, "device_code": {deviceCode}, "client_id": {clientID}, "client_secret": {secret},
	})
}

func tokensFrom(t *testing.T, r response) tokens {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var body struct {
		AccessToken  string  `json:"access_token"`
		RefreshToken string  `json:"refresh_token"`
		ExpiresIn    float64 `json:"expires_in"`
		TokenType    string  `json:"token_type"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("token response: %v: %s", err, r.Body)
	}
	if body.AccessToken == "" || body.RefreshToken == "" || body.TokenType != "bearer" {
		t.Fatalf("token response incomplete: %s", r.Body)
	}
	return tokens{Access: body.AccessToken, Refresh: body.RefreshToken, ExpiresIn: int(body.ExpiresIn)}
}

// pair runs the whole device-code flow with the admin API playing the editor.
func (e *env) pair(clientID string, ap c2csim.Approval) tokens {
	e.t.Helper()
	code := e.requestCode(clientID)
	if err := e.sim.Admin.Approve(e.ctx, code["user_code"].(string), ap); err != nil {
		e.t.Fatalf("approve: %v", err)
	}
	return tokensFrom(e.t, e.poll(clientID, code["device_code"].(string)))
}

func (e *env) refresh(clientID, refreshToken string) response {
	e.t.Helper()
	return e.postForm("/v2/auth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {clientID}, "client_secret": {secret},
	})
}

// ---- assets and chunks ----

type createdAsset struct {
	ID   string
	URLs []string
}

func (e *env) createAsset(token string, body any) response {
	e.t.Helper()
	return e.postJSON("/v2/devices/assets", body, bearer(token)...)
}

func assetFrom(t *testing.T, r response) createdAsset {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var body struct {
		ID         string   `json:"id"`
		UploadURLs []string `json:"upload_urls"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("asset response: %v: %s", err, r.Body)
	}
	if body.ID == "" {
		t.Fatalf("asset response without id: %s", r.Body)
	}
	return createdAsset{ID: body.ID, URLs: body.UploadURLs}
}

// newAsset creates an asset for size bytes named name and returns its id and URLs.
func (e *env) newAsset(token, name string, size int) createdAsset {
	e.t.Helper()
	return assetFrom(e.t, e.createAsset(token, map[string]any{"name": name, "filetype": filetype, "filesize": size, "offset": 0}))
}

// chunks splits data the way a client must (docs/api-notes.md §3.2).
func chunks(data []byte, n int) [][]byte {
	size := (len(data) + n - 1) / n
	out := make([][]byte, n)
	for i := range n {
		lo, hi := min(i*size, len(data)), min((i+1)*size, len(data))
		out[i] = data[lo:hi]
	}
	return out
}

// putReq is a well-formed chunk PUT; headers replace its defaults.
func putReq(t *testing.T, u string, chunk []byte, headers ...string) *http.Request {
	t.Helper()
	req := newRequest(t, http.MethodPut, u, bytes.NewReader(chunk))
	req.Header.Set("Content-Type", filetype)
	req.Header.Set("x-amz-acl", "private")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.ContentLength = int64(len(chunk))
	return req
}

func (e *env) put(u string, chunk []byte, headers ...string) response {
	e.t.Helper()
	return send(e.t, e.c, putReq(e.t, u, chunk, headers...))
}

// upload PUTs every chunk of data to its URL and checks each answer.
func (e *env) upload(a createdAsset, data []byte) {
	e.t.Helper()
	for i, c := range chunks(data, len(a.URLs)) {
		r := e.put(a.URLs[i], c)
		wantStatus(e.t, r, http.StatusOK)
	}
}

func (e *env) asset(id string) c2csim.AssetInfo {
	e.t.Helper()
	info, err := e.sim.Admin.Asset(e.ctx, id)
	if err != nil {
		e.t.Fatalf("admin asset: %v", err)
	}
	return info
}

// checkPartMath checks that the parts handed out follow docs/api-notes.md §3.2: every
// part is ceil(filesize/n) bytes except the last, which holds the (non-empty) rest.
func checkPartMath(t *testing.T, info c2csim.AssetInfo) {
	t.Helper()
	n := int64(len(info.Parts))
	if n < 1 || n > c2csim.MaxParts || n != int64(info.PartCount) {
		t.Fatalf("%d parts, part_count %d", n, info.PartCount)
	}
	chunk := (info.Filesize + n - 1) / n
	var total int64
	for i, p := range info.Parts {
		want := chunk
		if int64(i) == n-1 {
			want = info.Filesize - (n-1)*chunk
			if want <= 0 && info.Filesize > 0 {
				t.Fatalf("last part of %d bytes (filesize %d, %d parts)", want, info.Filesize, n)
			}
		}
		if p.Number != i+1 || p.Size != want {
			t.Fatalf("part %d: number %d size %d, want size %d", i+1, p.Number, p.Size, want)
		}
		total += p.Size
	}
	if total != info.Filesize {
		t.Fatalf("parts add up to %d, filesize %d", total, info.Filesize)
	}
}

func testData(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7919 + i/251) // deterministic, not periodic over small ranges
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// eventually retries cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastRequest finds the last logged request to path.
func (e *env) lastRequest(path string) (c2csim.Request, bool) {
	e.t.Helper()
	reqs, err := e.sim.Admin.Requests(e.ctx, 0)
	if err != nil {
		e.t.Fatalf("admin requests: %v", err)
	}
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i], true
		}
	}
	return c2csim.Request{}, false
}

// rawConn is one TCP connection to the simulator, for tests that need several requests
// on the same connection (a pooled client might open another).
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (e *env) dialRaw() *rawConn {
	e.t.Helper()
	u, _ := url.Parse(e.sim.URL())
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return &rawConn{t: e.t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) do(req *http.Request) response {
	rc.t.Helper()
	_ = rc.c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := req.Write(rc.c); err != nil {
		rc.t.Fatalf("writing %s %s: %v", req.Method, req.URL.Path, err)
	}
	resp, err := http.ReadResponse(rc.br, req)
	if err != nil {
		rc.t.Fatalf("reading the answer to %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading the body: %v", err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
