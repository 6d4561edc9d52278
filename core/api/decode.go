package api

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxErrorBody bounds what is read of an error answer: enough for any real payload,
// small enough that a proxy's error page cannot cost memory.
const maxErrorBody = 64 << 10

// maxRetryAfter keeps a hostile or broken Retry-After from overflowing a Duration.
const maxRetryAfter = 24 * time.Hour

// CheckResponse returns nil when resp.StatusCode == expected; otherwise it reads at most
// 64 KiB of the body (and closes it) and returns a *Error per docs/error-policy.md §1.
// s3 selects the XML decoder used for chunk PUTs.
func CheckResponse(endpoint string, resp *http.Response, expected int, s3 bool) error {
	if resp == nil {
		e := newError(endpoint, InternalRule)
		e.Err = errNilResponse
		return e
	}
	if resp.StatusCode == expected {
		return nil
	}
	var body []byte
	var readErr error
	if resp.Body != nil {
		body, readErr = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
	e := Decode(endpoint, resp.StatusCode, resp.Header, body, s3)
	e.Expected = expected
	if resp.Request != nil {
		e.RequestID = resp.Request.Header.Get("x-request-id")
	}
	if readErr != nil && e.Err == nil {
		// The status already decided the error; the cut body only cost us the message.
		e.Err = readErr
	}
	return e
}

var errNilResponse = errors.New("no HTTP response")

// Decode turns a non-success answer into a *Error. It is pure apart from reading the
// clock for a Retry-After date without a Date header, and it never panics.
func Decode(endpoint string, status int, header http.Header, body []byte, s3 bool) *Error {
	if status < 400 {
		e := newError(endpoint, UnexpectedStatusRule)
		e.Status = status
		fillHeaders(e, header, s3)
		return e
	}

	var p payload
	var rule Rule
	var ok bool
	if s3 {
		p = parseS3(body)
		if p.message != "" {
			rule, ok = s3Rule(p.message, p.detail), true
		}
	} else {
		p = parseJSON(body)
		if p.message != "" {
			rule, ok = messageRule(p.message)
			// 409 means Channel Paused only when the body says so; any other message
			// on a 409 is a plain conflict.
			if ok && status == 409 && rule.Kind != KindChannelPaused {
				ok = false
			}
		}
	}
	if !ok {
		rule, ok = StatusRules[status]
	}
	if !ok {
		rule = UnknownStatusRule
	}

	e := newError(endpoint, rule)
	e.Status = status
	e.Message, e.Detail, e.Code, e.Path = p.message, p.detail, p.code, p.path
	fillHeaders(e, header, s3)
	if e.ServerRequestID == "" {
		e.ServerRequestID = p.requestID
	}
	return e
}

func fillHeaders(e *Error, h http.Header, s3 bool) {
	first, second := h.Get("x-request-id"), h.Get("x-amz-request-id")
	if s3 {
		first, second = second, first
	}
	e.ServerRequestID = cmp.Or(first, second)
	e.RetryAfter = retryAfter(h.Get("Retry-After"), h.Get("Date"), time.Now())
}

// retryAfter reads delta-seconds or an HTTP-date, the latter measured against the
// answer's own Date so a skewed local clock does not stretch or cancel the wait.
func retryAfter(value, date string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	if d, err := http.ParseTime(date); err == nil {
		now = d
	}
	return min(max(at.Sub(now), 0), maxRetryAfter)
}

// payload is what docs/error-policy.md §1 extracts from a body.
type payload struct {
	message, detail, code, requestID string
	path                             []string
}

// parseJSON reads the simple, detailed and request-errors schemas field by field, so a
// field of the wrong type loses only itself, never the whole answer.
func parseJSON(body []byte) payload {
	var p payload
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return p
	}
	if msg := jsonString(top["error"]); msg != "" {
		p.message = msg
		p.detail = jsonString(top["error_description"]) // OAuth servers often add one
		return p
	}
	if jsonString(top["code"]) == "request_errors" {
		var data struct {
			Errors []json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(top["data"], &data) == nil && len(data.Errors) > 0 {
			var first map[string]json.RawMessage
			if json.Unmarshal(data.Errors[0], &first) == nil {
				p.message = jsonString(first["message"])
				p.detail = p.message
				p.code = jsonString(first["code"])
				p.path = jsonStrings(first["path"])
			}
		}
		return p
	}
	p.message = jsonString(top["message"])
	var errs []json.RawMessage
	if json.Unmarshal(top["errors"], &errs) == nil && len(errs) > 0 {
		var first map[string]json.RawMessage
		if json.Unmarshal(errs[0], &first) == nil {
			p.detail = jsonString(first["detail"])
		}
	}
	return p
}

func jsonString(raw json.RawMessage) string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// jsonStrings keeps the string elements of an array and skips the rest (a path may
// hold indexes as numbers).
func jsonStrings(raw json.RawMessage) []string {
	var items []json.RawMessage
	if raw == nil || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
		} else if n, err := strconv.ParseInt(string(it), 10, 64); err == nil {
			out = append(out, strconv.FormatInt(n, 10))
		}
	}
	return out
}

// parseS3 reads <Error><Code/><Message/><RequestId/></Error>. Message is the code (what
// the S3 table is keyed by) and Detail is S3's sentence.
func parseS3(body []byte) payload {
	var x struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}
	if xml.Unmarshal(body, &x) != nil {
		return payload{}
	}
	code := strings.TrimSpace(x.Code)
	return payload{message: code, code: code, detail: strings.TrimSpace(x.Message), requestID: strings.TrimSpace(x.RequestID)}
}
