package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/internal/atomicfile"
)

// Paths are where Write put a batch's report.
type Paths struct{ CSV, JSON, HTML string }

// reportPerm lets everyone on the machine read a report: it is made to be handed over.
const reportPerm = 0o644

// Write writes the batch's report as <dir>/<ID>.csv, <ID>.json and <ID>.html, creating
// dir, and replaces an earlier report of the same batch. Each file is written whole
// before it takes its name, so a reader or a crash meets the earlier file or the new one,
// never part of one. The three are made one after the other, each written before the
// next is made: a card's report is held in memory one form at a time.
func Write(dir string, b Batch) (Paths, error) {
	if err := checkID(b.ID); err != nil {
		return Paths{}, err
	}
	// The JSON first: the times it cannot hold stop it all before anything is written.
	jsonData, err := encodeJSON(b)
	if err != nil {
		return Paths{}, fmt.Errorf("writing the JSON of batch %s: %w; give the batch's real times (a year has four digits)", b.ID, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Paths{}, fmt.Errorf("cannot create the reports folder %s; choose a folder this user can write to: %w", dir, err)
	}
	base := filepath.Join(dir, b.ID)
	p := Paths{CSV: base + ".csv", JSON: base + ".json", HTML: base + ".html"}
	for _, f := range []struct {
		path   string
		what   string
		encode func(Batch) ([]byte, error)
	}{
		{p.JSON, "the JSON", func(Batch) ([]byte, error) { return jsonData, nil }},
		{p.CSV, "the CSV", encodeCSV},
		{p.HTML, "the HTML", encodeHTML},
	} {
		data, err := f.encode(b)
		if err != nil {
			return Paths{}, fmt.Errorf("writing %s of batch %s: %w", f.what, b.ID, err)
		}
		if err := atomicfile.WriteBytes(f.path, reportPerm, data); err != nil {
			return Paths{}, fmt.Errorf("cannot write the report %s; check that the folder is writable and the disk not full: %w", f.path, err)
		}
		if f.path == p.JSON {
			jsonData = nil // written: not held while the others are made
		}
	}
	return p, nil
}

// checkID refuses an ID that is no file name on some system: it names the report's files.
func checkID(id string) error {
	bad := ""
	switch {
	case id == "":
		bad = "it is empty"
	case id == "." || id == "..":
		bad = "it names a folder"
	case strings.ContainsAny(id, `/\:*?"<>|`):
		bad = `it holds one of / \ : * ? " < > |`
	case strings.ContainsFunc(id, func(r rune) bool { return r < ' ' || r == 0x7f }):
		bad = "it holds a control character"
	case strings.HasSuffix(id, ".") || strings.HasSuffix(id, " "):
		bad = "it ends in a dot or a space"
	case len(id) > 200:
		bad = "it is longer than 200 bytes"
	}
	if bad != "" {
		return fmt.Errorf("the batch ID %q cannot name a file (%s); make it with report.BatchID", id, bad)
	}
	return nil
}
