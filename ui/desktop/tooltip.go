package desktop

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// tipDelay is how long the pointer rests on something before its tooltip shows.
const tipDelay = 600 * time.Millisecond

// tooltips shows a small box of text beside the pointer: a row's full name and folder,
// what an icon button does. Fyne (v2.7) has none. The box lives in a layer over the
// window's content, not in an overlay: an overlay takes the pointer from the content,
// so the row under it would lose its hover and the tip would flicker. Nothing in the
// layer reacts to the pointer, so the content keeps it.
type tooltips struct {
	layer *fyne.Container // over the content, without a layout: the box goes where the pointer is
	box   *fyne.Container
	lines *fyne.Container
	owner any // what the shown or pending tip belongs to
	timer *time.Timer
	gen   int // counts tips asked for: a timer of an earlier one does nothing
}

func newTooltips() *tooltips {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	bg.StrokeWidth = 1
	bg.CornerRadius = 4
	t := &tooltips{lines: container.NewVBox()}
	t.box = container.NewStack(bg, container.NewPadded(t.lines))
	t.box.Hide()
	t.layer = container.NewWithoutLayout(t.box)
	return t
}

// hover asks for owner's tip near at (the pointer, on the canvas); it shows once the
// pointer has rested for tipDelay, with what text says then (a row may show another file
// by then, or the same one further on). Any goroutine but the timer's is Fyne's.
func (t *tooltips) hover(owner any, text func() string, at fyne.Position) {
	if t.owner == owner && t.box.Visible() {
		return // already shown; it stays where it opened
	}
	t.stop()
	t.owner = owner
	t.gen++
	gen := t.gen
	t.timer = time.AfterFunc(tipDelay, func() {
		fyne.Do(func() {
			if t.gen == gen {
				if s := text(); s != "" {
					t.show(s, at)
				}
			}
		})
	})
}

// leave hides owner's tip (or forgets it, if it is not shown yet).
func (t *tooltips) leave(owner any) {
	if t.owner != owner {
		return
	}
	t.stop()
	t.owner = nil
	t.gen++
	t.box.Hide()
}

func (t *tooltips) stop() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// show puts the box below and right of the pointer, inside the layer.
func (t *tooltips) show(text string, at fyne.Position) {
	t.lines.RemoveAll()
	for _, line := range strings.Split(text, "\n") {
		l := canvas.NewText(line, theme.Color(theme.ColorNameForeground))
		l.TextSize = theme.CaptionTextSize()
		t.lines.Add(l)
	}
	size := t.box.MinSize()
	area := t.layer.Size()
	pos := at.Add(fyne.NewPos(12, 18))
	if pos.X+size.Width > area.Width {
		pos.X = max(0, area.Width-size.Width)
	}
	if pos.Y+size.Height > area.Height {
		pos.Y = max(0, at.Y-size.Height-6)
	}
	t.box.Resize(size)
	t.box.Move(pos)
	t.box.Show()
	t.layer.Refresh()
}

// showing is the tip on screen, "" if none (for tests).
func (t *tooltips) showing() string {
	if !t.box.Visible() {
		return ""
	}
	var lines []string
	for _, o := range t.lines.Objects {
		lines = append(lines, o.(*canvas.Text).Text)
	}
	return strings.Join(lines, "\n")
}
