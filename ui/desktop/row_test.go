package desktop

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// cardOf is n files of a camera card with long names, in a mix of states.
func cardOf(n int) []core.Event {
	states := []core.State{core.Done, core.Uploading, core.Queued, core.Failed, core.Skipped}
	var evs []core.Event
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("A003C%03d_261202_R2CD_v003_approved_by_DOP.mov", i)
		v := core.FileView{ID: core.FileID(i), Name: name, Path: "/media/CARD_A003/CLIPS/" + name, Size: 100 << 20,
			State: states[i%len(states)], BytesAcked: 40 << 20, BytesDone: 50 << 20}
		if v.State == core.Failed {
			v.Error = "The file changed while it was being uploaded; add it again once the camera has finished writing it."
		}
		evs = append(evs, core.Event{Type: core.EventFile, File: &v})
	}
	return evs
}

// rowsInView is how many whole rows the list has room for.
func (d *desk) rowsInView() int {
	return uiValue(func() int {
		list := d.ui.queue.list
		row := newQueueRow(d.ui).MinSize().Height + theme.SeparatorThicknessSize()
		return int(list.Size().Height / row)
	})
}

// Compact rows fit at least twelve files in an 800 × 600 window (two-line rows fit
// fewer), and the choice is kept for the next start.
func TestCompactRowsFitADayOfCards(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(cardOf(200)...)
	onUI(func() { d.win.Resize(fyne.NewSize(800, 600)) })
	comfortable := d.rowsInView()
	onUI(func() { test.Tap(d.ui.queue.density) })
	compact := d.rowsInView()
	if compact < 12 || compact <= comfortable {
		t.Errorf("at 800 × 600 the list has room for %d compact rows and %d two-line ones; want at least 12 compact, and more than two-line", compact, comfortable)
	}
	if n := len(d.onScreen()); n < 12 {
		t.Errorf("%d compact rows drawn at 800 × 600, want at least 12", n)
	}
	again := uiValue(func() bool { return New(d.app, d.svc, Options{}).compact })
	if !again {
		t.Error("a window opened after choosing compact rows starts with two-line rows")
	}
}

// A long name is shortened in the middle, keeping its reel and clip and its take and
// extension; a long reason at its end. Resting the pointer on the row shows the whole
// name, its folder and the whole reason; on an action, what it does.
func TestLongNamesShortenAndTheTooltipHasThemWhole(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(cardOf(5)...)
	onUI(func() {
		d.ui.queue.density.SetChecked(true) // the name gets less than half the line
		d.win.Resize(fyne.NewSize(800, 600))
	})
	const name = "A003C003_261202_R2CD_v003_approved_by_DOP.mov"
	var r *queueRow
	onUI(func() { r = rows(d.win.Content())[name] })
	if r == nil {
		t.Fatalf("no row for %s among %q", name, d.onScreen())
	}
	shown := uiValue(func() string { return r.name.shown.Text })
	if !strings.Contains(shown, "…") || !strings.HasPrefix(shown, "A003C003_") || !strings.HasSuffix(shown, "DOP.mov") {
		t.Errorf("the name shows as %q, want it shortened in the middle, keeping %q and %q", shown, "A003C003_", "DOP.mov")
	}
	if w, room := uiValue(func() float32 { return fyne.MeasureText(shown, r.name.shown.TextSize, r.name.shown.TextStyle).Width }),
		uiValue(func() float32 { return r.name.Size().Width }); w > room {
		t.Errorf("the shortened name is %.0f wide in %.0f", w, room)
	}
	detail := uiValue(func() string { return r.detail.shown.Text })
	if !strings.HasSuffix(detail, "…") || !strings.HasPrefix(detail, "100.0 MiB · The file changed") {
		t.Errorf("the reason shows as %q, want it shortened at its end", detail)
	}

	at := uiValue(func() fyne.Position {
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(r.name).Add(fyne.NewPos(5, 5))
	})
	onUI(func() { test.MoveMouse(d.win.Canvas(), at) })
	want := name + "\n/media/CARD_A003/CLIPS\n100.0 MiB · The file changed while it was being uploaded; add it again once the camera has finished writing it."
	d.eventually("the row's tooltip shows", func() bool { return d.ui.tips.showing() == want })
	// The list scrolls under the resting pointer: the row shows another file, and the
	// tip about the first goes.
	onUI(func() {
		v := r.v
		r.set(*d.ui.m.files[v.ID+1])
		if got := d.ui.tips.showing(); got != "" {
			t.Errorf("the row shows another file and the tip still says %q", got)
		}
		r.set(v)
		test.MoveMouse(d.win.Canvas(), fyne.NewPos(1, 1))
		test.MoveMouse(d.win.Canvas(), at)
	})
	d.eventually("the row's tooltip shows again", func() bool { return d.ui.tips.showing() == want })

	retry := uiValue(func() fyne.Position {
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(r.retry).Add(fyne.NewPos(5, 5))
	})
	onUI(func() { test.MoveMouse(d.win.Canvas(), retry) })
	if got := uiValue(d.ui.tips.showing); got != "" {
		t.Errorf("the row's tooltip stays when the pointer moves onto an action: %q", got)
	}
	d.eventually("the action's tooltip says what it does", func() bool { return d.ui.tips.showing() == "Retry" })
	onUI(func() { test.MoveMouse(d.win.Canvas(), fyne.NewPos(1, 1)) })
	if got := uiValue(d.ui.tips.showing); got != "" {
		t.Errorf("the tooltip stays after the pointer left: %q", got)
	}
}
