package c2csim

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
)

// Paths only the simulator can sign: a URL for an asset or part it never handed out, and
// a well-signed URL whose date cannot be read. From outside, the signature check comes
// first and these answers cannot be reached.
func TestPutPartUnsignable(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	known := &asset{ID: uuid.NewString(), Filetype: "video/mp4", Filesize: 10, PartCount: 1, State: "created",
		Parts: map[int]*part{1: {Number: 1, Size: 10}}}
	s.mu.Lock()
	s.addAssetLocked(known)
	s.mu.Unlock()
	ghost := &asset{ID: uuid.NewString(), Filetype: "video/mp4"}

	badDate := func() string {
		u, _ := url.Parse(s.signURL(known, 1, 1, s.now()))
		q := u.Query()
		q.Set("X-Amz-Date", "yesterday")
		q.Set("X-Amz-Signature", s.signature(http.MethodPut, u.Path, q, known.Filetype, "private"))
		u.RawQuery = q.Encode()
		return u.String()
	}()
	cases := []struct {
		name, url, code string
		status          int
	}{
		{"unknown asset", s.signURL(ghost, 1, 1, s.now()), "NoSuchUpload", http.StatusNotFound},
		{"unknown part", s.signURL(known, 2, 1, s.now()), "NoSuchUpload", http.StatusNotFound},
		{"unreadable date", badDate, "AccessDenied", http.StatusForbidden},
	}
	for _, tc := range cases {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, tc.url, bytes.NewReader(make([]byte, 10)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "video/mp4")
		req.Header.Set("x-amz-acl", "private")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var doc struct {
			Code, Message string
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, body)
		}
		if resp.StatusCode != tc.status || doc.Code != tc.code || doc.Message != S3Messages[tc.code] {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := known.Parts[1]; p.Received || p.Attempts != 0 {
		t.Errorf("part 1 %+v", p)
	}
	if len(s.assets) != 1 {
		t.Errorf("%d assets", len(s.assets))
	}
}
