package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Mover is the queue `move` works on: this process's service, or the window's through
// its control socket.
type Mover interface {
	Move(ctx context.Context, sel core.Selector, to core.Place) error
	Snapshot() ([]core.FileView, core.Totals)
}

// Move is `c2c-uploader move ID... top|bottom`: the files go next (top), as places free
// up, or after everything else (bottom); nothing running is stopped. The order is kept
// in the journal, so the next upload and the window take it. An id that is not in the
// queue is told, and nothing moves (exit 1). With --json it prints the moved files as
// file events.
func Move(ctx context.Context, q Mover, ids []core.FileID, to core.Place, o Options) int {
	o.defaults()
	showNotices(&o)
	views, _ := q.Snapshot()
	byID := make(map[core.FileID]core.FileView, len(views))
	for _, v := range views {
		byID[v.ID] = v
	}
	for _, id := range ids {
		v, ok := byID[id]
		if !ok {
			fmt.Fprintf(o.Stderr, "move: there is no file %d in the queue; nothing was moved (`c2c-uploader status` lists the files with their ids).\n", id)
			return ExitFailed
		}
		if v.State.Finished() {
			fmt.Fprintf(o.Stderr, "move: file %d is %s already, so it has no place in the queue; nothing was moved.\n", id, v.State)
			return ExitFailed
		}
	}
	if err := q.Move(ctx, core.Some(ids...), to); err != nil {
		if errors.Is(err, core.ErrUnknownFile) || strings.Contains(err.Error(), core.ErrUnknownFile.Error()) {
			// Removed between the look and the move (cleared in the window, or uploaded
			// long enough ago to leave the list).
			fmt.Fprintf(o.Stderr, "move: %v; nothing was moved (`c2c-uploader status` lists the files with their ids).\n", err)
		} else {
			fmt.Fprintf(o.Stderr, "move: %s\n", userText(err))
		}
		return ExitFailed
	}
	what := format.Count(len(ids), "file")
	if len(ids) == 1 {
		what = byID[ids[0]].Name
	}
	if to == core.Top {
		goes := "they go"
		if len(ids) == 1 {
			goes = "it goes"
		}
		fmt.Fprintf(o.Stderr, "Moved %s to the top of the queue: %s next, once a place is free.\n", oneLine(what), goes)
	} else {
		fmt.Fprintf(o.Stderr, "Moved %s to the bottom of the queue: after everything else.\n", oneLine(what))
	}
	if jw := o.events(); jw != nil {
		views, _ := q.Snapshot()
		wanted := make(map[core.FileID]bool, len(ids))
		for _, id := range ids {
			wanted[id] = true
		}
		for i := range views {
			if wanted[views[i].ID] {
				jw.write(eventJSON(core.Event{Type: core.EventFile, File: &views[i]}))
			}
		}
	}
	return ExitOK
}

// MoveWith opens this process's queue first (the data folder is its own).
func MoveWith(ctx context.Context, svc *core.Service, ids []core.FileID, to core.Place, o Options) int {
	o.defaults()
	if _, err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "move: %v\n", err)
		return ExitFailed
	}
	return Move(ctx, svc, ids, to, o)
}
