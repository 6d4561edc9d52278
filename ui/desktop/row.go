package desktop

import (
	"context"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// queueRow is one file: its kind, name, what is happening to it, its progress and the
// actions it allows. In comfortable density it takes two lines (name and state, then
// the detail and the bar); compact puts everything on one line, so that a day of cards
// fits the screen. Names shorten in the middle; the tooltip has the whole name and its
// folder.
type queueRow struct {
	widget.BaseWidget
	u *UI
	v core.FileView

	picked   *canvas.Rectangle // shown while the row is selected
	icon     *widget.Icon
	name     *fitText
	detail   *fitText
	state    *fitText
	progress *thinBar
	pause    *rowAction
	next     *rowAction
	retry    *rowAction
	anyway   *rowAction
	cancel   *rowAction
	remove   *rowAction
	details  *rowAction
}

func newQueueRow(u *UI) *queueRow {
	r := &queueRow{u: u, picked: canvas.NewRectangle(theme.Color(theme.ColorNameSelection))}
	r.picked.CornerRadius = 4
	r.picked.Hide()
	r.icon = widget.NewIcon(theme.FileVideoIcon())
	r.name = newFitText(true, theme.SizeNameText, fyne.TextStyle{Bold: true})
	r.detail = newFitText(false, theme.SizeNameCaptionText, fyne.TextStyle{})
	r.state = newFitText(false, theme.SizeNameCaptionText, fyne.TextStyle{Bold: true})
	r.progress = newThinBar(6)
	r.pause = newRowAction(u, theme.MediaPauseIcon(), "Pause", r.togglePause)
	r.next = newRowAction(u, theme.MoveUpIcon(), "Upload next ("+keyHint("Shift+Up")+")", func() { u.movePicked(core.Top, r.v.ID) })
	r.retry = newRowAction(u, theme.ViewRefreshIcon(), "Retry", func() { r.act("Retry failed", u.svc.Retry) })
	r.anyway = newRowAction(u, theme.UploadIcon(), "Upload anyway…", func() { u.confirmUploadAnyway(core.One(r.v.ID), 1) })
	r.cancel = newRowAction(u, theme.CancelIcon(), "Cancel", func() { r.act("Cancel failed", u.svc.Cancel) })
	r.remove = newRowAction(u, theme.DeleteIcon(), "Remove from the list", r.removeFile)
	r.details = newRowAction(u, theme.InfoIcon(), "Details", func() { u.showDetails(r.v) })
	r.ExtendBaseWidget(r)
	return r
}

// set shows a file (rows are reused for other files as the list scrolls).
func (r *queueRow) set(v core.FileView) {
	if v.ID != r.v.ID {
		r.u.tips.leave(r) // the row now shows another file: its tip went with the other
	}
	r.v = v
	r.icon.SetResource(fileIcon(v.Name))
	r.name.SetText(v.Name)
	label, col := stateLabel(v)
	r.state.SetText(label)
	r.state.SetColor(col)
	r.detail.SetText(kindPrefix(v) + rowDetail(v) + movedNote(v))
	if v.Size > 0 {
		r.progress.SetValues(float64(v.BytesAcked)/float64(v.Size), float64(v.BytesDone)/float64(v.Size))
	} else if v.State == core.Done {
		r.progress.SetValue(1)
	} else {
		r.progress.SetValue(0)
	}
	r.progress.SetColor(barColor(v.State))
	// Only a file on its way has a bar: "Done" and the time say the rest, and a failed,
	// refused or held file's reason says more than an empty or stopped bar.
	finished := v.State.Finished()
	show(r.progress, !finished && v.State != core.Held)
	show(r.pause, !finished)
	switch v.State {
	case core.Paused:
		r.pause.set(theme.MediaPlayIcon(), "Resume")
	case core.OnHold:
		r.pause.set(theme.MediaPlayIcon(), "Start")
	default:
		r.pause.set(theme.MediaPauseIcon(), "Pause")
	}
	// A file that has not started can go next; one on its way already has its place.
	show(r.next, !finished && v.State != core.Uploading && v.State != core.Creating && !v.Sending)
	// The project refuses a skipped file however often it is sent by its date: it goes
	// again only as new media.
	show(r.retry, v.State == core.Failed || v.State == core.Cancelled || v.State == core.Retrying)
	show(r.anyway, v.State == core.Skipped)
	show(r.cancel, !finished)
	show(r.remove, finished)
	show(r.picked, r.u.m.sel.ids[v.ID])
	r.Refresh()
}

// tip is the row's tooltip: the whole name, the folder, and the whole detail.
func (r *queueRow) tip() string {
	if r.v.Name == "" {
		return ""
	}
	return r.v.Name + "\n" + filepath.Dir(r.v.Path) + "\n" + r.detail.Text
}

func (r *queueRow) MouseIn(e *desktop.MouseEvent)    { r.u.tips.hover(r, r.tip, e.AbsolutePosition) }
func (r *queueRow) MouseMoved(e *desktop.MouseEvent) { r.u.tips.hover(r, r.tip, e.AbsolutePosition) }
func (r *queueRow) MouseOut()                        { r.u.tips.leave(r) }

func (r *queueRow) togglePause() {
	switch r.v.State {
	case core.Paused:
		r.act("Resume failed", r.u.svc.Resume)
	case core.OnHold:
		r.act("Start failed", r.u.svc.Start)
	default:
		r.act("Pause failed", r.u.svc.Pause)
	}
}

func (r *queueRow) act(failure string, f func(context.Context, core.Selector) error) {
	sel := core.One(r.v.ID)
	r.u.p.do(failure, func(ctx context.Context) error { return f(ctx, sel) })
}

func (r *queueRow) removeFile() {
	id := r.v.ID
	r.u.p.do("Removing failed", func(ctx context.Context) error { return r.u.svc.Remove(ctx, id) })
}

func (r *queueRow) CreateRenderer() fyne.WidgetRenderer { return &rowRenderer{r: r} }

// Row geometry: an action's square, the bar's width in each density, and the compact
// line's share for the name (the rest is the detail's, so that the details of the rows
// line up).
const (
	actionSize         = 26
	compactActionSize  = 22
	barWidth           = 160
	compactBarWidth    = 90
	compactStateColumn = 160
	compactNameShare   = 0.45
)

type rowRenderer struct{ r *queueRow }

func (rr *rowRenderer) actions() []*rowAction {
	r := rr.r
	return []*rowAction{r.next, r.pause, r.retry, r.anyway, r.cancel, r.remove, r.details}
}

func (rr *rowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	objs := []fyne.CanvasObject{r.picked, r.icon, r.name, r.detail, r.state, r.progress}
	for _, a := range rr.actions() {
		objs = append(objs, a)
	}
	return objs
}

func (rr *rowRenderer) MinSize() fyne.Size {
	pad := theme.Padding()
	w := theme.IconInlineSize() + 200 + 4*actionSize
	if rr.r.u.compact {
		return fyne.NewSize(w, max(rr.r.name.MinSize().Height, rr.r.detail.MinSize().Height, compactActionSize)+pad)
	}
	return fyne.NewSize(w, max(rr.r.name.MinSize().Height+rr.r.detail.MinSize().Height+pad, actionSize)+2*pad)
}

func (rr *rowRenderer) Layout(size fyne.Size) {
	r := rr.r
	r.picked.Resize(size)
	r.picked.FillColor = theme.Color(theme.ColorNameSelection)
	pad := theme.Padding()
	iconSize := theme.IconInlineSize()
	r.icon.Resize(fyne.NewSquareSize(iconSize))
	r.icon.Move(fyne.NewPos(pad, (size.Height-iconSize)/2))
	left := pad + iconSize + 2*pad

	// The actions from the right: the details button always last, the others before it.
	right := size.Width - pad
	act := float32(actionSize)
	if r.u.compact {
		act = compactActionSize
	}
	acts := rr.actions()
	for i := len(acts) - 1; i >= 0; i-- {
		if a := acts[i]; a.Visible() {
			right -= act
			a.Resize(fyne.NewSquareSize(act))
			a.Move(fyne.NewPos(right, (size.Height-act)/2))
		}
	}
	right -= 2 * pad
	parts := lineParts{name: r.name, detail: r.detail, state: r.state, bar: r.progress}
	if r.u.compact {
		// A state column of the same width in every row, so that names and details
		// line up.
		parts.oneLine(size, left, right, compactBarWidth, compactStateColumn,
			func(room float32) float32 { return room * compactNameShare })
		return
	}
	parts.twoLines(size, left, right, barWidth)
}

func (rr *rowRenderer) Refresh() {
	rr.Layout(rr.r.Size())
	for _, o := range rr.Objects() {
		o.Refresh()
	}
}

func (rr *rowRenderer) Destroy() {}

// rowAction is a row's small icon button: a widget.Button is as tall as a line of text
// with its padding, which would make every row that tall. Its tooltip says what it does.
type rowAction struct {
	widget.BaseWidget
	u     *UI
	icon  *widget.Icon
	bg    *canvas.Rectangle
	label string
	onTap func()
}

func newRowAction(u *UI, icon fyne.Resource, label string, onTap func()) *rowAction {
	a := &rowAction{u: u, icon: widget.NewIcon(icon), label: label, onTap: onTap,
		bg: canvas.NewRectangle(theme.Color(theme.ColorNameHover))}
	a.bg.CornerRadius = 4
	a.bg.Hide()
	a.ExtendBaseWidget(a)
	return a
}

// set changes the icon and what the tooltip says (pause becomes resume).
func (a *rowAction) set(icon fyne.Resource, label string) {
	a.label = label
	a.icon.SetResource(icon)
}

func (a *rowAction) Tapped(*fyne.PointEvent) {
	if a.onTap != nil {
		a.onTap()
	}
}

func (a *rowAction) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (a *rowAction) MouseIn(e *desktop.MouseEvent) {
	a.bg.Show()
	a.u.tips.hover(a, func() string { return a.label }, e.AbsolutePosition)
}

func (a *rowAction) MouseMoved(*desktop.MouseEvent) {}

func (a *rowAction) MouseOut() {
	a.bg.Hide()
	a.u.tips.leave(a)
}

func (a *rowAction) CreateRenderer() fyne.WidgetRenderer {
	return &actionRenderer{a: a}
}

type actionRenderer struct{ a *rowAction }

func (r *actionRenderer) Layout(size fyne.Size) {
	r.a.bg.Resize(size)
	icon := min(theme.IconInlineSize(), size.Height-6)
	r.a.icon.Resize(fyne.NewSquareSize(icon))
	r.a.icon.Move(fyne.NewPos((size.Width-icon)/2, (size.Height-icon)/2))
}

func (r *actionRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(compactActionSize) }
func (r *actionRenderer) Refresh() {
	r.a.bg.FillColor = theme.Color(theme.ColorNameHover)
	r.a.bg.Refresh()
	r.a.icon.Refresh()
}
func (r *actionRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.a.bg, r.a.icon}
}
func (r *actionRenderer) Destroy() {}

// lineParts are the texts and the bar a row lays out, a file's or a batch's.
type lineParts struct {
	name, detail, state *fitText
	bar                 *thinBar
}

// oneLine lays the parts out on one line between left and right: the bar at the right
// end, barW wide; the state before it, in a column stateCol wide (as wide as its text,
// up to a third of the room, when 0); the name nameW(room) wide; the detail in the rest.
func (p lineParts) oneLine(size fyne.Size, left, right, barW, stateCol float32, nameW func(room float32) float32) {
	pad := theme.Padding()
	line := max(p.name.MinSize().Height, p.detail.MinSize().Height)
	y := (size.Height - line) / 2
	barH := p.bar.MinSize().Height
	p.bar.Resize(fyne.NewSize(barW, barH))
	p.bar.Move(fyne.NewPos(right-barW, (size.Height-barH)/2))
	right -= barW + 2*pad
	stateW := min(p.state.fullWidth(), max(0, right-left)/3)
	col := stateW
	if stateCol > 0 {
		col = min(stateCol, max(0, right-left)/4)
		stateW = min(p.state.fullWidth(), col)
	}
	p.state.Resize(fyne.NewSize(stateW, line))
	p.state.Move(fyne.NewPos(right-stateW, y))
	right -= col + 2*pad
	w := nameW(max(0, right-left))
	p.name.Resize(fyne.NewSize(w, line))
	p.name.Move(fyne.NewPos(left, y))
	x := left + w + 2*pad
	p.detail.Resize(fyne.NewSize(max(0, right-x), line))
	p.detail.Move(fyne.NewPos(x, y))
}

// twoLines lays the name and the state on a first line, the detail and the bar (up to
// barW wide) on a second.
func (p lineParts) twoLines(size fyne.Size, left, right, barW float32) {
	pad := theme.Padding()
	stateW := min(p.state.fullWidth(), max(0, right-left)/3)
	nameH, detailH := p.name.MinSize().Height, p.detail.MinSize().Height
	top := (size.Height - nameH - detailH - pad) / 2
	p.state.Resize(fyne.NewSize(stateW, nameH))
	p.state.Move(fyne.NewPos(right-stateW, top))
	p.name.Resize(fyne.NewSize(max(0, right-stateW-2*pad-left), nameH))
	p.name.Move(fyne.NewPos(left, top))
	y2 := top + nameH + pad
	bar := min(barW, max(0, right-left)/3)
	barH := p.bar.MinSize().Height
	p.bar.Resize(fyne.NewSize(bar, barH))
	p.bar.Move(fyne.NewPos(right-bar, y2+(detailH-barH)/2))
	p.detail.Resize(fyne.NewSize(max(0, right-bar-2*pad-left), detailH))
	p.detail.Move(fyne.NewPos(left, y2))
}
