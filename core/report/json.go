package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// reportVersion is the JSON's shape; it changes only when a field changes meaning or
// goes, not when one is added.
const reportVersion = 1

// jsonBatch is a Batch as the JSON writes it.
type jsonBatch struct {
	Version      int        `json:"report_version"`
	ID           string     `json:"id"`
	Folder       string     `json:"folder"`
	Project      string     `json:"project"`
	ProjectID    string     `json:"project_id"`
	Device       string     `json:"device"`
	App          string     `json:"app"`
	Added        *time.Time `json:"added"`
	Written      *time.Time `json:"written"`
	HashList     string     `json:"hash_list"`
	HashListNote string     `json:"hash_list_note"`
	Files        []jsonFile `json:"files"`
}

// jsonFile is a File as the JSON writes it.
type jsonFile struct {
	Name     string     `json:"name"`
	Path     string     `json:"path"`
	RelPath  string     `json:"rel_path"`
	Size     int64      `json:"size"`
	Hashes   []jsonSum  `json:"hashes"`
	MHL      Verdict    `json:"mhl"`
	MHLHash  *jsonSum   `json:"mhl_hash"`
	AssetID  string     `json:"asset_id"`
	Project  string     `json:"project"`
	Started  *time.Time `json:"started"`
	Finished *time.Time `json:"finished"`
	Attempts int        `json:"attempts"`
	State    string     `json:"state"`
	Reason   string     `json:"reason"`
}

// jsonSum is one hash: a list of them keeps the order a map would lose.
type jsonSum struct {
	Format hashes.Format `json:"format"`
	Value  string        `json:"value"`
}

// encodeJSON writes the batch as indented JSON.
func encodeJSON(b Batch) ([]byte, error) {
	out := jsonBatch{
		Version: reportVersion, ID: b.ID, Folder: b.Folder, Project: b.Project,
		ProjectID: b.ProjectID, Device: b.Device, App: b.App,
		Added: timeOrNull(b.Added), Written: timeOrNull(b.Written),
		HashList: b.HashList, HashListNote: b.HashListNote,
		Files: make([]jsonFile, len(b.Files)),
	}
	for i, f := range b.Files {
		jf := jsonFile{
			Name: f.Name, Path: f.Path, RelPath: f.RelPath, Size: f.Size,
			Hashes: make([]jsonSum, len(f.Hashes)), MHL: f.MHL,
			AssetID: f.AssetID, Project: f.Project,
			Started: timeOrNull(f.Started), Finished: timeOrNull(f.Finished),
			Attempts: f.Attempts, State: f.State, Reason: f.Reason,
		}
		for j, s := range f.Hashes {
			jf.Hashes[j] = jsonSum(s)
		}
		if f.MHLHash != (hashes.Sum{}) {
			jf.MHLHash = &jsonSum{f.MHLHash.Format, f.MHLHash.Value}
		}
		out.Files[i] = jf
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// timeOrNull is nil for the zero time, which the JSON writes as null rather than as the
// year 1.
func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// timeOrZero undoes timeOrNull.
func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Read reads a batch back from the JSON Write wrote.
func Read(path string) (Batch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Batch{}, fmt.Errorf("reading a report: %w (check the path, and that this user may read it)", err)
	}
	b, err := decodeJSON(data)
	if err != nil {
		return Batch{}, fmt.Errorf("reading the report %s: %w", path, err)
	}
	return b, nil
}

// errNotAReport is a JSON that is no batch report: a typo in the path, or another file.
var errNotAReport = errors.New("not a batch report's JSON")

// whichFile says which file Read takes.
const whichFile = "give the .json file written next to the report's .csv and .html"

// decodeJSON reads what encodeJSON wrote.
func decodeJSON(data []byte) (Batch, error) {
	// The version first: a later version may have changed what the fields hold.
	var version struct {
		Version int `json:"report_version"`
	}
	if err := json.Unmarshal(data, &version); err != nil {
		return Batch{}, fmt.Errorf("%w (%w); %s", errNotAReport, err, whichFile)
	}
	switch {
	case version.Version < 1:
		return Batch{}, fmt.Errorf("%w (it has no report_version); %s", errNotAReport, whichFile)
	case version.Version > reportVersion:
		return Batch{}, fmt.Errorf("a version %d report, and this app reads up to version %d; open it with a newer version of the app", version.Version, reportVersion)
	}
	var in jsonBatch
	if err := json.Unmarshal(data, &in); err != nil {
		return Batch{}, fmt.Errorf("%w (%w); %s", errNotAReport, err, whichFile)
	}
	b := Batch{
		ID: in.ID, Folder: in.Folder, Project: in.Project, ProjectID: in.ProjectID,
		Device: in.Device, App: in.App,
		Added: timeOrZero(in.Added), Written: timeOrZero(in.Written),
		HashList: in.HashList, HashListNote: in.HashListNote,
	}
	if len(in.Files) > 0 {
		b.Files = make([]File, len(in.Files))
	}
	for i, jf := range in.Files {
		f := File{
			Name: jf.Name, Path: jf.Path, RelPath: jf.RelPath, Size: jf.Size, MHL: jf.MHL,
			AssetID: jf.AssetID, Project: jf.Project,
			Started: timeOrZero(jf.Started), Finished: timeOrZero(jf.Finished),
			Attempts: jf.Attempts, State: jf.State, Reason: jf.Reason,
		}
		for _, s := range jf.Hashes {
			f.Hashes = append(f.Hashes, hashes.Sum(s))
		}
		if jf.MHLHash != nil {
			f.MHLHash = hashes.Sum(*jf.MHLHash)
		}
		b.Files[i] = f
	}
	return b, nil
}
