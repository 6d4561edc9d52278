package cli

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Start is `c2c-uploader start ID...|all`: files on hold (added while uploads start by
// hand, or with upload --hold) and paused ones go, and the command follows them to their
// end as upload does, with its exit codes. This process runs the queue, so whatever else
// is queued goes too; files on hold that were not named stay on hold.
func Start(ctx context.Context, svc *core.Service, sel core.Selector, o Options) int {
	o.defaults()
	o.command = "start"
	showNotices(&o)
	tokensErr, err := load(ctx, svc, &o)
	if err != nil {
		fmt.Fprintf(o.Stderr, "start: %v\n", err)
		return ExitFailed
	}
	if tokensErr != nil {
		fmt.Fprintf(o.Stderr, "start: the pairing could not be read: %s\n", userText(tokensErr))
		return ExitFailed
	}
	return startWith(ctx, svc, sel, o, svc.Run)
}

// StartThrough is `start` while the window holds the data folder: the window starts the
// files, and the command follows them.
func StartThrough(ctx context.Context, q core.Queue, holder string, sel core.Selector, o Options) int {
	o.defaults()
	o.command, o.through = "start", holder
	return startWith(ctx, q, sel, o, nil)
}

func startWith(ctx context.Context, q core.Queue, sel core.Selector, o Options, run func(context.Context) error) int {
	ctx, interrupted, stop := interruptible(ctx)
	defer stop()
	jw := o.events()
	sub := q.Subscribe()
	defer sub.Close()
	views, _ := q.Snapshot()
	state := make(map[core.FileID]core.State, len(views))
	for _, v := range views {
		state[v.ID] = v.State
	}
	named := map[core.FileID]bool{}
	if sel.All {
		for _, v := range views {
			if v.State == core.OnHold || v.State == core.Paused {
				named[v.ID] = true
			}
		}
	}
	for _, id := range sel.IDs {
		st, ok := state[id]
		if !ok {
			fmt.Fprintf(o.Stderr, "start: there is no file %d in the queue; nothing was started (`c2c-uploader status` lists the files with their ids).\n", id)
			return ExitFailed
		}
		if st.Finished() {
			fmt.Fprintf(o.Stderr, "start: file %d is %s already; nothing was started (retry it in the window, or upload it again).\n", id, st)
			return ExitFailed
		}
		named[id] = true
	}
	if len(named) == 0 {
		fmt.Fprintln(o.Stderr, "Nothing is on hold or paused: there is nothing to start.")
		if run == nil {
			return ExitOK
		}
	}
	if err := q.Start(ctx, sel); err != nil {
		fmt.Fprintf(o.Stderr, "start: %s\n", userText(err))
		return ExitFailed
	}
	if !o.JSON && len(named) > 0 {
		fmt.Fprintf(o.Stderr, "Started %s.\n", format.Count(len(named), "file"))
	}
	return follow(ctx, interrupted, q, sub, jw, named, nil, 0, 0, o, run)
}
