// Package report writes the receipts of one batch (the files one add queued: a drop, a
// card) as three files a DIT or production can hand over: a CSV for a spreadsheet, a JSON
// for programs, and an HTML page a person can read and print. It is pure: it takes a
// Batch and writes files; it knows neither the journal nor the engine.
//
// Write puts <dir>/<ID>.csv, <ID>.json and <ID>.html side by side, each replaced whole
// (a temporary file and a rename), so a reader never sees half a report and writing the
// same batch again replaces the earlier one. Read reads the JSON back.
//
// The CSV (csv.go) has a header row and one row per file, in the order given. It starts
// with a UTF-8 byte order mark so that spreadsheets open names in any script correctly,
// and its lines end in LF (a newline inside a name is kept, quoted). A cell that starts
// with =, +, -, @, a tab or a carriage return would be taken for a formula by a
// spreadsheet, so it gets one single quote in front; so does a cell that already starts
// with a single quote, which makes the rule reversible: drop one leading quote from a
// cell that has one to get the value back.
//
// The JSON (json.go) is the Batch with snake_case names, times in RFC 3339 (to the
// nanosecond, with their offset) or null when not, and a file's hashes as an ordered list
// [{"format": "xxh64", "value": "…"}, …] whose first entry is the one the CSV and the
// page show as the file's hash; mhl_hash is one such object, or null. "report_version" is 1: Read refuses a
// report of a later version instead of reading it wrong.
//
// The HTML (html.go) is one self-contained document (no outside styles, scripts, fonts or
// images): the batch and its totals, then the files that need attention, then every file.
// It prints on A4 and Letter alike; a long list carries on over pages with its header
// repeated. It writes each time in the zone the time carries, with its offset: give the
// times in the zone the reader should see, usually time.Local.
//
// All three write text as UTF-8: a byte sequence that is not UTF-8 (a path can hold one)
// is written as U+FFFD.
package report

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// Batch is one batch's receipts as the report shows them.
type Batch struct {
	// ID names the report's files; it must be usable as a file name on every system
	// (BatchID makes one).
	ID        string
	Folder    string // the folder added, absolute
	Project   string // the project the batch went to; "" when not known
	ProjectID string
	Device    string // this installation's device name
	App       string // the app and its version: "C2C Uploader 1.4.0"
	Added     time.Time
	Written   time.Time
	// HashList is where the ASC MHL generation of this batch was written, "" when none
	// was; HashListNote says in a few words why there ("next to the media", "in the
	// reports folder: the card is read-only").
	HashList     string
	HashListNote string
	Files        []File
}

// File is the receipt of one file.
type File struct {
	Name    string
	Path    string
	RelPath string // relative to the batch's Folder, '/'-separated
	Size    int64
	// Hashes is what the app hashed of the bytes it sent; the first is the one the
	// report shows as the file's hash.
	Hashes  hashes.Sums
	MHL     Verdict
	MHLHash hashes.Sum // the offload's hash the file was compared with, when there was one
	AssetID string
	Project string // the project this file went to; it may differ from the batch's
	// Started and Finished are zero when the upload did not start or did not finish.
	Started  time.Time
	Finished time.Time
	Attempts int
	State    string // the engine's state: done, failed, skipped, cancelled, held, queued…
	Reason   string // one sentence for a file that is not done
}

// Verdict is what the offload's hash list said of a file.
type Verdict string

const (
	// Matched: the file's hash equals the one the offload's hash list gives.
	Matched Verdict = "matched"
	// Differs: it does not; the bytes sent are not the bytes offloaded, and the file
	// is failed.
	Differs Verdict = "differs"
	// NotListed: a hash list exists but does not list the file.
	NotListed Verdict = "not-listed"
	// NoHashList: the batch had no hash list to compare with.
	NoHashList Verdict = ""
)

// The states the report counts; every other state is a file not finished yet.
const (
	stateDone      = "done"
	stateFailed    = "failed"
	stateSkipped   = "skipped"
	stateCancelled = "cancelled"
)

// NeedsAttention reports whether a person should look at the file: it is not done, or its
// hash differs from the offload's hash list.
func (f File) NeedsAttention() bool {
	return f.State != stateDone || f.MHL == Differs
}

// attentionRank orders the files that need attention by how bad they are: a failure or a
// hash that differs, then a skip, then a cancel, then a file not finished yet.
func (f File) attentionRank() int {
	switch {
	case f.State == stateFailed || f.MHL == Differs:
		return 0
	case f.State == stateSkipped:
		return 1
	case f.State == stateCancelled:
		return 2
	}
	return 3
}

// attentionOrder is the places of the files that need attention, worst first and
// otherwise in the order given.
func attentionOrder(files []File) []int {
	var out []int
	for i, f := range files {
		if f.NeedsAttention() {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		return cmp.Compare(files[a].attentionRank(), files[b].attentionRank())
	})
	return out
}

// Totals counts a batch's files. Done, Failed, Skipped, Cancelled and NotFinished add up to
// Files; Differs and NotListed count verdicts, across those states.
type Totals struct {
	Files          int
	Bytes          int64 // the size of every file in the batch
	Done           int
	Failed         int
	Skipped        int
	Cancelled      int
	NotFinished    int // any other state: held, on-hold, paused, queued, uploading…
	Differs        int // the hash differs from the offload's hash list
	NotListed      int // the hash list does not list the file
	NeedsAttention int
}

// Totals counts the batch's files.
func (b Batch) Totals() Totals {
	t := Totals{Files: len(b.Files)}
	for _, f := range b.Files {
		t.Bytes += f.Size
		switch f.State {
		case stateDone:
			t.Done++
		case stateFailed:
			t.Failed++
		case stateSkipped:
			t.Skipped++
		case stateCancelled:
			t.Cancelled++
		default:
			t.NotFinished++
		}
		switch f.MHL {
		case Differs:
			t.Differs++
		case NotListed:
			t.NotListed++
		}
		if f.NeedsAttention() {
			t.NeedsAttention++
		}
	}
	return t
}

// idTimeLayout is the time part of a batch ID: sortable, and without the colons Windows
// refuses in a file name.
const idTimeLayout = "2006-01-02_150405"

// maxFolderInID bounds the folder's part of an ID, in runes, to keep the reports' paths
// short: Windows refuses long paths in many programs.
const maxFolderInID = 48

// BatchID makes a batch's ID from when it was added, in this computer's local time (the
// clock on the wall where the card was added), and the last element of the folder:
// "2026-12-03_141530_A001_C002". Anything in the folder's name but letters, digits, '-'
// and '.' becomes '_', so the ID is a file name on every system. Two adds of the same
// folder in the same second get the same ID, and the later report replaces the earlier.
func BatchID(added time.Time, folder string) string {
	id := added.Local().Format(idTimeLayout)
	if name := idPart(lastElement(folder)); name != "" {
		id += "_" + name
	}
	return id
}

// lastElement is the last element of a path written with '/' or '\' (the report may be
// made of a folder from another system), without the trailing separators: "A001_C002"
// of "/Volumes/A001_C002/", "E:" of `E:\`.
func lastElement(path string) string {
	path = strings.TrimRight(path, `/\`)
	return path[strings.LastIndexAny(path, `/\`)+1:]
}

// idPart keeps letters, digits, '-' and '.', turns every run of anything else into one
// '_', and trims what Windows refuses or hides at the ends (dots, spaces) and stray '_'.
func idPart(s string) string {
	var b strings.Builder
	lastUnderscore := false
	n := 0
	for _, r := range strings.ToValidUTF8(s, "_") {
		if n == maxFolderInID {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.' {
			b.WriteRune(r)
			lastUnderscore = false
			n++
			continue
		}
		if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
			n++
		}
	}
	return strings.Trim(b.String(), "_.-")
}

// validText writes s as UTF-8, with U+FFFD for bytes that are not.
func validText(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
