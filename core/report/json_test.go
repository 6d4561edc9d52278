package report

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// normalized strips what JSON cannot carry and need not: a time's zone name and monotonic
// reading (the instant and its offset stay).
func normalized(b Batch) Batch {
	b.Added, b.Written = b.Added.UTC(), b.Written.UTC()
	b.Files = slices.Clone(b.Files)
	for i := range b.Files {
		b.Files[i].Started, b.Files[i].Finished = b.Files[i].Started.UTC(), b.Files[i].Finished.UTC()
	}
	return b
}

// roundTrip writes b and reads its JSON back.
func roundTrip(t *testing.T, b Batch) (Batch, Paths) {
	t.Helper()
	p, err := Write(t.TempDir(), b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return got, p
}

func TestJSONEqualsTheInput(t *testing.T) {
	for name, b := range map[string]Batch{"awkward": awkwardBatch(), "big card": bigBatch(2000)} {
		got, _ := roundTrip(t, b)
		if !reflect.DeepEqual(normalized(got), normalized(b)) {
			t.Errorf("%s: Read gave back another batch:\n got %+v\nwant %+v", name, got, b)
		}
	}
	b := awkwardBatch()
	got, _ := roundTrip(t, b)
	if _, off := got.Added.Zone(); off != 3600 {
		t.Errorf("added came back with offset %d s, want the +01:00 it was written with", off)
	}
	if got.Added.Nanosecond() != b.Added.Nanosecond() {
		t.Error("added lost its fraction of a second")
	}
}

func TestJSONOfNoFiles(t *testing.T) {
	b := awkwardBatch()
	b.Files = nil
	got, p := roundTrip(t, b)
	if len(got.Files) != 0 || got.ID != b.ID || got.HashListNote != b.HashListNote {
		t.Errorf("Read = %+v, want the batch without files", got)
	}
	data, err := os.ReadFile(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"files": []`) {
		t.Errorf("no files is not written as an empty list:\n%s", data)
	}
}

// TestJSONShape pins the names and forms a program reading the report relies on.
func TestJSONShape(t *testing.T) {
	_, p := roundTrip(t, awkwardBatch())
	data, err := os.ReadFile(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Batch map[string]json.RawMessage
		Files []map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(data, &doc.Batch); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc.Batch["files"], &doc.Files); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return strings.Join(k, " ")
	}
	if got, want := keys(doc.Batch), "added app device files folder hash_list hash_list_note id project project_id report_version written"; got != want {
		t.Errorf("batch keys = %s, want %s", got, want)
	}
	if got, want := keys(doc.Files[0]), "asset_id attempts finished hashes mhl mhl_hash name path project reason rel_path size started state"; got != want {
		t.Errorf("file keys = %s, want %s", got, want)
	}
	for key, want := range map[string]string{
		"report_version": `1`,
		"added":          `"2026-12-03T14:15:30.123456789+01:00"`,
	} {
		if got := string(doc.Batch[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	first, last := doc.Files[0], doc.Files[9]
	var hashList []map[string]string
	if err := json.Unmarshal(first["hashes"], &hashList); err != nil || len(hashList) != 3 ||
		hashList[0]["format"] != "xxh64" || hashList[1]["format"] != "md5" || hashList[2]["format"] != "sha1" {
		t.Errorf("hashes = %s, want an ordered list of {format, value}", first["hashes"])
	}
	for key, want := range map[string]string{"started": "null", "finished": "null", "mhl_hash": "null", "hashes": "[]", "mhl": `""`} {
		if got := string(last[key]); got != want {
			t.Errorf("a file never started has %s = %s, want %s", key, got, want)
		}
	}
	if got := string(first["mhl"]); got != `"matched"` {
		t.Errorf("mhl = %s", got)
	}
}

func TestReadRefusesWhatIsNoReport(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct {
		path, want string
	}{
		{file("html.json", "<!DOCTYPE html>"), "not a batch report"},
		{file("settings.json", `{"values": {}}`), "no report_version"},
		{file("future.json", `{"report_version": 2, "files": [{"name": 7}]}`), "newer version"},
		{file("cut.json", `{"report_version": 1, "files": [`), "not a batch report"},
		{file("types.json", `{"report_version": 1, "files": [{"size": "big"}]}`), "not a batch report"},
	} {
		_, err := Read(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("Read(%s) = %v, want an error naming the file and saying %q", filepath.Base(c.path), err, c.want)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestWriteRefusesTimesJSONCannotHold(t *testing.T) {
	b := awkwardBatch()
	b.Written = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "reports")
	if _, err := Write(dir, b); err == nil || !strings.Contains(err.Error(), "JSON") {
		t.Errorf("Write of the year 10000 = %v, want an error about the JSON", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a batch that cannot be written still wrote something")
	}
}
