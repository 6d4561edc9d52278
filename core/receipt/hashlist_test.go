package receipt_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/receipt"
	"github.com/c2c-uploader/c2c-uploader/core/report"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
)

// mediaFolder writes two clips in root and returns their views; with a history, the
// offload's history lists both with the right hashes first.
func mediaFolder(t *testing.T, root string, history bool) []upload.FileView {
	t.Helper()
	writeMedia(t, root, "C001.mov", "clip one")
	writeMedia(t, root, "C002.mov", "clip two")
	one, two := done(1, root, "C001.mov", "clip one"), done(2, root, "C002.mov", "clip two")
	if history {
		offloadHistory(t, root, map[string]string{"C001.mov": xxh64("clip one"), "C002.mov": xxh64("clip two")})
		one, two = listedIn(one, root, xxh64("clip one")), listedIn(two, root, xxh64("clip two"))
	}
	return []upload.FileView{one, two}
}

// expectInReports checks that the batch's hash list is a complete history of its own in
// the reports folder (cfg.Dir/"hash lists"/<batch>/<folder name>): valid, without
// problems, starting with a byte-for-byte copy of the offload's generations when the
// media had a history (offload: its ascmhl folder's files, nil when none), then this
// batch's generation. It returns the history's root.
func expectInReports(t *testing.T, w receipt.Written, reports, root string, offload map[string]string) string {
	t.Helper()
	if len(w.Problems) != 0 {
		t.Errorf("problems: %q", w.Problems)
	}
	target := filepath.Join(reports, "hash lists", w.Batch, filepath.Base(root))
	if len(w.HashLists) != 1 || filepath.Dir(w.HashLists[0]) != filepath.Join(target, mhl.Folder) {
		t.Fatalf("hash lists written: %q; want one generation in %s", w.HashLists, filepath.Join(target, mhl.Folder))
	}
	checkHistoryFiles(t, target)
	h := openHistory(t, target)
	copied := 0
	for p, b := range offload {
		if filepath.Base(p) == mhl.ChainFile || bytes.HasSuffix([]byte(p), []byte("/")) {
			continue
		}
		got, err := os.ReadFile(filepath.Join(target, mhl.Folder, filepath.Base(p)))
		if err != nil || string(got) != b {
			t.Errorf("the offload's generation %s is not copied as it was into %s: %v", filepath.Base(p), target, err)
		}
		copied++
	}
	if len(h.Generations) != copied+1 {
		t.Fatalf("the history in the reports folder has %d generations, want %d (the offload's %d, then this batch's)", len(h.Generations), copied+1, copied)
	}
	newest := h.Generations[len(h.Generations)-1]
	if newest.File != filepath.Base(w.HashLists[0]) || len(newest.Entries) != 2 {
		t.Errorf("the newest generation is %s with %d entries; want %s with 2", newest.File, len(newest.Entries), filepath.Base(w.HashLists[0]))
	}
	want := "/original"
	if offload != nil {
		want = "/verified"
	}
	for p, a := range actions(newest) {
		if !bytes.HasSuffix([]byte(a), []byte(want)) {
			t.Errorf("the newest generation records %s as %s, want %s", p, a, want)
		}
	}
	return target
}

// expectNote checks that the report says where the hash list went and why.
func expectNote(t *testing.T, w receipt.Written, where, note string) {
	t.Helper()
	b, err := report.Read(w.Report.JSON)
	if err != nil {
		t.Fatalf("reading the report: %v", err)
	}
	if b.HashList != where || !bytes.Contains([]byte(b.HashListNote), []byte(note)) {
		t.Errorf("the report says the hash list is %q (%q); want %q, saying %q", b.HashList, b.HashListNote, where, note)
	}
}

// expectUntouched fails the test when anything below dir differs from before.
func expectUntouched(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := tree(t, dir)
	if !maps.Equal(before, after) {
		for p := range after {
			if _, ok := before[p]; !ok {
				t.Errorf("%s was written", p)
			} else if before[p] != after[p] {
				t.Errorf("%s was changed", p)
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Errorf("%s was removed", p)
			}
		}
	}
}

// A camera card (a volume of its own with DCIM at its top) is the camera's: nothing is
// written on it, whatever the setting; the batch's hash list is a complete history in the
// reports folder, continuing a copy of the card's history when it had one.
func TestWriteLeavesACameraCardAloneAndKeepsTheHistoryInTheReportsFolder(t *testing.T) {
	for _, c := range []struct {
		name      string
		history   bool
		hashLists string
	}{
		{"with the offload's history", true, receipt.HashListsExisting},
		{"with the offload's history, setting always", true, receipt.HashListsAlways},
		{"without a history, setting always", false, receipt.HashListsAlways},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := disktest.Small(t, 8<<20)
			if err := os.Mkdir(filepath.Join(card, "DCIM"), 0o755); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(card, "A001")
			views := mediaFolder(t, root, c.history)
			var offload map[string]string
			if c.history {
				offload = tree(t, filepath.Join(root, mhl.Folder))
			}
			before := tree(t, card)
			reports := filepath.Join(t.TempDir(), "reports")
			var m marks
			w := receipt.Write(context.Background(), config(reports, c.hashLists, &m, written), receipt.Batch{Added: added, Files: views})
			expectUntouched(t, card, before)
			target := expectInReports(t, w, reports, root, offload)
			expectNote(t, w, filepath.Join(target, mhl.Folder), "camera card")
		})
	}
}

// readOnly remounts the volume at dir read-only until the test ends.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o remount,ro %s: %v: %s", dir, err, out)
	}
	// Registered after disktest.Small's unmount, so it runs before it.
	t.Cleanup(func() {
		if out, err := exec.Command("mount", "-o", "remount,rw", dir).CombinedOutput(); err != nil {
			t.Errorf("mount -o remount,rw %s: %v: %s", dir, err, out)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatalf("%s is still writable after remounting it read-only", dir)
	}
}

// A read-only volume (not a card) cannot take the hash list: it goes to the reports
// folder, a copy of the offload's history continued, and the volume is as it was.
func TestWriteOnAReadOnlyVolumeKeepsTheHistoryInTheReportsFolder(t *testing.T) {
	for _, c := range []struct {
		name      string
		history   bool
		hashLists string
		note      string
	}{
		{"with the offload's history", true, receipt.HashListsExisting, "cannot be written"},
		{"with the offload's history, setting always", true, receipt.HashListsAlways, "cannot be written"},
		{"without a history, setting always", false, receipt.HashListsAlways, "cannot be written"},
		{"without a history, setting existing", false, receipt.HashListsExisting, "had no hash list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vol := disktest.Small(t, 8<<20)
			root := filepath.Join(vol, "Day 1")
			views := mediaFolder(t, root, c.history)
			var offload map[string]string
			if c.history {
				offload = tree(t, filepath.Join(root, mhl.Folder))
			}
			readOnly(t, vol)
			before := tree(t, vol)
			reports := filepath.Join(t.TempDir(), "reports")
			var m marks
			w := receipt.Write(context.Background(), config(reports, c.hashLists, &m, written), receipt.Batch{Added: added, Files: views})
			expectUntouched(t, vol, before)
			target := expectInReports(t, w, reports, root, offload)
			expectNote(t, w, filepath.Join(target, mhl.Folder), c.note)
		})
	}
}

// The setting hash-lists: always starts a history beside media that has none; existing
// (the default) does not, and keeps it in the reports folder; reports keeps it there even
// beside an offload's history that could be written, which stays as it was.
func TestHashListsSettingDecidesWhereTheGenerationGoes(t *testing.T) {
	t.Run("always starts a history beside the media", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "Sound")
		reports := filepath.Join(t.TempDir(), "reports")
		views := mediaFolder(t, root, false)
		var m marks
		w := receipt.Write(context.Background(), config(reports, receipt.HashListsAlways, &m, written), receipt.Batch{Added: added, Files: views})
		if len(w.Problems) != 0 || len(w.HashLists) != 1 || filepath.Dir(w.HashLists[0]) != filepath.Join(root, mhl.Folder) {
			t.Fatalf("hash lists %q, problems %q; want one generation in %s", w.HashLists, w.Problems, filepath.Join(root, mhl.Folder))
		}
		checkHistoryFiles(t, root)
		h := openHistory(t, root)
		if len(h.Generations) != 1 || len(h.Generations[0].Entries) != 2 {
			t.Fatalf("the history started has %d generations; want one with both files", len(h.Generations))
		}
		for p, a := range actions(h.Generations[0]) {
			if !bytes.HasSuffix([]byte(a), []byte("/original")) {
				t.Errorf("the first generation records %s as %s, want original", p, a)
			}
		}
		if _, err := os.Stat(filepath.Join(reports, "hash lists")); err == nil {
			t.Error("a hash list was written in the reports folder too")
		}
		expectNote(t, w, filepath.Join(root, mhl.Folder), "started beside the media")
	})
	for _, setting := range []string{receipt.HashListsExisting, ""} {
		t.Run("existing ("+setting+") without a history writes to the reports folder", func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "Sound")
			reports := filepath.Join(t.TempDir(), "reports")
			views := mediaFolder(t, root, false)
			before := tree(t, root)
			var m marks
			w := receipt.Write(context.Background(), config(reports, setting, &m, written), receipt.Batch{Added: added, Files: views})
			expectUntouched(t, root, before)
			target := expectInReports(t, w, reports, root, nil)
			expectNote(t, w, filepath.Join(target, mhl.Folder), "had no hash list")
		})
	}
	t.Run("reports with a writable history writes to the reports folder", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "A003")
		reports := filepath.Join(t.TempDir(), "reports")
		views := mediaFolder(t, root, true)
		offload := tree(t, filepath.Join(root, mhl.Folder))
		before := tree(t, root)
		var m marks
		w := receipt.Write(context.Background(), config(reports, receipt.HashListsReports, &m, written), receipt.Batch{Added: added, Files: views})
		expectUntouched(t, root, before)
		target := expectInReports(t, w, reports, root, offload)
		expectNote(t, w, filepath.Join(target, mhl.Folder), "as the settings ask")
	})
}

// A batch whose folder holds two offload histories of the same name (two cameras' Roll01)
// keeps, in the reports folder, one history for each: neither records the other's files.
func TestTwoHistoriesOfTheSameNameKeepSeparateCopiesInTheReportsFolder(t *testing.T) {
	day := filepath.Join(t.TempDir(), "Day 1")
	reports := filepath.Join(t.TempDir(), "reports")
	a := filepath.Join(day, "CamA", "Roll01")
	b := filepath.Join(day, "CamB", "Roll01")
	writeMedia(t, a, "C001.mov", "camera A's clip")
	writeMedia(t, b, "C001.mov", "camera B's clip")
	offloadHistory(t, a, map[string]string{"C001.mov": xxh64("camera A's clip")})
	offloadHistory(t, b, map[string]string{"C001.mov": xxh64("camera B's clip")})
	va := listedIn(done(1, day, "CamA/Roll01/C001.mov", "camera A's clip"), a, xxh64("camera A's clip"))
	vb := listedIn(done(2, day, "CamB/Roll01/C001.mov", "camera B's clip"), b, xxh64("camera B's clip"))
	var m marks
	w := receipt.Write(context.Background(), config(reports, receipt.HashListsReports, &m, written), receipt.Batch{Added: added, Files: []upload.FileView{va, vb}})
	if len(w.Problems) != 0 {
		t.Errorf("problems: %q", w.Problems)
	}
	if len(w.HashLists) != 2 {
		t.Fatalf("hash lists written: %q; want one generation in each of two histories", w.HashLists)
	}
	if filepath.Dir(w.HashLists[0]) == filepath.Dir(w.HashLists[1]) {
		t.Errorf("both generations went into one history: %q", w.HashLists)
	}
	for i, want := range []string{xxh64("camera A's clip"), xxh64("camera B's clip")} {
		histRoot := filepath.Dir(filepath.Dir(w.HashLists[i]))
		h := openHistory(t, histRoot)
		if len(h.Generations) != 2 {
			t.Errorf("the history at %s has %d generations, want 2 (its offload's, then this batch's)", histRoot, len(h.Generations))
		}
		for _, g := range h.Generations {
			if got := actions(g)["C001.mov"]; !bytes.Contains([]byte(got), []byte(want)) {
				t.Errorf("%s of the history at %s records C001.mov as %q, want its own hash %s", g.File, histRoot, got, want)
			}
		}
	}
}
