package desktop

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// batchRow is a batch's header: its folder, where it goes, how far it is, and a bar of
// its bytes. Tapping it folds the batch away or opens it.
type batchRow struct {
	widget.BaseWidget
	u *UI
	b *batch

	bg       *canvas.Rectangle
	fold     *widget.Icon
	title    *fitText
	detail   *fitText
	state    *fitText
	progress *thinBar
}

func newBatchRow(u *UI) *batchRow {
	r := &batchRow{u: u, bg: canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))}
	r.fold = widget.NewIcon(theme.MenuDropDownIcon())
	r.title = newFitText(true, theme.SizeNameText, fyne.TextStyle{Bold: true})
	r.detail = newFitText(false, theme.SizeNameCaptionText, fyne.TextStyle{})
	r.state = newFitText(false, theme.SizeNameCaptionText, fyne.TextStyle{Bold: true})
	r.progress = newThinBar(6)
	r.ExtendBaseWidget(r)
	return r
}

// set shows batch b as it stands in the model.
func (r *batchRow) set(b *batch) {
	if r.b == nil || r.b.key != b.key {
		r.u.tips.leave(r)
	}
	r.b = b
	m := r.u.m
	s := m.batchStats(b)
	if m.collapsed[b.key] {
		r.fold.SetResource(theme.MenuExpandIcon())
	} else {
		r.fold.SetResource(theme.MenuDropDownIcon())
	}
	r.title.SetText(b.title())
	detail := format.Count(s.files, "file") + " in " + b.folder
	if d := s.destination(); d != "" {
		detail += " · " + d
	}
	detail += " · added" + addedAt(b)
	r.detail.SetText(detail)
	state := fmt.Sprintf("%d of %d uploaded", s.done, s.files)
	col := theme.Color(theme.ColorNamePlaceHolder)
	switch {
	case s.attention > 0:
		state += " · " + needAttention(s.attention)
		col = theme.Color(theme.ColorNameWarning)
	case s.done == s.files:
		col = theme.Color(theme.ColorNameSuccess)
	}
	r.state.SetText(state)
	r.state.SetColor(col)
	if s.size > 0 {
		r.progress.SetValues(float64(s.acked)/float64(s.size), float64(s.sent)/float64(s.size))
		r.progress.SetTrouble(float64(s.refused)/float64(s.size), float64(s.failed)/float64(s.size))
	} else {
		r.progress.SetValue(float64(s.done) / float64(max(1, s.files)))
	}
	r.progress.SetColor(theme.ColorNamePrimary)
	show(r.progress, s.done < s.files)
	r.Refresh()
}

// addedAt is when a batch was queued: the time today, the day and time before.
func addedAt(b *batch) string {
	if b.at.IsZero() {
		return ""
	}
	return when(b.at)
}

func (r *batchRow) Tapped(*fyne.PointEvent) {
	if r.b == nil {
		return
	}
	r.u.m.fold(r.b)
	r.u.queue.rearranged()
}

func (r *batchRow) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (r *batchRow) MouseIn(e *desktop.MouseEvent) {
	r.u.tips.hover(r, r.tip, e.AbsolutePosition)
}
func (r *batchRow) MouseMoved(e *desktop.MouseEvent) {
	r.u.tips.hover(r, r.tip, e.AbsolutePosition)
}
func (r *batchRow) MouseOut() { r.u.tips.leave(r) }

func (r *batchRow) tip() string {
	if r.b == nil {
		return ""
	}
	verb := "fold it away"
	if r.u.m.collapsed[r.b.key] {
		verb = "show its files"
	}
	return r.b.folder + "\n" + r.detail.Text + "\n" + r.state.Text + "\nClick to " + verb + "."
}

func (r *batchRow) CreateRenderer() fyne.WidgetRenderer { return &batchRenderer{r: r} }

type batchRenderer struct{ r *batchRow }

func (br *batchRenderer) Objects() []fyne.CanvasObject {
	r := br.r
	return []fyne.CanvasObject{r.bg, r.fold, r.title, r.detail, r.state, r.progress}
}

// MinSize is a file row's: the list gives every row the height of its template.
func (br *batchRenderer) MinSize() fyne.Size { return fyne.NewSize(0, 0) }

func (br *batchRenderer) Layout(size fyne.Size) {
	r := br.r
	r.bg.Resize(size)
	pad := theme.Padding()
	iconSize := theme.IconInlineSize()
	r.fold.Resize(fyne.NewSquareSize(iconSize))
	r.fold.Move(fyne.NewPos(pad, (size.Height-iconSize)/2))
	left := pad + iconSize + 2*pad
	right := size.Width - 2*pad
	parts := lineParts{name: r.title, detail: r.detail, state: r.state, bar: r.progress}
	if r.u.compact {
		parts.oneLine(size, left, right, min(float32(barWidth), max(0, right-left)/4), 0,
			func(room float32) float32 { return min(r.title.fullWidth(), room/2) })
		return
	}
	parts.twoLines(size, left, right, barWidth)
}

func (br *batchRenderer) Refresh() {
	br.r.bg.FillColor = theme.Color(theme.ColorNameHeaderBackground)
	br.Layout(br.r.Size())
	for _, o := range br.Objects() {
		o.Refresh()
	}
}

func (br *batchRenderer) Destroy() {}

// listItem is one row of the list: a file or a batch's header, whichever it stands for
// now (the list reuses its rows as it scrolls).
type listItem struct {
	widget.BaseWidget
	file   *queueRow
	header *batchRow
}

func newListItem(u *UI) *listItem {
	it := &listItem{file: newQueueRow(u), header: newBatchRow(u)}
	it.header.Hide()
	it.ExtendBaseWidget(it)
	return it
}

// set shows row i of the model.
func (it *listItem) set(m *model, i int) {
	if i < 0 || i >= len(m.rows) {
		return
	}
	row := m.rows[i]
	if row.file == 0 {
		it.file.Hide()
		it.header.Show()
		it.header.set(row.batch)
		return
	}
	it.header.Hide()
	it.file.Show()
	it.file.set(*m.files[row.file])
}

func (it *listItem) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(it.file, it.header))
}
