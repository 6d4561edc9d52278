package receipt_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/receipt"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// added is when the test batches were added; written the first Write's clock.
var (
	added   = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	written = added.Add(10 * time.Minute)
)

// offloadTool is the creator of the offload's histories the tests make (not this app).
var offloadTool = mhl.Creator{Tool: "offload-tool", ToolVersion: "3.1", Hostname: "dit-cart", Created: added.Add(-time.Hour), Process: mhl.InPlace}

// writeMedia writes content at root/rel and returns its path.
func writeMedia(t *testing.T, root, rel, content string) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func xxh64(content string) string { return hashes.XXH64.Of([]byte(content)) }

// offloadHistory starts the offload's history at root listing each rel with the xxh64
// given (the hash of what the offload read).
func offloadHistory(t *testing.T, root string, listed map[string]string) {
	t.Helper()
	var entries []mhl.Entry
	for _, rel := range slices.Sorted(maps.Keys(listed)) {
		entries = append(entries, mhl.Entry{Path: rel, Size: 5, Hashes: []mhl.Hash{{Format: hashes.XXH64, Value: listed[rel], Action: mhl.Original}}})
	}
	if _, _, err := mhl.Create(root, entries, offloadTool); err != nil {
		t.Fatal(err)
	}
}

// done is the view of a file of root done uploading, with content's xxh64 as the hash of
// the bytes sent; HashList and Offload are left for the test.
func done(id upload.FileID, root, rel, content string) upload.FileView {
	p := filepath.Join(root, filepath.FromSlash(rel))
	return upload.FileView{
		ID: id, Name: filepath.Base(p), Path: p, Size: int64(len(content)), State: upload.Done,
		AddedAt: added, StartedAt: added.Add(time.Minute), DoneAt: added.Add(2 * time.Minute),
		Project: "Night Shoot", AssetID: "asset-" + filepath.Base(p), Attempts: 0,
		Hashes: hashes.Sums{{Format: hashes.XXH64, Value: xxh64(content)}},
		Root:   root, ModTime: added.Add(-2 * time.Hour),
	}
}

// listedIn sets the view's history (root) and the hash it lists for the file.
func listedIn(v upload.FileView, root, offloadXXH64 string) upload.FileView {
	v.HashList = root
	if offloadXXH64 != "" {
		v.Offload = hashes.Sum{Format: hashes.XXH64, Value: offloadXXH64}
	}
	return v
}

// differs turns a done view into the engine's view of a file whose bytes sent differ
// from the offload's hash list (core/upload/attempt.go: failed, DiffersKind, no DoneAt).
func differs(v upload.FileView) upload.FileView {
	v.State, v.ErrorKind, v.DoneAt = upload.Failed, upload.DiffersKind, time.Time{}
	v.Error = "It differs from the offload's hash list."
	return v
}

// marks records what Write marked.
type marks struct {
	mu    sync.Mutex
	calls [][]upload.FileID
	ats   []time.Time
}

func (m *marks) mark(_ context.Context, ids []upload.FileID, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, slices.Clone(ids))
	m.ats = append(m.ats, at)
	return nil
}

// config is a writer's configuration for the reports folder dir, its clock at now.
func config(dir, hashLists string, m *marks, now time.Time) receipt.Config {
	return receipt.Config{
		Dir: dir, Tool: "C2C Uploader", ToolVersion: "9.9.9", HashLists: hashLists, Mark: m.mark,
		Now: func() time.Time { return now },
	}
}

// validate checks an ASC MHL file against one of the schemas vendored in core/mhl's
// testdata with xmllint (as core/mhl's own tests do).
func validate(t *testing.T, schema, file string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is not on PATH (%v): install libxml2-utils; the hash lists written must be checked against the ASC MHL schemas", err)
	}
	xsd := filepath.Join("..", "mhl", "testdata", "xsd", schema)
	if out, err := exec.Command(bin, "--noout", "--schema", xsd, file).CombinedOutput(); err != nil {
		t.Errorf("%s does not validate against %s: %v\n%s", file, schema, err, out)
	}
}

// chainRow is one entry of a chain file, read with encoding/xml alone.
type chainRow struct {
	Number int    `xml:"sequencenr,attr"`
	Path   string `xml:"path"`
	C4     string `xml:"c4"`
}

// checkHistoryFiles validates every manifest and the chain in root/ascmhl against the
// schemas and checks that the chain numbers them 1, 2, 3… with the C4 ID of their bytes;
// it returns the chain's rows.
func checkHistoryFiles(t *testing.T, root string) []chainRow {
	t.Helper()
	folder := filepath.Join(root, mhl.Folder)
	chainPath := filepath.Join(folder, mhl.ChainFile)
	validate(t, "ASCMHLDirectory.xsd", chainPath)
	b, err := os.ReadFile(chainPath)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Rows []chainRow `xml:"hashlist"`
	}
	if err := xml.Unmarshal(b, &c); err != nil {
		t.Fatalf("the chain file %s: %v", chainPath, err)
	}
	manifests, _ := filepath.Glob(filepath.Join(folder, "*.mhl"))
	if len(c.Rows) != len(manifests) {
		t.Errorf("the chain lists %d manifests, %s holds %d", len(c.Rows), folder, len(manifests))
	}
	for i, r := range c.Rows {
		if r.Number != i+1 {
			t.Errorf("chain entry %d has sequence number %d", i+1, r.Number)
		}
		p := filepath.Join(folder, r.Path)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("chain entry %d: %v", r.Number, err)
			continue
		}
		validate(t, "ASCMHL.xsd", p)
		if want := hashes.C4.Of(data); r.C4 != want {
			t.Errorf("the chain records %s for %s; the C4 ID of its bytes is %s", r.C4, r.Path, want)
		}
	}
	return c.Rows
}

// openHistory opens the history at root and fails the test on any problem it has.
func openHistory(t *testing.T, root string) *mhl.History {
	t.Helper()
	h, err := mhl.Open(root)
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
	}
	for _, p := range h.AllProblems() {
		t.Errorf("the history at %s has a problem: %s", root, p)
	}
	return h
}

// actions are a generation's entries as "path action(s)", the actions of its hashes.
func actions(g mhl.Generation) map[string]string {
	out := map[string]string{}
	for _, e := range g.Entries {
		var as []string
		for _, h := range e.Hashes {
			as = append(as, string(h.Format)+"="+h.Value+"/"+string(h.Action))
		}
		out[e.Path] = strings.Join(as, " ")
	}
	return out
}

// tree is every file below root with its bytes: a snapshot to tell whether anything
// was written there.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[p+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readCSV reads a report's CSV (after its byte order mark) into rows by the header's
// column names.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := bytes.CutPrefix(b, []byte("\uFEFF"))
	if !ok {
		t.Errorf("the CSV %s does not start with a UTF-8 byte order mark", path)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV %s: %v", path, err)
	}
	if len(rows) == 0 {
		t.Fatalf("the CSV %s is empty", path)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, name := range rows[0] {
			m[name] = r[i]
		}
		out = append(out, m)
	}
	return out
}
