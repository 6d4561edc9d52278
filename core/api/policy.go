package api

import "strings"

// The error policy of docs/error-policy.md as data: one entry per row (the section
// numbers below are that file's). The decoder fills errors from these tables and the
// retry loop reads them, so a new row is one line here, one test case, and one row in
// docs/error-policy.md.

// User texts shared by several rows.
const (
	userNotAuthorized  = "Access to the project has expired or was withdrawn; renewing it."
	userBadRequest     = "The server refused the request as malformed."
	userBadArgument    = "The server refused the file's details."
	userChannelPaused  = "The device was paused in the project; files created while paused are not uploaded."
	userS3SlowDown     = "The storage service asked us to slow down; sending fewer parts at once."
	userURLExpired     = "The upload link expired; the file starts again with a new upload."
	userUploadRejected = "The storage service rejected a part of the file (a bug in this app)."
	userUnavailable    = "The server is unavailable or unreachable right now."
)

// MessageRules is §3, keyed by the message taken from the body.
var MessageRules = map[string]Rule{
	"authorization_pending":  {KindAuthorizationPending, RetryYes, 0, "Waiting for the code to be entered in the web app."},
	"slow_down":              {KindSlowDown, RetryYes, 0, "The server asked us to slow down; trying again shortly."},
	"expired_token":          {KindExpiredToken, RetryNo, 0, "The pairing code expired; a new one is on its way."},
	"access_denied":          {KindAccessDenied, RetryNo, 0, "Pairing was declined in the web app. Ask for a new code to try again."},
	"invalid_client":         {KindInvalidClient, RetryNo, EffectAlert, "The server did not accept this app's client credentials: the app is misconfigured."},
	"invalid_grant":          {KindInvalidGrantType, RetryNo, 0, "The pairing was not accepted. Pair the device again."},
	"unsupported_grant_type": {KindInvalidGrantType, RetryNo, 0, "The pairing was not accepted. Pair the device again."},
	"invalid_request":        {KindInvalidRequest, RetryNo, 0, "The server refused the request. If access was being renewed, the device must be paired again."},
	"Invalid client version": {KindInvalidClientVersion, RetryNo, EffectAlert, "This version of the app is no longer accepted. Please update it."},
	"Invalid Argument":       {KindInvalidArgument, RetryNo, 0, userBadArgument},
	"Channel Paused":         {KindChannelPaused, RetryNo, EffectSkipFile | EffectAlert, userChannelPaused},
	"Not Authorized":         {KindUnauthorizedClient, RetryNo, EffectRefreshToken, userNotAuthorized},
}

// StatusRules is §4, used when the message is unknown.
var StatusRules = map[int]Rule{
	400: {KindInvalidRequest, RetryOnce, 0, userBadRequest},
	401: {KindUnauthorizedClient, RetryNo, EffectRefreshToken, userNotAuthorized},
	402: {KindPaymentRequired, RetryNo, EffectAlert, "The account cannot accept uploads right now (payment required)."},
	403: {KindForbidden, RetryOnce, 0, "The server refused access."},
	404: {KindNotFound, RetryOnce, 0, "The server could not find what was asked for."},
	408: {KindTimeout, RetryYes, 0, "The server timed out waiting for the request."},
	409: {KindConflict, RetryOnce, 0, "The request conflicts with something already on the server."},
	415: {KindInvalidContentType, RetryNo, 0, "The server did not accept the request's format (a bug in this app)."},
	422: {KindInvalidArgument, RetryNo, 0, userBadArgument},
	429: {KindSlowDown, RetryYes, 0, "Too many requests; slowing down."},
	500: {KindInternalServerError, RetryOnce, EffectIndeterminate, "The server had an internal error."},
	502: {KindUnavailable, RetryYes, EffectDisconnect, userUnavailable},
	503: {KindUnavailable, RetryYes, EffectDisconnect, userUnavailable},
	504: {KindUnavailable, RetryYes, EffectDisconnect, userUnavailable},
}

// UnknownStatusRule is §4 "other ≥ 400".
var UnknownStatusRule = Rule{KindUnknownAPIError, RetryOnce, 0, "The server answered with an error this app does not know."}

// S3Rules is §5, keyed by the XML <Code> of a chunk PUT.
var S3Rules = map[string]Rule{
	"SlowDown":              {KindSlowDown, RetryYes, EffectLowerConcurrency, userS3SlowDown},
	"ServiceUnavailable":    {KindSlowDown, RetryYes, EffectLowerConcurrency, userS3SlowDown},
	"InternalError":         {KindInternalServerError, RetryOnce, 0, "The storage service had an internal error."},
	"RequestTimeout":        {KindTimeout, RetryYes, 0, "The storage service timed out waiting for data."},
	"ExpiredToken":          {KindUploadURLExpired, RetryNo, EffectNewAsset, userURLExpired},
	"SignatureDoesNotMatch": {KindUploadRejected, RetryOnce, 0, userUploadRejected},
	"MissingContentLength":  {KindUploadRejected, RetryOnce, 0, userUploadRejected},
	"EntityTooLarge":        {KindUploadRejected, RetryOnce, 0, userUploadRejected},
	"InvalidArgument":       {KindUploadRejected, RetryOnce, 0, userUploadRejected},
}

// S3ExpiredRule is an AccessDenied whose message says the presigned URL expired.
var S3ExpiredRule = Rule{KindUploadURLExpired, RetryNo, EffectNewAsset, userURLExpired}

// S3UnknownRule is any other S3 code, AccessDenied included ("AWS errors should be
// retried at least once").
var S3UnknownRule = Rule{KindAWSError, RetryOnce, 0, "The storage service answered with an error."}

// §6, §10 and §1 (a status below 400 that is not the documented one): failures that
// are not an error answer.
var (
	NetworkRule = Rule{KindNetwork, RetryYes, EffectDisconnect, "Cannot reach the server; the connection may be down."}
	// TimeoutRule is a per-request deadline or the stall watchdog, not a 408 answer.
	TimeoutRule          = Rule{KindTimeout, RetryYes, EffectDisconnect, "The server did not answer in time; the connection may be down."}
	LocalFileRule        = Rule{KindLocalFile, RetryOnce, 0, "The file could not be read: it is unreadable, or was moved, deleted or changed after it was queued."}
	CancelledRule        = Rule{KindCancelled, RetryNo, 0, "Cancelled."}
	InternalRule         = Rule{KindInternal, RetryOnce, 0, "Something unexpected went wrong inside the app."}
	UnexpectedStatusRule = Rule{KindUnexpectedStatus, RetryOnce, 0, "The server gave an answer this app does not expect."}
	// UnexpectedBodyRule is a success status whose body is not the documented JSON: a
	// captive portal or a proxy answering for the API. Worth one more try.
	UnexpectedBodyRule = Rule{KindUnknownAPIError, RetryOnce, 0, "The server's answer could not be read; a proxy or a captive portal may be in the way."}
	// InsecureURLRule is an upload URL that would send media in the clear.
	InsecureURLRule = Rule{KindUploadRejected, RetryNo, 0, "The server handed out an upload address that is not secure (not https); nothing was sent."}
)

// s3ExpiredMarker is how S3 words an expired presigned URL inside an AccessDenied.
const s3ExpiredMarker = "request has expired"

// messageRule looks a message up exactly, then ignoring case and surrounding space:
// the guide itself writes "CHANNEL PAUSED" in prose.
func messageRule(msg string) (Rule, bool) {
	if r, ok := MessageRules[msg]; ok {
		return r, true
	}
	msg = strings.TrimSpace(msg)
	for k, r := range MessageRules {
		if strings.EqualFold(k, msg) {
			return r, true
		}
	}
	return Rule{}, false
}

// s3Rule applies §5 to an S3 <Code> and <Message>.
func s3Rule(code, message string) Rule {
	if code == "AccessDenied" && strings.Contains(strings.ToLower(message), s3ExpiredMarker) {
		return S3ExpiredRule
	}
	if r, ok := S3Rules[code]; ok {
		return r
	}
	return S3UnknownRule
}

// userTexts is the fallback for errors built without a rule (e.g. by another package):
// the most generic text for each kind. Rows of one table that share a kind share a text,
// so map order does not matter.
var userTexts = func() map[Kind]string {
	m := make(map[Kind]string)
	add := func(r Rule) {
		if _, ok := m[r.Kind]; !ok {
			m[r.Kind] = r.User
		}
	}
	for _, r := range namedRules() {
		add(r)
	}
	for _, r := range StatusRules {
		add(r)
	}
	for _, r := range MessageRules {
		add(r)
	}
	for _, r := range S3Rules {
		add(r)
	}
	return m
}()

func namedRules() []Rule {
	return []Rule{UnknownStatusRule, S3ExpiredRule, S3UnknownRule, NetworkRule, TimeoutRule,
		LocalFileRule, CancelledRule, InternalRule, UnexpectedStatusRule, UnexpectedBodyRule, InsecureURLRule}
}
