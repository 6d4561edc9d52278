package desktop

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// thinBar is a slim progress bar: widget.ProgressBar is sized for text inside it, too
// heavy for a countdown or a list row.
type thinBar struct {
	widget.BaseWidget
	value  float64 // 0..1
	height float32
	color  fyne.ThemeColorName // of the filled part; "" = primary
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

// SetValue sets the filled fraction (clamped to 0..1).
func (b *thinBar) SetValue(v float64) {
	v = min(max(v, 0), 1)
	if v != b.value {
		b.value = v
		b.Refresh()
	}
}

func (b *thinBar) CreateRenderer() fyne.WidgetRenderer {
	track := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	fill := canvas.NewRectangle(theme.Color(b.fillColor()))
	track.CornerRadius, fill.CornerRadius = b.height/2, b.height/2
	return &thinBarRenderer{b: b, track: track, fill: fill}
}

type thinBarRenderer struct {
	b           *thinBar
	track, fill *canvas.Rectangle
}

func (r *thinBarRenderer) Layout(size fyne.Size) {
	y := (size.Height - r.b.height) / 2
	r.track.Move(fyne.NewPos(0, y))
	r.track.Resize(fyne.NewSize(size.Width, r.b.height))
	r.fill.Move(fyne.NewPos(0, y))
	r.fill.Resize(fyne.NewSize(size.Width*float32(r.b.value), r.b.height))
}

func (r *thinBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, r.b.height) }

func (r *thinBarRenderer) Refresh() {
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.fill.FillColor = theme.Color(r.b.fillColor())
	r.Layout(r.b.Size())
	r.track.Refresh()
	r.fill.Refresh()
}

func (r *thinBarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.track, r.fill} }
func (r *thinBarRenderer) Destroy()                     {}
