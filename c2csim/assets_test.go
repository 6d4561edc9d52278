package c2csim_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/google/uuid"
)

func TestCreateAssetJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{ProjectName: "Feature Film"})
	me := decodeJSON(t, e.get("/v2/devices/me", bearer(tok.Access)...))

	r := e.createAsset(tok.Access, map[string]any{"name": "clip.mov", "filetype": filetype, "filesize": 200000, "offset": 10, "channel": 0})
	wantStatus(t, r, http.StatusOK)
	body := decodeJSON(t, r)
	for k, want := range map[string]any{
		"_type": "file", "type": "file", "name": "clip.mov", "filetype": filetype, "filesize": 200000.0,
		"status": "created", "project_id": me["project_id"], "upload_completed_at": nil, "upload_failed_at": nil,
	} {
		if v, ok := body[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	id, _ := body["id"].(string)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("id %q is not a uuid", id)
	}
	urls, _ := body["upload_urls"].([]any)
	if len(urls) != 4 { // ceil(200000 / 65536)
		t.Fatalf("%d upload_urls, want 4", len(urls))
	}
	for i, raw := range urls {
		u, err := url.Parse(raw.(string))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme+"://"+u.Host != e.sim.URL() || u.Path != fmt.Sprintf("/s3/%s/%d", id, i+1) ||
			q.Get("X-Amz-Expires") != "86400" || q.Get("X-Amz-SignedHeaders") != "content-type;host;x-amz-acl" ||
			q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || q.Get("x-amz-meta-part_number") != strconv.Itoa(i+1) ||
			q.Get("x-amz-meta-total_parts") != "4" || q.Get("x-amz-meta-asset_id") != id || len(q.Get("X-Amz-Signature")) != 64 {
			t.Errorf("url %d: %s", i, u)
		}
		if _, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err != nil {
			t.Errorf("X-Amz-Date %q: %v", q.Get("X-Amz-Date"), err)
		}
	}
	info := e.asset(id)
	if info.Name != "clip.mov" || info.Filetype != filetype || info.Filesize != 200000 || info.Offset != 10 ||
		info.Channel != 0 || info.ClientID != "dev-1" || info.Project != "Feature Film" || info.Realtime ||
		info.PartCount != 4 || info.PartSize != 50000 || info.State != "created" || info.Complete {
		t.Errorf("asset %+v", info)
	}
	if d := info.InsertedAt.Sub(info.CreatedAt); d != 10*time.Second {
		t.Errorf("created_at is %v before inserted_at, want the 10 s offset", d)
	}
	checkPartMath(t, info)
	for _, p := range info.Parts {
		if p.Received || p.Puts != 0 || p.Attempts != 0 {
			t.Errorf("part %+v", p)
		}
	}

	// filetype is optional for normal uploads.
	a := assetFrom(t, e.createAsset(tok.Access, map[string]any{"name": "x.bin", "filesize": 10}))
	if got := e.asset(a.ID).Filetype; got != "application/octet-stream" {
		t.Errorf("default filetype %q", got)
	}
}

func TestCreateAssetURLEncodedAndLegacyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{Channels: 2})
	form := url.Values{"name": {"clip.mov"}, "filetype": {filetype}, "filesize": {"131073"}, "offset": {"5"}, "channel": {"1"}}
	r := e.postForm("/v2/devices/assets", form, bearer(tok.Access)...)
	a := assetFrom(t, r)
	if len(a.URLs) != 3 {
		t.Errorf("%d urls, want 3", len(a.URLs))
	}
	info := e.asset(a.ID)
	if info.Filesize != 131073 || info.Offset != 5 || info.Channel != 1 {
		t.Errorf("asset %+v", info)
	}
	checkPartMath(t, info)

	for _, legacy := range []response{
		e.postJSON("/v2/assets", map[string]any{"name": "l.mov", "filetype": filetype, "filesize": 70000}, bearer(tok.Access)...),
		e.postForm("/v2/assets", url.Values{"name": {"l.mov"}, "filesize": {"70000"}}, bearer(tok.Access)...),
	} {
		if a := assetFrom(t, legacy); len(a.URLs) != 2 {
			t.Errorf("legacy path: %d urls", len(a.URLs))
		}
	}
	assets, _ := e.sim.Admin.Assets(e.ctx)
	if len(assets) != 3 {
		t.Errorf("%d assets, want 3", len(assets))
	}
}

func TestCreateAssetUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("name", "clip.mov")
	_ = mw.WriteField("filesize", "10")
	_ = mw.Close()
	const detail = "create an asset with application/json or application/x-www-form-urlencoded"
	for _, ct := range []string{mw.FormDataContentType(), "", "text/plain"} {
		req := newRequest(t, http.MethodPost, e.url("/v2/devices/assets"), bytes.NewReader(buf.Bytes()), bearer(tok.Access)...)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		wantDetailed(t, send(t, e.c, req), http.StatusUnsupportedMediaType, "Unsupported Media Type", detail)
	}
	// JSON with parameters is JSON.
	req := newRequest(t, http.MethodPost, e.url("/v2/devices/assets"), strings.NewReader(`{"name":"a.mov","filesize":1}`),
		append(bearer(tok.Access), "Content-Type", "application/json; charset=utf-8")...)
	wantStatus(t, send(t, e.c, req), http.StatusOK)
}

func TestCreateAssetInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	auth := bearer(tok.Access)

	wantRequestErrors(t, e.postJSON("/v2/devices/assets", `{"name":`, auth...), http.StatusBadRequest, "invalid_json", "The request body is not valid JSON")
	wantRequestErrors(t, e.postJSON("/v2/devices/assets", `not json`, auth...), http.StatusBadRequest, "invalid_json", "The request body is not valid JSON")
	r := e.post("/v2/devices/assets", "application/x-www-form-urlencoded", []byte("name=%zz"), auth...)
	wantRequestErrors(t, r, http.StatusBadRequest, "invalid_form", "The request body is not a valid form")

	const max = c2csim.MaxObjectSize
	cases := []struct {
		body   string
		detail string
	}{
		{`{"filesize":10}`, "name is required"},
		{`{"name":"","filesize":10}`, "name is required"},
		{`{"name":null,"filesize":10}`, "name is required"},
		{`{"name":"a.mov"}`, "filesize is required"},
		{`{"name":"a.mov","filesize":null}`, "filesize is required"},
		{`{"name":"a.mov","filesize":-1}`, fmt.Sprintf("filesize must be between 0 and %d bytes", max)},
		{fmt.Sprintf(`{"name":"a.mov","filesize":%d}`, max+1), fmt.Sprintf("filesize must be between 0 and %d bytes", max)},
		{`{"name":"a.mov","filesize":10.5}`, "filesize must be an integer number of bytes"},
		{`{"name":"a.mov","filesize":1e400}`, "filesize must be an integer number of bytes"},
		{`{"name":"a.mov","filesize":10,"offset":1.5}`, "offset must be an integer number of seconds"},
		{`{"name":"a.mov","filesize":10,"channel":-1}`, "channel must be a non-negative integer"},
		{`{"name":"a.mov","filesize":10,"channel":0.5}`, "channel must be a non-negative integer"},
		{`{"name":"a.mov","filesize":10,"parts":2.5}`, "parts must be an integer"},
		{`{"name":"a.mov","filesize":10,"auto_version_id":"v2"}`, "auto_version_id must be a uuid"},
		{`{"name":5,"filesize":10}`, "name has the wrong type"},
		{`{"name":"a.mov","filesize":10,"is_realtime_upload":"yes"}`, "is_realtime_upload has the wrong type"},
		{`{"name":"a.mov","filesize":true}`, "filesize has the wrong type"},
	}
	for _, tc := range cases {
		r := e.postJSON("/v2/devices/assets", tc.body, auth...)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %s", tc.body, r)
			continue
		}
		wantDetailed(t, r, http.StatusUnprocessableEntity, "Invalid Argument", tc.detail)
	}
	form := []struct {
		form   url.Values
		detail string
	}{
		{url.Values{"name": {"a.mov"}, "filesize": {"abc"}}, "filesize must be an integer number of bytes"},
		{url.Values{"name": {"a.mov"}, "filesize": {"10"}, "channel": {"x"}}, "channel must be a non-negative integer"},
		{url.Values{"filesize": {"10"}}, "name is required"},
		{url.Values{"name": {"a.mov"}}, "filesize is required"},
	}
	for _, tc := range form {
		wantDetailed(t, e.postForm("/v2/devices/assets", tc.form, auth...), http.StatusUnprocessableEntity, "Invalid Argument", tc.detail)
	}
	if assets, _ := e.sim.Admin.Assets(e.ctx); len(assets) != 0 {
		t.Errorf("%d assets created by invalid requests", len(assets))
	}

	// Accepted edge values.
	for _, body := range []string{
		`{"name":"a.mov","filesize":10.0}`,
		`{"name":"a.mov","filesize":"10"}`,
		`{"name":"a.mov","filesize":0}`,
		`{"name":"a.mov","filesize":10,"offset":-10}`,
		`{"name":"a.mov","filesize":10,"auto_version_id":"` + uuid.NewString() + `"}`,
		`{"name":"a.mov","filesize":10,"unknown_field":true}`,
	} {
		if r := e.postJSON("/v2/devices/assets", body, auth...); r.Status != http.StatusOK {
			t.Errorf("%s: %s", body, r)
		}
	}
}

func TestCreateAssetUnknownChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{Channels: 2})
	wantStatus(t, e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10, "channel": 1}), http.StatusOK)
	// The real API answers 500 for a channel the device does not have (error guide).
	r := e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10, "channel": 2})
	wantDetailed(t, r, http.StatusInternalServerError, "Internal Server Error", "")
	r = e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filetype": filetype, "is_realtime_upload": true, "channel": 7})
	wantDetailed(t, r, http.StatusInternalServerError, "Internal Server Error", "")
}

func TestCreateAssetPaymentRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	cfg, err := e.sim.Admin.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PaymentRequired = true
	if got, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil || !got.PaymentRequired {
		t.Fatalf("set config: %+v %v", got, err)
	}
	const msg = "Payment Required: the account's plan does not allow more uploads"
	r := e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10})
	wantRequestErrors(t, r, http.StatusPaymentRequired, "payment_required", msg, "account")
	if !strings.Contains(string(r.Body), `"path":["account"]`) {
		t.Errorf("body %s", r.Body)
	}
	r = e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filetype": filetype, "is_realtime_upload": true})
	wantRequestErrors(t, r, http.StatusPaymentRequired, "payment_required", msg, "account")
	cfg.PaymentRequired = false
	if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filesize": 10}), http.StatusOK)
}

func TestUploadURLCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{PartSize: 64 << 10})
	tok := e.pair("dev-1", c2csim.Approval{})
	const ps = 64 << 10
	for _, tc := range []struct{ size, urls int }{
		{0, 1}, {1, 1}, {ps - 1, 1}, {ps, 1}, {ps + 1, 2}, {3 * ps, 3}, {3*ps + 1, 4}, {1000000, 16},
	} {
		a := e.newAsset(tok.Access, "a.mov", tc.size)
		if len(a.URLs) != tc.urls {
			t.Errorf("filesize %d: %d urls, want %d", tc.size, len(a.URLs), tc.urls)
		}
		info := e.asset(a.ID)
		checkPartMath(t, info)
		if tc.size == 3*ps+1 && (info.PartSize != 49153 || info.Parts[3].Size != 49150) {
			t.Errorf("uneven split: part size %d, last %d", info.PartSize, info.Parts[3].Size)
		}
	}

	// Changed at run time.
	cfg, err := e.sim.Admin.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PartSize != ps {
		t.Errorf("config part_size %d", cfg.PartSize)
	}
	cfg.PartSize = 100000
	if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	a := e.newAsset(tok.Access, "a.mov", 250000)
	if len(a.URLs) != 3 {
		t.Errorf("part_size 100000, filesize 250000: %d urls, want 3", len(a.URLs))
	}
	checkPartMath(t, e.asset(a.ID))
	bad := cfg
	bad.PartSize = 0
	if _, err := e.sim.Admin.SetConfig(e.ctx, bad); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("part_size 0 accepted: %v", err)
	}
	if got, _ := e.sim.Admin.Config(e.ctx); got.PartSize != 100000 {
		t.Errorf("a refused config changed part_size to %d", got.PartSize)
	}

	// At most 10,000 URLs, and still a consistent split.
	cfg.PartSize = 1
	if _, err := e.sim.Admin.SetConfig(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{9999, 30000, 10001} {
		a := e.newAsset(tok.Access, "tiny-parts.bin", size)
		info := e.asset(a.ID)
		if len(a.URLs) > c2csim.MaxParts || len(a.URLs) != info.PartCount {
			t.Errorf("filesize %d: %d urls, part_count %d", size, len(a.URLs), info.PartCount)
		}
		checkPartMath(t, info)
	}
}

func TestVaryPartSize(t *testing.T) {
	t.Parallel()
	const ps = 16 << 10
	e := newEnv(t, c2csim.Options{PartSize: ps, VaryPartSize: true})
	tok := e.pair("dev-1", c2csim.Approval{})
	counts := map[int]bool{}
	for range 20 {
		a := e.newAsset(tok.Access, "a.mov", 100*ps)
		// The part size is drawn from [ps/2, 3ps/2].
		if n := len(a.URLs); n < 67 || n > 200 {
			t.Errorf("%d urls for 100 parts of %d ± 50%%", n, ps)
		}
		counts[len(a.URLs)] = true
		checkPartMath(t, e.asset(a.ID))
	}
	if len(counts) < 2 {
		t.Errorf("20 assets all got %v urls: the part size does not vary", counts)
	}
	cfg, _ := e.sim.Admin.Config(e.ctx)
	if !cfg.VaryPartSize {
		t.Error("config vary_part_size false")
	}
}

func TestCustomParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{MinPartSize: 16 << 10})
	tok := e.pair("dev-1", c2csim.Approval{})
	create := func(size, parts int) response {
		return e.createAsset(tok.Access, map[string]any{"name": "a.mov", "filetype": filetype, "filesize": size, "parts": parts})
	}
	for _, tc := range []struct{ size, parts, urls int }{
		{100000, 3, 3}, {100000, 1, 1}, {100000, 0, 2}, {0, 1, 1}, {100000, 6, 6},
	} {
		a := assetFrom(t, create(tc.size, tc.parts))
		if len(a.URLs) != tc.urls {
			t.Errorf("filesize %d parts %d: %d urls, want %d", tc.size, tc.parts, len(a.URLs), tc.urls)
		}
		checkPartMath(t, e.asset(a.ID))
	}
	// Chunks under MinPartSize, or counts S3 cannot take: the documented 500.
	for _, tc := range []struct{ size, parts int }{{100000, 7}, {100000, -1}, {100000, 10001}, {0, 2}} {
		wantDetailed(t, create(tc.size, tc.parts), http.StatusInternalServerError, "Internal Server Error", "")
	}
	// The field also comes urlencoded.
	r := e.postForm("/v2/devices/assets", url.Values{"name": {"a.mov"}, "filesize": {"100000"}, "parts": {"4"}}, bearer(tok.Access)...)
	if a := assetFrom(t, r); len(a.URLs) != 4 {
		t.Errorf("urlencoded parts=4: %d urls", len(a.URLs))
	}
	// A custom split uploads like any other.
	data := testData(t, 100000)
	a := assetFrom(t, create(len(data), 3))
	e.upload(a, data)
	if info := e.asset(a.ID); !info.Complete || info.SHA256 != sha(data) {
		t.Errorf("asset %+v", info)
	}

	// Counts whose last chunk would be empty.
	e2 := newEnv(t, c2csim.Options{MinPartSize: 1})
	tok2 := e2.pair("dev-1", c2csim.Approval{})
	r = e2.createAsset(tok2.Access, map[string]any{"name": "a.bin", "filesize": 9, "parts": 4})
	wantDetailed(t, r, http.StatusInternalServerError, "Internal Server Error", "")
	a = assetFrom(t, e2.createAsset(tok2.Access, map[string]any{"name": "a.bin", "filesize": 10, "parts": 4}))
	checkPartMath(t, e2.asset(a.ID))
}

// ---- real-time uploads ----

func realtimePath(id string) string { return "/v2/devices/assets/" + id + "/realtime_upload/parts" }

type rtPart struct {
	Number  int   `json:"number"`
	Size    int64 `json:"size"`
	IsFinal bool  `json:"is_final"`
}

func TestRealtimeCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	auth := bearer(tok.Access)

	r := e.createAsset(tok.Access, map[string]any{"name": "C2C_TEST_CLIP.mp4", "filetype": "video/mp4", "is_realtime_upload": true, "filesize": 99})
	wantStatus(t, r, http.StatusOK)
	body := decodeJSON(t, r)
	if len(body) != 2 || body["name"] != "C2C_TEST_CLIP.mp4" {
		t.Errorf("real-time create answered %s, want only id and name", r.Body)
	}
	info := e.asset(body["id"].(string))
	if !info.Realtime || info.Filesize != -1 || info.PartCount != 0 || len(info.Parts) != 0 || info.State != "created" {
		t.Errorf("asset %+v", info)
	}

	for _, b := range []string{
		`{"filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`,
		`{"name":null,"filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`,
		`{"name":"","filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`,
	} {
		r := e.postJSON("/v2/devices/assets", b, auth...)
		wantStatus(t, r, http.StatusOK)
		if name := decodeJSON(t, r)["name"]; name != "[new file].mp4" {
			t.Errorf("%s: name %v", b, name)
		}
	}
	for _, b := range []string{
		`{"name":"clip.MP4","filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`,
		`{"name":"clip","filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`,
	} {
		wantStatus(t, e.postJSON("/v2/devices/assets", b, auth...), http.StatusOK)
	}

	cases := []struct{ body, detail string }{
		{`{"name":"a.mp4","is_realtime_upload":true}`, "filetype is required for a real-time upload"},
		{`{"name":"clip","filetype":"video/mp4","is_realtime_upload":true}`, "name must end in an extension when no extension is given"},
		{`{"filetype":"video/mp4","is_realtime_upload":true}`, "name must end in an extension when no extension is given"},
		{`{"filetype":"video/mp4","is_realtime_upload":true,"extension":"mp4"}`, "extension must look like .ext"},
		{`{"filetype":"video/mp4","is_realtime_upload":true,"extension":"."}`, "extension must look like .ext"},
		{`{"name":"clip.mov","filetype":"video/mp4","is_realtime_upload":true,"extension":".mp4"}`, "extension does not match the name's extension"},
	}
	for _, tc := range cases {
		wantDetailed(t, e.postJSON("/v2/devices/assets", tc.body, auth...), http.StatusUnprocessableEntity, "Invalid Argument", tc.detail)
	}
	// JSON only.
	r = e.postForm("/v2/devices/assets", url.Values{"name": {"a.mp4"}, "filetype": {"video/mp4"}, "is_realtime_upload": {"true"}}, auth...)
	wantDetailed(t, r, http.StatusUnsupportedMediaType, "Unsupported Media Type", "real-time uploads must be created with a JSON body")
}

func TestRealtimePartsValidation(t *testing.T) {
	t.Parallel()
	const minPart = 16 << 10
	e := newEnv(t, c2csim.Options{MinPartSize: minPart})
	tok := e.pair("dev-1", c2csim.Approval{})
	auth := bearer(tok.Access)
	rt := decodeJSON(t, e.createAsset(tok.Access, map[string]any{"filetype": filetype, "is_realtime_upload": true, "extension": ".mov"}))
	id := rt["id"].(string)
	p := realtimePath(id)

	bad := []struct{ body, detail string }{
		{`{}`, "parts is required"},
		{`{"parts":[]}`, "parts is required"},
		{`{"parts":[{"number":1,"size":20000}]}`, "every part needs number, size and is_final"},
		{`{"parts":[{"size":20000,"is_final":false}]}`, "every part needs number, size and is_final"},
		{`{"parts":[{"number":0,"size":20000,"is_final":false}]}`, "part number 0 is outside 1..10000"},
		{`{"parts":[{"number":10001,"size":20000,"is_final":false}]}`, "part number 10001 is outside 1..10000"},
		{`{"parts":[{"number":1,"size":100,"is_final":false}]}`, fmt.Sprintf("part 1 is 100 bytes; parts other than the final one need at least %d", minPart)},
		{fmt.Sprintf(`{"parts":[{"number":2,"size":%d,"is_final":false}]}`, minPart-1), fmt.Sprintf("part 2 is %d bytes; parts other than the final one need at least %d", minPart-1, minPart)},
		{`{"parts":[{"number":1,"size":-1,"is_final":true}],"asset_filesize":10}`, fmt.Sprintf("part 1 is -1 bytes; parts other than the final one need at least %d", minPart)},
		{`{"parts":[{"number":1,"size":10,"is_final":true}]}`, "asset_filesize is required with the final part"},
		{`{"parts":[{"number":1,"size":10,"is_final":true}],"asset_filesize":0}`, fmt.Sprintf("asset_filesize must be between 1 and %d", int64(c2csim.MaxObjectSize))},
		{fmt.Sprintf(`{"parts":[{"number":1,"size":10,"is_final":true}],"asset_filesize":%d}`, int64(c2csim.MaxObjectSize)+1), fmt.Sprintf("asset_filesize must be between 1 and %d", int64(c2csim.MaxObjectSize))},
		{`{"parts":[{"number":1,"size":20000,"is_final":false}],"asset_name":"noext"}`, "asset_name must end in an extension"},
	}
	for _, tc := range bad {
		r := e.postJSON(p, tc.body, auth...)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %s", tc.body, r)
			continue
		}
		wantDetailed(t, r, http.StatusBadRequest, "Bad Request", tc.detail)
	}
	wantRequestErrors(t, e.postJSON(p, `{"parts":`, auth...), http.StatusBadRequest, "invalid_json", "The request body is not valid JSON")
	r := e.postForm(p, url.Values{"parts": {"1"}}, auth...)
	wantDetailed(t, r, http.StatusUnsupportedMediaType, "Unsupported Media Type", "real-time parts take a JSON body")

	good := `{"parts":[{"number":1,"size":20000,"is_final":false}]}`
	wantDetailed(t, e.postJSON(realtimePath(uuid.NewString()), good, auth...), http.StatusNotFound, "Not Found", "no such real-time asset")
	normal := e.newAsset(tok.Access, "n.mov", 10)
	wantDetailed(t, e.postJSON(realtimePath(normal.ID), good, auth...), http.StatusNotFound, "Not Found", "no such real-time asset")
	other := e.pair("dev-2", c2csim.Approval{})
	wantDetailed(t, e.postJSON(p, good, bearer(other.Access)...), http.StatusNotFound, "Not Found", "no such real-time asset")

	// Boundaries that pass.
	ok := fmt.Sprintf(`{"parts":[{"number":10000,"size":%d,"is_final":false},{"number":1,"size":%d,"is_final":false}]}`, minPart, minPart)
	r = e.postJSON(p, ok, auth...)
	wantStatus(t, r, http.StatusOK)
	if urls, _ := decodeJSON(t, r)["upload_urls"].([]any); len(urls) != 2 {
		t.Errorf("%s", r.Body)
	}
}

func TestRealtimeUpload(t *testing.T) {
	t.Parallel()
	const minPart = 16 << 10
	e := newEnv(t, c2csim.Options{MinPartSize: minPart})
	tok := e.pair("dev-1", c2csim.Approval{})
	auth := bearer(tok.Access)
	rt := decodeJSON(t, e.createAsset(tok.Access, map[string]any{"filetype": filetype, "is_realtime_upload": true, "extension": ".mov"}))
	id := rt["id"].(string)
	if rt["name"] != "[new file].mov" {
		t.Fatalf("name %v", rt["name"])
	}
	data := testData(t, 2*minPart+5000)
	part := func(n int) []byte { return data[(n-1)*minPart : min(n*minPart, len(data))] }

	register := func(body any) []string {
		t.Helper()
		r := e.postJSON(realtimePath(id), body, auth...)
		wantStatus(t, r, http.StatusOK)
		m := decodeJSON(t, r)
		if len(m) != 1 {
			t.Errorf("parts answer %s", r.Body)
		}
		var urls []string
		for _, u := range m["upload_urls"].([]any) {
			urls = append(urls, u.(string))
		}
		return urls
	}
	// URLs come in request order.
	urls := register(map[string]any{"parts": []rtPart{{2, minPart, false}, {1, minPart, false}}})
	if len(urls) != 2 || !strings.Contains(urls[0], "/s3/"+id+"/2?") || !strings.Contains(urls[1], "/s3/"+id+"/1?") {
		t.Fatalf("urls %v", urls)
	}
	u2, u1 := urls[0], urls[1]
	if q, _ := url.Parse(u1); q.Query().Get("x-amz-meta-part_number") != "1" || q.Query().Get("x-amz-meta-total_parts") != "0" {
		t.Errorf("url %s", u1)
	}
	wantStatus(t, e.put(u1, part(1)), http.StatusOK)
	wantStatus(t, e.put(u2, part(2)), http.StatusOK)
	if info := e.asset(id); info.State != "uploading" || info.Complete {
		t.Fatalf("without a final part the asset is %q", info.State)
	}

	final := register(map[string]any{
		"parts": []rtPart{{3, int64(len(part(3))), true}}, "asset_filesize": len(data), "asset_name": "take1.mov",
	})
	// Part 1 again, re-registered after it arrived: kept, not reset.
	again := register(map[string]any{"parts": []rtPart{{1, minPart, false}}})
	if info := e.asset(id); info.Name != "take1.mov" || info.Filesize != int64(len(data)) || !info.Parts[0].Received || info.Complete {
		t.Fatalf("after the final part was registered: %+v", info)
	}
	wantStatus(t, e.put(final[0], part(3)), http.StatusOK)
	info := e.asset(id)
	if !info.Complete || info.SHA256 != sha(data) || info.Name != "take1.mov" {
		t.Fatalf("asset %+v, want complete with sha256 %s", info, sha(data))
	}
	if want := filepath.Join(e.sim.DataDir(), "assets", id, "take1.mov"); info.Path != want {
		t.Errorf("path %q, want %q", info.Path, want)
	}
	if got, err := os.ReadFile(info.Path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("assembled file: %v, %d bytes", err, len(got))
	}
	if !strings.Contains(again[0], "/s3/"+id+"/1?") {
		t.Errorf("re-registered url %s", again[0])
	}
	// Complete: no more parts.
	r := e.postJSON(realtimePath(id), map[string]any{"parts": []rtPart{{4, 10, true}}, "asset_filesize": 10}, auth...)
	wantDetailed(t, r, http.StatusBadRequest, "Bad Request", "the asset is already complete")
}

func TestRealtimeFinalisationOrder(t *testing.T) {
	t.Parallel()
	const minPart = 16 << 10
	e := newEnv(t, c2csim.Options{MinPartSize: minPart})
	tok := e.pair("dev-1", c2csim.Approval{})
	auth := bearer(tok.Access)
	newRT := func(name string) string {
		return decodeJSON(t, e.createAsset(tok.Access, map[string]any{"name": name, "filetype": filetype, "is_realtime_upload": true}))["id"].(string)
	}
	urlsOf := func(r response) []string {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		var urls []string
		for _, u := range decodeJSON(t, r)["upload_urls"].([]any) {
			urls = append(urls, u.(string))
		}
		return urls
	}

	t.Run("final before the lower parts", func(t *testing.T) {
		id := newRT("a.mov")
		data := testData(t, 2*minPart+100)
		urls := urlsOf(e.postJSON(realtimePath(id), map[string]any{
			"parts":          []rtPart{{3, 100, true}, {1, minPart, false}, {2, minPart, false}},
			"asset_filesize": len(data), "asset_name": "ignored.mov",
		}, auth...))
		wantStatus(t, e.put(urls[0], data[2*minPart:]), http.StatusOK)
		if info := e.asset(id); info.Complete {
			t.Fatal("complete with only the final part")
		}
		wantStatus(t, e.put(urls[1], data[:minPart]), http.StatusOK)
		if info := e.asset(id); info.Complete {
			t.Fatal("complete without part 2")
		}
		wantStatus(t, e.put(urls[2], data[minPart:2*minPart]), http.StatusOK)
		info := e.asset(id)
		if !info.Complete || info.SHA256 != sha(data) || info.Name != "a.mov" {
			t.Fatalf("asset %+v", info)
		}
	})
	t.Run("skipped numbers", func(t *testing.T) {
		id := newRT("b.mov")
		data := testData(t, minPart+10)
		urls := urlsOf(e.postJSON(realtimePath(id), map[string]any{
			"parts": []rtPart{{1, minPart, false}, {5, 10, true}}, "asset_filesize": len(data),
		}, auth...))
		wantStatus(t, e.put(urls[1], data[minPart:]), http.StatusOK)
		wantStatus(t, e.put(urls[0], data[:minPart]), http.StatusOK)
		if info := e.asset(id); !info.Complete || info.SHA256 != sha(data) {
			t.Fatalf("asset %+v", info)
		}
	})
	t.Run("sizes do not add up", func(t *testing.T) {
		// With every number up to the final one registered the registration itself is
		// refused (TestRealtimePartsStrict); with a number skipped, the parts may yet be
		// joined by the missing one, and only the assembly can tell.
		id := newRT("c.mov")
		data := testData(t, minPart+10)
		urls := urlsOf(e.postJSON(realtimePath(id), map[string]any{
			"parts": []rtPart{{1, minPart, false}, {3, 10, true}}, "asset_filesize": 99999,
		}, auth...))
		wantStatus(t, e.put(urls[0], data[:minPart]), http.StatusOK)
		wantStatus(t, e.put(urls[1], data[minPart:]), http.StatusOK)
		info := e.asset(id)
		if info.State != "failed" || info.Complete || info.Error != fmt.Sprintf("parts add up to %d bytes, the asset is 99999", minPart+10) {
			t.Fatalf("asset %+v", info)
		}
	})
}
