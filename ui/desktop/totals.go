package desktop

import (
	"context"
	"fmt"
	"github.com/c2c-uploader/c2c-uploader/core"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// totalsBar is the footer: files and bytes left, the overall rate and ETA, and pause all
// / resume all.
type totalsBar struct {
	u        *UI
	text     *widget.Label
	progress *thinBar
	pauseAll *widget.Button
	root     fyne.CanvasObject
}

func newTotalsBar(u *UI) *totalsBar {
	t := &totalsBar{u: u}
	t.text = widget.NewLabel("")
	t.text.Truncation = fyne.TextTruncateEllipsis
	t.progress = newThinBar(8)
	t.pauseAll = widget.NewButtonWithIcon("Pause all", theme.MediaPauseIcon(), t.togglePauseAll)
	t.root = container.NewPadded(container.NewBorder(nil, nil, nil, container.NewCenter(t.pauseAll),
		container.NewVBox(t.text, t.progress)))
	t.update()
	return t
}

func (t *totalsBar) object() fyne.CanvasObject { return t.root }

func (t *totalsBar) update() {
	tot := t.u.m.totals
	t.text.Importance = totalsImportance(tot)
	t.text.SetText(totalsText(tot))
	if tot.BytesTotal > 0 {
		t.progress.SetValues(float64(tot.BytesAcked)/float64(tot.BytesTotal), float64(tot.BytesAcked+tot.BytesInFlight)/float64(tot.BytesTotal))
		t.progress.SetTrouble(float64(t.u.m.refused)/float64(tot.BytesTotal), float64(t.u.m.failed)/float64(tot.BytesTotal))
	} else {
		t.progress.SetValue(0)
		t.progress.SetTrouble(0, 0)
	}
	if tot.Paused {
		t.pauseAll.SetText("Resume all")
		t.pauseAll.SetIcon(theme.MediaPlayIcon())
	} else {
		t.pauseAll.SetText("Pause all")
		t.pauseAll.SetIcon(theme.MediaPauseIcon())
	}
	if tot.FilesRemaining == 0 {
		t.pauseAll.Disable()
	} else {
		t.pauseAll.Enable()
	}
}

// attention is how many files wait for the person: failed, refused by the project, or
// held for another project.
func attention(t core.Totals) int { return t.Failed + t.Skipped + t.Held }

func needAttention(n int) string { return format.Counted(n, "needs attention", "need attention") }

// outcome says how a queue with nothing left to do ended. "All done" only when every
// file it was given (and not cancelled) arrived: otherwise how many of them did, and how
// many need the person.
func outcome(t core.Totals) string {
	n := attention(t)
	if n == 0 {
		s := fmt.Sprintf("All done: %d uploaded", t.Done)
		if t.Cancelled > 0 {
			s += fmt.Sprintf(", %d cancelled", t.Cancelled)
		}
		if t.OnHold > 0 {
			s += fmt.Sprintf(", %d on hold", t.OnHold)
		}
		return s + "."
	}
	return fmt.Sprintf("%d of %s uploaded — %s.", t.Done, format.Count(t.Files-t.Cancelled, "file"), needAttention(n))
}

// totalsImportance colours the footer's words: the attention colour once the queue has
// ended with files that need the person.
func totalsImportance(t core.Totals) widget.Importance {
	if t.Files > 0 && t.FilesRemaining == 0 && attention(t) > 0 {
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

func totalsText(t core.Totals) string {
	switch {
	case t.Files == 0:
		return "Nothing queued yet."
	case t.FilesRemaining == 0 && t.OnHold > 0 && t.Done == 0:
		return fmt.Sprintf("%s on hold: Start all sends them.", format.Count(t.OnHold, "file"))
	case t.FilesRemaining == 0:
		return outcome(t)
	case t.Paused:
		return fmt.Sprintf("Paused · %s to go · %s left", format.Count(t.FilesRemaining, "file"), format.Bytes(t.BytesRemaining))
	}
	s := fmt.Sprintf("%s to go · %s left", format.Count(t.FilesRemaining, "file"), format.Bytes(t.BytesRemaining))
	// The estimate says nothing until it has seconds of movement to go on (after a
	// start, an outage or a pause): a dash, not a guess.
	switch {
	case t.Rate >= 1 && t.ETA > 0:
		s += fmt.Sprintf(" · %s · about %s", format.Rate(t.Rate), format.Duration(t.ETA))
	case t.Active > 0:
		s += " · speed —"
	}
	if n := attention(t); n > 0 {
		s += " · " + needAttention(n)
	}
	if t.OnHold > 0 {
		s += fmt.Sprintf(" · %d on hold", t.OnHold)
	}
	return s + limitText(t, time.Now())
}

// limitText says the bandwidth limit in force, and until when the schedule keeps it:
// " · limited to 2MB/s until 19:00".
func limitText(t core.Totals, now time.Time) string {
	if t.Limit <= 0 {
		return ""
	}
	s := " · limited to " + format.Bandwidth(t.Limit)
	switch until := t.LimitUntil.Local(); {
	case t.LimitUntil.IsZero():
	case until.Sub(now) < 20*time.Hour:
		s += " until " + until.Format("15:04")
	default:
		s += " until " + until.Format("Mon 15:04")
	}
	return s
}

func (t *totalsBar) togglePauseAll() {
	if t.u.m.totals.Paused {
		t.u.p.do("Resume failed", func(ctx context.Context) error { return t.u.svc.Resume(ctx, core.All) })
	} else {
		t.u.p.do("Pause failed", func(ctx context.Context) error { return t.u.svc.Pause(ctx, core.All) })
	}
}
