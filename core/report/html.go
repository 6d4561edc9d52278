package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"strconv"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// pageSource is the page's template: every value in it is text or an attribute that
// html/template escapes, never a URL, a style or a script.
//
//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// htmlTimeLayout is how the page writes a time: for a person, with its offset, since a
// report travels between time zones.
const htmlTimeLayout = "Mon 2 Jan 2006, 15:04:05 (UTC-07:00)"

// page is what the template shows, every value already in words.
type page struct {
	ID, Folder, Project, ProjectID, Device, App string
	Added, Written                              string
	HashList, HashListNote                      string
	Totals                                      pageTotals
	Attention                                   []pageFile
	Files                                       []pageFile
}

// pageTotals is Totals in words; each count stands alone in its element (data-total
// names it), so a program reading the page reads the figure a person sees.
type pageTotals struct {
	Files, Done, Failed, Skipped, Cancelled, NotFinished, Differs, NotListed string
	Size, Bytes, AttentionHeading, FilesHeading                              string
}

// pageFile is one file's row.
type pageFile struct {
	N                   int // its place in the batch, from 1
	Name, RelPath, Size string
	HashFormat, Hash    string
	Verdict             string
	Flagged             bool // failed, or differs from the hash list: shown in bold
	State, Reason       string
}

// encodeHTML writes the batch as its one-page summary.
func encodeHTML(b Batch) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, newPage(b)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newPage puts the batch in words.
func newPage(b Batch) page {
	t := b.Totals()
	p := page{
		ID: validText(b.ID), Folder: validText(b.Folder),
		Project: validText(b.Project), ProjectID: validText(b.ProjectID),
		Device: validText(b.Device), App: validText(b.App),
		Added: htmlTime(b.Added), Written: htmlTime(b.Written),
		HashList: validText(b.HashList), HashListNote: validText(b.HashListNote),
		Totals: pageTotals{
			Files: grouped(int64(t.Files)), Done: grouped(int64(t.Done)),
			Failed: grouped(int64(t.Failed)), Skipped: grouped(int64(t.Skipped)),
			Cancelled: grouped(int64(t.Cancelled)), NotFinished: grouped(int64(t.NotFinished)),
			Differs: grouped(int64(t.Differs)), NotListed: grouped(int64(t.NotListed)),
			Size: format.Bytes(t.Bytes), Bytes: grouped(t.Bytes),
			AttentionHeading: "Needs attention: " + format.Count(t.NeedsAttention, "file"),
			FilesHeading:     "All files: " + format.Count(t.Files, "file"),
		},
		Files: make([]pageFile, len(b.Files)),
	}
	if t.NeedsAttention == 0 {
		p.Totals.AttentionHeading = "Needs attention: nothing"
	}
	for i, f := range b.Files {
		p.Files[i] = newPageFile(i+1, f)
	}
	for _, i := range attentionOrder(b.Files) {
		p.Attention = append(p.Attention, p.Files[i])
	}
	return p
}

// newPageFile puts one file in words; n is its place in the batch.
func newPageFile(n int, f File) pageFile {
	row := pageFile{
		N: n, Name: validText(f.Name), RelPath: validText(f.RelPath), Size: format.Bytes(f.Size),
		Verdict: verdictWords(f.MHL), Flagged: f.State == stateFailed || f.MHL == Differs,
		State: validText(f.State), Reason: validText(f.Reason),
	}
	if len(f.Hashes) > 0 {
		row.HashFormat, row.Hash = validText(string(f.Hashes[0].Format)), validText(f.Hashes[0].Value)
	}
	switch {
	case row.Reason != "" || !f.NeedsAttention():
	case f.MHL == Differs:
		row.Reason = differsReason(f)
	default:
		row.Reason = "No reason was recorded."
	}
	return row
}

// differsReason explains a hash that differs when the engine gave no reason of its own.
func differsReason(f File) string {
	if len(f.Hashes) == 0 || f.MHLHash.Value == "" {
		return "The hash of the bytes sent differs from the offload's hash list."
	}
	return validText("The bytes sent hash to " + f.Hashes[0].String() +
		"; the offload's hash list gives " + f.MHLHash.String() + ".")
}

// verdictWords is a verdict as the page says it.
func verdictWords(v Verdict) string {
	switch v {
	case Matched:
		return "matches"
	case Differs:
		return "DIFFERS"
	case NotListed:
		return "not listed"
	case NoHashList:
		return "—"
	}
	return validText(string(v))
}

// htmlTime writes a time for a person; "not known" for none.
func htmlTime(t time.Time) string {
	if t.IsZero() {
		return "not known"
	}
	return t.Format(htmlTimeLayout)
}

// grouped writes n with its thousands separated by commas: 1,319,413,953.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return sign + string(out)
}
