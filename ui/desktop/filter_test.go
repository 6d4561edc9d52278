package desktop

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// fileEvent is a file's view as the service would send it: of one kind, shot in the
// order of the ids, so that the queue takes them in that order.
func fileEvent(id core.FileID, name, path string, st core.State) core.Event {
	return core.Event{Type: core.EventFile, File: &core.FileView{ID: id, Name: name, Path: path, Size: 1000, State: st,
		Category: core.Originals, Shot: time.Unix(int64(id), 0)}}
}

// listed is the names of the list's rows in their order (all of them, not only those
// scrolled into view).
func (d *desk) listed() []string {
	return uiValue(func() []string {
		var out []string
		for i := range d.ui.m.rows {
			if v := d.ui.m.fileAt(i); v != nil {
				out = append(out, v.Name)
			}
		}
		return out
	})
}

// onScreen is the names of the rows drawn, sorted.
func (d *desk) onScreen() []string {
	return uiValue(func() []string {
		var names []string
		for n := range rows(d.win.Content()) {
			names = append(names, n)
		}
		sort.Strings(names)
		return names
	})
}

func (d *desk) tapChip(text string) {
	d.t.Helper()
	onUI(func() {
		b := findButton(d.win.Content(), text)
		if b == nil {
			d.t.Fatalf("no chip %q among %q", text, texts(d.win.Content()))
		}
		test.Tap(b)
	})
}

// The chips count the files of each kind and show only those; the rows that need the
// person come first; the search finds names and folders, whatever the case; a list the
// filter empties says why; a file that fails moves up and the counts follow.
func TestFiltersAndSearch(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(
		fileEvent(1, "A001_C001.mov", "/media/CARD_A/A001_C001.mov", core.Done),
		fileEvent(2, "A001_C002.mov", "/media/CARD_A/A001_C002.mov", core.Failed),
		fileEvent(3, "S001_T01.wav", "/media/SOUND/S001_T01.wav", core.Uploading),
		fileEvent(4, "B002_C001.mov", "/media/CARD_B/B002_C001.mov", core.Skipped),
		fileEvent(5, "notes.txt", "/media/CARD_B/notes.txt", core.Queued),
		fileEvent(6, "A001_C003.mov", "/media/CARD_A/A001_C003.mov", core.Cancelled),
	)
	want := []string{"A001_C002.mov", "B002_C001.mov", "A001_C001.mov", "S001_T01.wav", "notes.txt", "A001_C003.mov"}
	if got := d.listed(); !slices.Equal(got, want) {
		t.Errorf("rows %q, want those that need attention first, then the others in the order they go: %q", got, want)
	}
	for _, chip := range []string{"All  6", "In progress  2", "Needs attention  2", "Done  1"} {
		if uiValue(func() bool { return findButton(d.win.Content(), chip) == nil }) {
			t.Errorf("no chip %q among %q", chip, uiValue(func() []string { return texts(d.win.Content()) }))
		}
	}

	d.tapChip("Needs attention  2")
	if got, want := d.onScreen(), []string{"A001_C002.mov", "B002_C001.mov"}; !slices.Equal(got, want) {
		t.Errorf("under Needs attention the screen shows %q, want %q", got, want)
	}
	d.tapChip("In progress  2")
	if got, want := d.onScreen(), []string{"S001_T01.wav", "notes.txt"}; !slices.Equal(got, want) {
		t.Errorf("under In progress the screen shows %q, want %q", got, want)
	}

	d.tapChip("All  6")
	onUI(func() { test.Type(d.ui.queue.search, "card_a") })
	if got, want := d.listed(), []string{"A001_C002.mov", "A001_C001.mov", "A001_C003.mov"}; !slices.Equal(got, want) {
		t.Errorf("searching “card_a” lists %q, want the files of that folder %q", got, want)
	}
	onUI(func() { d.ui.queue.search.SetText("C001 card") })
	if got, want := d.listed(), []string{"B002_C001.mov", "A001_C001.mov"}; !slices.Equal(got, want) {
		t.Errorf("searching “C001 card” lists %q, want the files with both words %q", got, want)
	}

	d.tapChip("Done  1")
	onUI(func() { d.ui.queue.search.SetText("B002") })
	if !uiValue(func() bool { return hasText(d.win.Content(), "No file matches “b002” under Done.") }) {
		t.Errorf("an emptied list does not say why: %q", uiValue(func() []string { return texts(d.win.Content()) }))
	}
	if got := d.onScreen(); len(got) != 0 {
		t.Errorf("an emptied list still shows %q", got)
	}

	// Escape clears the search; a file that fails moves up among those needing attention.
	onUI(func() { d.ui.queue.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	d.tapChip("All  6")
	d.apply(fileEvent(3, "S001_T01.wav", "/media/SOUND/S001_T01.wav", core.Failed))
	want = []string{"A001_C002.mov", "S001_T01.wav", "B002_C001.mov", "A001_C001.mov", "notes.txt", "A001_C003.mov"}
	if got := d.listed(); !slices.Equal(got, want) {
		t.Errorf("after S001_T01.wav failed, rows %q, want %q", got, want)
	}
	for _, chip := range []string{"In progress  1", "Needs attention  3"} {
		if uiValue(func() bool { return findButton(d.win.Content(), chip) == nil }) {
			t.Errorf("no chip %q after a file failed: %q", chip, uiValue(func() []string { return texts(d.win.Content()) }))
		}
	}

	// Removed files leave the counts too.
	d.apply(core.Event{Type: core.EventRemoved, Removed: 1}, core.Event{Type: core.EventRemoved, Removed: 2})
	if uiValue(func() bool {
		return findButton(d.win.Content(), "Done  0") == nil || findButton(d.win.Content(), "Needs attention  2") == nil
	}) {
		t.Errorf("after two files left: %q", uiValue(func() []string { return texts(d.win.Content()) }))
	}
}

// Ctrl (Cmd) with F puts the cursor in the search box.
func TestSearchShortcut(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(fileEvent(1, "A001_C001.mov", "/media/A001_C001.mov", core.Queued))
	onUI(func() {
		d.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(shortcutSearch)
		if f := d.win.Canvas().Focused(); f != d.ui.queue.search {
			t.Errorf("after Ctrl+F the focus is on %T, want the search box", f)
		}
	})
}

// BenchmarkArrangeTenThousandFiles is what a keystroke in the search box, a chip or a
// file changing group costs the UI goroutine with 10,000 files in 50 batches listed.
func BenchmarkArrangeTenThousandFiles(b *testing.B) {
	m := newModel()
	base := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	states := []core.State{core.Done, core.Uploading, core.Queued, core.Failed, core.Skipped}
	for i := range 10_000 {
		name := fmt.Sprintf("A%03dC%03d_261202_R2CD.mov", i/200, i%200)
		m.setFile(core.FileView{ID: core.FileID(i + 1), Name: name, Path: fmt.Sprintf("/media/editor/A%03d/CLIPS/%s", i/200, name),
			State: states[i%len(states)], AddedAt: base.Add(time.Duration(i/200) * time.Minute)})
	}
	for _, c := range []struct {
		name  string
		setup func()
	}{
		{"all", func() { m.setFilter(filterAll); m.setQuery("") }},
		{"needs-attention", func() { m.setFilter(filterAttention); m.setQuery("") }},
		{"search", func() { m.setFilter(filterAll); m.setQuery("c1 a04") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.setup()
				m.rowsStale = true
				m.arrange()
			}
		})
	}
}
