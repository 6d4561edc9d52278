package report

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// scriptName is a file name that would run in the page if it were not escaped.
const scriptName = "<script>alert(1)</script>.mov"

// awkwardBatch is a batch of names a spreadsheet, a CSV reader or a page could trip on,
// in every state and verdict the report tells apart.
func awkwardBatch() Batch {
	cet := time.FixedZone("CET", 3600)
	added := time.Date(2026, 12, 3, 14, 15, 30, 123456789, cet)
	file := func(name, state string, v Verdict, reason string) File {
		return File{
			Name: name, Path: "/Volumes/A001/" + name, RelPath: "CLIPS/" + name,
			Size:    int64(len(name)) << 20,
			Hashes:  hashes.Sums{{Format: hashes.XXH64, Value: hashes.XXH64.Of([]byte(name))}},
			MHL:     v,
			AssetID: "asset-" + fmt.Sprint(len(name)), Project: "Night Shoot",
			Started: added.Add(time.Minute), Finished: added.Add(2 * time.Minute),
			Attempts: 1, State: state, Reason: reason,
		}
	}
	files := []File{
		file("A001C002_230101_R1AB.mov", "done", Matched, ""),
		file("comma, \"quoted\"\nnewline.mov", "done", NotListed, ""),
		file("Ünïcødé 日本語 🎬.mxf", "skipped", NotListed, "The project refuses media from that time."),
		file("=cmd|' /C calc'!A0.mov", "done", Matched, ""),
		file(scriptName, "cancelled", NoHashList, "Cancelled by the person."),
		file("+plus.wav", "held", NoHashList, "Meant for another project."),
		file("-minus.wav", "failed", Differs, ""),
		file("@at.wav", "failed", NoHashList, "The file changed while it was sent."),
		file("'quoted.wav", "done", Matched, "=1+1"),
		file("\ttab.wav", "on-hold", NoHashList, ""),
	}
	// Two hashes, the offload's hash, and no times at all, on some files.
	files[0].Hashes = append(files[0].Hashes, hashes.Sum{Format: hashes.MD5, Value: hashes.MD5.Of([]byte("a"))},
		hashes.Sum{Format: hashes.SHA1, Value: hashes.SHA1.Of([]byte("a"))})
	files[0].MHLHash = files[0].Hashes[0]
	files[6].MHLHash = hashes.Sum{Format: hashes.XXH64, Value: "0123456789abcdef"}
	files[6].Attempts = 3
	files[9].Hashes, files[9].Started, files[9].Finished, files[9].Attempts, files[9].AssetID = nil, time.Time{}, time.Time{}, 0, ""
	files[5].Finished = time.Time{}
	return Batch{
		ID: "2026-12-03_141530_A001", Folder: "/Volumes/A001", Project: "Night Shoot",
		ProjectID: "prj-42", Device: "DIT cart 2", App: "C2C Uploader 1.4.0",
		Added: added, Written: added.Add(time.Hour),
		HashList: "/Volumes/A001/ascmhl/0002_A001_2026-12-03_141530Z.mhl", HashListNote: "next to the media",
		Files: files,
	}
}

// awkwardTotals is what awkwardBatch adds up to, counted by hand.
var awkwardTotals = map[string]string{
	"files": "10", "done": "4", "failed": "2", "skipped": "1", "cancelled": "1",
	"not-finished": "2", "differs": "1", "not-listed": "2",
}

// bigBatch is a card of n files, all done but every 97th failed.
func bigBatch(n int) Batch {
	b := Batch{ID: "big", Folder: "/Volumes/B002", Added: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for i := range n {
		name := fmt.Sprintf("B002C%04d_260102_R2CD.mov", i)
		f := File{
			Name: name, Path: "/Volumes/B002/" + name, RelPath: name, Size: int64(i) * 1000003,
			Hashes: hashes.Sums{{Format: hashes.XXH64, Value: hashes.XXH64.Of([]byte(name))}},
			State:  "done", Attempts: 1, AssetID: fmt.Sprintf("asset-%d", i),
		}
		if i%97 == 0 {
			f.State, f.Reason = "failed", "The server refused the file."
		}
		b.Files = append(b.Files, f)
	}
	return b
}

func TestTotalsAndAttentionOrder(t *testing.T) {
	b := awkwardBatch()
	got := b.Totals()
	want := Totals{Files: 10, Bytes: 0, Done: 4, Failed: 2, Skipped: 1, Cancelled: 1, NotFinished: 2, Differs: 1, NotListed: 2, NeedsAttention: 6}
	for _, f := range b.Files {
		want.Bytes += f.Size
	}
	if got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	// Failures and the differing hash first, then the skip, the cancel, and what waits.
	var names []string
	for _, i := range attentionOrder(b.Files) {
		names = append(names, b.Files[i].Name)
	}
	wantNames := []string{"-minus.wav", "@at.wav", "Ünïcødé 日本語 🎬.mxf", scriptName, "+plus.wav", "\ttab.wav"}
	if strings.Join(names, "|") != strings.Join(wantNames, "|") {
		t.Errorf("attention order = %q, want %q", names, wantNames)
	}
	// A done file whose hash differs needs attention too.
	if !(File{State: "done", MHL: Differs}).NeedsAttention() || (File{State: "done", MHL: NotListed}).NeedsAttention() {
		t.Error("NeedsAttention: a done file needs it only when its hash differs")
	}
}

func TestBatchID(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 15, 30, 999, time.Local)
	for folder, want := range map[string]string{
		"/Volumes/A001_C002/":             "2026-12-03_141530_A001_C002",
		"/Volumes/A001_C002":              "2026-12-03_141530_A001_C002",
		`E:\`:                             "2026-12-03_141530_E",
		`D:\Shoot Day 3\A001 (card 1)`:    "2026-12-03_141530_A001_card_1",
		"/media/dit/Drehtag Ü":            "2026-12-03_141530_Drehtag_Ü",
		`/x/a<b>c:d"e|f?g*h`:              "2026-12-03_141530_a_b_c_d_e_f_g_h",
		"/x/...hidden...":                 "2026-12-03_141530_hidden",
		"/":                               "2026-12-03_141530",
		"":                                "2026-12-03_141530",
		"/x/" + strings.Repeat("R", 100):  "2026-12-03_141530_" + strings.Repeat("R", maxFolderInID),
		"/x/\xff\xfeclip":                 "2026-12-03_141530_clip",
		"/x/CON":                          "2026-12-03_141530_CON",
		"/x/name with trailing dot. . .":  "2026-12-03_141530_name_with_trailing_dot",
		"/x/tab\tand\nnewline\x00control": "2026-12-03_141530_tab_and_newline_control",
	} {
		got := BatchID(at, folder)
		if got != want {
			t.Errorf("BatchID(%q) = %q, want %q", folder, got, want)
		}
		if err := checkID(got); err != nil || !utf8.ValidString(got) {
			t.Errorf("BatchID(%q) = %q, which Write refuses: %v", folder, got, err)
		}
	}
	// The time is this computer's local time, whatever zone it was given in.
	utc := time.Date(2026, 12, 3, 23, 59, 59, 0, time.UTC)
	if got, want := BatchID(utc, "/A"), utc.In(time.Local).Format("2006-01-02_150405")+"_A"; got != want {
		t.Errorf("BatchID of a UTC time = %q, want local %q", got, want)
	}
}
