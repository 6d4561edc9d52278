package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantHeader is the CSV's header as a spreadsheet shows it.
var wantHeader = []string{
	"File", "Relative path", "Size (bytes)", "Hash", "Hash format", "Other hashes",
	"MHL verdict", "Offload hash", "Asset ID", "Project", "Started", "Finished",
	"Attempts", "State", "Reason",
}

// readCSV writes b and reads its CSV back with encoding/csv, header first.
func readCSV(t *testing.T, b Batch) [][]string {
	t.Helper()
	p, err := Write(t.TempDir(), b)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p.CSV)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(data, []byte("\uFEFF"))
	if !ok {
		t.Error("the CSV does not start with a UTF-8 byte order mark")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = len(wantHeader)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, body)
	}
	if len(rows) == 0 || strings.Join(rows[0], "|") != strings.Join(wantHeader, "|") {
		t.Fatalf("header = %q, want %q", rows[0], wantHeader)
	}
	return rows
}

// undefuse takes off the single quote the CSV puts in front of a cell a spreadsheet would
// run; a cell starting with one of = + - @ tab CR or a quote always has it.
func undefuse(t *testing.T, cell string) string {
	t.Helper()
	if cell == "" {
		return cell
	}
	if strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		t.Errorf("cell %q would run as a formula in a spreadsheet", cell)
	}
	if cell[0] == '\'' {
		return cell[1:]
	}
	return cell
}

// wantRow is a file's row, each value as the brief asks for it.
func wantRow(f File) []string {
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	var hash, format, others, offload string
	if len(f.Hashes) > 0 {
		hash, format = f.Hashes[0].Value, string(f.Hashes[0].Format)
	}
	for i, s := range f.Hashes {
		if i > 0 {
			others = strings.TrimSpace(others + " " + string(s.Format) + ":" + s.Value)
		}
	}
	if f.MHLHash.Value != "" {
		offload = string(f.MHLHash.Format) + ":" + f.MHLHash.Value
	}
	return []string{
		f.Name, f.RelPath, strconv.FormatInt(f.Size, 10), hash, format, others, string(f.MHL),
		offload, f.AssetID, f.Project, rfc(f.Started), rfc(f.Finished), strconv.Itoa(f.Attempts),
		f.State, f.Reason,
	}
}

func TestCSVEqualsTheInput(t *testing.T) {
	b := awkwardBatch()
	rows := readCSV(t, b)
	if len(rows) != 1+len(b.Files) {
		t.Fatalf("%d rows, want a header and %d files", len(rows), len(b.Files))
	}
	for i, f := range b.Files {
		want := wantRow(f)
		for j, cell := range rows[i+1] {
			if got := undefuse(t, cell); got != want[j] {
				t.Errorf("file %d, column %q = %q, want %q", i, wantHeader[j], got, want[j])
			}
		}
	}
	// Spelled out, so the rule itself is pinned and not only its inverse.
	for _, c := range []struct{ row, col int }{{4, 0}, {6, 0}, {7, 0}, {8, 0}, {9, 0}, {10, 0}, {9, 14}} {
		if cell := rows[c.row][c.col]; cell[0] != '\'' {
			t.Errorf("row %d, column %q = %q, want it behind a single quote", c.row, wantHeader[c.col], cell)
		}
	}
	if got := rows[4][0]; got != "'=cmd|' /C calc'!A0.mov" {
		t.Errorf("the =cmd name is written %q", got)
	}
	if got := rows[1][5]; !strings.HasPrefix(got, "md5:") || !strings.Contains(got, " sha1:") {
		t.Errorf("further hashes = %q, want \"md5:… sha1:…\"", got)
	}
	if got := rows[1][10]; got != "2026-12-03T14:16:30+01:00" {
		t.Errorf("started = %q, want RFC 3339 with the offset", got)
	}
}

func TestCSVOfNoFilesIsTheHeader(t *testing.T) {
	b := awkwardBatch()
	b.Files = nil
	if rows := readCSV(t, b); len(rows) != 1 {
		t.Errorf("%d rows for no files, want the header alone", len(rows))
	}
}

func TestCSVOfABigCard(t *testing.T) {
	b := bigBatch(2000)
	rows := readCSV(t, b)
	if len(rows) != 2001 {
		t.Fatalf("%d rows, want 2,001", len(rows))
	}
	for i, f := range b.Files {
		want := wantRow(f)
		if strings.Join(rows[i+1], "|") != strings.Join(want, "|") {
			t.Fatalf("row %d = %q, want %q", i+1, rows[i+1], want)
		}
	}
}

func TestCSVKeepsBadBytesOut(t *testing.T) {
	b := awkwardBatch()
	b.Files = b.Files[:1]
	b.Files[0].Path = "/Volumes/\xff/clip.mov"
	b.Files[0].RelPath = "\xffclip.mov"
	rows := readCSV(t, b)
	if got := rows[1][1]; got != "\uFFFDclip.mov" {
		t.Errorf("a path that is not UTF-8 is written %q, want U+FFFD for the bad byte", got)
	}
}
