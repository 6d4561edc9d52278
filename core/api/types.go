package api

import "time"

// Credentials identify this installation (client_id) and the app build (client_secret).
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// Scope is what a hardware-style device may ask for: uploads, and refresh tokens.
const Scope = "asset_create offline"

// DeviceCode is the answer to a pairing request (docs/api-notes.md §2.3).
type DeviceCode struct {
	DeviceCode      string // secret: only for polling, never shown
	UserCode        string // the six digits a person types
	Name            string
	VerificationURI string
	// VerificationURIComplete has the code filled in, for a link or a QR code; "" when
	// the API sent null.
	VerificationURIComplete string
	ExpiresIn               time.Duration
	Interval                time.Duration
	RequestedAt             time.Time // our clock, when the request left (see Tokens)
}

// ExpiresAt is when the code dies, by our clock: at the latest, since the server started
// its lifetime after RequestedAt.
func (d DeviceCode) ExpiresAt() time.Time { return d.RequestedAt.Add(d.ExpiresIn) }

// Tokens is a token response (docs/api-notes.md §2.5).
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	// RequestedAt is when, by our clock, the request that got the tokens left. The server
	// issued them after that and before its answer arrived — which may be much later if
	// the laptop slept in between (TestLifetimesCountFromTheRequest) — so a lifetime
	// counted from here never outlasts the server's.
	RequestedAt time.Time
}

// ExpiresAt is when the access token dies, by our clock: at the latest.
func (t Tokens) ExpiresAt() time.Time { return t.RequestedAt.Add(t.ExpiresIn) }

// Device is what GET /v2/devices/me says about this installation (docs/api-notes.md
// §2.7).
type Device struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ProjectID   string    `json:"project_id"`
	ProjectName string    `json:"-"`
	Status      string    `json:"status"`
	Channels    []Channel `json:"channels"`
	Firmware    string    `json:"last_known_firmware_version"`
	Project     struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"project"`
}

// Channel is one of the device's channels.
type Channel struct {
	ID     string `json:"id"`
	Index  int    `json:"external_index"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// AssetRequest creates an asset (docs/api-notes.md §3.1).
type AssetRequest struct {
	Name     string `json:"name"`
	Filetype string `json:"filetype"`
	Filesize int64  `json:"filesize"`
	// Offset is how many seconds ago the media was created; the server judges pause
	// windows by it.
	Offset  int64 `json:"offset"`
	Channel int   `json:"channel"`
}

// Asset is a created asset: its id and one presigned URL per chunk, in order.
type Asset struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Filetype   string   `json:"filetype"`
	Filesize   int64    `json:"filesize"`
	UploadURLs []string `json:"upload_urls"`
}

// RealtimeAssetRequest creates a real-time asset, for a file still being written.
type RealtimeAssetRequest struct {
	Name      string `json:"name,omitempty"`
	Extension string `json:"extension,omitempty"`
	Filetype  string `json:"filetype"`
	Offset    int64  `json:"offset"`
	Channel   int    `json:"channel"`
}

// Part registers one part of a real-time upload; numbers start at 1.
type Part struct {
	Number  int   `json:"number"`
	Size    int64 `json:"size"`
	IsFinal bool  `json:"is_final"`
}
