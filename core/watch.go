package core

import (
	"context"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/ingest"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// EventWatch (Watch): a watched folder's state changed: watched, missing, lost.
const EventWatch EventType = "watch"

// WatchState is what the service knows of a watched folder (core/ingest).
type WatchState = ingest.FolderState

const (
	WatchWatching   = ingest.Watching
	WatchRescanning = ingest.Rescanning
	WatchMissing    = ingest.Missing
	WatchLost       = ingest.Lost
)

// WatchStatus is a watched folder and its state; Reason, when it is not watched as it
// should be, is one sentence for a person.
type WatchStatus struct {
	Folder string
	State  WatchState
	Reason string
}

// runWatch watches the folders of the settings until ctx ends (Run), queueing the files
// that settle in them. Each folder's files of one day are one batch: they share an
// AddedAt, so they have one report, updated as the day goes on.
func (s *Service) runWatch(ctx context.Context) {
	batches := map[string]time.Time{} // folder → its batch of today; the watcher's goroutine's
	batchOf := func(folder string) time.Time {
		now := time.Now()
		at, ok := batches[folder]
		if y1, m1, d1 := at.Date(); !ok || y1 != now.Year() || m1 != now.Month() || d1 != now.Day() {
			at = now
			batches[folder] = at
		}
		return at
	}
	w := ingest.New(ingest.Config{
		Settle: s.Settings().Settle,
		Hand: func(ctx context.Context, folder string, paths []string) error {
			res, err := s.engine.Add(ctx, paths, upload.AddOptions{Folder: folder, AddedAt: batchOf(folder)})
			for _, r := range res.Rejected {
				if r.Reason != "" && r.Existing == 0 && r.UploadedAt.IsZero() && !r.LeftOut {
					s.cfg.Logger.Warn("a file found in a watched folder cannot be queued", "path", r.Path, "reason", r.Reason)
				}
			}
			for _, p := range res.HashListProblems {
				s.cfg.Logger.Warn("the offload's hash list has a problem", "folder", folder, "problem", p)
			}
			if len(res.Added) > 0 {
				s.cfg.Logger.Info("files found in a watched folder were queued", "folder", folder, "files", len(res.Added))
			}
			return err
		},
		HandGrowing: func(ctx context.Context, folder, path string) error {
			res, err := s.engine.Add(ctx, []string{path}, upload.AddOptions{Folder: folder, AddedAt: batchOf(folder), Growing: true})
			if len(res.Added) > 0 {
				s.cfg.Logger.Info("a file still being written in a watched folder is uploaded as it grows", "path", path)
			}
			return err
		},
		GrowingFrom: func() int64 {
			if st := s.Settings(); st.Realtime {
				return st.PartSize
			}
			return 0
		},
		Told: func(st ingest.FolderStatus) {
			ws := WatchStatus(st)
			s.bus.publish(Event{Type: EventWatch, Watch: &ws})
		},
		Logger: s.cfg.Logger,
	})
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	s.watcher, s.stopWatching = w, stop
	s.mu.Unlock()
	go func() {
		if err := w.Set(ctx, s.Settings().WatchFolders()); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("the watched folders could not be set", "err", err)
		}
	}()
	_ = w.Run(ctx)
	s.mu.Lock()
	s.watcher, s.stopWatching = nil, nil
	s.mu.Unlock()
}

// WindDown stops the service gently before the process ends (`watch` on SIGTERM): the
// folders are no longer watched and nothing more starts, while the requests in flight
// run to their end and are journalled. The channel is closed once none is in flight;
// then end the context given to Run (sooner, if it takes too long) and call Shutdown.
func (s *Service) WindDown(ctx context.Context) (<-chan struct{}, error) {
	s.mu.Lock()
	if s.stopWatching != nil {
		s.stopWatching()
	}
	s.mu.Unlock()
	return s.engine.WindDown(ctx)
}

// Watching is the state of each folder watched, in the order of the settings; none
// while the service does not run.
func (s *Service) Watching(ctx context.Context) ([]WatchStatus, error) {
	s.mu.Lock()
	w := s.watcher
	s.mu.Unlock()
	if w == nil {
		return nil, nil
	}
	sts, err := w.Status(ctx)
	out := make([]WatchStatus, len(sts))
	for i, st := range sts {
		out[i] = WatchStatus(st)
	}
	return out, err
}

// watchSettingsChanged gives the watcher the folders and the settle time of st, when
// they changed.
func (s *Service) watchSettingsChanged(ctx context.Context, old, st Settings) {
	s.mu.Lock()
	w := s.watcher
	s.mu.Unlock()
	if w == nil {
		return
	}
	if old.Settle != st.Settle {
		if err := w.SetSettle(ctx, st.Settle); err != nil {
			s.cfg.Logger.Warn("the settle time of watched folders could not be changed", "err", err)
		}
	}
	if old.Watch == st.Watch {
		return
	}
	if err := w.Set(ctx, st.WatchFolders()); err != nil {
		s.cfg.Logger.Warn("the watched folders could not be changed", "err", err)
	}
}
