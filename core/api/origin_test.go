package api

import (
	"strings"
	"testing"
)

// An API URL must be usable as written, or be refused with a sentence that says why: a
// port out of range was accepted and failed later, far from the typo.
func TestValidateBaseURLRefusesWhatCannotWork(t *testing.T) {
	for _, c := range []struct{ url, says string }{
		{"http://127.0.0.1:99999", "not between 1 and 65535"},
		{"https://api.frame.io:0", "not between 1 and 65535"},
		{"http://api.frame.io", "refusing plain http"},
		{"ftp://api.frame.io", "not supported"},
		{"https://user:pw@api.frame.io", "user name or password"},
		{"api.frame.io", "not a valid URL"},
	} {
		_, err := ValidateBaseURL(c.url)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", c.url, err, c.says)
		}
		if strings.Contains(c.url, "pw") && err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	for _, ok := range []string{"https://api.frame.io", "http://127.0.0.1:8080", "http://localhost:1/", "https://[::1]:8443/v2"} {
		if _, err := ValidateBaseURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

// Tokens are bound to an origin: the same API written another way is the same origin,
// anything else (another host, port or scheme) is another.
func TestOriginOfAnAPIURL(t *testing.T) {
	same := []string{"https://api.frame.io", "https://API.frame.io/", "https://api.frame.io:443/v2/", "https://api.frame.io?x=1"}
	for _, u := range same {
		if o, err := Origin(u); err != nil || o != "https://api.frame.io" {
			t.Errorf("Origin(%q) = %q, %v", u, o, err)
		}
	}
	seen := map[string]string{}
	for _, u := range []string{"https://api.frame.io", "https://api.frame.io:8443", "https://api.frame.io.evil.test", "http://127.0.0.1:8080", "http://127.0.0.1:8081", "https://[::1]:8443"} {
		o, err := Origin(u)
		if err != nil {
			t.Fatalf("Origin(%q): %v", u, err)
		}
		if other, dup := seen[o]; dup {
			t.Errorf("%s and %s share the origin %s", u, other, o)
		}
		seen[o] = u
	}
}
