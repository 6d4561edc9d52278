package receipt_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/receipt"
	"github.com/c2c-uploader/c2c-uploader/core/report"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// A batch is due once no file of it is on its way and a file finished since its receipts
// were last written; files queued before receipts existed (no Root) count for nothing.
func TestDueOnlyOnceTheBatchSettledWithSomethingNew(t *testing.T) {
	root := "/media/A001"
	fresh := done(1, root, "a.mov", "a")
	receipted := fresh
	receipted.Receipted = fresh.DoneAt.Add(time.Second)
	doneAgain := receipted
	doneAgain.DoneAt = receipted.Receipted.Add(time.Minute)
	with := func(v upload.FileView, id upload.FileID, s upload.State) upload.FileView {
		v.ID, v.State, v.Path, v.DoneAt = id, s, v.Path+"."+string(s), time.Time{}
		return v
	}
	rootless := func(v upload.FileView) upload.FileView { v.Root = ""; return v }
	cases := []struct {
		name  string
		files []upload.FileView
		want  bool
	}{
		{"nothing", nil, false},
		{"a file still queued", []upload.FileView{fresh, with(fresh, 2, upload.Queued)}, false},
		{"a file still uploading", []upload.FileView{fresh, with(fresh, 2, upload.Uploading)}, false},
		{"a file retrying", []upload.FileView{fresh, with(fresh, 2, upload.Retrying)}, false},
		{"a file waiting", []upload.FileView{fresh, with(fresh, 2, upload.Waiting)}, false},
		{"a file creating its asset", []upload.FileView{fresh, with(fresh, 2, upload.Creating)}, false},
		{"settled, a file done never written", []upload.FileView{fresh}, true},
		{"settled, one done and one failed, never written", []upload.FileView{fresh, with(fresh, 2, upload.Failed)}, true},
		{"everything written after it was done", []upload.FileView{receipted}, false},
		{"done again after it was written", []upload.FileView{doneAgain}, true},
		{"a file without Root uploading does not hold the batch", []upload.FileView{fresh, rootless(with(fresh, 2, upload.Uploading))}, true},
		{"only files without Root, done and never written", []upload.FileView{rootless(fresh)}, false},
		{"written, and a file without Root done since", []upload.FileView{receipted, rootless(with(doneAgain, 2, upload.Done))}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := receipt.Due(c.files); got != c.want {
				t.Errorf("Due = %v, want %v", got, c.want)
			}
		})
	}
}

// Beside the offload's history: the batch's generation is appended there (valid ASC
// MHL, chained with the C4 ID of its bytes), verified for the file whose hash matched,
// failed for the one that differs, original for the one the history did not list; the
// report says the same of each file as the views.
func TestWriteAppendsAGenerationToTheOffloadsHistoryBesideTheMedia(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A001")
	reports := filepath.Join(t.TempDir(), "reports")
	writeMedia(t, root, "clip1.mov", "first clip")
	writeMedia(t, root, "clip2.mov", "second clip")
	writeMedia(t, root, "sub/clip3.mov", "third clip")
	wrong := xxh64("what the card had")
	offloadHistory(t, root, map[string]string{"clip1.mov": xxh64("first clip"), "clip2.mov": wrong})
	first := filepath.Join(root, mhl.Folder)
	offloadGen := tree(t, first)

	views := []upload.FileView{
		// Out of order: Write sorts them by path.
		listedIn(done(3, root, "sub/clip3.mov", "third clip"), root, ""),
		listedIn(done(1, root, "clip1.mov", "first clip"), root, xxh64("first clip")),
		differs(listedIn(done(2, root, "clip2.mov", "second clip"), root, wrong)),
	}
	var m marks
	w := receipt.Write(context.Background(), config(reports, "", &m, written), receipt.Batch{Added: added, Files: views, Device: "Cart 2"})

	if len(w.Problems) != 0 {
		t.Errorf("problems: %q", w.Problems)
	}
	if w.Folder != root || w.Batch != report.BatchID(added, root) {
		t.Errorf("Written names batch %q of %q; want %q of %q", w.Batch, w.Folder, report.BatchID(added, root), root)
	}
	if len(w.HashLists) != 1 || filepath.Dir(w.HashLists[0]) != first {
		t.Fatalf("hash lists written: %q; want one generation in %s", w.HashLists, first)
	}
	rows := checkHistoryFiles(t, root)
	if len(rows) != 2 || rows[1].Path != filepath.Base(w.HashLists[0]) {
		t.Fatalf("the chain lists %+v; want the offload's generation then %s", rows, filepath.Base(w.HashLists[0]))
	}
	newBytes, err := os.ReadFile(w.HashLists[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := hashes.C4.Of(newBytes); rows[1].C4 != want {
		t.Errorf("the chain records %s for the new generation; the C4 ID of its bytes is %s", rows[1].C4, want)
	}
	after := tree(t, first)
	for p, b := range offloadGen {
		if after[p] != b && filepath.Base(p) != mhl.ChainFile {
			t.Errorf("the offload's %s was changed", p)
		}
	}

	h := openHistory(t, root)
	if len(h.Generations) != 2 {
		t.Fatalf("the history has %d generations, want 2", len(h.Generations))
	}
	g := h.Generations[1]
	if g.Tool != "C2C Uploader" || g.ToolVersion != "9.9.9" || g.Process != mhl.Transfer {
		t.Errorf("the new generation was made by %q %q (%s); want C2C Uploader 9.9.9 (transfer)", g.Tool, g.ToolVersion, g.Process)
	}
	got := actions(g)
	want := map[string]string{
		"clip1.mov":     "xxh64=" + xxh64("first clip") + "/verified",
		"clip2.mov":     "xxh64=" + xxh64("second clip") + "/failed",
		"sub/clip3.mov": "xxh64=" + xxh64("third clip") + "/original",
	}
	for p, a := range want {
		if got[p] != a {
			t.Errorf("the new generation records %s as %q, want %q", p, got[p], a)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the new generation records %v, want %v", got, want)
	}
	for _, e := range g.Entries {
		if v := viewAt(views, filepath.Join(root, filepath.FromSlash(e.Path))); v.Size != e.Size {
			t.Errorf("%s is recorded with size %d, want %d", e.Path, e.Size, v.Size)
		}
	}
	// What the history now answers for the file that differs is still the offload's hash:
	// a failed hash is no reference.
	if sums, _ := h.Newest("clip2.mov"); sums.Get(hashes.XXH64) != wrong {
		t.Errorf("after the failed record the history gives clip2.mov %v, want the offload's %s", sums, wrong)
	}

	checkReport(t, w, reports, root, views, filepath.Join(root, mhl.Folder), "beside the media")
	if len(m.calls) != 1 || !slices.Equal(m.calls[0], []upload.FileID{1, 2, 3}) || !m.ats[0].Equal(written) {
		t.Errorf("Mark was called with %v at %v; want once with [1 2 3] at %v", m.calls, m.ats, written)
	}
}

func viewAt(views []upload.FileView, path string) upload.FileView {
	for _, v := range views {
		if v.Path == path {
			return v
		}
	}
	return upload.FileView{}
}

// checkReport checks the batch's report (JSON, read back with report.Read, and CSV)
// against the views it was written from, and that it says where the hash list went and
// why (note, a part of the sentence).
func checkReport(t *testing.T, w receipt.Written, reports, root string, views []upload.FileView, hashList, note string) {
	t.Helper()
	base := filepath.Join(reports, w.Batch)
	if w.Report != (report.Paths{CSV: base + ".csv", JSON: base + ".json", HTML: base + ".html"}) {
		t.Fatalf("the report is at %+v; want %s.{csv,json,html}", w.Report, base)
	}
	if _, err := os.Stat(w.Report.HTML); err != nil {
		t.Errorf("the report's page: %v", err)
	}
	b, err := report.Read(w.Report.JSON)
	if err != nil {
		t.Fatalf("reading the report's JSON: %v", err)
	}
	if b.ID != w.Batch || b.Folder != root || b.Project != "Night Shoot" || b.Device != "Cart 2" || !b.Added.Equal(added) {
		t.Errorf("the report is of batch %q folder %q project %q device %q added %v", b.ID, b.Folder, b.Project, b.Device, b.Added)
	}
	if b.HashList != hashList || !strings.Contains(b.HashListNote, note) {
		t.Errorf("the report says the hash list is %q (%q); want %q, saying %q", b.HashList, b.HashListNote, hashList, note)
	}
	sorted := slices.Clone(views)
	slices.SortFunc(sorted, func(a, b upload.FileView) int { return strings.Compare(a.Path, b.Path) })
	if len(b.Files) != len(sorted) {
		t.Fatalf("the report lists %d files, want %d", len(b.Files), len(sorted))
	}
	rows := readCSV(t, w.Report.CSV)
	if len(rows) != len(sorted) {
		t.Fatalf("the CSV has %d rows, want %d", len(rows), len(sorted))
	}
	for i, v := range sorted {
		f, row := b.Files[i], rows[i]
		rel, _ := filepath.Rel(root, v.Path)
		rel = filepath.ToSlash(rel)
		if f.Path != v.Path || f.RelPath != rel || f.Size != v.Size || f.AssetID != v.AssetID || f.State != string(v.State) ||
			f.Hashes.String() != v.Hashes.String() || string(f.MHL) != v.Verdict() || f.MHLHash != v.Offload {
			t.Errorf("the report has file %d as %+v; the view is %+v (verdict %q)", i, f, v, v.Verdict())
		}
		if v.State != upload.Done && f.Reason != v.Error {
			t.Errorf("the report gives %s the reason %q, want %q", v.Name, f.Reason, v.Error)
		}
		offload := ""
		if v.Offload.Value != "" {
			offload = v.Offload.String()
		}
		wantRow := map[string]string{
			"File": v.Name, "Relative path": rel, "Hash": v.Hashes[0].Value, "Hash format": string(v.Hashes[0].Format),
			"MHL verdict": v.Verdict(), "Offload hash": offload, "Asset ID": v.AssetID, "State": string(v.State),
		}
		for col, want := range wantRow {
			if row[col] != want {
				t.Errorf("CSV row %d (%s): %s is %q, want %q", i+1, v.Name, col, row[col], want)
			}
		}
	}
}

// A batch written once, then again after one more file is done: the second Write adds one
// generation with that file alone, wherever the first went, and marks the batch's files.
func TestWriteAgainAddsOneGenerationWithOnlyTheFileDoneSince(t *testing.T) {
	for _, c := range []struct {
		name, hashLists string
		inReports       bool
	}{
		{"beside the offload's history", receipt.HashListsExisting, false},
		{"in the reports folder", receipt.HashListsReports, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "A002")
			reports := filepath.Join(t.TempDir(), "reports")
			writeMedia(t, root, "clip1.mov", "first clip")
			writeMedia(t, root, "clip2.mov", "second clip")
			offloadHistory(t, root, map[string]string{"clip1.mov": xxh64("first clip"), "clip2.mov": xxh64("second clip")})
			one := listedIn(done(1, root, "clip1.mov", "first clip"), root, xxh64("first clip"))
			two := listedIn(done(2, root, "clip2.mov", "second clip"), root, xxh64("second clip"))
			two.State, two.DoneAt, two.ErrorKind, two.Error = upload.Failed, time.Time{}, "server", "The project refused it."
			two.Hashes = nil
			views := []upload.FileView{one, two}
			if !receipt.Due(views) {
				t.Fatal("the settled batch is not due")
			}
			var m marks
			w1 := receipt.Write(context.Background(), config(reports, c.hashLists, &m, written), receipt.Batch{Added: added, Files: views, Device: "Cart 2"})
			if len(w1.Problems) != 0 || len(w1.HashLists) != 1 {
				t.Fatalf("the first Write: hash lists %q, problems %q", w1.HashLists, w1.Problems)
			}
			for i := range views {
				views[i].Receipted = written
			}
			if receipt.Due(views) {
				t.Fatal("the batch is due again though nothing happened since it was written")
			}
			// clip2.mov is retried and done.
			later := written.Add(5 * time.Minute)
			views[1] = listedIn(done(2, root, "clip2.mov", "second clip"), root, xxh64("second clip"))
			views[1].DoneAt, views[1].Receipted, views[1].Attempts = later, written, 1
			if !receipt.Due(views) {
				t.Fatal("the batch is not due after one more file was done")
			}
			second := later.Add(time.Minute)
			w2 := receipt.Write(context.Background(), config(reports, c.hashLists, &m, second), receipt.Batch{Added: added, Files: views, Device: "Cart 2"})
			if len(w2.Problems) != 0 || len(w2.HashLists) != 1 {
				t.Fatalf("the second Write: hash lists %q, problems %q", w2.HashLists, w2.Problems)
			}
			if w2.Batch != w1.Batch || filepath.Dir(w2.HashLists[0]) != filepath.Dir(w1.HashLists[0]) {
				t.Errorf("the second Write went to batch %s, %s; the first to %s, %s", w2.Batch, w2.HashLists[0], w1.Batch, w1.HashLists[0])
			}
			histRoot := filepath.Dir(filepath.Dir(w2.HashLists[0]))
			if want := filepath.Join(reports, "hash lists", w1.Batch, "A002"); c.inReports && histRoot != want {
				t.Errorf("the history written is at %s, want %s", histRoot, want)
			} else if !c.inReports && histRoot != root {
				t.Errorf("the history written is at %s, want %s", histRoot, root)
			}
			checkHistoryFiles(t, histRoot)
			h := openHistory(t, histRoot)
			if len(h.Generations) != 3 {
				t.Fatalf("the history has %d generations, want 3 (the offload's, then one per Write)", len(h.Generations))
			}
			if got := actions(h.Generations[1]); len(got) != 1 || got["clip1.mov"] == "" {
				t.Errorf("the first Write's generation records %v, want clip1.mov alone", got)
			}
			wantLast := map[string]string{"clip2.mov": "xxh64=" + xxh64("second clip") + "/verified"}
			if got := actions(h.Generations[2]); len(got) != 1 || got["clip2.mov"] != wantLast["clip2.mov"] {
				t.Errorf("the second Write's generation records %v, want %v", got, wantLast)
			}
			if filepath.Base(w2.HashLists[0]) != h.Generations[2].File {
				t.Errorf("Written names %s, the history's newest generation is %s", w2.HashLists[0], h.Generations[2].File)
			}
			if len(m.calls) != 2 || !slices.Equal(m.calls[1], []upload.FileID{1, 2}) || !m.ats[1].Equal(second) {
				t.Errorf("Mark was called with %v at %v; want a second call with [1 2] at %v", m.calls, m.ats, second)
			}
			b, err := report.Read(w2.Report.JSON)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Files) != 2 || b.Files[1].State != "done" || b.Files[1].Attempts != 1 || !b.Written.Equal(second) {
				t.Errorf("the report after the second Write: %+v", b)
			}
		})
	}
}

// A run killed between writing a batch's hash list and marking its files writes its
// receipts again at the next start: the generation it wrote already records every file as
// it is, so no second one is added (beside the media and in the reports folder).
func TestWriteAgainAfterAKillAddsNoSecondGeneration(t *testing.T) {
	for _, hashLists := range []string{receipt.HashListsExisting, receipt.HashListsReports} {
		t.Run(hashLists, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "A003")
			reports := filepath.Join(t.TempDir(), "reports")
			writeMedia(t, root, "clip1.mov", "first clip")
			offloadHistory(t, root, map[string]string{"clip1.mov": xxh64("first clip")})
			views := []upload.FileView{listedIn(done(1, root, "clip1.mov", "first clip"), root, xxh64("first clip"))}
			var m marks
			w1 := receipt.Write(context.Background(), config(reports, hashLists, &m, written), receipt.Batch{Added: added, Files: slices.Clone(views)})
			// The kill: the marks never reached the journal, so the views are as before.
			w2 := receipt.Write(context.Background(), config(reports, hashLists, &m, written.Add(time.Minute)), receipt.Batch{Added: added, Files: slices.Clone(views)})
			if len(w1.HashLists) != 1 || len(w2.HashLists) != 1 || w1.HashLists[0] != w2.HashLists[0] {
				t.Fatalf("the hash lists written: %q, then %q; want the same generation", w1.HashLists, w2.HashLists)
			}
			h, err := mhl.Open(filepath.Dir(filepath.Dir(w1.HashLists[0])))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(h.Generations); n != 2 {
				t.Errorf("%d generations, want 2: the offload's and one of this app's", n)
			}
		})
	}
}

// A clock stepped back since a file was done (a laptop that synced its time) must not
// leave the batch due once written: it is marked written at the file's DoneAt at least.
func TestWriteMarksNoEarlierThanTheFilesWereDone(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A003")
	writeMedia(t, root, "clip1.mov", "first clip")
	views := []upload.FileView{done(1, root, "clip1.mov", "first clip")}
	var m marks
	before := views[0].DoneAt.Add(-time.Hour) // the clock now
	w := receipt.Write(context.Background(), config(filepath.Join(t.TempDir(), "reports"), receipt.HashListsReports, &m, before),
		receipt.Batch{Added: added, Files: views, Device: "Cart 2"})
	if len(w.Problems) != 0 || len(m.ats) != 1 {
		t.Fatalf("Write: problems %q, %d marks", w.Problems, len(m.ats))
	}
	views[0].Receipted = m.ats[0]
	if receipt.Due(views) {
		t.Errorf("marked written at %v, before the file was done at %v: the batch is still due", m.ats[0], views[0].DoneAt)
	}
}
