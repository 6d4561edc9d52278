package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const ep = "POST /v2/devices/assets"

func simple(msg string) string { return `{"error":"` + msg + `"}` }

func detailed(code int, msg, detail string) string {
	return `{"code":` + strconv.Itoa(code) + `,"errors":[{"code":` + strconv.Itoa(code) + `,"detail":"` + detail +
		`","status":` + strconv.Itoa(code) + `,"title":"` + msg + `"}],"message":"` + msg + `"}`
}

func requestErrors(code, msg string) string {
	return `{"code":"request_errors","data":{"errors":[{"code":"` + code + `","message":"` + msg +
		`","path":["asset","filesize"]},{"code":"other","message":"second","path":[]}]}}`
}

func s3XML(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + msg +
		"</Message><RequestId>S3REQ123</RequestId><HostId>host/id=</HostId></Error>"
}

type want struct {
	kind    Kind
	retry   RetryClass
	effect  Effect
	message string
	detail  string
}

type decodeCase struct {
	name   string
	status int
	body   string
	s3     bool
	want   want
}

// decodeCases has one case per row of docs/error-policy.md §1, §3, §4 and §5.
var decodeCases = []decodeCase{
	// §3: the message table.
	{"§3_authorization_pending_400_simple", 400, simple("authorization_pending"), false, want{KindAuthorizationPending, RetryYes, 0, "authorization_pending", ""}},
	{"§3_slow_down_400_simple", 400, simple("slow_down"), false, want{KindSlowDown, RetryYes, 0, "slow_down", ""}},
	{"§3_expired_token_400_simple", 400, simple("expired_token"), false, want{KindExpiredToken, RetryNo, 0, "expired_token", ""}},
	{"§3_access_denied_400_simple", 400, simple("access_denied"), false, want{KindAccessDenied, RetryNo, 0, "access_denied", ""}},
	{"§3_invalid_client_400_simple", 400, simple("invalid_client"), false, want{KindInvalidClient, RetryNo, EffectAlert, "invalid_client", ""}},
	{"§3_invalid_grant_400_simple", 400, simple("invalid_grant"), false, want{KindInvalidGrantType, RetryNo, 0, "invalid_grant", ""}},
	{"§3_unsupported_grant_type_400_simple", 400, simple("unsupported_grant_type"), false, want{KindInvalidGrantType, RetryNo, 0, "unsupported_grant_type", ""}},
	{"§3_invalid_request_400_simple", 400, simple("invalid_request"), false, want{KindInvalidRequest, RetryNo, 0, "invalid_request", ""}},
	{"§3_Invalid_client_version_400_simple", 400, simple("Invalid client version"), false, want{KindInvalidClientVersion, RetryNo, EffectAlert, "Invalid client version", ""}},
	{"§3_Invalid_Argument_422_detailed", 422, detailed(422, "Invalid Argument", "filesize must be positive"), false, want{KindInvalidArgument, RetryNo, 0, "Invalid Argument", "filesize must be positive"}},
	{"§3_Channel_Paused_409_detailed", 409, detailed(409, "Channel Paused", "The channel you're uploading from is currently paused."), false, want{KindChannelPaused, RetryNo, EffectSkipFile | EffectAlert, "Channel Paused", "The channel you're uploading from is currently paused."}},
	{"§3_Channel_Paused_409_simple", 409, simple("Channel Paused"), false, want{KindChannelPaused, RetryNo, EffectSkipFile | EffectAlert, "Channel Paused", ""}},
	{"§3_Channel_Paused_409_upper_case", 409, simple("CHANNEL PAUSED"), false, want{KindChannelPaused, RetryNo, EffectSkipFile | EffectAlert, "CHANNEL PAUSED", ""}},
	{"§3_Not_Authorized_401_detailed", 401, detailed(401, "Not Authorized", "You are not allowed to access that resource"), false, want{KindUnauthorizedClient, RetryNo, EffectRefreshToken, "Not Authorized", "You are not allowed to access that resource"}},
	{"§3_message_wins_over_status", 400, detailed(400, "Not Authorized", ""), false, want{KindUnauthorizedClient, RetryNo, EffectRefreshToken, "Not Authorized", ""}},
	{"§3_request_errors_schema_unknown_message", 400, requestErrors("invalid", "must be greater than 0"), false, want{KindInvalidRequest, RetryOnce, 0, "must be greater than 0", "must be greater than 0"}},
	{"§3_request_errors_schema_known_message", 422, requestErrors("invalid", "Invalid Argument"), false, want{KindInvalidArgument, RetryNo, 0, "Invalid Argument", "Invalid Argument"}},
	{"§3_simple_with_error_description", 400, `{"error":"invalid_grant","error_description":"code already used"}`, false, want{KindInvalidGrantType, RetryNo, 0, "invalid_grant", "code already used"}},

	// §4: the status table (message unknown or absent).
	{"§4_400", 400, detailed(400, "Bad Request", "bad field"), false, want{KindInvalidRequest, RetryOnce, 0, "Bad Request", "bad field"}},
	{"§4_401", 401, simple("token is expired"), false, want{KindUnauthorizedClient, RetryNo, EffectRefreshToken, "token is expired", ""}},
	{"§4_402", 402, requestErrors("payment_required", "balance is insufficient"), false, want{KindPaymentRequired, RetryNo, EffectAlert, "balance is insufficient", "balance is insufficient"}},
	{"§4_403", 403, "", false, want{KindForbidden, RetryOnce, 0, "", ""}},
	{"§4_404", 404, "<html><body>404 Not Found</body></html>", false, want{KindNotFound, RetryOnce, 0, "", ""}},
	{"§4_408", 408, "", false, want{KindTimeout, RetryYes, 0, "", ""}},
	{"§4_409", 409, detailed(409, "Duplicate", "asset exists"), false, want{KindConflict, RetryOnce, 0, "Duplicate", "asset exists"}},
	{"§4_409_known_message_other_than_Channel_Paused", 409, simple("slow_down"), false, want{KindConflict, RetryOnce, 0, "slow_down", ""}},
	{"§4_415", 415, simple("Unsupported Media Type"), false, want{KindInvalidContentType, RetryNo, 0, "Unsupported Media Type", ""}},
	{"§4_422", 422, detailed(422, "Unprocessable", "name is too long"), false, want{KindInvalidArgument, RetryNo, 0, "Unprocessable", "name is too long"}},
	{"§4_429", 429, "", false, want{KindSlowDown, RetryYes, 0, "", ""}},
	{"§4_500", 500, detailed(500, "Internal Server Error", ""), false, want{KindInternalServerError, RetryOnce, EffectIndeterminate, "Internal Server Error", ""}},
	{"§4_502", 502, "<html><head><title>502 Bad Gateway</title></head></html>", false, want{KindUnavailable, RetryYes, EffectDisconnect, "", ""}},
	{"§4_503", 503, "Service Unavailable", false, want{KindUnavailable, RetryYes, EffectDisconnect, "", ""}},
	{"§4_504", 504, "", false, want{KindUnavailable, RetryYes, EffectDisconnect, "", ""}},
	{"§4_other_418", 418, simple("I'm a teapot"), false, want{KindUnknownAPIError, RetryOnce, 0, "I'm a teapot", ""}},
	{"§4_other_599", 599, "", false, want{KindUnknownAPIError, RetryOnce, 0, "", ""}},

	// §5: S3 chunk errors.
	{"§5_SlowDown", 503, s3XML("SlowDown", "Please reduce your request rate."), true, want{KindSlowDown, RetryYes, EffectLowerConcurrency, "SlowDown", "Please reduce your request rate."}},
	{"§5_ServiceUnavailable", 503, s3XML("ServiceUnavailable", "Service is unable to handle request."), true, want{KindSlowDown, RetryYes, EffectLowerConcurrency, "ServiceUnavailable", "Service is unable to handle request."}},
	{"§5_InternalError", 500, s3XML("InternalError", "We encountered an internal error. Please try again."), true, want{KindInternalServerError, RetryOnce, 0, "InternalError", "We encountered an internal error. Please try again."}},
	{"§5_RequestTimeout", 400, s3XML("RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period."), true, want{KindTimeout, RetryYes, 0, "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period."}},
	{"§5_AccessDenied_Request_has_expired", 403, s3XML("AccessDenied", "Request has expired"), true, want{KindUploadURLExpired, RetryNo, EffectNewAsset, "AccessDenied", "Request has expired"}},
	{"§5_ExpiredToken", 400, s3XML("ExpiredToken", "The provided token has expired."), true, want{KindUploadURLExpired, RetryNo, EffectNewAsset, "ExpiredToken", "The provided token has expired."}},
	{"§5_SignatureDoesNotMatch", 403, s3XML("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."), true, want{KindUploadRejected, RetryOnce, 0, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}},
	{"§5_MissingContentLength", 411, s3XML("MissingContentLength", "You must provide the Content-Length HTTP header."), true, want{KindUploadRejected, RetryOnce, 0, "MissingContentLength", "You must provide the Content-Length HTTP header."}},
	{"§5_EntityTooLarge", 400, s3XML("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"), true, want{KindUploadRejected, RetryOnce, 0, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}},
	{"§5_InvalidArgument", 400, s3XML("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"), true, want{KindUploadRejected, RetryOnce, 0, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"}},
	{"§5_AccessDenied_not_expiry", 403, s3XML("AccessDenied", "Access Denied"), true, want{KindAWSError, RetryOnce, 0, "AccessDenied", "Access Denied"}},
	{"§5_any_other_code", 404, s3XML("NoSuchUpload", "The specified upload does not exist."), true, want{KindAWSError, RetryOnce, 0, "NoSuchUpload", "The specified upload does not exist."}},
	{"§5_no_XML_falls_back_to_status", 503, "<html>proxy says no</html>", true, want{KindUnavailable, RetryYes, EffectDisconnect, "", ""}},
	{"§5_JSON_is_not_read_on_S3", 409, simple("Channel Paused"), true, want{KindConflict, RetryOnce, 0, "", ""}},

	// §1: the schemas, garbage included.
	{"§1_unexpected_status_below_400", 200, "", false, want{KindUnexpectedStatus, RetryOnce, 0, "", ""}},
	{"§1_unexpected_redirect", 304, "", false, want{KindUnexpectedStatus, RetryOnce, 0, "", ""}},
	{"§1_garbage_HTML", 400, "<!DOCTYPE html><html><body><h1>Bad Request</h1></body></html>", false, want{KindInvalidRequest, RetryOnce, 0, "", ""}},
	{"§1_garbage_empty", 401, "", false, want{KindUnauthorizedClient, RetryNo, EffectRefreshToken, "", ""}},
	{"§1_garbage_truncated_JSON", 409, `{"code":409,"errors":[{"detail":"The chan`, false, want{KindConflict, RetryOnce, 0, "", ""}},
	{"§1_garbage_JSON_array", 409, `["Channel Paused"]`, false, want{KindConflict, RetryOnce, 0, "", ""}},
	{"§1_garbage_JSON_null", 400, `null`, false, want{KindInvalidRequest, RetryOnce, 0, "", ""}},
	{"§1_garbage_number_as_error", 400, `{"error":42}`, false, want{KindInvalidRequest, RetryOnce, 0, "", ""}},
	{"§1_garbage_numbers_in_detailed", 409, `{"code":"409","errors":[{"detail":5,"title":1}],"message":409}`, false, want{KindConflict, RetryOnce, 0, "", ""}},
	{"§1_garbage_number_error_detailed_message_used", 409, `{"error":{"x":1},"message":"Channel Paused","errors":"nope"}`, false, want{KindChannelPaused, RetryNo, EffectSkipFile | EffectAlert, "Channel Paused", ""}},
	{"§1_garbage_request_errors_wrong_types", 400, `{"code":"request_errors","data":{"errors":[{"code":7,"message":["x"],"path":"a"}]}}`, false, want{KindInvalidRequest, RetryOnce, 0, "", ""}},
	{"§1_garbage_request_errors_empty", 400, `{"code":"request_errors","data":{"errors":[]}}`, false, want{KindInvalidRequest, RetryOnce, 0, "", ""}},
	{"§1_garbage_XML_on_API", 500, s3XML("InternalError", "x"), false, want{KindInternalServerError, RetryOnce, EffectIndeterminate, "", ""}},
	{"§1_garbage_truncated_XML_on_S3", 500, `<Error><Code>InternalErr`, true, want{KindInternalServerError, RetryOnce, EffectIndeterminate, "", ""}},
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			e := Decode(ep, tc.status, nil, []byte(tc.body), tc.s3)
			checkError(t, e, tc.status, tc.want)
		})
	}
}

// TestCheckResponse runs every decode case through a real HTTP server and client.
func TestCheckResponse(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-request-id", "srv-"+r.Header.Get("x-request-id"))
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
			req.Header.Set("x-request-id", "ours-1")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			expected := 201
			got := CheckResponse(ep, resp, expected, tc.s3)
			e, ok := AsError(got)
			if !ok {
				t.Fatalf("CheckResponse = %v, want *Error", got)
			}
			checkError(t, e, tc.status, tc.want)
			if e.Expected != expected || e.RequestID != "ours-1" || e.ServerRequestID != "srv-ours-1" {
				t.Errorf("Expected=%d RequestID=%q ServerRequestID=%q", e.Expected, e.RequestID, e.ServerRequestID)
			}
		})
	}
}

func checkError(t *testing.T, e *Error, status int, w want) {
	t.Helper()
	if e == nil {
		t.Fatal("nil *Error")
	}
	if e.Kind != w.kind || e.Retry != w.retry || e.Effect != w.effect {
		t.Errorf("got %s/%s/%s, want %s/%s/%s", e.Kind, e.Retry, e.Effect, w.kind, w.retry, w.effect)
	}
	if e.Message != w.message {
		t.Errorf("Message = %q, want %q", e.Message, w.message)
	}
	if e.Detail != w.detail {
		t.Errorf("Detail = %q, want %q", e.Detail, w.detail)
	}
	if e.Status != status || e.Endpoint != ep {
		t.Errorf("Status=%d Endpoint=%q", e.Status, e.Endpoint)
	}
	if e.UserMessage() == "" || e.Error() == "" {
		t.Error("empty UserMessage or Error")
	}
}

func TestCheckResponseSuccessIsNil(t *testing.T) {
	for _, status := range []int{200, 201, 204} {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader("{}"))}
		if err := CheckResponse(ep, resp, status, false); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
	}
}

func TestCheckResponseUnexpectedStatus(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}"))}
	e, _ := AsError(CheckResponse(ep, resp, 201, false))
	if e.Kind != KindUnexpectedStatus || e.Expected != 201 || e.Status != 200 {
		t.Fatalf("%+v", e)
	}
	if !strings.Contains(e.Error(), "expected HTTP 201, got 200") {
		t.Errorf("Error() = %q", e.Error())
	}
}

type countingBody struct {
	r      io.Reader
	read   int
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *countingBody) Close() error { b.closed = true; return nil }

func TestCheckResponseReadsAtMost64KiBAndCloses(t *testing.T) {
	body := &countingBody{r: strings.NewReader(`{"error":"` + strings.Repeat("x", 1<<20) + `"}`)}
	resp := &http.Response{StatusCode: 400, Body: body}
	e, _ := AsError(CheckResponse(ep, resp, 200, false))
	if body.read > 64<<10 || !body.closed {
		t.Errorf("read %d bytes, closed=%v", body.read, body.closed)
	}
	if e.Kind != KindInvalidRequest || e.Message != "" {
		t.Errorf("cut body must lose only the message: %s %q", e.Kind, e.Message)
	}
}

func TestCheckResponseNilResponse(t *testing.T) {
	if KindOf(CheckResponse(ep, nil, 200, false)) != KindInternal {
		t.Fatal("nil response must be an internal error")
	}
}

func TestDecodeKeepsRequestErrorsCodeAndPath(t *testing.T) {
	e := Decode(ep, 400, nil, []byte(requestErrors("invalid", "must be greater than 0")), false)
	if e.Code != "invalid" || !slices.Equal(e.Path, []string{"asset", "filesize"}) {
		t.Errorf("Code=%q Path=%q", e.Code, e.Path)
	}
	e = Decode(ep, 400, nil, []byte(`{"code":"request_errors","data":{"errors":[{"code":"x","message":"m","path":["parts",3,{"a":1}]}]}}`), false)
	if !slices.Equal(e.Path, []string{"parts", "3"}) {
		t.Errorf("Path=%q", e.Path)
	}
}

func TestDecodeServerRequestID(t *testing.T) {
	h := http.Header{}
	h.Set("x-request-id", "api-1")
	h.Set("x-amz-request-id", "amz-1")
	if got := Decode(ep, 500, h, nil, false).ServerRequestID; got != "api-1" {
		t.Errorf("API: %q", got)
	}
	if got := Decode("PUT s3 part", 500, h, nil, true).ServerRequestID; got != "amz-1" {
		t.Errorf("S3 header: %q", got)
	}
	if got := Decode("PUT s3 part", 500, nil, []byte(s3XML("InternalError", "x")), true); got.ServerRequestID != "S3REQ123" || got.Code != "InternalError" {
		t.Errorf("S3 body: %q %q", got.ServerRequestID, got.Code)
	}
}

func TestRetryAfter(t *testing.T) {
	date := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	now := date.Add(time.Hour) // a skewed local clock must not matter when Date is present
	cases := []struct {
		name, value, date string
		want              time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "7", "", 7 * time.Second},
		{"zero", "0", "", 0},
		{"negative", "-3", "", 0},
		{"huge_is_capped", "99999999999999999", "", maxRetryAfter},
		{"garbage", "soon", "", 0},
		{"date_against_Date_header", date.Add(30 * time.Second).Format(http.TimeFormat), date.Format(http.TimeFormat), 30 * time.Second},
		{"date_in_the_past", date.Add(-time.Minute).Format(http.TimeFormat), date.Format(http.TimeFormat), 0},
		{"date_against_now", now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.value, tc.date, now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	h := http.Header{}
	h.Set("Retry-After", "12")
	if got := Decode(ep, 429, h, nil, false).RetryAfter; got != 12*time.Second {
		t.Errorf("Decode RetryAfter = %v", got)
	}
}
