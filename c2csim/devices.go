package c2csim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// approveLocked is what a user does in the web app: enter the code and pick a project.
func (s *Server) approveLocked(p *pairing, projectName string, channels int) {
	if projectName == "" {
		projectName = s.opts.ProjectName
	}
	if channels < 1 {
		channels = 1
	}
	p.State = pairingApproved
	p.Project = project{ID: projectID(projectName), Name: projectName}
	p.Channels = channels
}

// projectID is stable per name, so re-pairing with the same project keeps its id.
func projectID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("c2csim-project:"+name)).String()
}

func (s *Server) deviceStatusLocked(d *device) string {
	if s.now().Sub(d.LastSeen) > onlineAfter {
		return "offline"
	}
	return "online"
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, d *device) {
	s.mu.Lock()
	now := s.now()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	channels := make([]map[string]any, 0, d.Channels)
	for i := 0; i < d.Channels; i++ {
		channels = append(channels, map[string]any{
			"_type":                     "project_device_channel",
			"id":                        uuid.NewSHA1(uuid.NameSpaceURL, []byte(d.ProjectDeviceID+":channel:"+itoa(i))).String(),
			"actor_id":                  d.ID,
			"asset_type":                "video",
			"device_id":                 d.ID,
			"external_index":            i,
			"inserted_at":               ts(d.PairedAt),
			"updated_at":                ts(now),
			"name":                      "C2C Uploader channel " + itoa(i+1),
			"project_id":                d.Project.ID,
			"project_device_id":         d.ProjectDeviceID,
			"real_time_logging_capable": false,
			"status":                    s.channelStatusLocked(i),
		})
	}
	body := map[string]any{
		"_type":                        "project_device",
		"id":                           d.ProjectDeviceID,
		"asset_type":                   "video",
		"creator_id":                   projectID("creator"),
		"deleted_at":                   nil,
		"device_id":                    d.ID,
		"inserted_at":                  ts(d.PairedAt),
		"updated_at":                   ts(now),
		"last_seen_at":                 ts(d.LastSeen),
		"last_known_firmware_version":  d.Firmware,
		"name":                         d.Name,
		"project_id":                   d.Project.ID,
		"project":                      map[string]any{"_type": "project", "id": d.Project.ID, "name": d.Project.Name},
		"status":                       s.deviceStatusLocked(d),
		"timezone":                     "Etc/UTC",
		"channels":                     channels,
		"channel_count":                d.Channels,
		"path_asset_type":              "video",
		"path_name":                    "C2C Uploader",
		"required_metadata_attributes": []string{},
		"authorization": map[string]any{
			"_type":             "project_device_authorization",
			"id":                d.AuthorizationID,
			"creator":           map[string]any{"_type": "user", "id": projectID("creator"), "name": "Simulated Editor"},
			"creator_id":        projectID("creator"),
			"inserted_at":       ts(d.PairedAt),
			"expires_at":        nil,
			"project_device_id": d.ProjectDeviceID,
			"scopes":            deviceScopes(),
		},
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func deviceScopes() map[string]any {
	scopes := map[string]any{}
	for _, name := range []string{"account_read", "action_create", "action_delete", "action_read",
		"action_update", "asset_delete", "asset_read", "asset_update", "auditlog_read",
		"comment_create", "comment_delete", "comment_read", "comment_update", "device_connect",
		"presentation_create", "presentation_delete", "presentation_read", "presentation_update",
		"project_create", "project_delete", "project_read", "project_update", "reviewlink_create",
		"reviewlink_delete", "reviewlink_read", "reviewlink_update", "team_create", "team_read",
		"team_update", "webhook_create", "webhook_delete", "webhook_read", "webhook_update"} {
		scopes[name] = false
	}
	scopes["asset_create"] = true
	scopes["offline"] = true
	scopes["id"] = uuid.NewSHA1(uuid.NameSpaceURL, []byte("c2csim-scopes")).String()
	return scopes
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, d *device) {
	s.mu.Lock()
	d.Heartbeats++
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// channel holds the pause windows of one channel index: media created inside a window is
// refused with 409 Channel Paused (docs/api-notes.md §4.3).
type channel struct {
	Windows []pauseWindow
}

type pauseWindow struct {
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end,omitempty"` // nil while the pause goes on
}

func (s *Server) channelLocked(i int) *channel {
	c := s.channels[i]
	if c == nil {
		c = &channel{}
		s.channels[i] = c
	}
	return c
}

func (s *Server) channelStatusLocked(i int) string {
	if c := s.channels[i]; c != nil {
		for _, w := range c.Windows {
			if w.End == nil {
				return "paused"
			}
		}
	}
	return "online"
}

// pausedAtLocked tells whether media created at t on channel i falls in a pause window.
func (s *Server) pausedAtLocked(i int, t time.Time) bool {
	c := s.channels[i]
	if c == nil {
		return false
	}
	for _, w := range c.Windows {
		if !t.Before(w.Start) && (w.End == nil || t.Before(*w.End)) {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
