package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

const formType = "application/x-www-form-urlencoded"

type tokenJSON struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	ExpiresIn    float64 `json:"expires_in"`
	TokenType    string  `json:"token_type"`
}

func (t tokenJSON) tokens(endpoint string, at time.Time) (Tokens, error) {
	if t.AccessToken == "" || t.RefreshToken == "" || t.ExpiresIn <= 0 {
		e := newError(endpoint, UnexpectedBodyRule)
		e.Status = http.StatusOK
		e.Detail = "the token answer lacks a token or its lifetime"
		return Tokens{}, e
	}
	return Tokens{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		ExpiresIn: seconds(t.ExpiresIn), RequestedAt: at,
	}, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// RequestDeviceCode starts a pairing (docs/api-notes.md §2.3). It asks for URL pairing
// (x-client-platypus-enabled), and goes on a TCP connection of its own that is closed
// afterwards: device-code requests sharing a connection are answered slow_down.
func (c *Client) RequestDeviceCode(ctx context.Context, cr Credentials) (DeviceCode, error) {
	tr := c.newTr()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	form := url.Values{"client_id": {cr.ClientID}, "client_secret": {cr.ClientSecret}, "scope": {Scope}}
	var sent time.Time
	var out struct {
		DeviceCode      string  `json:"device_code"`
		UserCode        string  `json:"user_code"`
		ExpiresIn       float64 `json:"expires_in"`
		Interval        float64 `json:"interval"`
		Name            string  `json:"name"`
		VerificationURI string  `json:"verification_uri"`
		Complete        *string `json:"verification_uri_complete"`
	}
	err := c.do(ctx, call{
		endpoint: EndpointDeviceCode, method: http.MethodPost, path: "/v2/auth/device/code",
		contentType: formType, body: []byte(form.Encode()), expected: http.StatusOK,
		timeout: c.timeout.Default, waitOnline: true,
		header: http.Header{"X-Client-Platypus-Enabled": {"true"}},
		client: &http.Client{Transport: tr, CheckRedirect: noRedirects}, sent: &sent,
	}, &out)
	if err != nil {
		return DeviceCode{}, err
	}
	if out.DeviceCode == "" || out.UserCode == "" || out.ExpiresIn <= 0 {
		e := newError(EndpointDeviceCode, UnexpectedBodyRule)
		e.Status = http.StatusOK
		e.Detail = "the device code answer lacks a code or its lifetime"
		return DeviceCode{}, e
	}
	dc := DeviceCode{
		DeviceCode: out.DeviceCode, UserCode: out.UserCode, Name: out.Name,
		VerificationURI: out.VerificationURI, ExpiresIn: seconds(out.ExpiresIn),
		Interval: seconds(out.Interval), RequestedAt: sent.Round(0),
	}
	if out.Complete != nil {
		dc.VerificationURIComplete = *out.Complete
	}
	if dc.Interval <= 0 {
		dc.Interval = 5 * time.Second // RFC 8628's default
	}
	return dc, nil
}

// PollToken asks once whether the user approved the code (docs/api-notes.md §2.4).
// Pending, slow_down, expired and declined come back as *Error kinds for the pairing
// loop.
func (c *Client) PollToken(ctx context.Context, cr Credentials, deviceCode string) (Tokens, error) {
	return c.grant(ctx, EndpointToken, c.timeout.Default, cr, url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode},
	})
}

// RefreshTokens trades a refresh token for a new pair (docs/api-notes.md §2.6). The
// refresh token is single-use, so the answer must not be lost: this call gets two
// minutes.
func (c *Client) RefreshTokens(ctx context.Context, cr Credentials, refreshToken string) (Tokens, error) {
	return c.grant(ctx, EndpointRefresh, c.timeout.Refresh, cr, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
	})
}

// grant posts a token request with the client's credentials added to form.
func (c *Client) grant(ctx context.Context, endpoint string, timeout time.Duration, cr Credentials, form url.Values) (Tokens, error) {
	form.Set("client_id", cr.ClientID)
	form.Set("client_secret", cr.ClientSecret)
	var out tokenJSON
	var sent time.Time
	err := c.do(ctx, call{
		endpoint: endpoint, method: http.MethodPost, path: "/v2/auth/token",
		contentType: formType, body: []byte(form.Encode()), expected: http.StatusOK,
		timeout: timeout, waitOnline: true, sent: &sent,
	}, &out)
	if err != nil {
		return Tokens{}, err
	}
	// Wall clock only: a monotonic reading does not advance while a laptop sleeps.
	return out.tokens(endpoint, sent.Round(0))
}

// Revoke revokes a token, and with it the pairing (docs/api-notes.md §2.8).
func (c *Client) Revoke(ctx context.Context, cr Credentials, token string) error {
	form := url.Values{"token": {token}, "client_id": {cr.ClientID}, "client_secret": {cr.ClientSecret}}
	return c.do(ctx, call{
		endpoint: EndpointRevoke, method: http.MethodPost, path: "/v2/auth/revoke",
		contentType: formType, body: []byte(form.Encode()), expected: http.StatusOK,
		timeout: c.timeout.Default, waitOnline: true,
	}, nil)
}

// Me says which project this device uploads to (docs/api-notes.md §2.7).
func (c *Client) Me(ctx context.Context, accessToken string) (Device, error) {
	var d Device
	err := c.do(ctx, call{
		endpoint: EndpointMe, method: http.MethodGet, path: "/v2/devices/me", bearer: accessToken,
		expected: http.StatusOK, timeout: c.timeout.Default, waitOnline: true,
	}, &d)
	d.ProjectName = d.Project.Name
	return d, err
}

// Heartbeat keeps the device shown as online in the project (docs/api-notes.md §4.1).
func (c *Client) Heartbeat(ctx context.Context, accessToken string) error {
	return c.do(ctx, call{
		endpoint: EndpointHeartbeat, method: http.MethodPost, path: "/v2/devices/heartbeat",
		bearer: accessToken, expected: http.StatusNoContent, timeout: c.timeout.Default, waitOnline: true,
	}, nil)
}

// Health checks that the API is reachable. It is the one request that does not wait at
// the connectivity gate: it is how the gate learns to open.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, call{
		endpoint: EndpointHealth, method: http.MethodGet, path: "/health",
		expected: http.StatusOK, timeout: c.timeout.Default,
	}, nil)
}

// CreateAsset creates an asset and returns its upload URLs (docs/api-notes.md §3.1).
func (c *Client) CreateAsset(ctx context.Context, accessToken string, r AssetRequest) (Asset, error) {
	a, err := c.postAsset(ctx, accessToken, r)
	if err == nil && (a.ID == "" || len(a.UploadURLs) == 0) {
		e := newError(EndpointAssets, UnexpectedBodyRule)
		e.Status = http.StatusOK
		e.Detail = "the asset answer lacks an id or upload URLs"
		return Asset{}, e
	}
	return a, err
}

// CreateRealtimeAsset creates an asset for a file that is still growing; its parts are
// registered later with RealtimeParts (docs/api-notes.md §3.6).
func (c *Client) CreateRealtimeAsset(ctx context.Context, accessToken string, r RealtimeAssetRequest) (Asset, error) {
	a, err := c.postAsset(ctx, accessToken, struct {
		RealtimeAssetRequest
		Realtime bool `json:"is_realtime_upload"`
	}{r, true})
	if err == nil && a.ID == "" {
		// Without an id there is nowhere to register parts: the answer is not the API's.
		e := newError(EndpointAssets, UnexpectedBodyRule)
		e.Status = http.StatusOK
		e.Detail = "the real-time asset answer lacks an id"
		return Asset{}, e
	}
	return a, err
}

// postAsset is the one asset-creating request of both kinds, with payload as its JSON body.
func (c *Client) postAsset(ctx context.Context, accessToken string, payload any) (Asset, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Asset{}, Classify(ctx, EndpointAssets, err)
	}
	var a Asset
	err = c.do(ctx, call{
		endpoint: EndpointAssets, method: http.MethodPost, path: "/v2/devices/assets", bearer: accessToken,
		contentType: "application/json", body: body, expected: http.StatusOK,
		timeout: c.timeout.Default, waitOnline: true,
	}, &a)
	return a, err
}

// RealtimeParts registers parts of a real-time asset and returns one URL per part, in
// the order given (docs/api-notes.md §3.6). fileSize is the whole file's size: it is sent
// as asset_filesize with a final part, where the API requires it (> 0), and left out
// otherwise, where it means nothing yet. A call that cannot be right — a final part
// without a size, or an asset id that is no path segment — is refused without a request.
func (c *Client) RealtimeParts(ctx context.Context, accessToken, assetID string, parts []Part, fileSize int64) ([]string, error) {
	final := slices.ContainsFunc(parts, func(p Part) bool { return p.IsFinal })
	switch {
	case assetID == "" || assetID == "." || assetID == "..":
		// The path would be cleaned into another endpoint's.
		e := newError(EndpointParts, InternalRule)
		e.Detail = fmt.Sprintf("the asset id %q cannot name an asset", assetID)
		return nil, e
	case final && fileSize <= 0:
		e := newError(EndpointParts, InternalRule)
		e.Detail = fmt.Sprintf("a final part needs the file's size, not %d", fileSize)
		return nil, e
	}
	req := struct {
		Parts         []Part `json:"parts"`
		AssetFilesize *int64 `json:"asset_filesize,omitempty"`
	}{Parts: parts}
	if final {
		req.AssetFilesize = &fileSize
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, Classify(ctx, EndpointParts, err)
	}
	var out struct {
		UploadURLs []string `json:"upload_urls"`
	}
	err = c.do(ctx, call{
		endpoint: EndpointParts, method: http.MethodPost,
		path: "/v2/devices/assets/" + url.PathEscape(assetID) + "/realtime_upload/parts", bearer: accessToken,
		contentType: "application/json", body: body, expected: http.StatusOK,
		timeout: c.timeout.Default, waitOnline: true,
	}, &out)
	if err == nil && len(out.UploadURLs) != len(parts) {
		e := newError(EndpointParts, UnexpectedBodyRule)
		e.Status = http.StatusOK
		e.Detail = fmt.Sprintf("asked for %d part URLs, got %d", len(parts), len(out.UploadURLs))
		return nil, e
	}
	return out.UploadURLs, err
}
