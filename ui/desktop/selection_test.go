package desktop

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// click presses the mouse on a file's row with mods held.
func (d *desk) click(name string, mods fyne.KeyModifier) {
	d.t.Helper()
	onUI(func() {
		r := rows(d.win.Content())[name]
		if r == nil {
			d.t.Fatalf("no row for %s", name)
		}
		r.MouseDown(&desktop.MouseEvent{Modifier: mods})
	})
}

func (d *desk) pickedNames() []string {
	return uiValue(func() []string {
		var out []string
		for _, id := range d.ui.m.picked() {
			out = append(out, d.ui.m.files[id].Name)
		}
		return out
	})
}

// key types a key as the window would: to the list when it has the keyboard (a row was
// clicked), to the window otherwise.
func (d *desk) key(name fyne.KeyName) {
	onUI(func() {
		ev := &fyne.KeyEvent{Name: name}
		if f := d.win.Canvas().Focused(); f != nil {
			f.TypedKey(ev)
			return
		}
		d.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(ev)
	})
}

func (d *desk) stateOf(name string) core.State {
	return uiValue(func() core.State {
		for _, v := range d.ui.m.files {
			if v.Name == name {
				return v.State
			}
		}
		return ""
	})
}

// A click picks a row, Shift picks the rows up to another, Ctrl adds or takes one away;
// Space pauses the picked files and resumes them, Delete takes them off the list after
// asking (they had not finished), Escape lets them go. The picked rows are drawn so.
func TestSelectedRowsAnswerTheKeyboard(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	var paths []string
	for _, n := range []string{"A001.mov", "A002.mov", "A003.mov", "A004.mov"} {
		paths = append(paths, d.writeFile("card/"+n, 1000))
	}
	onUI(func() { d.ui.add(paths) })
	d.eventually("the files are listed", func() bool { return len(d.ui.m.row) == 4 })

	d.click("A001.mov", 0)
	// A click gives the list the keyboard, as in the window.
	onUI(func() { d.win.Canvas().Focus(d.ui.queue.list) })
	d.click("A003.mov", fyne.KeyModifierShift)
	if got, want := d.pickedNames(), []string{"A001.mov", "A002.mov", "A003.mov"}; !slices.Equal(got, want) {
		t.Errorf("click then Shift-click picks %q, want %q", got, want)
	}
	d.click("A002.mov", fyne.KeyModifierShortcutDefault)
	if got, want := d.pickedNames(), []string{"A001.mov", "A003.mov"}; !slices.Equal(got, want) {
		t.Errorf("Ctrl-click on a picked row leaves %q, want %q", got, want)
	}
	onUI(func() {
		if r := rows(d.win.Content())["A003.mov"]; !r.picked.Visible() {
			t.Error("a picked row is not drawn as picked")
		}
		if r := rows(d.win.Content())["A002.mov"]; r.picked.Visible() {
			t.Error("a row no longer picked is drawn as picked")
		}
	})

	d.key(fyne.KeySpace)
	d.eventually("Space pauses the picked files", func() bool {
		return d.stateOf("A001.mov") == core.Paused && d.stateOf("A003.mov") == core.Paused
	})
	if st := d.stateOf("A002.mov"); st == core.Paused {
		t.Error("Space paused a file that was not picked")
	}
	d.key(fyne.KeySpace)
	d.eventually("Space again resumes them", func() bool {
		return d.stateOf("A001.mov") != core.Paused && d.stateOf("A003.mov") != core.Paused
	})

	d.key(fyne.KeyDelete)
	onUI(func() {
		if !hasTextIn(d.overlays(), "Remove 2 files from the list?") {
			t.Errorf("Delete on unfinished files does not ask first: %q", d.dialogText())
		}
	})
	// Keys meant for the dialog do nothing to the files behind it.
	d.key(fyne.KeySpace)
	d.key(fyne.KeyDelete)
	onUI(func() {
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d dialogs after Delete pressed again over the first", n)
		}
	})
	if st := d.stateOf("A001.mov"); st == core.Paused {
		t.Error("Space over the dialog paused a file behind it")
	}
	d.closeDialog("Remove")
	d.eventually("the picked files leave the list", func() bool { return len(d.ui.m.row) == 2 })
	if got, want := d.listed(), []string{"A002.mov", "A004.mov"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}

	d.click("A004.mov", 0)
	d.key(fyne.KeyEscape)
	if got := d.pickedNames(); len(got) != 0 {
		t.Errorf("Escape leaves %q picked", got)
	}
	onUI(func() {
		d.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&fyne.ShortcutSelectAll{})
	})
	if got := d.pickedNames(); len(got) != 2 {
		t.Errorf("Ctrl+A picks %q, want both files listed", got)
	}
}
