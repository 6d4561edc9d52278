package api

import (
	"net/http"
	"testing"
)

// FuzzDecode: whatever a server or proxy sends, Decode returns a classified error and
// neither it nor the error's texts panic.
func FuzzDecode(f *testing.F) {
	seeds := []struct {
		status     int
		body       string
		s3         bool
		retryAfter string
	}{
		{400, simple("authorization_pending"), false, ""},
		{400, `{"error":"invalid_grant","error_description":"x"}`, false, ""},
		{409, detailed(409, "Channel Paused", "The channel you're uploading from is currently paused."), false, ""},
		{401, detailed(401, "Not Authorized", "You are not allowed to access that resource"), false, ""},
		{400, requestErrors("invalid", "must be greater than 0"), false, ""},
		{402, `{"code":"request_errors","data":{"errors":[{"code":"x","message":"m","path":["a",1]}]}}`, false, ""},
		{503, s3XML("SlowDown", "Please reduce your request rate."), true, "3"},
		{403, s3XML("AccessDenied", "Request has expired"), true, ""},
		{429, "", false, "Wed, 21 Oct 2015 07:28:00 GMT"},
		{502, "<html><body>Bad Gateway</body></html>", false, ""},
		{200, "{}", false, ""},
		{409, `{"code":409,"errors":[{"detail":`, false, "-1"},
		{400, `[1,2,3]`, false, ""},
		{400, `{"error":42,"message":{"a":[]},"errors":[null]}`, false, ""},
		{500, `<Error><Code>InternalError</Code><Message>`, true, ""},
		{-1, "\x00\xff", true, "99999999999999999999"},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.s3, s.retryAfter)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, s3 bool, retryAfter string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		e := Decode(ep, status, h, body, s3)
		if e == nil || e.Kind == "" || !e.Retry.Valid() {
			t.Fatalf("Decode(%d, %q, %v) = %+v", status, body, s3, e)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter %v out of range", e.RetryAfter)
		}
		_ = e.Error()
		_ = e.UserMessage()
	})
}
