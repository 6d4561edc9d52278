package c2csim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// The admin API lives under /_sim/ on the simulator's own port. It plays the people and
// the infrastructure around the API: the editor who approves a code in the web app, the
// producer who pauses a device, an expiring token, a misbehaving network. It has no
// authentication: the simulator is meant for loopback.

// PairingInfo describes a device code, without the code itself.
type PairingInfo struct {
	UserCode  string    `json:"user_code"`
	ClientID  string    `json:"client_id"`
	State     string    `json:"state"` // pending, approved, declined, consumed
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Expired   bool      `json:"expired"`
	Interval  float64   `json:"interval"` // seconds, grown by slow_down
	Polls     int       `json:"polls"`
	Project   string    `json:"project,omitempty"`
}

// Approval is what the approver chooses in the web app.
type Approval struct {
	ProjectName string `json:"project_name,omitempty"`
	Channels    int    `json:"channels,omitempty"`
}

// DeviceInfo describes a paired device and its tokens (never their values).
type DeviceInfo struct {
	ClientID       string    `json:"client_id"`
	Name           string    `json:"name"`
	Project        string    `json:"project"`
	ProjectID      string    `json:"project_id"`
	Channels       int       `json:"channels"`
	Status         string    `json:"status"` // online / offline by the heartbeat rule
	Removed        bool      `json:"removed"`
	Firmware       string    `json:"firmware"`
	Heartbeats     int       `json:"heartbeats"`
	LastSeen       time.Time `json:"last_seen"`
	LiveAccess     int       `json:"live_access_tokens"`
	LiveRefresh    int       `json:"live_refresh_tokens"`
	RefreshesSpent int       `json:"refresh_tokens_spent"`
}

// AssetInfo is what the simulator received for an asset.
type AssetInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Filetype   string    `json:"filetype"`
	Filesize   int64     `json:"filesize"`
	Offset     int64     `json:"offset"`
	CreatedAt  time.Time `json:"created_at"`
	InsertedAt time.Time `json:"inserted_at"`
	Channel    int       `json:"channel"`
	ClientID   string    `json:"client_id"`
	Project    string    `json:"project"`
	Realtime   bool      `json:"realtime"`
	PartCount  int       `json:"part_count"`
	PartSize   int64     `json:"part_size"`
	State      string    `json:"state"` // created, uploading, assembling, complete, failed
	Complete   bool      `json:"complete"`
	// FinalRegisteredAt is when a real-time asset's final part was registered (absent
	// before, and for other assets); CompletedAt when the asset was put together.
	FinalRegisteredAt time.Time  `json:"final_registered_at,omitzero"`
	CompletedAt       time.Time  `json:"completed_at,omitzero"`
	SHA256            string     `json:"sha256,omitempty"` // of the assembled file (not in discard mode)
	Path              string     `json:"path,omitempty"`
	BytesReceived     int64      `json:"bytes_received"`
	Error             string     `json:"error,omitempty"`
	Parts             []PartInfo `json:"parts"`
}

// PartInfo is one part of an asset.
type PartInfo struct {
	Number         int    `json:"number"`
	Size           int64  `json:"size"`
	Received       bool   `json:"received"`
	SHA256         string `json:"sha256,omitempty"`
	Puts           int    `json:"puts"`
	Attempts       int    `json:"attempts"`
	ResentAfterAck int    `json:"resent_after_ack"`
	// FirstReceivedAt and LastReceivedAt are when the first and the last PUT answered 200
	// had all their bytes (absent until one had), by the simulator's clock.
	FirstReceivedAt time.Time `json:"first_received_at,omitzero"`
	LastReceivedAt  time.Time `json:"last_received_at,omitzero"`
}

// ChannelInfo is a channel's pause windows.
type ChannelInfo struct {
	Index   int           `json:"index"`
	Status  string        `json:"status"`
	Windows []pauseWindow `json:"windows"`
}

// Config is the part of the configuration the admin API can change at run time.
type Config struct {
	PartSize        int64    `json:"part_size"`
	VaryPartSize    bool     `json:"vary_part_size"`
	PaymentRequired bool     `json:"payment_required"`
	AutoApprove     bool     `json:"auto_approve"`
	AccessTokenTTL  Duration `json:"access_token_ttl"`
}

func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/{$}", s.adminIndex)
	mux.HandleFunc("GET /_sim/pairings", s.adminPairings)
	mux.HandleFunc("POST /_sim/pairings/{code}/approve", s.adminApprove)
	mux.HandleFunc("POST /_sim/pairings/{code}/decline", s.adminDecline)
	mux.HandleFunc("GET /_sim/devices", s.adminDevices)
	mux.HandleFunc("POST /_sim/devices/{client}/expire-access", s.adminDevice(s.expireAccessLocked))
	mux.HandleFunc("POST /_sim/devices/{client}/revoke", s.adminDevice(s.revokeClientLocked))
	mux.HandleFunc("POST /_sim/devices/{client}/remove", s.adminDevice(s.removeDeviceLocked))
	mux.HandleFunc("GET /_sim/channels", s.adminChannels)
	mux.HandleFunc("POST /_sim/channels/{index}/pause", s.adminPause)
	mux.HandleFunc("POST /_sim/channels/{index}/resume", s.adminResume)
	mux.HandleFunc("POST /_sim/pause-windows", s.adminAddWindow)
	mux.HandleFunc("DELETE /_sim/pause-windows", s.adminClearWindows)
	mux.HandleFunc("GET /_sim/faults", s.adminFaults)
	mux.HandleFunc("POST /_sim/faults", s.adminAddFault)
	mux.HandleFunc("DELETE /_sim/faults", s.adminClearFaults)
	mux.HandleFunc("DELETE /_sim/faults/{id}", s.adminRemoveFault)
	mux.HandleFunc("POST /_sim/offline", s.adminOffline)
	mux.HandleFunc("GET /_sim/clock", s.adminClock)
	mux.HandleFunc("POST /_sim/clock", s.adminAdvanceClock)
	mux.HandleFunc("GET /_sim/config", s.adminConfig)
	mux.HandleFunc("POST /_sim/config", s.adminSetConfig)
	mux.HandleFunc("GET /_sim/requests", s.adminRequests)
	mux.HandleFunc("DELETE /_sim/requests", s.adminClearRequests)
	mux.HandleFunc("GET /_sim/received", s.adminReceived)
	mux.HandleFunc("DELETE /_sim/received", s.adminClearReceived)
	mux.HandleFunc("GET /_sim/assets", s.adminAssets)
	mux.HandleFunc("GET /_sim/assets/{id}", s.adminAsset)
}

func adminError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyJSON)).Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, "bad JSON body: %v", err)
		return false
	}
	return true
}

func (s *Server) adminIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"simulator": "c2csim",
		"api":       s.baseURL,
		"pair_page": s.baseURL + "/pair",
		"online":    s.Online(),
		"now":       s.now().UTC(),
		"endpoints": []string{
			"GET  /_sim/pairings", "POST /_sim/pairings/{user_code}/approve {project_name,channels}",
			"POST /_sim/pairings/{user_code}/decline", "GET  /_sim/devices",
			"POST /_sim/devices/{client_id|all}/expire-access", "POST /_sim/devices/{client_id|all}/revoke",
			"POST /_sim/devices/{client_id|all}/remove", "GET  /_sim/channels",
			"POST /_sim/channels/{index}/pause", "POST /_sim/channels/{index}/resume",
			"POST /_sim/pause-windows {channel,start,end}", "DELETE /_sim/pause-windows",
			"GET|POST|DELETE /_sim/faults", "DELETE /_sim/faults/{id}", "POST /_sim/offline {duration}",
			"GET|POST /_sim/clock {advance}", "GET|POST /_sim/config", "GET|DELETE /_sim/requests?since=N",
			"GET|DELETE /_sim/received", "GET  /_sim/assets", "GET  /_sim/assets/{id}",
		},
	})
}

func (s *Server) adminPairings(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	out := []PairingInfo{}
	for _, p := range s.pairings {
		out = append(out, PairingInfo{
			UserCode: p.UserCode, ClientID: p.ClientID, State: string(p.State), IssuedAt: p.IssuedAt,
			ExpiresAt: p.ExpiresAt, Expired: now.After(p.ExpiresAt), Interval: p.Interval.Seconds(),
			Polls: p.Polls, Project: p.Project.Name,
		})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.Before(out[j].IssuedAt) })
	writeJSON(w, http.StatusOK, out)
}

// livePairingLocked finds the pending, unexpired pairing of a user code.
func (s *Server) livePairingLocked(code string) (*pairing, error) {
	p := s.userCodes[code]
	switch {
	case p == nil:
		return nil, fmt.Errorf("no pairing has the code %q", code)
	case s.now().After(p.ExpiresAt):
		return nil, fmt.Errorf("the code %s has expired", code)
	case p.State != pairingPending:
		return nil, fmt.Errorf("the code %s is already %s", code, p.State)
	}
	return p, nil
}

// Approve approves a user code as the web app would.
func (s *Server) Approve(code string, a Approval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.livePairingLocked(code)
	if err != nil {
		return err
	}
	s.approveLocked(p, a.ProjectName, a.Channels)
	return nil
}

// Decline declines a user code as the web app would.
func (s *Server) Decline(code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.livePairingLocked(code)
	if err != nil {
		return err
	}
	p.State = pairingDeclined
	return nil
}

func (s *Server) adminApprove(w http.ResponseWriter, r *http.Request) {
	var a Approval
	if !decodeAdmin(w, r, &a) {
		return
	}
	if err := s.Approve(r.PathValue("code"), a); err != nil {
		adminError(w, http.StatusNotFound, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"approved": true})
}

func (s *Server) adminDecline(w http.ResponseWriter, r *http.Request) {
	if err := s.Decline(r.PathValue("code")); err != nil {
		adminError(w, http.StatusNotFound, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"declined": true})
}

func (s *Server) adminDevices(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	out := []DeviceInfo{}
	for _, d := range s.devices {
		info := DeviceInfo{
			ClientID: d.ClientID, Name: d.Name, Project: d.Project.Name, ProjectID: d.Project.ID,
			Channels: d.Channels, Status: s.deviceStatusLocked(d), Removed: d.Removed, Firmware: d.Firmware,
			Heartbeats: d.Heartbeats, LastSeen: d.LastSeen,
		}
		for _, t := range s.access {
			if t.ClientID == d.ClientID && !t.Revoked && now.Before(t.ExpiresAt) {
				info.LiveAccess++
			}
		}
		for _, t := range s.refresh {
			if t.ClientID != d.ClientID {
				continue
			}
			if t.Used {
				info.RefreshesSpent++
			} else if !t.Revoked && now.Before(t.ExpiresAt) {
				info.LiveRefresh++
			}
		}
		out = append(out, info)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	writeJSON(w, http.StatusOK, out)
}

// adminDevice applies an action to one client's device, or to every device for "all".
func (s *Server) adminDevice(action func(clientID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		client := r.PathValue("client")
		s.mu.Lock()
		var found int
		for id := range s.devices {
			if client == "all" || client == id {
				action(id)
				found++
			}
		}
		s.mu.Unlock()
		if found == 0 {
			adminError(w, http.StatusNotFound, "no device with client_id %q", client)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"devices": found})
	}
}

// expireAccessLocked makes a client's access tokens expire now: the next bearer call gets
// 401 Not Authorized and the client must refresh.
func (s *Server) expireAccessLocked(clientID string) {
	now := s.now()
	for _, t := range s.access {
		if t.ClientID == clientID && t.ExpiresAt.After(now) {
			t.ExpiresAt = now.Add(-time.Second)
		}
	}
}

// removeDeviceLocked is the project removing the device: every call and refresh is 401.
func (s *Server) removeDeviceLocked(clientID string) {
	s.revokeClientLocked(clientID)
	if d := s.devices[clientID]; d != nil {
		d.Removed = true
	}
}

func (s *Server) channelsInfoLocked() []ChannelInfo {
	out := []ChannelInfo{}
	for i, c := range s.channels {
		out = append(out, ChannelInfo{Index: i, Status: s.channelStatusLocked(i), Windows: append([]pauseWindow{}, c.Windows...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func (s *Server) adminChannels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := s.channelsInfoLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func channelIndex(w http.ResponseWriter, r *http.Request) (int, bool) {
	i, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || i < 0 {
		adminError(w, http.StatusBadRequest, "channel index must be a non-negative integer")
		return 0, false
	}
	return i, true
}

// Pause starts a pause window on a channel now; media created from now on is refused.
func (s *Server) Pause(channel int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelLocked(channel)
	for _, w := range c.Windows {
		if w.End == nil {
			return
		}
	}
	c.Windows = append(c.Windows, pauseWindow{Start: s.now()})
}

// Resume ends the open pause window of a channel.
func (s *Server) Resume(channel int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := s.channelLocked(channel)
	for i := range c.Windows {
		if c.Windows[i].End == nil {
			c.Windows[i].End = &now
		}
	}
}

func (s *Server) adminPause(w http.ResponseWriter, r *http.Request) {
	if i, ok := channelIndex(w, r); ok {
		s.Pause(i)
		s.adminChannels(w, r)
	}
}

func (s *Server) adminResume(w http.ResponseWriter, r *http.Request) {
	if i, ok := channelIndex(w, r); ok {
		s.Resume(i)
		s.adminChannels(w, r)
	}
}

// PauseWindow is a pause window given explicitly: media created in [Start, End) is refused.
type PauseWindow struct {
	Channel int        `json:"channel"`
	Start   time.Time  `json:"start"`
	End     *time.Time `json:"end,omitempty"`
}

func (s *Server) adminAddWindow(w http.ResponseWriter, r *http.Request) {
	var pw PauseWindow
	if !decodeAdmin(w, r, &pw) {
		return
	}
	if pw.Start.IsZero() || pw.Channel < 0 || (pw.End != nil && !pw.End.After(pw.Start)) {
		adminError(w, http.StatusBadRequest, "a pause window needs a channel >= 0, a start, and an end after the start (or none)")
		return
	}
	s.mu.Lock()
	c := s.channelLocked(pw.Channel)
	c.Windows = append(c.Windows, pauseWindow{Start: pw.Start, End: pw.End})
	out := s.channelsInfoLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminClearWindows(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.channels = map[int]*channel{}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, []ChannelInfo{})
}

// AddFault scripts a fault; it returns the fault with its id.
func (s *Server) AddFault(f Fault) (Fault, error) { return s.faults.add(f) }

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.faults.list())
}

func (s *Server) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !decodeAdmin(w, r, &f) {
		return
	}
	added, err := s.faults.add(f)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, added)
}

func (s *Server) adminClearFaults(w http.ResponseWriter, r *http.Request) {
	s.faults.clear()
	writeJSON(w, http.StatusOK, []Fault{})
}

func (s *Server) adminRemoveFault(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || !s.faults.remove(id) {
		adminError(w, http.StatusNotFound, "no fault %q", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, s.faults.list())
}

// adminOffline answers first, then takes the simulator off the network for the duration
// (connections refused, open ones reset); it comes back by itself, since the admin API
// shares the port and could not be reached to bring it back.
func (s *Server) adminOffline(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Duration Duration `json:"duration"`
	}
	if !decodeAdmin(w, r, &body) {
		return
	}
	d := time.Duration(body.Duration)
	if d <= 0 || d > time.Hour {
		adminError(w, http.StatusBadRequest, "duration must be between 0 and 1h, e.g. \"30s\"")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"offline_for": d.String()})
	http.NewResponseController(w).Flush()
	go func() {
		// Let the answer leave before the connection is cut.
		time.Sleep(50 * time.Millisecond)
		if err := s.offlineFor(d); err != nil {
			s.opts.Logger.Error("c2csim: going offline failed", "err", err)
		}
	}()
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"now":    s.now().UTC(),
		"offset": Duration(time.Duration(s.clockOffset.Load())),
	})
}

func (s *Server) adminAdvanceClock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Advance Duration `json:"advance"`
	}
	if !decodeAdmin(w, r, &body) {
		return
	}
	if body.Advance < 0 {
		adminError(w, http.StatusBadRequest, "the clock only moves forward")
		return
	}
	s.AdvanceClock(time.Duration(body.Advance))
	s.adminClock(w, r)
}

func (s *Server) currentConfig() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Config{
		PartSize: s.config.PartSize, VaryPartSize: s.config.VaryPartSize,
		PaymentRequired: s.config.PaymentRequired, AutoApprove: s.config.AutoApprove,
		AccessTokenTTL: Duration(s.config.AccessTokenTTL),
	}
}

func (s *Server) adminConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.currentConfig())
}

// adminSetConfig replaces the run-time configuration; fields left out keep their value.
func (s *Server) adminSetConfig(w http.ResponseWriter, r *http.Request) {
	c := s.currentConfig()
	if !decodeAdmin(w, r, &c) {
		return
	}
	if c.PartSize <= 0 || c.AccessTokenTTL <= 0 {
		adminError(w, http.StatusBadRequest, "part_size and access_token_ttl must be positive")
		return
	}
	s.mu.Lock()
	s.config = runtimeConfig{
		PartSize: c.PartSize, VaryPartSize: c.VaryPartSize, PaymentRequired: c.PaymentRequired,
		AutoApprove: c.AutoApprove, AccessTokenTTL: time.Duration(c.AccessTokenTTL),
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.currentConfig())
}

// Requests returns the request log after sequence number since (0 for all).
func (s *Server) Requests(since int64) []Request { return s.log.since(since) }

func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	writeJSON(w, http.StatusOK, s.log.since(since))
}

func (s *Server) adminClearRequests(w http.ResponseWriter, r *http.Request) {
	s.log.clear()
	writeJSON(w, http.StatusOK, []Request{})
}

// Assets reports every asset, after waiting for assemblies under way, so that a test that
// saw its last PUT answered reads a settled state.
func (s *Server) Assets() []AssetInfo {
	s.assembling.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AssetInfo, 0, len(s.assetList))
	for _, a := range s.assetList {
		out = append(out, assetInfoLocked(a))
	}
	return out
}

func assetInfoLocked(a *asset) AssetInfo {
	info := AssetInfo{
		ID: a.ID, Name: a.Name, Filetype: a.Filetype, Filesize: a.Filesize, Offset: a.Offset,
		CreatedAt: a.CreatedAt, InsertedAt: a.InsertedAt, Channel: a.Channel, ClientID: a.ClientID,
		Project: a.Project.Name, Realtime: a.Realtime, PartCount: a.PartCount, PartSize: a.PartSize,
		State: a.State, Complete: a.State == "complete", SHA256: a.SHA256, Path: a.Path,
		BytesReceived: a.BytesReceived, Error: a.Error, Parts: []PartInfo{},
		FinalRegisteredAt: a.FinalAt, CompletedAt: a.CompletedAt,
	}
	numbers := make([]int, 0, len(a.Parts))
	for n := range a.Parts {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		p := a.Parts[n]
		info.Parts = append(info.Parts, PartInfo{
			Number: p.Number, Size: p.Size, Received: p.Received, SHA256: p.SHA256,
			Puts: p.Puts, Attempts: p.Attempts, ResentAfterAck: p.ResentAfterAck,
			FirstReceivedAt: p.FirstReceivedAt, LastReceivedAt: p.LastReceivedAt,
		})
	}
	return info
}

func (s *Server) adminAssets(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Assets())
}

func (s *Server) adminAsset(w http.ResponseWriter, r *http.Request) {
	s.assembling.Wait()
	s.mu.Lock()
	a := s.assets[r.PathValue("id")]
	var info AssetInfo
	if a != nil {
		info = assetInfoLocked(a)
	}
	s.mu.Unlock()
	if a == nil {
		adminError(w, http.StatusNotFound, "no asset %q", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, info)
}
