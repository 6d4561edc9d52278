package headless

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestTheLogRecordsEachFinishedFile: the log keeps one line per file that arrived, with
// where it went (project and asset) and what it was (path and size), so a person can
// trace a file from the log alone; naming the files again, which sends nothing, adds no
// line.
func TestTheLogRecordsEachFinishedFile(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Record Project", nil)

	dir := t.TempDir()
	sizes := map[string]int{"A001.mov": 300 << 10, "A001.wav": 70 << 10, "notes.txt": 1}
	for name, size := range sizes {
		writeFile(t, dir, name, size)
	}
	expectCode(t, "upload", run(ctx, t, e, nil, "upload", dir), 0)
	expectCode(t, "upload again", run(ctx, t, e, nil, "upload", dir), 0)

	assets := assetsByName(ctx, t, e)
	lines := uploadedLines(t, e)
	if len(lines) != len(sizes) {
		t.Fatalf("%d lines for a finished file in the log, want one per file (%d): %v", len(lines), len(sizes), lines)
	}
	for _, l := range lines {
		name := l["file"]
		size, ok := sizes[name]
		if !ok {
			t.Errorf("a line for %q, which is no file of the upload: %v", name, l)
			continue
		}
		as := assets[name]
		if len(as) != 1 || l["asset"] != as[0].ID {
			t.Errorf("%s: the log names asset %q, the simulator has %+v", name, l["asset"], as)
		}
		if l["project"] != "Record Project" || l["path"] != filepath.Join(dir, name) || l["size"] != strconv.Itoa(size) {
			t.Errorf("%s: logged as %v, want its project, path and size", name, l)
		}
		delete(sizes, name)
	}
}

// uploadedLines are the log's lines for a file that arrived.
func uploadedLines(t *testing.T, e *e2etest.Env) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(e.DataDir, "logs", "c2c-uploader.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := e2etest.ParseLogLine(sc.Text()); l["msg"] == "uploaded" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
