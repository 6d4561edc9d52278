package c2csim

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// asset is a file being uploaded: the URLs handed out and the parts received.
type asset struct {
	ID         string
	Name       string
	Filetype   string
	Filesize   int64 // -1 for a real-time asset until its final part is registered
	Offset     int64
	CreatedAt  time.Time // media creation time: inserted - offset
	InsertedAt time.Time
	Channel    int
	ClientID   string
	Project    project
	Realtime   bool
	PartSize   int64     // the chunk size the client must use (normal uploads)
	PartCount  int       // normal uploads: len(upload_urls)
	FinalPart  int       // real-time: number of the final part once registered
	FinalAt    time.Time // real-time: when the final part was registered
	Parts      map[int]*part
	URLExpires time.Time

	State         string    // created, uploading, assembling, complete, failed
	CompletedAt   time.Time // when it was put together (state complete)
	SHA256        string
	Path          string
	BytesReceived int64
	Error         string
}

type part struct {
	Number   int
	Size     int64 // the length the URL is for
	Received bool
	SHA256   string
	file     string
	Puts     int // answered 200
	Attempts int // every PUT that reached the handler
	// FirstReceivedAt and LastReceivedAt are when the first and the last PUT answered 200
	// had all their bytes, by the server's clock.
	FirstReceivedAt, LastReceivedAt time.Time
	// ResentAfterAck counts PUTs that began after the part had already been answered 200:
	// a client that resumes correctly never does that.
	ResentAfterAck int
}

// assetRequest is the create-asset body; numbers are json.Number so that both 10 and
// "10" (urlencoded) land in one place.
type assetRequest struct {
	Name          *string     `json:"name"`
	Filetype      string      `json:"filetype"`
	Filesize      json.Number `json:"filesize"`
	Offset        json.Number `json:"offset"`
	Channel       json.Number `json:"channel"`
	Realtime      bool        `json:"is_realtime_upload"`
	Extension     *string     `json:"extension"`
	AutoVersionID string      `json:"auto_version_id"`
	Parts         json.Number `json:"parts"`
}

func (s *Server) handleCreateAsset(w http.ResponseWriter, r *http.Request, d *device) {
	req, isJSON, ok := decodeAssetRequest(w, r)
	if !ok {
		return
	}
	invalid := func(detail string) {
		detailedError(w, http.StatusUnprocessableEntity, "Invalid Argument", detail)
	}
	filesize, err := optInt(req.Filesize)
	if err != nil {
		invalid("filesize must be an integer number of bytes")
		return
	}
	offset, err := optInt(req.Offset)
	if err != nil {
		invalid("offset must be an integer number of seconds")
		return
	}
	ch, err := optInt(req.Channel)
	if err != nil || ch < 0 {
		invalid("channel must be a non-negative integer")
		return
	}
	customParts, err := optInt(req.Parts)
	if err != nil {
		invalid("parts must be an integer")
		return
	}
	name := ""
	if req.Name != nil {
		name = *req.Name
	}
	ext := ""
	if req.Extension != nil {
		ext = *req.Extension
	}
	if req.AutoVersionID != "" {
		if _, err := uuid.Parse(req.AutoVersionID); err != nil {
			invalid("auto_version_id must be a uuid")
			return
		}
	}
	if req.Realtime {
		if !isJSON {
			detailedError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type",
				"real-time uploads must be created with a JSON body")
			return
		}
		if req.Filetype == "" {
			invalid("filetype is required for a real-time upload")
			return
		}
		if ext != "" && (len(ext) < 2 || ext[0] != '.') {
			invalid("extension must look like .ext")
			return
		}
		if ext == "" && path.Ext(name) == "" {
			invalid("name must end in an extension when no extension is given")
			return
		}
		if ext != "" && name != "" && path.Ext(name) != "" && !strings.EqualFold(path.Ext(name), ext) {
			invalid("extension does not match the name's extension")
			return
		}
		if name == "" {
			name = "[new file]" + ext
		}
	} else {
		if name == "" {
			invalid("name is required")
			return
		}
		if req.Filesize == "" {
			invalid("filesize is required")
			return
		}
		if filesize < 0 || filesize > MaxObjectSize {
			invalid(fmt.Sprintf("filesize must be between 0 and %d bytes", int64(MaxObjectSize)))
			return
		}
	}
	filetype := req.Filetype
	if filetype == "" {
		filetype = "application/octet-stream"
	}

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.config.PaymentRequired {
		requestErrors(w, http.StatusPaymentRequired, "payment_required",
			"Payment Required: the account's plan does not allow more uploads", "account")
		return
	}
	if int(ch) >= d.Channels {
		// The real API answers 500 here, a bug its error guide admits to.
		detailedError(w, http.StatusInternalServerError, "Internal Server Error", "")
		return
	}
	created := now.Add(-time.Duration(offset) * time.Second)
	if s.pausedAtLocked(int(ch), created) {
		detailedError(w, http.StatusConflict, "Channel Paused", "The channel you're uploading from is currently paused.")
		return
	}
	a := &asset{
		ID:         uuid.NewString(),
		Name:       name,
		Filetype:   filetype,
		Filesize:   filesize,
		Offset:     offset,
		CreatedAt:  created,
		InsertedAt: now,
		Channel:    int(ch),
		ClientID:   d.ClientID,
		Project:    d.Project,
		Realtime:   req.Realtime,
		Parts:      map[int]*part{},
		URLExpires: now.Add(s.opts.URLTTL),
		State:      "created",
	}
	entryOf(w).AssetID = a.ID
	if a.Realtime {
		a.Filesize = -1
		s.addAssetLocked(a)
		writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "name": a.Name})
		return
	}
	n, chunk, ok := s.chooseParts(filesize, customParts)
	if !ok {
		// Also a documented 500: a custom chunk count S3 cannot take.
		detailedError(w, http.StatusInternalServerError, "Internal Server Error", "")
		return
	}
	a.PartCount, a.PartSize = n, chunk
	urls := make([]string, n)
	for i := range n {
		size := min(chunk, filesize-int64(i)*chunk)
		a.Parts[i+1] = &part{Number: i + 1, Size: size}
		urls[i] = s.signURL(a, i+1, n, now)
	}
	s.addAssetLocked(a)
	writeJSON(w, http.StatusOK, assetJSON(a, urls))
}

// chooseParts picks the number of upload URLs, n = ceil(size / partSize) capped at 10,000,
// and the chunk size a client will derive from it, ceil(size / n). A custom count (the
// `parts` field) is honoured when S3 could take it.
func (s *Server) chooseParts(size, custom int64) (n int, chunk int64, ok bool) {
	if custom != 0 {
		if custom < 1 || custom > MaxParts {
			return 0, 0, false
		}
		n = int(custom)
		chunk = ceilDiv(size, int64(n))
		if n > 1 && (chunk < s.opts.MinPartSize || int64(n-1)*chunk >= size) {
			return 0, 0, false
		}
		return n, max(chunk, 0), true
	}
	ps := s.config.PartSize
	if s.config.VaryPartSize {
		ps = ps/2 + rand.Int64N(ps+1)
	}
	ps = max(ps, 1)
	n = int(min(max(ceilDiv(size, ps), 1), MaxParts))
	chunk = ceilDiv(size, int64(n))
	// Capped at 10,000, n chunks of ceil(size/n) may cover the file with fewer parts
	// (10,001 bytes: 5,001 chunks of 2); drop the URLs that would get no bytes.
	n = int(max(ceilDiv(size, max(chunk, 1)), 1))
	return n, chunk, true
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func (s *Server) addAssetLocked(a *asset) {
	s.assets[a.ID] = a
	s.assetList = append(s.assetList, a)
}

func assetJSON(a *asset, urls []string) map[string]any {
	ts := a.InsertedAt.UTC().Format(time.RFC3339)
	return map[string]any{
		"_type":               "file",
		"type":                "file",
		"id":                  a.ID,
		"name":                a.Name,
		"filetype":            a.Filetype,
		"filesize":            a.Filesize,
		"upload_urls":         urls,
		"project_id":          a.Project.ID,
		"parent_id":           projectID(a.Project.Name + ":root"),
		"account_id":          projectID("account"),
		"team_id":             projectID("team"),
		"creator_id":          projectID("creator"),
		"status":              "created",
		"inserted_at":         ts,
		"uploaded_at":         ts,
		"upload_completed_at": nil,
		"upload_failed_at":    nil,
		"original":            nil,
		"label":               "none",
		"properties":          nil,
		"index":               nil,
	}
}

// decodeAssetRequest accepts JSON (preferred) and urlencoded bodies, not multipart.
func decodeAssetRequest(w http.ResponseWriter, r *http.Request) (req assetRequest, isJSON, ok bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyJSON))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				detailedError(w, http.StatusUnprocessableEntity, "Invalid Argument",
					fmt.Sprintf("%s has the wrong type", typeErr.Field))
				return req, true, false
			}
			requestErrors(w, http.StatusBadRequest, "invalid_json", "The request body is not valid JSON")
			return req, true, false
		}
		return req, true, true
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(nil, r.Body, maxBodyJSON)
		if err := r.ParseForm(); err != nil {
			requestErrors(w, http.StatusBadRequest, "invalid_form", "The request body is not a valid form")
			return req, false, false
		}
		f := r.PostForm
		if f.Has("name") {
			v := f.Get("name")
			req.Name = &v
		}
		if f.Has("extension") {
			v := f.Get("extension")
			req.Extension = &v
		}
		req.Filetype = f.Get("filetype")
		req.Filesize = json.Number(f.Get("filesize"))
		req.Offset = json.Number(f.Get("offset"))
		req.Channel = json.Number(f.Get("channel"))
		req.Parts = json.Number(f.Get("parts"))
		req.AutoVersionID = f.Get("auto_version_id")
		req.Realtime = f.Get("is_realtime_upload") == "true"
		return req, false, true
	default:
		detailedError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type",
			"create an asset with application/json or application/x-www-form-urlencoded")
		return req, false, false
	}
}

// optInt reads an integer field; absent is 0. Whole floats such as 10.0 are accepted.
func optInt(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("not an integer: %q", n)
	}
	return int64(f), nil
}

type realtimePart struct {
	Number  *int   `json:"number"`
	Size    *int64 `json:"size"`
	IsFinal *bool  `json:"is_final"`
}

type realtimeRequest struct {
	Parts         []realtimePart `json:"parts"`
	AssetFilesize *int64         `json:"asset_filesize"`
	AssetName     *string        `json:"asset_name"`
}

func (s *Server) handleRealtimeParts(w http.ResponseWriter, r *http.Request, d *device) {
	id := r.PathValue("id")
	entryOf(w).AssetID = id
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		detailedError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "real-time parts take a JSON body")
		return
	}
	var req realtimeRequest
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyJSON)).Decode(&req); err != nil {
		requestErrors(w, http.StatusBadRequest, "invalid_json", "The request body is not valid JSON")
		return
	}
	bad := func(detail string) { detailedError(w, http.StatusBadRequest, "Bad Request", detail) }
	if len(req.Parts) == 0 {
		bad("parts is required")
		return
	}
	final := 0 // the number of the request's final part
	seen := make(map[int]bool, len(req.Parts))
	for _, p := range req.Parts {
		if p.Number == nil || p.Size == nil || p.IsFinal == nil {
			bad("every part needs number, size and is_final")
			return
		}
		if *p.Number < 1 || *p.Number > MaxParts {
			bad(fmt.Sprintf("part number %d is outside 1..%d", *p.Number, MaxParts))
			return
		}
		if *p.Size < 0 || (!*p.IsFinal && *p.Size < s.opts.MinPartSize) {
			bad(fmt.Sprintf("part %d is %d bytes; parts other than the final one need at least %d", *p.Number, *p.Size, s.opts.MinPartSize))
			return
		}
		if seen[*p.Number] {
			bad(fmt.Sprintf("part %d appears more than once in the request", *p.Number))
			return
		}
		seen[*p.Number] = true
		if *p.IsFinal {
			if final != 0 {
				bad(fmt.Sprintf("parts %d and %d are both final; a file has one final part", final, *p.Number))
				return
			}
			final = *p.Number
		}
	}
	if final != 0 && req.AssetFilesize == nil {
		bad("asset_filesize is required with the final part")
		return
	}
	if req.AssetFilesize != nil && (*req.AssetFilesize < 1 || *req.AssetFilesize > MaxObjectSize) {
		bad(fmt.Sprintf("asset_filesize must be between 1 and %d", int64(MaxObjectSize)))
		return
	}
	if req.AssetName != nil && path.Ext(*req.AssetName) == "" {
		bad("asset_name must end in an extension")
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assets[id]
	if a == nil || !a.Realtime || a.ClientID != d.ClientID {
		detailedError(w, http.StatusNotFound, "Not Found", "no such real-time asset")
		return
	}
	if a.State == "complete" || a.State == "assembling" {
		bad("the asset is already complete")
		return
	}
	if reason := a.refuseRegistrationLocked(req, final); reason != "" {
		bad(reason)
		return
	}
	if req.AssetName != nil && strings.HasPrefix(a.Name, "[new file]") {
		a.Name = *req.AssetName
	}
	urls := make([]string, len(req.Parts))
	for i, p := range req.Parts {
		switch old := a.Parts[*p.Number]; {
		case old == nil:
			a.Parts[*p.Number] = &part{Number: *p.Number, Size: *p.Size}
		case !old.Received:
			// Registered again before it arrived: the new size is the one its bytes
			// must have (a received part keeps its size, refuseRegistrationLocked).
			old.Size = *p.Size
		}
		urls[i] = s.signURL(a, *p.Number, 0, now)
	}
	if final != 0 && a.FinalPart == 0 {
		a.FinalPart, a.Filesize, a.FinalAt = final, *req.AssetFilesize, now
	}
	a.State = "uploading"
	s.maybeAssembleLocked(a)
	writeJSON(w, http.StatusOK, map[string]any{"upload_urls": urls})
}

// refuseRegistrationLocked says why a registration of parts (final: the number of its
// final part, 0 for none) cannot be taken given what the asset already has, or "" when
// it can. It judges the asset as the registration would leave it, and changes nothing, so
// a refused request leaves no trace (docs/api-notes.md §3.6):
//
//   - a file has one final part: another number marked final later is refused, the same
//     one again (a retry) is not, and the final part cannot become an ordinary one;
//   - once the final part is known, asset_filesize is the file's size: a request that
//     gives another is refused;
//   - no part comes after the final one;
//   - a part already received keeps its size (its bytes are in; sent again, they replace
//     the old ones, as S3 keeps a part number's last PUT, but with the same length);
//   - the parts cannot add up to more than asset_filesize, and once every number up to
//     the final one is registered they must add up to exactly asset_filesize.
func (a *asset) refuseRegistrationLocked(req realtimeRequest, final int) string {
	if final != 0 && a.FinalPart != 0 && final != a.FinalPart {
		return fmt.Sprintf("part %d is already the final part; part %d cannot be final too", a.FinalPart, final)
	}
	if a.FinalPart != 0 && req.AssetFilesize != nil && *req.AssetFilesize != a.Filesize {
		return fmt.Sprintf("asset_filesize is already %d; it cannot change to %d", a.Filesize, *req.AssetFilesize)
	}
	sizes := make(map[int]int64, len(a.Parts)+len(req.Parts))
	for n, p := range a.Parts {
		sizes[n] = p.Size
	}
	for _, p := range req.Parts {
		n := *p.Number
		if n == a.FinalPart && !*p.IsFinal {
			return fmt.Sprintf("part %d is the final part; it cannot be registered as not final", n)
		}
		if old := a.Parts[n]; old != nil && old.Received && old.Size != *p.Size {
			return fmt.Sprintf("part %d was received with %d bytes; it cannot change to %d", n, old.Size, *p.Size)
		}
		sizes[n] = *p.Size
	}
	lastPart, filesize := a.FinalPart, a.Filesize
	if lastPart == 0 {
		if final == 0 {
			return ""
		}
		lastPart, filesize = final, *req.AssetFilesize
	}
	numbers := slices.Sorted(maps.Keys(sizes))
	if n := numbers[len(numbers)-1]; n > lastPart {
		return fmt.Sprintf("part %d comes after the final part %d", n, lastPart)
	}
	var sum int64
	for _, n := range numbers {
		sum += sizes[n]
	}
	switch {
	case sum > filesize:
		return fmt.Sprintf("the parts add up to %d bytes, more than asset_filesize %d", sum, filesize)
	case len(numbers) == lastPart && sum != filesize:
		// Parts 1 to the final one, and no room left for bytes anywhere else.
		return fmt.Sprintf("parts 1 to %d add up to %d bytes, not asset_filesize %d", lastPart, sum, filesize)
	}
	return ""
}
