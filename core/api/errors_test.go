package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestEveryRuleIsComplete walks every table and named rule: a row without a kind, a
// valid class or words for a person is a row someone forgot to finish.
func TestEveryRuleIsComplete(t *testing.T) {
	check := func(name string, r Rule) {
		t.Run(name, func(t *testing.T) {
			if r.Kind == "" || !r.Retry.Valid() || strings.TrimSpace(r.User) == "" {
				t.Errorf("incomplete rule %+v", r)
			}
			if r.Effect.Has(EffectReconnect) {
				t.Error("Reconnect is set by auth, never by a table")
			}
		})
	}
	for msg, r := range MessageRules {
		check("MessageRules/"+msg, r)
	}
	for status, r := range StatusRules {
		check("StatusRules/"+strconv.Itoa(status), r)
	}
	for code, r := range S3Rules {
		check("S3Rules/"+code, r)
	}
	named := map[string]Rule{
		"UnknownStatusRule": UnknownStatusRule, "S3ExpiredRule": S3ExpiredRule, "S3UnknownRule": S3UnknownRule,
		"NetworkRule": NetworkRule, "TimeoutRule": TimeoutRule, "LocalFileRule": LocalFileRule,
		"CancelledRule": CancelledRule, "InternalRule": InternalRule, "UnexpectedStatusRule": UnexpectedStatusRule,
		"UnexpectedBodyRule": UnexpectedBodyRule, "InsecureURLRule": InsecureURLRule,
	}
	if len(named) != len(namedRules()) {
		t.Errorf("namedRules() lists %d rules, this test %d", len(namedRules()), len(named))
	}
	for name, r := range named {
		check(name, r)
	}
}

// TestRowsSharingAKindShareTheirText keeps the per-kind fallback text independent of
// map order.
func TestRowsSharingAKindShareTheirText(t *testing.T) {
	tables := map[string]map[string]Rule{"MessageRules": MessageRules, "S3Rules": S3Rules, "StatusRules": {}}
	for s, r := range StatusRules {
		tables["StatusRules"][strconv.Itoa(s)] = r
	}
	for name, table := range tables {
		seen := map[Kind]string{}
		for key, r := range table {
			if text, ok := seen[r.Kind]; ok && text != r.User {
				t.Errorf("%s[%s]: %s has two texts", name, key, r.Kind)
			}
			seen[r.Kind] = r.User
		}
	}
}

func TestStatusTableMatchesTheContract(t *testing.T) {
	// docs/error-policy.md §4 lists exactly these statuses; anything else is
	// UnknownAPIError.
	want := []int{400, 401, 402, 403, 404, 408, 409, 415, 422, 429, 500, 502, 503, 504}
	if len(StatusRules) != len(want) {
		t.Errorf("StatusRules has %d rows, §4 has %d", len(StatusRules), len(want))
	}
	for _, s := range want {
		if _, ok := StatusRules[s]; !ok {
			t.Errorf("missing §4 row %d", s)
		}
	}
}

func TestErrorTextNeverCarriesSecrets(t *testing.T) {
	presigned := "https://bucket.s3.amazonaws.com/parts/1?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA123"
	cause := &url.Error{Op: "Put", URL: presigned, Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	e := Classify(context.Background(), "PUT s3 part", cause)
	e.Attempt = 3
	got := e.Error()
	for _, secret := range []string{"deadbeef", "AKIA123", "X-Amz-Signature="} {
		if strings.Contains(got, secret) {
			t.Errorf("Error() leaks %q: %s", secret, got)
		}
	}
	for _, keep := range []string{"PUT s3 part", "Network", "bucket.s3.amazonaws.com/parts/1", "connection reset", "attempt 3"} {
		if !strings.Contains(got, keep) {
			t.Errorf("Error() lost %q: %s", keep, got)
		}
	}
	bearer := &Error{Kind: KindInternal, Err: errors.New("header Authorization: Bearer eyJhbGciOi.secret")}
	if strings.Contains(bearer.Error(), "eyJhbGciOi") {
		t.Errorf("Error() leaks a bearer token: %s", bearer.Error())
	}
}

func TestErrorTextIsConcise(t *testing.T) {
	e := Decode(ep, 409, nil, []byte(detailed(409, "Channel Paused", "The channel you're uploading from is currently paused.")), false)
	want := `POST /v2/devices/assets: ChannelPaused (HTTP 409): "Channel Paused": The channel you're uploading from is currently paused.`
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
	sig := Decode("PUT s3 part", 403, nil, []byte(s3XML("SignatureDoesNotMatch", "The request signature we calculated does not match")), true)
	if want := `PUT s3 part: UploadRejected (HTTP 403): "SignatureDoesNotMatch": The request signature we calculated does not match`; sig.Error() != want {
		t.Errorf("got  %s\nwant %s", sig.Error(), want)
	}
	long := Decode(ep, 418, nil, []byte(simple(strings.Repeat("é", 1000))), false)
	if len(long.Error()) > 600 {
		t.Errorf("Error() is %d bytes", len(long.Error()))
	}
}

func TestUserMessage(t *testing.T) {
	paused := Decode(ep, 409, nil, []byte(detailed(409, "Channel Paused", "The channel you're uploading from is currently paused.")), false)
	if got := paused.UserMessage(); got != "The device was paused in the project; files created while paused are not uploaded." {
		t.Errorf("Channel Paused: %q", got)
	}
	arg := Decode(ep, 422, nil, []byte(detailed(422, "Invalid Argument", "filetype is not supported")), false)
	if got := arg.UserMessage(); !strings.Contains(got, "filetype is not supported") {
		t.Errorf("Invalid Argument must show the server's detail: %q", got)
	}
	sig := Decode("PUT s3 part", 403, nil, []byte(s3XML("SignatureDoesNotMatch", "no match")), true)
	if got := sig.UserMessage(); !strings.Contains(got, "SignatureDoesNotMatch") {
		t.Errorf("S3 bug codes must show the code: %q", got)
	}
	unknown := Decode(ep, 418, nil, []byte(simple("I'm a teapot")), false)
	if got := unknown.UserMessage(); !strings.Contains(got, "418") || !strings.Contains(got, "teapot") {
		t.Errorf("UnknownAPIError must show status and message: %q", got)
	}
	// A file that cannot be read: one sentence saying what happened and what to do; the
	// path and the system's words go to the log (Error), not into nested parentheses.
	local := Classify(context.Background(), "PUT s3 part", &LocalFileError{Path: "/media/A001.mov", Err: &fs.PathError{Op: "open", Path: "/media/A001.mov", Err: fs.ErrPermission}})
	if got := local.UserMessage(); got != "This user may not read it; allow reading it, then retry." {
		t.Errorf("LocalFile, permission denied: %q", got)
	}
	if got := local.Error(); !strings.Contains(got, "/media/A001.mov") || !strings.Contains(got, "permission denied") {
		t.Errorf("LocalFile's error for the log must name the file and the reason: %q", got)
	}
	// A file that got shorter while its chunk was sent: the HTTP client wraps the read
	// error in the method and the long presigned URL, which a person cannot use and which
	// used to cut the message in the middle of the URL.
	url := "https://uploads.example.test/" + strings.Repeat("a", 150) + "/part-3?X-Amz-Signature=" + strings.Repeat("f", 64)
	shrank := Classify(context.Background(), "PUT s3 part", fmt.Errorf("Put %q: %w", url, &LocalFileError{Path: "/media/A002.mov", Err: errFileShrank}))
	if got := shrank.UserMessage(); got != "It became shorter while it was being uploaded; retry once it is complete." {
		t.Errorf("a short file's message %q, want one sentence without the URL", got)
	}
	for _, m := range []string{local.UserMessage(), shrank.UserMessage()} {
		if strings.Count(m, ". ") > 0 || strings.Contains(m, "(") {
			t.Errorf("%q is more than one plain sentence", m)
		}
	}
	// Built by another package without a rule: the kind's text is used.
	bare := &Error{Kind: KindPaymentRequired, Retry: RetryNo}
	if got := bare.UserMessage(); got != StatusRules[402].User {
		t.Errorf("fallback: %q", got)
	}
	if got := (&Error{Kind: "Mystery"}).UserMessage(); !strings.Contains(got, "Mystery") {
		t.Errorf("unknown kind: %q", got)
	}
}

func TestHelpers(t *testing.T) {
	e := Decode(ep, 503, nil, nil, false)
	wrapped := fmt.Errorf("create asset: %w", e)
	if got, ok := AsError(wrapped); !ok || got != e {
		t.Error("AsError did not find the *Error")
	}
	if KindOf(nil) != "" || KindOf(wrapped) != KindUnavailable || KindOf(errors.New("x")) != KindInternal {
		t.Error("KindOf")
	}
	if ClassOf(nil) != RetryNo || ClassOf(wrapped) != RetryYes || ClassOf(errors.New("x")) != RetryOnce {
		t.Error("ClassOf")
	}
	if !HasEffect(wrapped, EffectDisconnect) || HasEffect(wrapped, EffectAlert) || HasEffect(errors.New("x"), EffectDisconnect) {
		t.Error("HasEffect")
	}
	if HasEffect(wrapped, 0) {
		t.Error("the empty set is not an effect")
	}
	var typedNil *Error
	if _, ok := AsError(typedNil); ok {
		t.Error("a typed nil is not an *Error")
	}
}

func TestStrings(t *testing.T) {
	if RetryNo.String() != "no" || RetryOnce.String() != "once" || RetryYes.String() != "yes" || RetryClass(0).String() != "RetryClass(0)" {
		t.Error("RetryClass.String")
	}
	if RetryClass(0).Valid() || RetryClass(4).Valid() {
		t.Error("Valid")
	}
	if got := (EffectSkipFile | EffectAlert).String(); got != "skip-file|alert" {
		t.Errorf("Effect.String = %q", got)
	}
	if Effect(0).String() != "none" || !strings.Contains(Effect(1<<20).String(), "0x100000") {
		t.Error("Effect.String edge cases")
	}
}
