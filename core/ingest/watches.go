package ingest

import (
	"iter"
	"log/slog"
	"maps"

	"github.com/fsnotify/fsnotify"
)

// watches are the folders a watcher follows by the system's change events (fsnotify),
// one watch each. Where the system gives no events at all, every method does nothing
// and the watcher finds changes by its own walks or polls alone.
type watches struct {
	fs    *fsnotify.Watcher // nil: no events
	paths map[string]bool
}

// openWatches asks the system for events; when it refuses, it logs why (noEvents says
// what the watcher does instead) and the watches stay empty.
func openWatches(logger *slog.Logger, noEvents string) *watches {
	w := &watches{paths: map[string]bool{}}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		logger.Warn(noEvents, "err", err)
		return w
	}
	w.fs = fw
	return w
}

func (w *watches) close() {
	if w.fs != nil {
		_ = w.fs.Close()
	}
}

// channels are where events and the system's errors come (nil, never ready, without
// events).
func (w *watches) channels() (<-chan fsnotify.Event, <-chan error) {
	if w.fs == nil {
		return nil, nil
	}
	return w.fs.Events, w.fs.Errors
}

// has tells whether path is watched.
func (w *watches) has(path string) bool { return w.paths[path] }

// all are the paths watched, to range over while some are let go.
func (w *watches) all() iter.Seq[string] { return maps.Keys(maps.Clone(w.paths)) }

// add watches path (once); without events it does nothing. An error is the system's
// refusal (too many watches, the folder gone).
func (w *watches) add(path string) error {
	if w.fs == nil || w.paths[path] {
		return nil
	}
	if err := w.fs.Add(path); err != nil {
		return err
	}
	w.paths[path] = true
	return nil
}

// remove lets go of path's watch.
func (w *watches) remove(path string) {
	if w.fs != nil {
		_ = w.fs.Remove(path)
	}
	delete(w.paths, path)
}
