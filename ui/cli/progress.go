package cli

import (
	"context"
	"fmt"
	"github.com/c2c-uploader/c2c-uploader/core"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// progressDisplay shows an upload run to a person.
type progressDisplay interface {
	file(v core.FileView)
	totals(t core.Totals)
	note(s string)
	close()
}

type nopDisplay struct{}

func (nopDisplay) file(core.FileView) {}
func (nopDisplay) totals(core.Totals) {}
func (nopDisplay) note(string)        {}
func (nopDisplay) close()             {}

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
		fmt.Fprintf(d.w, "  waiting   %s: %s\n", v.Name, v.Detail)
	case core.Uploading:
		fmt.Fprintf(d.w, "  uploading %s (%s)\n", v.Name, format.Bytes(v.Size))
	}
}

func (d *lineDisplay) totals(t core.Totals) {
	if time.Since(d.at) < 10*time.Second || t.Active == 0 {
		return
	}
	d.at = time.Now()
	fmt.Fprintf(d.w, "  %s to go, %s left, %s, about %s\n",
		format.Count(t.FilesRemaining, "file"), format.Bytes(t.BytesRemaining), format.Rate(t.Rate), format.Duration(t.ETA))
}

func (d *lineDisplay) note(s string) { fmt.Fprintln(d.w, s) }
func (d *lineDisplay) close()        {}

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
}

type fileBar struct {
	bar  *mpb.Bar
	view atomic.Pointer[core.FileView]
}

// barRefresh is how often the bars are drawn.
const barRefresh = 200 * time.Millisecond

func newBarDisplay(ctx context.Context, w io.Writer) *barDisplay {
	d := &barDisplay{refresh: make(chan any), bars: map[core.FileID]*fileBar{}}
	d.p = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithManualRefresh(d.refresh))
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
		mpb.PrependDecorators(decor.Name("total ", decor.WC{W: 24, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			t := d.tot.Load()
			return fmt.Sprintf(" %d to go · %s left · %s · %s", t.FilesRemaining, format.Bytes(t.BytesRemaining), format.Rate(t.Rate), format.Duration(t.ETA))
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
			switch {
			case v.State == core.Done:
				_, _ = fmt.Fprintf(d.p, "  done  %s (%s)\n", v.Name, format.Bytes(v.Size))
			case v.State.Finished() || v.State == core.Held:
				_, _ = fmt.Fprintf(d.p, "  %s %s: %s\n", v.State, v.Name, v.Error)
			}
			return
		}
		fb = &fileBar{}
		fb.view.Store(&v)
		fb.bar = d.p.AddBar(max(v.Size, 1),
			mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(trimName(v.Name, 24), decor.WC{W: 24, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				fv := fb.view.Load()
				if fv.State == core.Waiting {
					return " waiting: " + fv.Detail
				}
				return fmt.Sprintf(" %s / %s · %s · %s", format.Bytes(fv.BytesDone), format.Bytes(fv.Size), format.Rate(fv.Rate), format.Duration(fv.ETA))
			})),
		)
		d.bars[v.ID] = fb
	}
	fb.view.Store(&v)
	fb.bar.SetCurrent(min(v.BytesDone, max(v.Size, 1)))
	if v.State.Finished() || v.State == core.Retrying || v.State == core.Paused {
		// The line first, then the bar's end: the render that takes the bar away prints
		// the line (after the last bar's end there may be no render to print it).
		if v.State == core.Done {
			_, _ = fmt.Fprintf(d.p, "  done  %s (%s)\n", v.Name, format.Bytes(v.Size))
			fb.bar.SetTotal(max(v.Size, 1), true)
		} else {
			_, _ = fmt.Fprintf(d.p, "  %s %s: %s\n", v.State, v.Name, v.Error)
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

func trimName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
