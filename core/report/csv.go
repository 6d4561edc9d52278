package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"
)

// csvHeader names the CSV's columns, in order.
var csvHeader = []string{
	"File", "Relative path", "Size (bytes)", "Hash", "Hash format", "Other hashes",
	"MHL verdict", "Offload hash", "Asset ID", "Project", "Started", "Finished",
	"Attempts", "State", "Reason",
}

// utf8BOM starts the CSV: without it, common spreadsheets read UTF-8 as the system's
// legacy code page and garble names outside ASCII.
const utf8BOM = "\uFEFF"

// formulaStarts are the first characters that make a spreadsheet take a cell for a
// formula (or, for tab and carriage return, strip them and look again); the single quote
// is there so that the quoting can be undone.
const formulaStarts = "=+-@\t\r'"

// encodeCSV writes the batch's files as CSV rows under a header.
func encodeCSV(b Batch) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	// Lines end in LF, not CRLF: with CRLF encoding/csv drops a carriage return inside a
	// cell, and every spreadsheet reads LF.
	w := csv.NewWriter(&buf)
	if err := w.Write(csvHeader); err != nil {
		return nil, err
	}
	for _, f := range b.Files {
		if err := w.Write(csvRow(f)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// csvRow is a file's row, each cell safe to open in a spreadsheet.
func csvRow(f File) []string {
	var hash, format, others string
	if len(f.Hashes) > 0 {
		hash, format = f.Hashes[0].Value, string(f.Hashes[0].Format)
		others = f.Hashes[1:].String()
	}
	var offload string
	if f.MHLHash.Value != "" {
		offload = f.MHLHash.String()
	}
	row := []string{
		f.Name, f.RelPath, strconv.FormatInt(f.Size, 10), hash, format, others,
		string(f.MHL), offload, f.AssetID, f.Project, csvTime(f.Started), csvTime(f.Finished),
		strconv.Itoa(f.Attempts), f.State, f.Reason,
	}
	for i, cell := range row {
		row[i] = defuseCell(validText(cell))
	}
	return row
}

// csvTime writes a time in RFC 3339 to the second, which spreadsheets read as a time; ""
// when there is none.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// defuseCell puts a single quote in front of a cell a spreadsheet would run as a formula:
// file names come from cameras and people, and "=HYPERLINK(…)" is a valid one.
func defuseCell(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}
