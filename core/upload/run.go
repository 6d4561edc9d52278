package upload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// maxRestarts bounds how often one run starts a file over (expired URLs, a file that
// changed under it) before it lets the file-level retry take over.
const maxRestarts = 3

// runFile uploads one file and settles its state.
func (e *Engine) runFile(ctx context.Context, ent *entry) {
	err := e.upload(ctx, ent)
	ent.mu.Lock()
	stop, remove := ent.stop, ent.remove
	ent.mu.Unlock()
	switch {
	case remove:
		if ferr := e.forget(ctx, ent); ferr != nil {
			e.cfg.Logger.Error("removing a file failed", "err", ferr)
		}
	case stop != "":
		_ = e.transition(ctx, ent, func(f *File) {
			f.State = stop
			if stop == Queued {
				f.Attempts, f.NextAttempt, f.ErrorKind, f.ErrorMessage = 0, time.Time{}, "", ""
			}
		})
	case err == nil:
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
		// The app is quitting: the journal keeps the file as it was; it resumes next time.
	default:
		e.fail(ctx, ent, err)
	}
}

// fail settles a file whose upload ended with err (error-handling.md §2-§6).
func (e *Engine) fail(ctx context.Context, ent *entry, err error) {
	var other *otherProjectError
	if errors.As(err, &other) {
		e.hold(ctx, ent, other)
		return
	}
	if errors.Is(err, ErrDiskFull) {
		// The journal could not record the file's progress, and the engine stopped
		// (it waits for room only while it runs): the journal keeps the file as it was.
		return
	}
	ae := api.Classify(ctx, "", err)
	var alert *Alert
	_ = e.transition(ctx, ent, func(f *File) {
		f.ErrorKind, f.ErrorMessage = string(ae.Kind), ae.UserMessage()
		if ae.ServerRequestID != "" {
			f.ServerRequestID = ae.ServerRequestID
		}
		switch {
		case ae.Kind == api.KindChannelPaused:
			f.State = Skipped
			alert = &Alert{Kind: AlertChannelPaused, Message: ae.UserMessage(), Files: []string{f.Name}}
		case ae.Kind == api.KindLocalFile, ae.Kind == api.KindUploadRejected, ae.Retry == api.RetryNo:
			// §6: a file that cannot be read fails with its reason; §5: our own bug
			// fails with the code shown; fatal answers stop the file for good.
			f.State = Failed
			alert = alertFor(ae, f.Name)
		default:
			// Two levels of retry: the request's attempts are spent; the file goes back
			// to the queue and resumes from its last finished chunk after a backoff.
			f.State = Retrying
			f.NextAttempt = time.Now().Add(e.cfg.Policy.Backoff(f.Attempts))
			f.Attempts++
		}
	})
	e.cfg.Logger.Warn("upload stopped", "file", ent.name(), "kind", ae.Kind, "err", ae)
	if alert != nil {
		e.cfg.OnEvent(Event{Alert: alert})
	}
	e.poke()
}

func alertFor(ae *api.Error, name string) *Alert {
	kinds := map[api.Kind]AlertKind{
		api.KindPaymentRequired:      AlertPaymentRequired,
		api.KindInvalidClient:        AlertClientRejected,
		api.KindInvalidClientVersion: AlertVersionRejected,
	}
	if k, ok := kinds[ae.Kind]; ok {
		return &Alert{Kind: k, Message: ae.UserMessage(), Files: []string{name}}
	}
	return nil
}

func (ent *entry) name() string {
	ent.mu.Lock()
	defer ent.mu.Unlock()
	return ent.f.Name
}

func (ent *entry) file() File {
	ent.mu.Lock()
	defer ent.mu.Unlock()
	return ent.f
}

func (ent *entry) setDetail(d string) {
	ent.mu.Lock()
	ent.detail = d
	ent.mu.Unlock()
}

// upload takes a file from wherever it stands to Done.
func (e *Engine) upload(ctx context.Context, ent *entry) error {
	for restart := 0; ; restart++ {
		if err := e.ensureUnchanged(ctx, ent); err != nil {
			return err
		}
		f := ent.file()
		if f.AssetID == "" || time.Since(f.URLsFetchedAt) > e.cfg.URLMaxAge {
			if err := e.createAsset(ctx, ent); err != nil {
				return err
			}
		}
		last, err := e.uploadChunks(ctx, ent)
		if errors.Is(err, api.ErrFileChanged) {
			// The asset never completes: the part that would complete it was stopped
			// short. The file waits until it stops changing, then gets a new asset.
			e.cfg.Logger.Warn("the file changed during its upload; its asset is abandoned", "file", f.Name, "asset", ent.file().AssetID, "err", err)
			if restart >= maxRestarts {
				return keptChanging(&f, err.Error())
			}
			if err := e.dropAsset(ctx, ent, "The file changed while it was being uploaded; it starts again once it stops changing."); err != nil {
				return err
			}
			continue
		}
		if api.HasEffect(err, api.EffectNewAsset) && restart < maxRestarts {
			e.cfg.Logger.Info("upload URLs expired; starting the file again with a new asset", "file", f.Name)
			if err := e.dropAsset(ctx, ent, "The upload links expired; starting again with a new upload."); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		changed, reason, err := checkUnchanged(&f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Deleted once every byte was read from the still-open file, checked unchanged
			// at the start: what arrived is what was queued.
			e.cfg.Logger.Warn("the file was deleted from disk as its upload finished", "file", f.Name)
		case err != nil:
			return &api.LocalFileError{Path: f.Path, Err: err}
		}
		if changed {
			if restart >= maxRestarts {
				// The server has an older content than the file: never call that done.
				return keptChanging(&f, reason)
			}
			// The server has the old content; the new content gets an asset of its own.
			if err := e.dropAsset(ctx, ent, reason+"; uploading it again."); err != nil {
				return err
			}
			continue
		}
		var lastChunk []int
		if last >= 0 {
			lastChunk = []int{last}
		}
		// The slot goes to the next file now: its first journal write can share this
		// file's final commit.
		ent.releaseSlot()
		return e.transitionWithChunks(ctx, ent, lastChunk, func(f *File) {
			f.State, f.DoneAt = Done, time.Now()
			f.ErrorKind, f.ErrorMessage, f.NextAttempt = "", "", time.Time{}
		})
	}
}

// keptChanging gives up on a file that changed under every try (maxRestarts).
func keptChanging(f *File, reason string) error {
	why := "it kept changing while it was being uploaded; Retry once it is complete (" + reason + ")"
	return &api.LocalFileError{Path: f.Path, Err: errors.New(why)}
}

// ensureUnchanged makes sure the file on disk is the one that was queued. A file that
// grew or was rewritten (a camera still writing it) is waited for until it has been
// still for SettleTime, then taken as it is now, with a new asset if it had one.
func (e *Engine) ensureUnchanged(ctx context.Context, ent *entry) error {
	f := ent.file()
	changed, _, err := checkUnchanged(&f)
	if err != nil {
		return &api.LocalFileError{Path: f.Path, Err: err}
	}
	if !changed {
		return nil
	}
	// The reason first: the transition announces the file with it.
	ent.setDetail("The file is still being written; waiting for it to settle.")
	defer ent.setDetail("")
	_ = e.transition(ctx, ent, func(f *File) { f.State = Waiting })
	fi, err := e.waitStable(ctx, f.Path)
	if err != nil {
		return err
	}
	fp, err := fingerprint(f.Path, fi.Size())
	if err != nil {
		return &api.LocalFileError{Path: f.Path, Err: err}
	}
	if fi.Size() > MaxFileSize {
		return &api.LocalFileError{Path: f.Path, Err: errors.New("it grew past 5 TiB, the most the storage takes")}
	}
	return e.resetAsset(ctx, ent, func(f *File) {
		f.Size, f.ModTime, f.Fingerprint = fi.Size(), fi.ModTime(), fp
		if f.MediaCreated.IsZero() || fi.ModTime().Before(f.MediaCreated) {
			f.MediaCreated = fi.ModTime()
		}
	})
}

// waitStable polls a file until its size and mtime have not moved for SettleTime.
func (e *Engine) waitStable(ctx context.Context, path string) (os.FileInfo, error) {
	poll := min(e.cfg.SettleTime/4, time.Second)
	var last os.FileInfo
	var since time.Time
	for {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, &api.LocalFileError{Path: path, Err: err}
		}
		if last == nil || fi.Size() != last.Size() || !fi.ModTime().Equal(last.ModTime()) {
			last, since = fi, time.Now()
		} else if time.Since(since) >= e.cfg.SettleTime {
			return fi, nil
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(poll):
		}
	}
}

// dropAsset forgets the file's asset so the next step creates a new one.
func (e *Engine) dropAsset(ctx context.Context, ent *entry, why string) error {
	return e.resetAsset(ctx, ent, func(f *File) { f.ErrorMessage = why })
}

func (e *Engine) resetAsset(ctx context.Context, ent *entry, change func(*File)) error {
	err := e.transition(ctx, ent, func(f *File) {
		f.AssetID, f.UploadURLs, f.ChunkSize, f.URLsFetchedAt = "", nil, 0, time.Time{}
		change(f)
	})
	if err == nil {
		ent.mu.Lock()
		ent.done, ent.doneBytes = nil, 0
		ent.dropSentLocked()
		ent.mu.Unlock()
	}
	return err
}

// createAsset asks the API for an asset and its upload URLs, and journals them before
// the first chunk leaves. The intent is journalled first with our request id, so a
// crash between the server's answer and our record leaves a traceable pair of ids.
func (e *Engine) createAsset(ctx context.Context, ent *entry) error {
	rid := uuid.NewString()
	if err := e.transition(ctx, ent, func(f *File) {
		f.State, f.RequestID, f.ServerRequestID = Creating, rid, ""
	}); err != nil {
		return err
	}
	f := ent.file()
	offset := int64(0)
	if !e.Settings().OffsetFromNow {
		offset = max(0, int64(time.Since(f.MediaCreated)/time.Second))
	}
	req := api.AssetRequest{Name: f.Name, Filetype: f.Filetype, Filesize: f.Size, Offset: offset}
	var (
		a    api.Asset
		dest Project
	)
	err := e.cfg.Auth.Do(api.WithRequestID(ctx, rid), api.EndpointAssets, func(ctx context.Context, token string) error {
		// The project is checked with the very token that creates the asset: a device
		// re-paired to another project meanwhile cannot take the file there.
		p, err := e.cfg.Auth.ProjectOf(ctx, token)
		if err != nil {
			return err
		}
		if f.ProjectID != "" && p.ID != f.ProjectID {
			return &otherProjectError{meant: Project{f.ProjectID, f.ProjectName}, paired: p}
		}
		a, err = e.cfg.Client.CreateAsset(ctx, token, req)
		dest = p
		return err
	})
	if err != nil {
		return err
	}
	n := int64(len(a.UploadURLs))
	chunk := int64(0)
	if f.Size > 0 {
		chunk = (f.Size + n - 1) / n
	}
	f.State, f.AssetID, f.UploadURLs, f.ChunkSize = Uploading, a.ID, a.UploadURLs, chunk
	f.URLsFetchedAt, f.UpdatedAt = time.Now(), time.Now()
	if f.ProjectID == "" || f.ProjectName == "" && f.ProjectID == dest.ID {
		f.ProjectID, f.ProjectName = dest.ID, dest.Name
	}
	ent.wmu.Lock()
	err = e.write(context.WithoutCancel(ctx), func(ctx context.Context) error { return e.cfg.Journal.StartAsset(ctx, f) })
	if err == nil {
		ent.mu.Lock()
		ent.f = f
		ent.done, ent.doneBytes = make([]bool, len(a.UploadURLs)), 0
		ent.dropSentLocked()
		ent.mu.Unlock()
	}
	ent.wmu.Unlock()
	if err != nil {
		return err
	}
	e.setClaim(ent, chunk)
	e.changed(ent)
	return nil
}
