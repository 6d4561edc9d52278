package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// progressDisplay shows an upload run to a person.
type progressDisplay interface {
	file(v core.FileView)
	totals(t core.Totals)
	note(s string)
	close()
	// columns is the terminal's width the lines must fit, 0 when they need not.
	columns() int
}

type nopDisplay struct{}

func (nopDisplay) file(core.FileView) {}
func (nopDisplay) totals(core.Totals) {}
func (nopDisplay) note(string)        {}
func (nopDisplay) close()             {}
func (nopDisplay) columns() int       { return 0 }

// lineDisplay writes a line per change of state, for logs and pipes.
type lineDisplay struct {
	w    io.Writer
	last map[core.FileID]core.State
	at   time.Time
}

func (d *lineDisplay) file(v core.FileView) {
	if d.last == nil {
		d.last = map[core.FileID]core.State{}
	}
	if d.last[v.ID] == v.State {
		return
	}
	d.last[v.ID] = v.State
	switch v.State {
	case core.Done:
		fmt.Fprintf(d.w, "  done      %s (%s)\n", v.Name, format.Bytes(v.Size))
	case core.Failed, core.Skipped, core.Retrying:
		fmt.Fprintf(d.w, "  %-9s %s: %s\n", v.State, v.Name, v.Error)
	case core.Waiting:
		// The detail says what the file waits for, in words of its own.
		fmt.Fprintf(d.w, "  %-9s %s: %s\n", "", v.Name, v.Detail)
	case core.Uploading:
		fmt.Fprintf(d.w, "  uploading %s (%s)\n", v.Name, format.Bytes(v.Size))
	}
}

func (d *lineDisplay) totals(t core.Totals) {
	if time.Since(d.at) < 10*time.Second || t.Active == 0 {
		return
	}
	d.at = time.Now()
	fmt.Fprintf(d.w, "  %s\n", totalsLine(t, false))
}

// totalsLine is what is left, with the rate and the time left only when they are known:
// no placeholders. Compact, for the total's bar, it leaves the bar room on 80 columns.
func totalsLine(t core.Totals, compact bool) string {
	files, sep, about := format.Count(t.FilesRemaining, "file")+" to go", ", ", "about "
	if compact {
		files, sep, about = fmt.Sprintf("%d to go", t.FilesRemaining), " · ", ""
	}
	parts := []string{files, format.Bytes(t.BytesRemaining) + " left"}
	if t.Rate >= 1 {
		parts = append(parts, format.Rate(t.Rate))
	}
	if t.ETA > 0 {
		parts = append(parts, about+format.Duration(t.ETA))
	}
	return strings.Join(parts, sep)
}

func (d *lineDisplay) note(s string) { fmt.Fprintln(d.w, s) }
func (d *lineDisplay) close()        {}
func (d *lineDisplay) columns() int  { return 0 }

// barDisplay draws live bars on a terminal: the total, and one per file in flight. The
// decorators read their text from atomics: mpb renders on its own goroutine, and a lock
// shared with the bar updates could deadlock against it.
type barDisplay struct {
	p     *mpb.Progress
	total *mpb.Bar
	tot   atomic.Pointer[core.Totals]
	bars  map[core.FileID]*fileBar // owned by the caller's goroutine
	// refresh asks mpb to draw: a ticker does, and close does once more after the last
	// change, so that the final lines and figures are drawn before mpb shuts down (its
	// own ticker may not draw again after the last bar ended).
	refresh  chan any
	stopTick context.CancelFunc
	ticking  sync.WaitGroup
	// width is the terminal's, as mpb last measured it for a render (the lines printed
	// above the bars are fitted to it); barWidth until the first render.
	width atomic.Int64
}

type fileBar struct {
	bar  *mpb.Bar
	view atomic.Pointer[core.FileView]
}

// barRefresh is how often the bars are drawn.
const barRefresh = 200 * time.Millisecond

// The live display's columns: a bar of barWidth when the terminal has room, the figures
// after it (about tailWidth), and the name before it, shortened in the middle to what
// is left (nameMin to nameMax).
const (
	barWidth  = 40
	barMin    = 12
	tailWidth = 46
	nameMin   = 12
	nameMax   = 48
)

// nameWidth is the name column for a terminal of width columns: the same for every bar,
// so that they line up.
func nameWidth(width int) int {
	return min(max(width-2-barMin-tailWidth, nameMin), nameMax)
}

func newBarDisplay(ctx context.Context, w io.Writer) *barDisplay {
	d := &barDisplay{refresh: make(chan any), bars: map[core.FileID]*fileBar{}}
	d.width.Store(barWidth)
	d.p = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(barWidth), mpb.WithManualRefresh(d.refresh))
	tctx, stop := context.WithCancel(ctx)
	d.stopTick = stop
	d.ticking.Add(1)
	go func() {
		defer d.ticking.Done()
		tick := time.NewTicker(barRefresh)
		defer tick.Stop()
		for {
			select {
			case <-tctx.Done():
				return
			case t := <-tick.C:
				select {
				case d.refresh <- t:
				case <-tctx.Done():
					return
				}
			}
		}
	}()
	d.tot.Store(&core.Totals{})
	// Total 0: a total that grows as files are added, completed only by close
	// (constructed with a total, the bar completed at its first figures and stayed there).
	d.total = d.p.AddBar(0,
		mpb.BarPriority(1<<30),
		mpb.PrependDecorators(decor.Any(func(s decor.Statistics) string {
			d.width.Store(int64(s.AvailableWidth))
			return fitName("total", nameWidth(s.AvailableWidth))
		})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			return " " + totalsLine(*d.tot.Load(), true)
		})),
	)
	return d
}

func (d *barDisplay) file(v core.FileView) {
	fb := d.bars[v.ID]
	active := v.State == core.Uploading || v.State == core.Creating || v.State == core.Waiting
	if fb == nil {
		if !active {
			// Finished before it was ever seen under way (a small file between two
			// updates): its line all the same.
			if v.State.Finished() || v.State == core.Held {
				d.line(v)
			}
			return
		}
		fb = &fileBar{}
		fb.view.Store(&v)
		fb.bar = d.p.AddBar(max(v.Size, 1),
			mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Any(func(s decor.Statistics) string {
				return fitName(v.Name, nameWidth(s.AvailableWidth))
			})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				fv := fb.view.Load()
				if fv.State == core.Waiting {
					return " " + fv.Detail
				}
				s := fmt.Sprintf(" %s / %s", format.Bytes(fv.BytesDone), format.Bytes(fv.Size))
				if fv.Rate >= 1 {
					s += " · " + format.Rate(fv.Rate)
				}
				if fv.ETA > 0 {
					s += " · " + format.Duration(fv.ETA)
				}
				return s
			})),
		)
		d.bars[v.ID] = fb
	}
	fb.view.Store(&v)
	fb.bar.SetCurrent(min(v.BytesDone, max(v.Size, 1)))
	if v.State.Finished() || v.State == core.Retrying || v.State == core.Paused {
		// The line first, then the bar's end: the render that takes the bar away prints
		// the line (after the last bar's end there may be no render to print it).
		d.line(v)
		if v.State == core.Done {
			fb.bar.SetTotal(max(v.Size, 1), true)
		} else {
			fb.bar.Abort(true)
		}
		delete(d.bars, v.ID)
	}
}

func (d *barDisplay) totals(t core.Totals) {
	d.tot.Store(&t)
	d.total.SetTotal(t.BytesTotal, false)
	d.total.SetCurrent(t.BytesTotal - t.BytesRemaining)
}

func (d *barDisplay) note(s string) { _, _ = fmt.Fprintln(d.p, s) }

func (d *barDisplay) columns() int { return int(d.width.Load()) }

func (d *barDisplay) close() {
	for id, fb := range d.bars {
		fb.bar.Abort(true)
		delete(d.bars, id)
	}
	d.stopTick()
	d.ticking.Wait()
	d.total.SetTotal(-1, true) // ends at its current count, with the final totals
	select {
	case d.refresh <- time.Now(): // the last drawing: the lines and the figures as they end
	case <-time.After(time.Second): // mpb stopped already (interrupted)
	}
	d.p.Wait()
}

// line prints a file's end above the bars, kept in the terminal's scroll-back, fitted
// to one line of the terminal: the name shortened in the middle, the reason at the end.
func (d *barDisplay) line(v core.FileView) {
	width := int(d.width.Load())
	if v.State == core.Done {
		size := " (" + format.Bytes(v.Size) + ")"
		_, _ = fmt.Fprintf(d.p, "  done  %s%s\n", format.ShortenMiddle(v.Name, width-8-len([]rune(size))), size)
		return
	}
	head := fmt.Sprintf("  %s ", v.State)
	name := format.ShortenMiddle(v.Name, min(nameMax, width-len(head)-1))
	reason := ""
	if v.Error != "" {
		reason = format.ShortenEnd(": "+v.Error, width-len(head)-len([]rune(name)))
	}
	_, _ = fmt.Fprintf(d.p, "%s%s%s\n", head, name, reason)
}

// fitName is name shortened in the middle and padded to n columns.
func fitName(name string, n int) string {
	s := format.ShortenMiddle(name, n)
	return s + strings.Repeat(" ", max(0, n-len([]rune(s))))
}
