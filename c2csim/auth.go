package c2csim

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

const deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

type pairingState string

const (
	pairingPending  pairingState = "pending"
	pairingApproved pairingState = "approved"
	pairingDeclined pairingState = "declined"
	pairingConsumed pairingState = "consumed"
)

// pairing is one device code and the user code shown for it.
type pairing struct {
	DeviceCode string
	UserCode   string
	ClientID   string
	Scope      string
	Name       string
	IssuedAt   time.Time
	ExpiresAt  time.Time
	Interval   time.Duration
	LastPoll   time.Time
	Polls      int
	State      pairingState
	Project    project
	Channels   int
}

type project struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// device is a paired installation (one client_id) and its connection to a project.
type device struct {
	ID              string
	ProjectDeviceID string
	ClientID        string
	Name            string
	Project         project
	Channels        int
	PairedAt        time.Time
	LastSeen        time.Time
	Firmware        string
	Removed         bool
	Heartbeats      int
	AuthorizationID string
}

// token is an access or refresh token.
type token struct {
	Value     string
	ClientID  string
	ExpiresAt time.Time
	Used      bool // refresh tokens are single-use
	Revoked   bool
	Pair      string // the other token of the pair it was issued with
}

func (s *Server) clientSecretOK(secret string) bool {
	for _, ok := range s.opts.ClientSecrets {
		if secret == ok {
			return true
		}
	}
	return false
}

// parseAuthForm reads form fields sent urlencoded or as multipart, as the docs' two
// samples do.
func parseAuthForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return r.ParseMultipartForm(1 << 20)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBodyJSON)
	return r.ParseForm()
}

func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	ci := connFrom(r.Context())
	if ci.deviceCodeRequests.Add(1) > 1 {
		simpleError(w, http.StatusBadRequest, "slow_down")
		return
	}
	if err := parseAuthForm(r); err != nil {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	clientID := r.PostFormValue("client_id")
	entryOf(w).ClientID = clientID
	if !s.clientSecretOK(r.PostFormValue("client_secret")) {
		simpleError(w, http.StatusBadRequest, "invalid_client")
		return
	}
	scope := r.PostFormValue("scope")
	if clientID == "" || !validScope(scope) {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := s.now()
	s.mu.Lock()
	p := &pairing{
		DeviceCode: randomString(64),
		UserCode:   s.newUserCodeLocked(),
		ClientID:   clientID,
		Scope:      scope,
		Name:       "c2c-uploader-" + strings.ToLower(randomString(6)),
		IssuedAt:   now,
		ExpiresAt:  now.Add(s.opts.DeviceCodeTTL),
		Interval:   s.opts.PollInterval,
		State:      pairingPending,
	}
	s.pairings[p.DeviceCode] = p
	s.userCodes[p.UserCode] = p
	s.mu.Unlock()

	var complete any // null unless URL pairing was asked for
	if strings.EqualFold(r.Header.Get("x-client-platypus-enabled"), "true") {
		complete = s.publicURL + "/pair/" + p.UserCode
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               p.DeviceCode,
		"user_code":                 p.UserCode,
		"expires_in":                int(s.opts.DeviceCodeTTL / time.Second),
		"interval":                  p.Interval.Seconds(),
		"name":                      p.Name,
		"verification_uri":          s.publicURL + "/pair",
		"verification_uri_complete": complete,
	})
}

func validScope(scope string) bool {
	fields := strings.Fields(scope)
	if len(fields) == 0 {
		return false
	}
	for _, f := range fields {
		if f != "asset_create" && f != "offline" {
			return false
		}
	}
	return true
}

// newUserCodeLocked picks a six-digit code no live pairing uses.
func (s *Server) newUserCodeLocked() string {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1000000))
		if err != nil {
			panic(err)
		}
		code := fmt.Sprintf("%06d", n.Int64())
		if p, taken := s.userCodes[code]; !taken || s.now().After(p.ExpiresAt) {
			return code
		}
	}
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := parseAuthForm(r); err != nil {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	entry := entryOf(w)
	entry.ClientID = r.PostFormValue("client_id")
	entry.Grant = r.PostFormValue("grant_type")
	if !s.clientSecretOK(r.PostFormValue("client_secret")) {
		simpleError(w, http.StatusBadRequest, "invalid_client")
		return
	}
	switch r.PostFormValue("grant_type") {
	case deviceCodeGrant:
		entry.TokenFP = Fingerprint(r.PostFormValue("device_code"))
		s.deviceGrant(w, r)
	case "refresh_token":
		rt := r.PostFormValue("refresh_token")
		if rt == "" {
			rt = r.PostFormValue("refresh_tokem") // the older spec's spelling
		}
		entry.TokenFP = Fingerprint(rt)
		s.refreshGrant(w, r.PostFormValue("client_id"), rt)
	case "":
		simpleError(w, http.StatusBadRequest, "invalid_request")
	default:
		simpleError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (s *Server) deviceGrant(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("device_code")
	clientID := r.PostFormValue("client_id")
	if code == "" || clientID == "" {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := s.now()
	s.mu.Lock()
	p := s.pairings[code]
	if p == nil || p.ClientID != clientID || p.State == pairingConsumed {
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	if now.After(p.ExpiresAt) {
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "expired_token")
		return
	}
	// Polled faster than the interval: slow_down, and the interval grows by 5 s (RFC 8628).
	// A small tolerance absorbs scheduling noise between a client's sleep and its request.
	tooSoon := !p.LastPoll.IsZero() && now.Sub(p.LastPoll) < p.Interval-50*time.Millisecond
	p.LastPoll = now
	p.Polls++
	if tooSoon {
		p.Interval += 5 * time.Second
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "slow_down")
		return
	}
	if p.State == pairingPending && s.config.AutoApprove {
		s.approveLocked(p, s.opts.ProjectName, 1)
	}
	switch p.State {
	case pairingPending:
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "authorization_pending")
		return
	case pairingDeclined:
		p.State = pairingConsumed
		delete(s.userCodes, p.UserCode)
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "access_denied")
		return
	}
	p.State = pairingConsumed
	delete(s.userCodes, p.UserCode)
	d := s.devices[clientID]
	if d == nil || d.Removed {
		d = &device{ID: uuid.NewString(), ClientID: clientID}
		s.devices[clientID] = d
	}
	d.ProjectDeviceID = uuid.NewString()
	d.AuthorizationID = uuid.NewString()
	d.Name = p.Name
	d.Project = p.Project
	d.Channels = p.Channels
	d.PairedAt = now
	d.LastSeen = now
	d.Removed = false
	s.revokeClientLocked(clientID) // a new pairing replaces the old tokens
	body := s.issueTokensLocked(clientID, now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) issueTokensLocked(clientID string, now time.Time) map[string]any {
	at := &token{Value: randomString(48), ClientID: clientID, ExpiresAt: now.Add(s.config.AccessTokenTTL)}
	rt := &token{Value: uuid.NewString(), ClientID: clientID, ExpiresAt: now.Add(s.opts.RefreshTokenTTL)}
	at.Pair, rt.Pair = rt.Value, at.Value
	s.access[at.Value] = at
	s.refresh[rt.Value] = rt
	return map[string]any{
		"access_token":  at.Value,
		"expires_in":    int(s.config.AccessTokenTTL / time.Second),
		"refresh_token": rt.Value,
		"token_type":    "bearer",
	}
}

func (s *Server) refreshGrant(w http.ResponseWriter, clientID, value string) {
	if value == "" || clientID == "" {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := s.now()
	s.mu.Lock()
	rt := s.refresh[value]
	switch {
	case rt != nil && rt.Used:
		// Single use: a spent refresh token is invalid_request (docs/api-notes.md §2.6).
		s.mu.Unlock()
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	case rt == nil, rt.Revoked, now.After(rt.ExpiresAt), rt.ClientID != clientID:
		s.mu.Unlock()
		notAuthorized(w)
		return
	}
	d := s.devices[clientID]
	if d == nil || d.Removed {
		s.mu.Unlock()
		notAuthorized(w)
		return
	}
	// Rotation: the old pair stops working.
	rt.Used = true
	for _, at := range s.access {
		if at.ClientID == clientID {
			at.Revoked = true
		}
	}
	d.LastSeen = now
	body := s.issueTokensLocked(clientID, now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := parseAuthForm(r); err != nil {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	entry := entryOf(w)
	entry.ClientID = r.PostFormValue("client_id")
	value := r.PostFormValue("token")
	entry.TokenFP = Fingerprint(value)
	if !s.clientSecretOK(r.PostFormValue("client_secret")) {
		simpleError(w, http.StatusBadRequest, "invalid_client")
		return
	}
	if value == "" || entry.ClientID == "" {
		simpleError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	s.mu.Lock()
	t := s.access[value]
	if t == nil {
		t = s.refresh[value]
	}
	// Like RFC 7009, an unknown token is not an error: the answer is the same.
	if t != nil && t.ClientID == entry.ClientID {
		s.revokeClientLocked(t.ClientID)
		if d := s.devices[t.ClientID]; d != nil {
			d.Removed = true
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// revokeClientLocked kills every token of a client.
func (s *Server) revokeClientLocked(clientID string) {
	for _, t := range s.access {
		if t.ClientID == clientID {
			t.Revoked = true
		}
	}
	for _, t := range s.refresh {
		if t.ClientID == clientID {
			t.Revoked = true
		}
	}
}

// bearer checks the access token of the device endpoints and answers the detailed 401
// when it is missing, unknown, expired, revoked or its device was removed.
func (s *Server) bearer(next func(http.ResponseWriter, *http.Request, *device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 7235); the token is not.
		scheme, value, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		ok = ok && strings.EqualFold(scheme, "Bearer")
		now := s.now()
		s.mu.Lock()
		t := s.access[value]
		var d *device
		if ok && t != nil && !t.Revoked && now.Before(t.ExpiresAt) {
			d = s.devices[t.ClientID]
		}
		if d == nil || d.Removed {
			s.mu.Unlock()
			notAuthorized(w)
			return
		}
		// Any call to the API keeps the device online (docs/api-notes.md §4.1).
		d.LastSeen = now
		if v := r.Header.Get("x-client-version"); v != "" {
			d.Firmware = v
		} else {
			d.Firmware = "0.0.0"
		}
		s.mu.Unlock()
		entryOf(w).ClientID = d.ClientID
		next(w, r, d)
	}
}

const alphanum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphanum[int(b[i])%len(alphanum)]
	}
	return string(b)
}
