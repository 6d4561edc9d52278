package c2csim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Admin is a client of the admin API, for tests, the demo and scripts. It works the same
// against an in-process simulator and a standalone one.
type Admin struct {
	base string
	hc   *http.Client
}

// NewAdmin makes a client for the simulator whose base URL is baseURL.
func NewAdmin(baseURL string) *Admin {
	return &Admin{
		base: strings.TrimSuffix(baseURL, "/"),
		hc:   &http.Client{Timeout: 30 * time.Second},
	}
}

func (a *Admin) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("c2csim admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("c2csim admin %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("c2csim admin %s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Pairings lists the device codes handed out, oldest first.
func (a *Admin) Pairings(ctx context.Context) ([]PairingInfo, error) {
	var out []PairingInfo
	return out, a.do(ctx, http.MethodGet, "/_sim/pairings", nil, &out)
}

// Approve approves a user code, connecting the device to the named project.
func (a *Admin) Approve(ctx context.Context, userCode string, ap Approval) error {
	return a.do(ctx, http.MethodPost, "/_sim/pairings/"+url.PathEscape(userCode)+"/approve", ap, nil)
}

// Decline declines a user code.
func (a *Admin) Decline(ctx context.Context, userCode string) error {
	return a.do(ctx, http.MethodPost, "/_sim/pairings/"+url.PathEscape(userCode)+"/decline", nil, nil)
}

// Devices lists paired devices.
func (a *Admin) Devices(ctx context.Context) ([]DeviceInfo, error) {
	var out []DeviceInfo
	return out, a.do(ctx, http.MethodGet, "/_sim/devices", nil, &out)
}

// ExpireAccess expires a client's access tokens now ("all" for every device).
func (a *Admin) ExpireAccess(ctx context.Context, clientID string) error {
	return a.do(ctx, http.MethodPost, "/_sim/devices/"+url.PathEscape(clientID)+"/expire-access", nil, nil)
}

// Revoke revokes every token of a client: calls and refreshes get 401.
func (a *Admin) Revoke(ctx context.Context, clientID string) error {
	return a.do(ctx, http.MethodPost, "/_sim/devices/"+url.PathEscape(clientID)+"/revoke", nil, nil)
}

// RemoveDevice removes a client's device from its project.
func (a *Admin) RemoveDevice(ctx context.Context, clientID string) error {
	return a.do(ctx, http.MethodPost, "/_sim/devices/"+url.PathEscape(clientID)+"/remove", nil, nil)
}

// Channels lists the channels that have pause windows.
func (a *Admin) Channels(ctx context.Context) ([]ChannelInfo, error) {
	var out []ChannelInfo
	return out, a.do(ctx, http.MethodGet, "/_sim/channels", nil, &out)
}

// Pause pauses a channel from now on.
func (a *Admin) Pause(ctx context.Context, channel int) error {
	return a.do(ctx, http.MethodPost, "/_sim/channels/"+strconv.Itoa(channel)+"/pause", nil, nil)
}

// Resume ends a channel's pause.
func (a *Admin) Resume(ctx context.Context, channel int) error {
	return a.do(ctx, http.MethodPost, "/_sim/channels/"+strconv.Itoa(channel)+"/resume", nil, nil)
}

// AddPauseWindow pauses a channel for media created in [start, end); a zero end leaves
// the window open.
func (a *Admin) AddPauseWindow(ctx context.Context, channel int, start, end time.Time) error {
	pw := PauseWindow{Channel: channel, Start: start}
	if !end.IsZero() {
		pw.End = &end
	}
	return a.do(ctx, http.MethodPost, "/_sim/pause-windows", pw, nil)
}

// ClearPauseWindows removes every pause.
func (a *Admin) ClearPauseWindows(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/_sim/pause-windows", nil, nil)
}

// AddFault scripts a fault and returns it with its id.
func (a *Admin) AddFault(ctx context.Context, f Fault) (Fault, error) {
	var out Fault
	return out, a.do(ctx, http.MethodPost, "/_sim/faults", f, &out)
}

// Faults lists the scripted faults with their hit counts.
func (a *Admin) Faults(ctx context.Context) ([]Fault, error) {
	var out []Fault
	return out, a.do(ctx, http.MethodGet, "/_sim/faults", nil, &out)
}

// RemoveFault removes one fault.
func (a *Admin) RemoveFault(ctx context.Context, id int) error {
	return a.do(ctx, http.MethodDelete, "/_sim/faults/"+strconv.Itoa(id), nil, nil)
}

// ClearFaults removes every fault.
func (a *Admin) ClearFaults(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/_sim/faults", nil, nil)
}

// Offline takes the simulator off the network for d; it comes back by itself.
func (a *Admin) Offline(ctx context.Context, d time.Duration) error {
	return a.do(ctx, http.MethodPost, "/_sim/offline", map[string]Duration{"duration": Duration(d)}, nil)
}

// AdvanceClock moves the simulator's clock forward.
func (a *Admin) AdvanceClock(ctx context.Context, d time.Duration) error {
	return a.do(ctx, http.MethodPost, "/_sim/clock", map[string]Duration{"advance": Duration(d)}, nil)
}

// Config reads the run-time configuration.
func (a *Admin) Config(ctx context.Context) (Config, error) {
	var out Config
	return out, a.do(ctx, http.MethodGet, "/_sim/config", nil, &out)
}

// SetConfig replaces the run-time configuration.
func (a *Admin) SetConfig(ctx context.Context, c Config) (Config, error) {
	var out Config
	return out, a.do(ctx, http.MethodPost, "/_sim/config", c, &out)
}

// Requests reads the request log after sequence number since (0 for all).
func (a *Admin) Requests(ctx context.Context, since int64) ([]Request, error) {
	var out []Request
	return out, a.do(ctx, http.MethodGet, "/_sim/requests?since="+strconv.FormatInt(since, 10), nil, &out)
}

// ClearRequests empties the request log.
func (a *Admin) ClearRequests(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/_sim/requests", nil, nil)
}

// Received reads the timeline of chunk bytes received (Server.ReceivedTimeline).
func (a *Admin) Received(ctx context.Context) ([]Received, error) {
	var out []Received
	return out, a.do(ctx, http.MethodGet, "/_sim/received", nil, &out)
}

// ClearReceived empties the timeline of chunk bytes received.
func (a *Admin) ClearReceived(ctx context.Context) error {
	return a.do(ctx, http.MethodDelete, "/_sim/received", nil, nil)
}

// Assets lists every asset with its parts.
func (a *Admin) Assets(ctx context.Context) ([]AssetInfo, error) {
	var out []AssetInfo
	return out, a.do(ctx, http.MethodGet, "/_sim/assets", nil, &out)
}

// Asset reads one asset: its state, each part's size, hash, PUT counts and receive times
// (PartInfo.FirstReceivedAt, LastReceivedAt), and for the asset when its final part was
// registered and when it was put together (AssetInfo.FinalRegisteredAt, CompletedAt).
func (a *Admin) Asset(ctx context.Context, id string) (AssetInfo, error) {
	var out AssetInfo
	return out, a.do(ctx, http.MethodGet, "/_sim/assets/"+url.PathEscape(id), nil, &out)
}
