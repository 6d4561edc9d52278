package desktop

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// The footer says what happened: "All done" only when every file arrived; otherwise how
// many of how many did and how many need the person, in the attention colour, in words
// that agree with their number. It used to say "All done: 213 uploaded, 3 need
// attention." over three refused files, and "All done: 0 uploaded" once Clear had left
// only the failed ones.
func TestTheFooterSaysWhatHappened(t *testing.T) {
	for _, c := range []struct {
		name      string
		totals    core.Totals
		want      string
		attention bool
	}{
		{"every file arrived", core.Totals{Files: 215, Done: 215}, "All done: 215 uploaded.", false},
		{"some cancelled", core.Totals{Files: 5, Done: 3, Cancelled: 2}, "All done: 3 uploaded, 2 cancelled.", false},
		{"three refused", core.Totals{Files: 215, Done: 212, Skipped: 3}, "212 of 215 files uploaded — 3 need attention.", true},
		{"one failed", core.Totals{Files: 11, Done: 10, Failed: 1}, "10 of 11 files uploaded — 1 needs attention.", true},
		{"only the failed left after Clear", core.Totals{Files: 3, Failed: 3}, "0 of 3 files uploaded — 3 need attention.", true},
		{"held for another project", core.Totals{Files: 4, Done: 2, Held: 2}, "2 of 4 files uploaded — 2 need attention.", true},
		{"under way with one failed", core.Totals{Files: 4, FilesRemaining: 2, BytesRemaining: 2 << 20, Done: 1, Failed: 1},
			"2 files to go · 2.0 MiB left · 1 needs attention", false},
		{"sending, with an estimate", core.Totals{Files: 4, FilesRemaining: 2, Active: 2, BytesRemaining: 30 << 20, Rate: 3 << 20, ETA: 10e9},
			"2 files to go · 30.0 MiB left · 3.0 MiB/s · about 10 s", false},
		{"sending, nothing to estimate from yet", core.Totals{Files: 4, FilesRemaining: 2, Active: 2, BytesRemaining: 30 << 20},
			"2 files to go · 30.0 MiB left · speed —", false},
		{"nothing", core.Totals{}, "Nothing queued yet.", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := totalsText(c.totals); got != c.want {
				t.Errorf("the footer says %q, want %q", got, c.want)
			}
			want := widget.MediumImportance
			if c.attention {
				want = widget.WarningImportance
			}
			if got := totalsImportance(c.totals); got != want {
				t.Errorf("in colour %v, want %v", got, want)
			}
		})
	}
}

// A row counts the bytes S3 acknowledged, the same before and after a pause: the bytes
// in flight show only as the bar's lighter part.
func TestRowsCountTheAcknowledgedBytes(t *testing.T) {
	const mib = 1 << 20
	sending := core.FileView{Name: "A001.mov", State: core.Uploading, Size: 30 * mib, BytesDone: 18 * mib, BytesAcked: 9 * mib, Rate: 2 * mib, ETA: 6e9}
	if got, want := rowDetail(sending), "9.0 MiB of 30.0 MiB · 30% · 2.0 MiB/s · 6 s left"; got != want {
		t.Errorf("sending: %q, want %q", got, want)
	}
	paused := sending
	paused.State, paused.BytesDone, paused.Rate, paused.ETA = core.Paused, 9*mib, 0, 0
	if got, want := rowDetail(paused), "9.0 MiB of 30.0 MiB sent · paused"; got != want {
		t.Errorf("paused: %q, want %q", got, want)
	}
	bar := newThinBar(4)
	bar.SetValues(0.3, 0.6)
	if bar.value != 0.3 || bar.pending != 0.6 {
		t.Errorf("the bar holds %v solid and %v in flight, want 0.3 and 0.6", bar.value, bar.pending)
	}
}

// Video, sound, stills and text each get an icon of their own shape at a row's size
// (16 px): the theme's file icons, a page with a small mark, looked alike.
func TestKindsOfFileLookDifferent(t *testing.T) {
	names := []string{"A001.mov", "A001.wav", "A001.jpg", "A001.xml", "A001.bin"}
	images := make([]image.Image, len(names))
	for i, n := range names {
		w := test.NewTempWindow(t, widget.NewIcon(fileIcon(n)))
		w.SetPadded(false)
		w.Resize(fyne.NewSize(16, 16))
		images[i] = w.Canvas().Capture()
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if d := pixelsApart(images[i], images[j]); d < 0.15 {
				t.Errorf("%s and %s look alike at 16 px: %.0f%% of their pixels differ", names[i], names[j], 100*d)
			}
		}
	}
}

// pixelsApart is the share of pixels that differ clearly between two images of one size.
func pixelsApart(a, b image.Image) float64 {
	r := a.Bounds()
	diff := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if absDiff(ar, br)+absDiff(ag, bg)+absDiff(ab, bb) > 3*0x4000 {
				diff++
			}
		}
	}
	return float64(diff) / float64(r.Dx()*r.Dy())
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// The footer's bar shows what arrived, what is on its way, and at its end the bytes of
// the files that will not arrive without the person: refused (attention colour), then
// failed (error colour).
func TestTheFooterBarShowsWhatWillNotArrive(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	file := func(id core.FileID, st core.State) core.Event {
		return core.Event{Type: core.EventFile, File: &core.FileView{ID: id, Name: "f", Size: 100, State: st}}
	}
	d.apply(file(1, core.Done), file(2, core.Done), file(3, core.Failed), file(4, core.Skipped),
		core.Event{Type: core.EventTotals, Totals: &core.Totals{Files: 4, Done: 2, Failed: 1, Skipped: 1, BytesTotal: 400, BytesAcked: 200}})
	bar := func() [4]float64 {
		return uiValue(func() [4]float64 {
			b := d.ui.totals.progress
			return [4]float64{b.value, b.pending, b.refused, b.failed}
		})
	}
	if got, want := bar(), [4]float64{0.5, 0.5, 0.25, 0.25}; got != want {
		t.Errorf("two of four arrived, one failed, one refused: bar (arrived, on its way, refused, failed) %v, want %v", got, want)
	}
	d.apply(file(3, core.Uploading),
		core.Event{Type: core.EventTotals, Totals: &core.Totals{Files: 4, FilesRemaining: 1, Active: 1, Done: 2, Skipped: 1,
			BytesTotal: 400, BytesAcked: 200, BytesInFlight: 50, BytesRemaining: 100}})
	if got, want := bar(), [4]float64{0.5, 0.625, 0.25, 0}; got != want {
		t.Errorf("the failed one sent again: bar %v, want %v", got, want)
	}
}
