package desktop

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// selection is the rows the person picked: a click picks one, Ctrl (Cmd on a Mac) adds
// or takes one away, Shift picks the rows from the last one picked to this one. Space
// pauses or resumes them, Delete takes them off the list, Escape lets them go, Ctrl+A
// picks every file listed.
type selection struct {
	ids    map[core.FileID]bool
	anchor core.FileID
}

// pick changes the selection for a click on the row of id with mods held.
func (m *model) pick(id core.FileID, mods fyne.KeyModifier) {
	if m.sel.ids == nil {
		m.sel.ids = map[core.FileID]bool{}
	}
	switch {
	case mods&fyne.KeyModifierShift != 0 && m.sel.anchor != 0:
		from, okFrom := m.row[m.sel.anchor]
		to, okTo := m.row[id]
		if !okFrom || !okTo {
			m.selectOnly(id)
			return
		}
		clear(m.sel.ids)
		for i := min(from, to); i <= max(from, to); i++ {
			if f := m.rows[i].file; f != 0 {
				m.sel.ids[f] = true
			}
		}
	case mods&(fyne.KeyModifierShortcutDefault) != 0:
		if m.sel.ids[id] {
			delete(m.sel.ids, id)
		} else {
			m.sel.ids[id] = true
		}
		m.sel.anchor = id
	default:
		m.selectOnly(id)
	}
}

func (m *model) selectOnly(id core.FileID) {
	clear(m.sel.ids)
	m.sel.ids[id] = true
	m.sel.anchor = id
}

// picked is the selected files in the list's order.
func (m *model) picked() []core.FileID {
	var out []core.FileID
	for _, r := range m.rows {
		if r.file != 0 && m.sel.ids[r.file] {
			out = append(out, r.file)
		}
	}
	return out
}

// selectAll picks every file the list shows.
func (m *model) selectAll() {
	if m.sel.ids == nil {
		m.sel.ids = map[core.FileID]bool{}
	}
	for _, r := range m.rows {
		if r.file != 0 {
			m.sel.ids[r.file] = true
		}
	}
}

// MouseDown picks the row: the list's own selection knows no Shift or Ctrl.
func (r *queueRow) MouseDown(e *desktop.MouseEvent) {
	if r.v.ID == 0 {
		return
	}
	r.u.m.pick(r.v.ID, e.Modifier)
	r.u.queue.list.Refresh()
	// The keys that act on picked rows (Space, Delete, Ctrl+Shift+Up) must reach them,
	// not the search box typed in before.
	if c := r.u.win.Canvas(); c.Focused() == r.u.queue.search {
		c.Unfocus()
	}
}

func (r *queueRow) MouseUp(*desktop.MouseEvent) {}

// typedKey acts on the picked rows, when no field has the keyboard and no dialog is up
// (a key meant for a dialog must not pause or remove the files behind it).
func (u *UI) typedKey(k *fyne.KeyEvent) {
	if u.showingPairing || u.win.Canvas().Overlays().Top() != nil {
		return
	}
	switch k.Name {
	case fyne.KeySpace:
		u.pauseOrResumePicked()
	case fyne.KeyDelete, fyne.KeyBackspace:
		u.removePicked()
	case fyne.KeyEscape:
		clear(u.m.sel.ids)
		u.queue.list.Refresh()
	}
}

// pauseOrResumePicked pauses the picked files if any of them is on its way, and resumes
// them if they are all paused.
func (u *UI) pauseOrResumePicked() {
	ids := u.m.picked()
	if len(ids) == 0 {
		return
	}
	running := false
	for _, id := range ids {
		v := u.m.files[id]
		running = running || (!v.State.Finished() && v.State != core.Paused && v.State != core.Held && v.State != core.OnHold)
	}
	sel := core.Some(ids...)
	if running {
		u.p.do("Pause failed", func(ctx context.Context) error { return u.svc.Pause(ctx, sel) })
	} else {
		// Start resumes the paused and starts those on hold.
		u.p.do("Starting failed", func(ctx context.Context) error { return u.svc.Start(ctx, sel) })
	}
}

// movePicked puts files at the top or the bottom of the queue: the picked rows when the
// row acted on (id, 0 for the keyboard) is one of them, else that row alone.
func (u *UI) movePicked(to core.Place, id core.FileID) {
	ids := u.m.picked()
	if id != 0 && !u.m.sel.ids[id] {
		ids = []core.FileID{id}
	}
	if len(ids) == 0 {
		return
	}
	sel := core.Some(ids...)
	u.p.do("Moving failed", func(ctx context.Context) error { return u.svc.Move(ctx, sel, to) })
}

// removePicked takes the picked files off the list; if some have not finished, it asks
// first (they stop, and start again from nothing if added again).
func (u *UI) removePicked() {
	ids := u.m.picked()
	if len(ids) == 0 {
		return
	}
	unfinished := 0
	for _, id := range ids {
		if !u.m.files[id].State.Finished() {
			unfinished++
		}
	}
	remove := func() {
		// Let them go at once: a second Delete before the list has caught up must not
		// ask to remove them again.
		clear(u.m.sel.ids)
		u.p.do("Removing failed", func(ctx context.Context) error {
			var errs []error
			for _, id := range ids {
				// One removed meanwhile (by another Delete, or Clear) is gone already.
				if err := u.svc.Remove(ctx, id); err != nil && !errors.Is(err, core.ErrUnknownFile) {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		})
	}
	if unfinished == 0 {
		remove()
		return
	}
	msg := widget.NewLabel(fmt.Sprintf("%s not uploaded yet: they stop, and the files stay on disk. Added again, they start from the beginning.",
		format.Counted(unfinished, "file is", "files are")))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(fmt.Sprintf("Remove %s from the list?", format.Count(len(ids), "file")), "Remove", "Keep them", msg,
		func(ok bool) {
			if ok {
				remove()
			}
		}, u.win)
	d.Resize(fyne.NewSize(460, 0))
	d.Show()
}
