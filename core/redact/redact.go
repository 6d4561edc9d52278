// Package redact keeps secrets out of logs and out of error text shown to people.
//
// Logs are redacted in one place: wrap the application's slog.Handler with NewHandler.
// Text that bypasses the logger (an error shown in the window or printed by the CLI)
// goes through String.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces every secret value.
const Mask = "REDACTED"

// Registered is this process's secrets: main adds the client secret and every token the
// app holds (store.RegisteringStore). String without a set of its own scrubs them, so
// text from the server that echoes a credential is clean wherever it goes (the log, the
// journal, the window, the command line).
var Registered = &Secrets{}

// Secrets holds exact values known at run time (access and refresh tokens, the client
// secret, a device code) that must never appear in any output, whatever shape they take.
// The zero value is ready to use; a nil *Secrets knows no values.
type Secrets struct {
	mu       sync.RWMutex
	values   []string
	replacer *strings.Replacer
}

// Add registers values to scrub. Empty strings are ignored. Register a token before it
// is used so no log line can carry it first.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	// Longest first: strings.Replacer tries the old strings in argument order, so a
	// secret that contains a shorter one is still removed whole.
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(s.values))
	for _, v := range s.values {
		pairs = append(pairs, v, Mask)
	}
	s.replacer = strings.NewReplacer(pairs...)
}

func (s *Secrets) scrub(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	r := s.replacer
	s.mu.RUnlock()
	if r == nil {
		return text
	}
	return r.Replace(text)
}

// secretWords are matched inside key names (after lower-casing, with '-' read as '_'),
// so access_token, refresh_token, X-Amz-Signature, x-amz-security-token and client_secret
// are all caught by one short list.
var secretWords = []string{"token", "secret", "password", "authorization", "signature", "device_code"}

// IsSecretKey reports whether a key (an attribute, form field, header or JSON name) names
// a value that must be redacted.
func IsSecretKey(key string) bool {
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var (
	// An http(s) URL up to the first character that cannot be part of it in prose,
	// JSON or a Go %v rendering.
	urlPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s"'<>\x60{}|\\^]+`)
	bearer     = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*`)
	// Basic/Digest credentials only right after an Authorization header name: the words
	// are too common in prose to scrub elsewhere.
	authScheme = regexp.MustCompile(`(?i)(authorization"?\s*[:=]\s*"?)(?:basic|digest)\s+[^\s",]+`)
	// key=value (form bodies, logfmt, %v of structs with String methods).
	keyEquals = regexp.MustCompile(`(?i)([\w.\-]+)(\s*=\s*)("[^"]*"|[^\s&,;"')\]}]+)`)
	// "key": "value" or "key": value inside a JSON object logged as text; the { or ,
	// before the key keeps a quoted word in prose ("SignatureDoesNotMatch": ...) alone.
	keyJSON = regexp.MustCompile(`(?i)(?:[{,]\s*)"([\w.\-]+)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}\]]+)`)
	// Key:value with no space, as fmt's %+v prints struct fields. Prose such as
	// "refresh token: invalid_grant" has a space and stays readable.
	keyColon = regexp.MustCompile(`(?i)\b([A-Za-z_][\w]*):([^\s,;)\]}]+)`)
)

// String scrubs secrets from any text: registered exact values, Bearer tokens, URL query
// strings, and the values of secret-looking keys in form, JSON and Go-struct renderings.
// A nil secrets means Registered.
func String(text string, secrets *Secrets) string {
	if secrets == nil {
		secrets = Registered
	}
	text = secrets.scrub(text)
	// Each pattern runs only on text that holds what it cannot match without: most of
	// what is logged (names, paths, sizes) holds none, and every file uploaded logs a line.
	if strings.Contains(text, "://") {
		text = urlPattern.ReplaceAllStringFunc(text, scrubURL)
	}
	if containsFold(text, "bearer") {
		text = bearer.ReplaceAllString(text, "Bearer "+Mask)
	}
	if containsFold(text, "authorization") {
		text = authScheme.ReplaceAllString(text, "${1}"+Mask)
	}
	if strings.IndexByte(text, '=') >= 0 {
		text = replaceKeyed(keyEquals, text)
	}
	if strings.IndexByte(text, ':') >= 0 {
		text = replaceKeyed(keyJSON, text)
		text = replaceKeyed(keyColon, text)
	}
	return text
}

// containsFold reports whether text holds word (ASCII, lower case) in any case.
func containsFold(text, word string) bool {
	for i := 0; i+len(word) <= len(text); i++ {
		if c := text[i] | 0x20; c == word[0] && strings.EqualFold(text[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// replaceKeyed masks the last submatch (the value) when the first (the key) is secret.
func replaceKeyed(re *regexp.Regexp, text string) string {
	return re.ReplaceAllStringFunc(text, func(m string) string {
		sub := re.FindStringSubmatch(m)
		if !IsSecretKey(sub[1]) {
			return m
		}
		value := sub[len(sub)-1]
		masked := Mask
		if strings.HasPrefix(value, `"`) {
			masked = `"` + Mask + `"`
		}
		return m[:len(m)-len(value)] + masked
	})
}

// scrubURL keeps scheme, host and path (what a person needs to see where a request
// went) and drops user info, query and fragment, where presigned signatures live.
func scrubURL(raw string) string {
	if !strings.ContainsAny(raw, "?#@") {
		return raw
	}
	cut := strings.IndexAny(raw, "?#")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if cut < 0 {
			return raw
		}
		return raw[:cut] + "?" + Mask
	}
	if u.User != nil {
		u.User = url.User(Mask)
	}
	hadQuery := u.RawQuery != "" || u.ForceQuery || u.Fragment != ""
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	out := u.String()
	if hadQuery {
		out += "?" + Mask
	}
	return out
}
