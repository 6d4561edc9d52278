package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// names lists a folder.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteCreatesTheFolderAndNamesFilesByID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Reports", "Day 3")
	b := awkwardBatch()
	p, err := Write(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Paths{CSV: filepath.Join(dir, b.ID+".csv"), JSON: filepath.Join(dir, b.ID+".json"), HTML: filepath.Join(dir, b.ID+".html")}
	if p != want {
		t.Errorf("Write = %+v, want %+v", p, want)
	}
	if got := names(t, dir); !slices.Equal(got, []string{b.ID + ".csv", b.ID + ".html", b.ID + ".json"}) {
		t.Errorf("the folder holds %q, want the three files and nothing else", got)
	}
	for _, path := range []string{p.CSV, p.JSON, p.HTML} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o044 != 0o044 {
			t.Errorf("%s is %v: a report is for handing over, others must be able to read it", filepath.Base(path), info.Mode())
		}
	}
}

func TestWriteOverwritesAnEarlierReport(t *testing.T) {
	dir := t.TempDir()
	b := awkwardBatch()
	if _, err := Write(dir, b); err != nil {
		t.Fatal(err)
	}
	b.Files = b.Files[:1]
	b.Files[0].Name = "retried.mov"
	p, err := Write(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != 1 || got.Files[0].Name != "retried.mov" {
		t.Errorf("after a second Write the JSON has %d files, want the one of the second", len(got.Files))
	}
	csvData, _ := os.ReadFile(p.CSV)
	htmlData, _ := os.ReadFile(p.HTML)
	if bytes.Contains(csvData, []byte("minus.wav")) || bytes.Contains(htmlData, []byte("minus.wav")) {
		t.Error("the CSV or the HTML still holds the first report's files")
	}
	if n := len(names(t, dir)); n != 3 {
		t.Errorf("%d files in the folder after writing one batch twice, want 3", n)
	}
}

// TestWriteIsAtomic reads the report while it is written again and again, alternately
// large and small: a reader must always meet one whole report or the other.
func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	big, small := bigBatch(500), bigBatch(3)
	small.ID = big.ID
	p, err := Write(dir, small)
	if err != nil {
		t.Fatal(err)
	}
	htmlEnd := []byte("</html>\n")
	var wg sync.WaitGroup
	stop, quit := make(chan struct{}), make(chan struct{})
	defer func() { close(quit); wg.Wait() }() // the writer ends before the test, even a failed one
	wg.Go(func() {
		defer close(stop)
		for i := range 16 {
			select {
			case <-quit:
				return
			default:
			}
			if _, err := Write(dir, []Batch{big, small}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	reads := 0
	for done := false; !done; reads++ {
		select {
		case <-stop:
			done = true
		default:
		}
		got, err := Read(p.JSON)
		if err != nil {
			t.Fatalf("a reader met part of a report: %v", err)
		}
		if n := len(got.Files); n != 500 && n != 3 {
			t.Fatalf("a reader met a report of %d files", n)
		}
		csvData, err := os.ReadFile(p.CSV)
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(csvData, []byte("\n")); lines != 501 && lines != 4 {
			t.Fatalf("a reader met a CSV of %d lines", lines)
		}
		htmlData, err := os.ReadFile(p.HTML)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(htmlData, htmlEnd) {
			t.Fatalf("a reader met an HTML page cut at %d bytes", len(htmlData))
		}
	}
	if leftovers := slices.DeleteFunc(names(t, dir), func(n string) bool { return !strings.HasSuffix(n, ".tmp") }); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
	t.Logf("%d reads while writing", reads)
}

func TestWriteThatFailsSaysWhereAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	b := awkwardBatch()
	// A folder where the page should go: the rename onto it fails.
	blocked := filepath.Join(dir, b.ID+".html")
	if err := os.Mkdir(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blocked, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(dir, b)
	if err == nil || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("Write onto a folder = %v, want an error naming %s", err, blocked)
	}
	for _, n := range names(t, dir) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("a failed Write left %s behind", n)
		}
	}
}

func TestWriteSaysWhichFolderItCannotCreate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "reports")
	_, err := Write(dir, awkwardBatch())
	if err == nil || !strings.Contains(err.Error(), "reports folder "+dir) {
		t.Errorf("Write into %s = %v, want an error naming that folder", dir, err)
	}
}

func TestWriteRefusesAnIDThatIsNoFileName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	for _, id := range []string{"", ".", "..", "../escape", `a\b`, "a:b", "clip?", "line\nbreak", "dot.", strings.Repeat("x", 201)} {
		b := awkwardBatch()
		b.ID = id
		if _, err := Write(dir, b); err == nil || !strings.Contains(err.Error(), "BatchID") {
			t.Errorf("Write with ID %q = %v, want a refusal pointing to BatchID", id, err)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a refused ID still created the reports folder")
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 1319413953331: "1,319,413,953,331"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
