package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// jsonWriter prints one JSON object per line, each with a "type" field and "at", when it
// was printed (a script can time a transfer, the estimator's benchmark replays recorded
// runs). It is the contract scripts and the field trial read: field names change only
// with a note.
type jsonWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONWriter(w io.Writer) *jsonWriter { return &jsonWriter{enc: json.NewEncoder(w)} }

func (j *jsonWriter) write(v map[string]any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	v["at"] = time.Now().UTC().Format(time.RFC3339Nano)
	_ = j.enc.Encode(v)
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// eventJSON turns a service event into its JSON object.
func eventJSON(ev core.Event) map[string]any {
	m := map[string]any{"type": string(ev.Type)}
	switch ev.Type {
	case core.EventPairing:
		p := ev.Pairing
		m["state"] = string(p.State)
		m["user_code"] = p.UserCode
		m["verification_uri"] = p.VerificationURI
		m["verification_uri_complete"] = nilIfEmpty(p.VerificationURIComplete)
		m["expires_at"] = ts(p.ExpiresAt)
		m["interval_s"] = seconds(p.Interval)
		m["codes"] = p.Codes
		m["message"] = p.Message
		if p.ErrKind != "" {
			m["error_kind"] = p.ErrKind
		}
	case core.EventAuth:
		a := ev.Auth
		m["state"] = string(a.State)
		m["project"] = nilIfEmpty(a.ProjectName)
		m["project_id"] = nilIfEmpty(a.ProjectID)
		m["reason"] = nilIfEmpty(a.Reason)
		m["storage_warning"] = nilIfEmpty(a.StorageWarning)
	case core.EventConnection:
		c := ev.Connection
		m["state"] = string(c.State)
		m["since"] = ts(c.Since)
		m["next_check"] = ts(c.NextCheck)
		m["reason"] = nilIfEmpty(c.Reason)
		m["checks"] = c.Checks
	case core.EventFile:
		fileJSON(m, ev.File)
	case core.EventRemoved:
		m["id"] = int64(ev.Removed)
	case core.EventTotals:
		totalsJSON(m, ev.Totals)
	case core.EventFinished:
		totalsJSON(m, ev.Finished)
	case core.EventWatch:
		m["state"] = string(ev.Watch.State)
		pathJSON(m, ev.Watch.Folder)
		m["reason"] = nilIfEmpty(ev.Watch.Reason)
	case core.EventCard:
		c := ev.Card
		pathJSON(m, c.Path)
		m["layout"] = c.Layout
		m["state"] = "mounted"
		if c.Removed {
			m["state"] = "removed"
		}
		m["added"] = c.Added
		m["problem"] = nilIfEmpty(c.Problem)
		if sv := c.Survey; sv != nil {
			cats := map[string]int{}
			for k, n := range sv.Categories {
				cats[string(k)] = n
			}
			m["files"], m["bytes"], m["known"], m["new_bytes"], m["left_out"], m["categories"] = sv.Files, sv.Bytes, sv.Known, sv.NewBytes, sv.LeftOut, cats
		}
	case core.EventAlert:
		m["kind"] = string(ev.Alert.Kind)
		m["message"] = ev.Alert.Message
		m["files"] = nonNil(ev.Alert.Files)
	}
	return m
}

// pathJSON sets "path", and "path_b64" (the exact bytes, standard base64) when the path
// is not valid UTF-8: JSON strings hold text, and encoding/json replaces invalid bytes,
// so a script could not find such a file again from "path" alone.
func pathJSON(m map[string]any, path string) {
	m["path"] = path
	if !utf8.ValidString(path) {
		m["path_b64"] = base64.StdEncoding.EncodeToString([]byte(path))
	}
}

func fileJSON(m map[string]any, f *core.FileView) {
	m["id"] = int64(f.ID)
	m["name"] = f.Name
	pathJSON(m, f.Path)
	m["project"] = nilIfEmpty(f.Project)
	m["asset_id"] = nilIfEmpty(f.AssetID)
	m["done_at"] = ts(f.DoneAt)
	m["size"] = f.Size
	m["category"] = string(f.Category)
	m["realtime"] = f.Realtime
	m["moved"] = nilIfEmpty(string(f.MovedTo()))
	m["state"] = string(f.State)
	m["bytes_done"] = f.BytesDone
	m["bytes_acked"] = f.BytesAcked
	m["rate"] = f.Rate
	m["eta_s"] = seconds(f.ETA)
	m["chunks_done"] = f.ChunksDone
	m["chunks"] = f.Chunks
	m["detail"] = nilIfEmpty(f.Detail)
	m["error_kind"] = nilIfEmpty(f.ErrorKind)
	m["error"] = nilIfEmpty(f.Error)
	m["next_attempt"] = ts(f.NextAttempt)
	if len(f.Hashes) > 0 {
		hs := make(map[string]string, len(f.Hashes))
		for _, h := range f.Hashes {
			hs[string(h.Format)] = h.Value
		}
		m["hashes"] = hs
	}
	m["hash_list_verdict"] = nilIfEmpty(f.Verdict())
}

func totalsJSON(m map[string]any, t *core.Totals) {
	m["files"] = t.Files
	m["files_remaining"] = t.FilesRemaining
	m["active"] = t.Active
	m["done"] = t.Done
	m["failed"] = t.Failed
	m["skipped"] = t.Skipped
	m["cancelled"] = t.Cancelled
	m["held"] = t.Held
	m["on_hold"] = t.OnHold
	m["disk_full"] = t.DiskFull
	m["limit"] = t.Limit
	m["limit_until"] = ts(t.LimitUntil)
	m["bytes_total"] = t.BytesTotal
	m["bytes_remaining"] = t.BytesRemaining
	m["bytes_acked"] = t.BytesAcked
	m["bytes_in_flight"] = t.BytesInFlight
	m["bytes_sent"] = t.BytesSent
	m["rate"] = t.Rate
	m["eta_s"] = seconds(t.ETA)
	m["paused"] = t.Paused
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
