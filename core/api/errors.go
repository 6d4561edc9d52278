package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core/redact"
)

// Kind names what went wrong, independent of how the server said it. The string value
// is the name without the "Kind" prefix; it is stable and safe to store in the journal.
type Kind string

// Kinds from docs/error-policy.md §3-§6 and §10.
const (
	KindAuthorizationPending Kind = "AuthorizationPending"
	KindSlowDown             Kind = "SlowDown"
	KindExpiredToken         Kind = "ExpiredToken"
	KindAccessDenied         Kind = "AccessDenied"
	KindInvalidClient        Kind = "InvalidClient"
	KindInvalidGrantType     Kind = "InvalidGrantType"
	KindInvalidRequest       Kind = "InvalidRequest"
	KindInvalidClientVersion Kind = "InvalidClientVersion"
	KindInvalidArgument      Kind = "InvalidArgument"
	KindChannelPaused        Kind = "ChannelPaused"
	KindUnauthorizedClient   Kind = "UnauthorizedClient"
	KindPaymentRequired      Kind = "PaymentRequired"
	KindForbidden            Kind = "Forbidden"
	KindNotFound             Kind = "NotFound"
	KindTimeout              Kind = "Timeout"
	KindConflict             Kind = "Conflict"
	KindInvalidContentType   Kind = "InvalidContentType"
	KindInternalServerError  Kind = "InternalServerError"
	KindUnavailable          Kind = "Unavailable"
	KindUnknownAPIError      Kind = "UnknownAPIError"
	KindUnexpectedStatus     Kind = "UnexpectedStatus"
	KindUploadURLExpired     Kind = "UploadURLExpired"
	KindUploadRejected       Kind = "UploadRejected" // S3 codes that mean our request was wrong
	KindAWSError             Kind = "AWSError"
	KindNetwork              Kind = "Network" // §6: refused/reset, DNS, TLS, unexpected EOF
	KindLocalFile            Kind = "LocalFile"
	KindCancelled            Kind = "Cancelled"
	KindInternal             Kind = "Internal" // a bug
)

// RetryClass is how many times a request may be tried (docs/error-policy.md §2). The zero
// value is deliberately invalid so a rule that forgot its class is caught by the tests.
type RetryClass int

const (
	RetryNo   RetryClass = iota + 1 // fatal: 1 attempt
	RetryOnce                       // "when in doubt, retry once": 2 attempts
	RetryYes                        // transient: 8 attempts with backoff
)

func (c RetryClass) String() string {
	switch c {
	case RetryNo:
		return "no"
	case RetryOnce:
		return "once"
	case RetryYes:
		return "yes"
	}
	return "RetryClass(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c is one of the three classes.
func (c RetryClass) Valid() bool { return c >= RetryNo && c <= RetryYes }

// Effect is a set of things the app must do besides retrying.
type Effect uint

const (
	EffectDisconnect       Effect = 1 << iota // mark the connection offline (§6 network class, 502/503/504)
	EffectRefreshToken                        // 401 on a bearer call: refresh, then repeat once
	EffectReconnect                           // needs re-pairing; set by auth when a refresh fails, never by decode
	EffectSkipFile                            // Channel Paused: never retried, file "skipped: channel paused"
	EffectNewAsset                            // S3 URL expired: the file restarts with a new asset
	EffectAlert                               // needs a dialog
	EffectLowerConcurrency                    // S3 SlowDown/ServiceUnavailable: fewer parallel chunks for a while
	EffectIndeterminate                       // 500 on a non-idempotent call: record both request ids
)

var effectNames = []string{"disconnect", "refresh-token", "reconnect", "skip-file", "new-asset", "alert", "lower-concurrency", "indeterminate"}

// Has reports whether every bit of f is set in e.
func (e Effect) Has(f Effect) bool { return f != 0 && e&f == f }

// String lists the effects joined by "|", for logs.
func (e Effect) String() string {
	if e == 0 {
		return "none"
	}
	var names []string
	for i, name := range effectNames {
		if e&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if rest := e &^ (1<<len(effectNames) - 1); rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint(rest)))
	}
	return strings.Join(names, "|")
}

// Rule is one row of the error policy: what an error is, whether to retry it, what else
// to do, and what to tell a person.
type Rule struct {
	Kind   Kind
	Retry  RetryClass
	Effect Effect
	User   string // plain words for a person
}

// Error is every failure core reports: API answers, S3 answers, transport and local
// failures. It carries what a person, the retry loop and the journal each need.
type Error struct {
	Kind   Kind
	Retry  RetryClass
	Effect Effect

	Status          int      // HTTP status, 0 for transport errors
	Message         string   // simple `error`, detailed `message`, first request-errors message, S3 <Code>
	Detail          string   // detailed errors[0].detail, S3 <Message>, request-errors message
	Code            string   // request-errors code (e.g. "invalid"), S3 <Code>
	Path            []string // request-errors path
	Endpoint        string   // e.g. "POST /v2/devices/assets", "PUT s3 part"
	RequestID       string   // ours (the x-request-id we sent)
	ServerRequestID string   // response x-request-id, x-amz-request-id, or S3 <RequestId>
	Attempt         int      // 1-based, filled by retry
	RetryAfter      time.Duration
	Expected        int   // for UnexpectedStatus
	Err             error // underlying cause for transport and I/O errors

	user string // the matched rule's text; UserMessage falls back to the kind's text
}

// newError starts an Error from a rule.
func newError(endpoint string, r Rule) *Error {
	return &Error{Kind: r.Kind, Retry: r.Retry, Effect: r.Effect, Endpoint: endpoint, user: r.User}
}

// maxShown bounds server text inside Error(): bodies may be up to 64 KiB.
const maxShown = 200

// Error is one line for logs. It never carries tokens or URL queries: the cause is
// scrubbed because *url.Error prints the full (presigned) URL.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Kind))
	switch {
	case e.Kind == KindUnexpectedStatus:
		fmt.Fprintf(&b, " (expected HTTP %d, got %d)", e.Expected, e.Status)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", shorten(e.Message))
	}
	if e.Detail != "" && e.Detail != e.Message {
		fmt.Fprintf(&b, ": %s", shorten(e.Detail))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(shorten(e.Err.Error()))
	}
	if e.Attempt > 0 {
		fmt.Fprintf(&b, " (attempt %d)", e.Attempt)
	}
	return redact.String(b.String(), nil)
}

func (e *Error) Unwrap() error { return e.Err }

// UserMessage is the reason shown beside a file or in a dialog: the rule's plain words,
// plus the server's own explanation or code when it adds something.
func (e *Error) UserMessage() string {
	text := e.user
	if text == "" {
		text = userTexts[e.Kind]
	}
	if text == "" {
		text = "Something went wrong (" + string(e.Kind) + ")."
	}
	var extra string
	switch {
	case (e.Kind == KindUploadRejected || e.Kind == KindAWSError) && e.Code != "":
		extra = "code " + e.Code
		if e.Detail != "" {
			extra += ": " + e.Detail
		}
	case e.Kind == KindUnknownAPIError || e.Kind == KindUnexpectedStatus:
		extra = "HTTP " + strconv.Itoa(e.Status)
		if e.Message != "" {
			extra += ": " + e.Message
		}
	case e.Kind == KindLocalFile && e.Err != nil:
		// One sentence on what happened to the file and what to do; the system's words
		// and the path are in the log. The HTTP client's wrapping (the method and the
		// upload URL) says nothing to a person.
		var local *LocalFileError
		if errors.As(e.Err, &local) {
			return redact.String(local.Sentence(), nil)
		}
		extra = e.Err.Error()
	case e.Kind == KindChannelPaused:
		// The rule's words already say what the server's detail says.
	case e.Detail != "" && !strings.Contains(text, e.Detail):
		extra = e.Detail
	}
	if extra != "" {
		text += " (" + shorten(extra) + ")"
	}
	return redact.String(text, nil)
}

func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// AsError finds the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	return nil, false
}

// KindOf is the kind of err: "" for nil, KindInternal for an error core did not classify.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if e, ok := AsError(err); ok {
		return e.Kind
	}
	return KindInternal
}

// ClassOf is the retry class of err: RetryNo for nil (nothing to retry), the Internal
// rule's class for an error core did not classify.
func ClassOf(err error) RetryClass {
	if err == nil {
		return RetryNo
	}
	if e, ok := AsError(err); ok {
		return e.Retry
	}
	return InternalRule.Retry
}

// HasEffect reports whether err is an *Error carrying every bit of f.
func HasEffect(err error, f Effect) bool {
	e, ok := AsError(err)
	return ok && e.Effect.Has(f)
}

// errorJSON is an Error as JSON, for a process that follows another's events (the
// window's control socket): the cause travels as its text.
type errorJSON struct {
	Kind            Kind          `json:"kind"`
	Retry           RetryClass    `json:"retry"`
	Effect          Effect        `json:"effect"`
	Status          int           `json:"status,omitempty"`
	Message         string        `json:"message,omitempty"`
	Detail          string        `json:"detail,omitempty"`
	Code            string        `json:"code,omitempty"`
	Path            []string      `json:"path,omitempty"`
	Endpoint        string        `json:"endpoint,omitempty"`
	RequestID       string        `json:"request_id,omitempty"`
	ServerRequestID string        `json:"server_request_id,omitempty"`
	Attempt         int           `json:"attempt,omitempty"`
	RetryAfter      time.Duration `json:"retry_after,omitempty"`
	Expected        int           `json:"expected,omitempty"`
	Cause           string        `json:"cause,omitempty"`
	User            string        `json:"user,omitempty"`
}

// MarshalJSON writes the error with its cause as text, scrubbed like Error().
func (e *Error) MarshalJSON() ([]byte, error) {
	j := errorJSON{Kind: e.Kind, Retry: e.Retry, Effect: e.Effect, Status: e.Status, Message: e.Message,
		Detail: e.Detail, Code: e.Code, Path: e.Path, Endpoint: e.Endpoint, RequestID: e.RequestID,
		ServerRequestID: e.ServerRequestID, Attempt: e.Attempt, RetryAfter: e.RetryAfter, Expected: e.Expected,
		User: e.user}
	if e.Err != nil {
		j.Cause = redact.String(e.Err.Error(), nil)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *Error) UnmarshalJSON(b []byte) error {
	var j errorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Error{Kind: j.Kind, Retry: j.Retry, Effect: j.Effect, Status: j.Status, Message: j.Message,
		Detail: j.Detail, Code: j.Code, Path: j.Path, Endpoint: j.Endpoint, RequestID: j.RequestID,
		ServerRequestID: j.ServerRequestID, Attempt: j.Attempt, RetryAfter: j.RetryAfter, Expected: j.Expected,
		user: j.User}
	if j.Cause != "" {
		e.Err = errors.New(j.Cause)
	}
	return nil
}
