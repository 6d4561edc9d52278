package desktop

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Ctrl (Cmd on a Mac) with O adds files, with Shift and O a folder, with a comma opens
// the settings: each shortcut brings up its dialog.
func TestKeyboardShortcutsOpenTheDialogs(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	d.settled()
	for _, c := range []struct {
		name     string
		shortcut fyne.Shortcut
		shows    func(fyne.CanvasObject) bool
	}{
		{"Ctrl+O", shortcutAddFiles, labelled("Add files")},
		{"Ctrl+Shift+O", shortcutAddFolder, labelled("Add a folder")},
		{"Ctrl+,", shortcutSettings, func(o fyne.CanvasObject) bool {
			_, ok := o.(*widget.Form)
			return ok
		}},
	} {
		onUI(func() {
			for len(d.overlays()) > 0 {
				d.win.Canvas().Overlays().Remove(d.overlays()[0])
			}
			d.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(c.shortcut)
			found := false
			for _, o := range d.overlays() {
				for _, obj := range visibleObjects(o) {
					found = found || c.shows(obj)
				}
			}
			if !found {
				t.Errorf("%s opened no such dialog (%d overlays)", c.name, len(d.overlays()))
			}
		})
	}
}

// labelled finds a label (or a dialog's title) with exactly text.
func labelled(text string) func(fyne.CanvasObject) bool {
	return func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && l.Text == text
	}
}
