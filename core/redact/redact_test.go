package redact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Secret values used below; none of them may appear in any output.
const (
	accessToken  = "eyJhbGciOiJSUzI1NiJ9.access.Zm9vYmFy"
	refreshToken = "rt_9f8e7d6c5b4a39281706"
	deviceCode   = "dc_1234567890abcdef"
	clientSecret = "cs_live_s3cr3t_value"
	signature    = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	password     = "hunter2hunter2"
	runtimeOnly  = "opaque-runtime-value-42"
)

var allSecrets = []string{accessToken, refreshToken, deviceCode, clientSecret, signature, password, runtimeOnly, "AKIAEXAMPLE", "sessiontokenvalue"}

type profile struct {
	Name  string
	Token string
}

type withStringer struct{}

func (withStringer) String() string { return "authorization=" + accessToken }

var presigned = "https://bucket.s3-accelerate.amazonaws.com/parts/abc/1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Security-Token=sessiontokenvalue&X-Amz-Signature=" + signature

func logLines() []struct {
	name string
	log  func(*slog.Logger)
} {
	return []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"attr_access_token", func(l *slog.Logger) { l.Info("paired", "access_token", accessToken) }},
		{"attr_refresh_token", func(l *slog.Logger) { l.Info("refreshed", "refresh_token", refreshToken) }},
		{"attr_device_code", func(l *slog.Logger) { l.Info("code", "device_code", deviceCode) }},
		{"attr_client_secret", func(l *slog.Logger) { l.Info("config", "client_secret", clientSecret) }},
		{"attr_password", func(l *slog.Logger) { l.Info("x", "Password", password) }},
		{"attr_header_name", func(l *slog.Logger) { l.Info("x", "Authorization", "Bearer "+accessToken) }},
		{"attr_secret_as_non_string", func(l *slog.Logger) { l.Info("x", "token", []byte(accessToken)) }},
		{"bearer_in_message", func(l *slog.Logger) { l.Info("sending Authorization: Bearer " + accessToken) }},
		{"bearer_in_value", func(l *slog.Logger) { l.Info("request", "header", "bearer "+accessToken) }},
		{"presigned_url_in_value", func(l *slog.Logger) { l.Info("put chunk", "url", presigned) }},
		{"presigned_url_in_message", func(l *slog.Logger) { l.Info("PUT " + presigned + " failed") }},
		{"url_value", func(l *slog.Logger) { u, _ := url.Parse(presigned); l.Info("put", "u", u) }},
		{"url_error", func(l *slog.Logger) {
			l.Error("chunk failed", "err", &url.Error{Op: "Put", URL: presigned, Err: errors.New("EOF")})
		}},
		{"wrapped_error", func(l *slog.Logger) {
			l.Error("refresh failed", "err", fmt.Errorf("POST /v2/auth/token body refresh_token=%s&client_secret=%s: %w", refreshToken, clientSecret, errors.New("timeout")))
		}},
		{"form_body", func(l *slog.Logger) {
			l.Debug("form", "body", "grant_type=refresh_token&refresh_token="+refreshToken+"&client_id=abc&client_secret="+clientSecret)
		}},
		{"device_code_form", func(l *slog.Logger) { l.Debug("poll", "body", "device_code="+deviceCode+"&grant_type=x") }},
		{"json_body_text", func(l *slog.Logger) {
			l.Debug("token response", "body", `{"access_token":"`+accessToken+`","refresh_token": "`+refreshToken+`","expires_in":28800}`)
		}},
		{"group", func(l *slog.Logger) {
			l.Info("auth", slog.Group("tokens", "access", accessToken, slog.Group("deep", "refresh_token", refreshToken)))
		}},
		{"nested_map", func(l *slog.Logger) {
			l.Info("resp", "data", map[string]any{"user": "x", "auth": map[string]string{"access_token": accessToken}})
		}},
		{"http_header", func(l *slog.Logger) {
			h := http.Header{}
			h.Set("Authorization", "Bearer "+accessToken)
			h.Set("X-Request-Id", "req-1")
			l.Info("request", "headers", h)
		}},
		{"url_values", func(l *slog.Logger) {
			l.Info("form", "values", url.Values{"client_secret": {clientSecret}, "device_code": {deviceCode}})
		}},
		{"struct", func(l *slog.Logger) { l.Info("profile", "p", profile{Name: "cam", Token: accessToken}) }},
		{"struct_pointer", func(l *slog.Logger) { l.Info("profile", "p", &profile{Name: "cam", Token: accessToken}) }},
		{"stringer", func(l *slog.Logger) { l.Info("s", "v", withStringer{}) }},
		{"log_valuer", func(l *slog.Logger) { l.Info("v", "tok", tokenValuer{}) }},
		{"registered_secret_anywhere", func(l *slog.Logger) { l.Info("x is "+runtimeOnly, "note", "value "+runtimeOnly) }},
		{"registered_secret_in_key_free_text", func(l *slog.Logger) { l.Warn("weird", "list", []string{"a", runtimeOnly}) }},
		{"with_attrs", func(l *slog.Logger) { l.With("refresh_token", refreshToken, "note", runtimeOnly).Info("bound") }},
		{"with_group", func(l *slog.Logger) { l.WithGroup("auth").Info("bound", "client_secret", clientSecret) }},
		{"basic_auth_header", func(l *slog.Logger) { l.Info("proxy Authorization: Basic " + password) }},
		{"userinfo_url", func(l *slog.Logger) { l.Info("proxy", "url", "http://user:"+password+"@proxy.local:3128/") }},
	}
}

type tokenValuer struct{}

func (tokenValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_token", accessToken), slog.String("kind", "bearer"))
}

func TestHandlerScrubsEverySecretShape(t *testing.T) {
	secrets := &Secrets{}
	secrets.Add(runtimeOnly)
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"json": func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	}
	for hname, mk := range handlers {
		for _, line := range logLines() {
			t.Run(hname+"/"+line.name, func(t *testing.T) {
				var buf bytes.Buffer
				line.log(slog.New(NewHandler(mk(&buf), secrets)))
				out := buf.String()
				if out == "" {
					t.Fatal("nothing logged")
				}
				for _, s := range allSecrets {
					if strings.Contains(out, s) {
						t.Errorf("leaked %q:\n%s", s, out)
					}
				}
				if !strings.Contains(out, Mask) {
					t.Errorf("no %s marker:\n%s", Mask, out)
				}
			})
		}
	}
}

func TestHandlerKeepsWhatIsUseful(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), nil))
	l.Info("put chunk", "url", presigned, "attempt", 3, "request_id", "req-1", "token", "")
	l.Info("refresh token: invalid_grant")
	out := buf.String()
	for _, keep := range []string{"bucket.s3-accelerate.amazonaws.com/parts/abc/1?REDACTED", "attempt=3", "request_id=req-1", "token=\"\"", "refresh token: invalid_grant"} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %q:\n%s", keep, out)
		}
	}
}

func TestHandlerHonoursLevel(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), nil))
	l.Info("hidden")
	if buf.Len() != 0 || l.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("Enabled must follow the wrapped handler")
	}
}

func TestString(t *testing.T) {
	s := &Secrets{}
	s.Add(runtimeOnly, "", runtimeOnly)
	cases := []struct{ in, want string }{
		{"Authorization: Bearer " + accessToken, "Authorization: Bearer REDACTED"},
		{`Put "` + presigned + `": EOF`, `Put "https://bucket.s3-accelerate.amazonaws.com/parts/abc/1?REDACTED": EOF`},
		{"refresh_token=" + refreshToken + "&grant_type=refresh_token", "refresh_token=REDACTED&grant_type=refresh_token"},
		{`{"client_secret":"` + clientSecret + `","client_id":"id-1"}`, `{"client_secret":"REDACTED","client_id":"id-1"}`},
		{"{Name:cam Token:" + accessToken + "}", "{Name:cam Token:REDACTED}"},
		{"value " + runtimeOnly + " again " + runtimeOnly, "value REDACTED again REDACTED"},
		{"https://api.frame.io/v2/devices/me", "https://api.frame.io/v2/devices/me"},
		{"nothing secret here: 409 Channel Paused", "nothing secret here: 409 Channel Paused"},
		{`UploadRejected (HTTP 403): "SignatureDoesNotMatch": The request signature`, `UploadRejected (HTTP 403): "SignatureDoesNotMatch": The request signature`},
		{`[{"token": 12345}, {"x":1}]`, `[{"token": REDACTED}, {"x":1}]`},
		// The patterns are skipped for text that cannot hold them: these can, in any case.
		{"BEARER " + accessToken, "Bearer REDACTED"},
		{"sent with bEaReR " + accessToken, "sent with Bearer REDACTED"},
		{"AUTHORIZATION: Basic dXNlcjpwYXNz", "AUTHORIZATION: REDACTED"},
		{"HTTPS://host/p?X-Amz-Signature=abc", "https://host/p?REDACTED"},
		{"/Volumes/A001/clip-0001.mov", "/Volumes/A001/clip-0001.mov"},
	}
	for _, tc := range cases {
		if got := String(tc.in, s); got != tc.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if got := String("x "+runtimeOnly, nil); !strings.Contains(got, runtimeOnly) {
		t.Error("a nil *Secrets only skips the exact values")
	}
}

func TestSecretsLongestFirst(t *testing.T) {
	s := &Secrets{}
	s.Add("abcd", "abcdefgh")
	if got := String("abcdefgh", s); got != Mask {
		t.Errorf("got %q", got)
	}
}

func TestSecretsConcurrentAdd(t *testing.T) {
	s := &Secrets{}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			v := fmt.Sprintf("secret-value-%02d", i)
			s.Add(v)
			if got := String("x "+v, s); strings.Contains(got, v) {
				t.Errorf("%q not scrubbed right after Add", v)
			}
		})
	}
	wg.Wait()
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"token", "access_token", "Refresh-Token", "device_code", "client_secret", "secret", "Authorization", "password", "X-Amz-Signature", "x-amz-security-token"} {
		if !IsSecretKey(k) {
			t.Errorf("%q should be secret", k)
		}
	}
	for _, k := range []string{"user_code", "client_id", "request_id", "url", "expires_in"} {
		if IsSecretKey(k) {
			t.Errorf("%q should not be secret", k)
		}
	}
}

// BenchmarkStringPlainText is what most log values are: a name or a path with nothing
// that could be a secret.
func BenchmarkStringPlainText(b *testing.B) {
	for b.Loop() {
		String("/Volumes/A001/CLIPS001/A001C003_230101_R1AB.mov", nil)
	}
}
