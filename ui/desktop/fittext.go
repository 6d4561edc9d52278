package desktop

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// fitText is one line of text that shortens itself to the width it is given: a file name
// in the middle (its reel and clip at the start, take and extension at the end tell clips
// apart), a sentence at its end. Text is always the whole text; the tooltip shows it.
type fitText struct {
	widget.BaseWidget
	Text   string
	middle bool
	shown  *canvas.Text
}

func newFitText(middle bool, size fyne.ThemeSizeName, style fyne.TextStyle) *fitText {
	t := &fitText{middle: middle, shown: canvas.NewText("", theme.Color(theme.ColorNameForeground))}
	t.shown.TextSize = theme.Size(size)
	t.shown.TextStyle = style
	t.ExtendBaseWidget(t)
	return t
}

// SetText shows s, shortened if it does not fit.
func (t *fitText) SetText(s string) {
	if s != t.Text {
		t.Text = s
		t.Refresh()
	}
}

// SetColor colours the text.
func (t *fitText) SetColor(c color.Color) {
	if c != t.shown.Color {
		t.shown.Color = c
		t.shown.Refresh()
	}
}

// fullWidth is how wide the whole text is drawn.
func (t *fitText) fullWidth() float32 {
	return fyne.MeasureText(t.Text, t.shown.TextSize, t.shown.TextStyle).Width
}

// fit is the longest shortening of Text (or Text itself) no wider than w.
func (t *fitText) fit(w float32) string {
	measure := func(s string) float32 { return fyne.MeasureText(s, t.shown.TextSize, t.shown.TextStyle).Width }
	if measure(t.Text) <= w {
		return t.Text
	}
	shorten := format.ShortenEnd
	if t.middle {
		shorten = format.ShortenMiddle
	}
	// The shortest shortening: "…" alone, or the first and last characters around it.
	lo, hi := 1, len([]rune(t.Text))-1
	if t.middle {
		lo = 2
	}
	if hi < lo || measure(shorten(t.Text, lo)) > w {
		return ""
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(shorten(t.Text, mid)) <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return shorten(t.Text, lo)
}

func (t *fitText) CreateRenderer() fyne.WidgetRenderer { return &fitTextRenderer{t: t} }

type fitTextRenderer struct{ t *fitText }

func (r *fitTextRenderer) Layout(size fyne.Size) {
	s := r.t.shown
	s.Text = r.t.fit(size.Width)
	h := fyne.MeasureText("Ag", s.TextSize, s.TextStyle).Height
	s.Move(fyne.NewPos(0, (size.Height-h)/2))
	s.Resize(fyne.NewSize(size.Width, h))
	s.Refresh()
}

// MinSize is one line of a few characters: the rest is shortened away.
func (r *fitTextRenderer) MinSize() fyne.Size {
	s := r.t.shown
	return fyne.NewSize(fyne.MeasureText("A…v", s.TextSize, s.TextStyle).Width,
		fyne.MeasureText("Ag", s.TextSize, s.TextStyle).Height)
}

func (r *fitTextRenderer) Refresh() { r.Layout(r.t.Size()) }

func (r *fitTextRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t.shown} }

func (r *fitTextRenderer) Destroy() {}
