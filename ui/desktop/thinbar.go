package desktop

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// thinBar is a slim progress bar: widget.ProgressBar is sized for text inside it, too
// heavy for a countdown or a list row. Besides its value (the solid part) it can show a
// lighter part after it: bytes on their way, which a pause or a crash may take back,
// while the solid part (what S3 acknowledged) never steps back.
type thinBar struct {
	widget.BaseWidget
	value   float64 // 0..1
	pending float64 // value..1: the lighter part ends here
	// refused and failed are parts at the bar's end: the bytes the project refused or
	// that wait for another project (attention colour), then those that failed (error
	// colour), last.
	refused, failed float64
	height          float32
	color           fyne.ThemeColorName // of the filled part; "" = primary
}

func newThinBar(height float32) *thinBar {
	b := &thinBar{height: height}
	b.ExtendBaseWidget(b)
	return b
}

// SetColor sets the colour of the filled part.
func (b *thinBar) SetColor(c fyne.ThemeColorName) {
	if c != b.color {
		b.color = c
		b.Refresh()
	}
}

func (b *thinBar) fillColor() fyne.ThemeColorName {
	if b.color == "" {
		return theme.ColorNamePrimary
	}
	return b.color
}

// SetValue sets the filled fraction (clamped to 0..1), with no lighter part.
func (b *thinBar) SetValue(v float64) { b.SetValues(v, v) }

// SetValues sets the solid fraction and where the lighter part after it ends (both
// clamped to 0..1, pending to at least v).
func (b *thinBar) SetValues(v, pending float64) {
	v = min(max(v, 0), 1)
	pending = min(max(pending, v), 1)
	if v != b.value || pending != b.pending {
		b.value, b.pending = v, pending
		b.Refresh()
	}
}

// SetTrouble sets the parts drawn at the bar's end for the bytes of files that will not
// arrive without the person: refused (or held), and failed.
func (b *thinBar) SetTrouble(refused, failed float64) {
	failed = min(max(failed, 0), 1-b.pending)
	refused = min(max(refused, 0), 1-b.pending-failed)
	if refused != b.refused || failed != b.failed {
		b.refused, b.failed = refused, failed
		b.Refresh()
	}
}

// pendingColor is the fill's colour, faded: the lighter part.
func (b *thinBar) pendingColor() color.Color {
	r, g, bl, _ := theme.Color(b.fillColor()).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: 0x70}
}

func (b *thinBar) CreateRenderer() fyne.WidgetRenderer {
	track := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	pending := canvas.NewRectangle(b.pendingColor())
	fill := canvas.NewRectangle(theme.Color(b.fillColor()))
	refused := canvas.NewRectangle(theme.Color(theme.ColorNameWarning))
	failed := canvas.NewRectangle(theme.Color(theme.ColorNameError))
	for _, r := range []*canvas.Rectangle{track, pending, fill, refused, failed} {
		r.CornerRadius = b.height / 2
	}
	return &thinBarRenderer{b: b, track: track, pending: pending, fill: fill, refused: refused, failed: failed}
}

type thinBarRenderer struct {
	b                                     *thinBar
	track, pending, fill, refused, failed *canvas.Rectangle
}

func (r *thinBarRenderer) Layout(size fyne.Size) {
	y := (size.Height - r.b.height) / 2
	r.track.Move(fyne.NewPos(0, y))
	r.track.Resize(fyne.NewSize(size.Width, r.b.height))
	r.pending.Move(fyne.NewPos(0, y))
	r.pending.Resize(fyne.NewSize(size.Width*float32(r.b.pending), r.b.height))
	r.fill.Move(fyne.NewPos(0, y))
	r.fill.Resize(fyne.NewSize(size.Width*float32(r.b.value), r.b.height))
	fw, rw := size.Width*float32(r.b.failed), size.Width*float32(r.b.refused)
	r.failed.Move(fyne.NewPos(size.Width-fw, y))
	r.failed.Resize(fyne.NewSize(fw, r.b.height))
	r.refused.Move(fyne.NewPos(size.Width-fw-rw, y))
	r.refused.Resize(fyne.NewSize(rw, r.b.height))
	show(r.failed, fw > 0)
	show(r.refused, rw > 0)
}

func (r *thinBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, r.b.height) }

func (r *thinBarRenderer) Refresh() {
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.pending.FillColor = r.b.pendingColor()
	r.fill.FillColor = theme.Color(r.b.fillColor())
	r.refused.FillColor = theme.Color(theme.ColorNameWarning)
	r.failed.FillColor = theme.Color(theme.ColorNameError)
	r.Layout(r.b.Size())
	r.track.Refresh()
	r.pending.Refresh()
	r.fill.Refresh()
	r.refused.Refresh()
	r.failed.Refresh()
}

func (r *thinBarRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.pending, r.fill, r.refused, r.failed}
}
func (r *thinBarRenderer) Destroy() {}
