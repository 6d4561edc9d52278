package upload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// maxRestarts bounds how often one run starts a file over (expired URLs, a file that
// changed under it) before it lets the file-level retry take over.
const maxRestarts = 3

// errStopped is the cause an attempt is cancelled with when a command (pause, cancel,
// remove) stops its file: the owner then settles the file as the command asked.
var errStopped = fmt.Errorf("stopped by a command: %w", api.ErrUserCancelled)

// attempt is one run of one file, from wherever it stands to its end. It owns its state:
// the file as it last wrote it to the journal and its finished chunks. It tells the owner
// what it wrote (report), and ends with the file's final state (ended): the owner applies
// both, in the order they were sent.
type attempt struct {
	e        *Engine
	id       FileID
	ctx      context.Context
	cancel   context.CancelCauseFunc
	runCtx   context.Context // the engine's run: a write waiting for disk space ends with it
	settings Settings
	started  time.Time

	f      File
	done   []bool
	parts  []string // hashes of the done chunks' bytes as sent, "" unknown
	detail string
	// reread is how many bytes of the file its hash read again (fileHash).
	reread int64
	// alert is what the person must hear of an attempt that ended without an error.
	alert *Alert
	// ridSent: f.RequestID went out with a creation; the next write carries a new one.
	ridSent bool
	// bytes is what the file has sent: its finished chunks and the chunks in flight. The
	// owner reads it for progress; it is the one counter shared across goroutines.
	bytes atomic.Int64
}

// startAttempt runs a file: it takes a place in the pool and its attempt starts.
func (o *owner) startAttempt(ent *entry, claim int) {
	ctx, cancel := context.WithCancelCause(o.runCtx)
	a := &attempt{
		e: o.e, id: ent.f.ID, ctx: ctx, cancel: cancel, runCtx: o.runCtx, settings: o.settings,
		f: ent.f, done: slices.Clone(ent.done), parts: slices.Clone(ent.parts), started: time.Now(),
	}
	_, acked := finishedChunks(&ent.f, ent.done)
	a.bytes.Store(acked)
	ent.att, ent.claim, ent.released, ent.wanted, ent.remove = a, claim, false, "", false
	ent.meter.reset()
	o.claimed += claim
	o.running++
	o.busy, o.dirty = true, true
	o.live[ent.f.ID] = ent
	o.index(ent)
	o.attempts.Add(1)
	go func() {
		defer o.attempts.Done()
		a.run()
	}()
}

// stopAttempt stops a running file for a command; ended settles it.
func (o *owner) stopAttempt(ent *entry) { ent.att.cancel(errStopped) }

// run takes the file as far as it goes and tells the owner how it ended.
func (a *attempt) run() {
	err := a.upload()
	final, alert := a.settle(err)
	a.cancel(nil)
	a.e.send(func(o *owner) { o.ended(a, final, alert) })
}

// report tells the owner the attempt's state after a journal write (announce: the front
// ends see it at once rather than with the next progress).
func (a *attempt) report(announce bool) {
	f, done, parts, detail := a.f, slices.Clone(a.done), slices.Clone(a.parts), a.detail
	a.e.send(func(o *owner) {
		ent := o.files[a.id]
		if ent == nil || ent.att != a {
			return
		}
		assetChanged := ent.f.AssetID != f.AssetID || len(ent.done) != len(done)
		f.Rank = ent.f.Rank // the owner's: moved while it ran
		ent.f, ent.done, ent.parts, ent.detail = f, done, parts, detail
		if assetChanged {
			o.reclaim(ent)
		}
		if announce {
			o.announce(ent)
		}
	})
}

// ended settles a file whose attempt is over: final is the state it wrote (nil when it
// wrote none: stopped by a command, or the app is quitting).
func (o *owner) ended(a *attempt, final *File, alert *Alert) {
	ent := o.files[a.id]
	if ent == nil || ent.att != a {
		return
	}
	o.releasePlace(ent)
	ent.att = nil
	delete(o.live, a.id)
	ent.meter.reset()
	if final != nil {
		final.Rank = ent.f.Rank // the owner's: moved while it ran
		ent.f, ent.done, ent.parts = *final, a.done, a.parts
		if final.State == Done {
			o.logUploaded(final, time.Since(a.started))
		}
	} else if st := ent.f.State; st == Waiting || st == Creating || st == Uploading {
		ent.f.State = Queued // as the journal reads back: it resumes from there
	}
	ent.detail = ""
	wanted, remove, gone := ent.wanted, ent.remove, ent.cardGone
	ent.wanted, ent.remove, ent.cardGone = "", false, false
	o.index(ent)
	switch {
	case remove:
		if err := o.forget([]*entry{ent}); err != nil {
			o.e.cfg.Logger.Error("removing a file failed", "err", err)
		}
		return
	case gone && waitsForCard(&ent.f):
		if err := o.setStates([]*entry{ent}, cardRemoved); err != nil {
			o.e.cfg.Logger.Error("a file of a card removed could not be paused", "file", ent.f.Name, "err", err)
		}
	case wanted != "" && commandApplies(wanted, ent.f.State):
		if err := o.setStates([]*entry{ent}, to(wanted)); err != nil {
			o.e.cfg.Logger.Error("a command could not be recorded", "file", ent.f.Name, "err", err)
		}
	default:
		o.announce(ent)
	}
	o.alert(alert)
	o.kick = true
}

// logUploaded writes the log's record of a file that arrived: what it was and where it
// went, so that a file can be traced from the log alone.
func (o *owner) logUploaded(f *File, took time.Duration) {
	o.e.cfg.Logger.Info("uploaded", "file", f.Name, "path", f.Path, "size", f.Size,
		"project", f.ProjectName, "project_id", f.ProjectID, "asset", f.AssetID,
		"took", took.Round(time.Millisecond))
}

// upload takes a file from wherever it stands to Done.
func (a *attempt) upload() error {
	if a.f.Realtime && (a.f.AssetID != "" || a.settings.Realtime) {
		err := a.uploadRealtime()
		if _, abandoned := errors.AsType[*abandonedError](err); !abandoned {
			return err
		}
	}
	for restart := 0; ; restart++ {
		if err := a.ensureUnchanged(); err != nil {
			return err
		}
		if a.f.AssetID != "" && !haveLinks(&a.f) {
			if err := a.reopenLinks(); err != nil {
				return err
			}
		}
		if a.f.AssetID == "" || time.Since(a.f.URLsFetchedAt) > a.e.cfg.URLMaxAge {
			if err := a.createAsset(); err != nil {
				return err
			}
		}
		last, sums, err := a.uploadChunks()
		var afterSending *changedAfterSending
		if errors.As(err, &afterSending) {
			return &api.LocalFileError{Path: a.f.Path, Err: err,
				Reason: "It changed while it was being uploaded, though its size and time did not: the project's copy (asset " +
					a.f.AssetID + ") may mix two versions of it. Check the file, delete that asset in the project, and retry."}
		}
		if errors.Is(err, api.ErrFileChanged) {
			// The asset never completes: the part that would complete it was stopped
			// short. The file waits until it stops changing, then gets a new asset.
			a.e.cfg.Logger.Warn("the file changed during its upload; its asset is abandoned", "file", a.f.Name, "asset", a.f.AssetID, "err", err)
			if restart >= maxRestarts {
				return keptChanging(&a.f, err.Error())
			}
			if err := a.dropAsset("The file changed while it was being uploaded; it starts again once it stops changing."); err != nil {
				return err
			}
			continue
		}
		if api.HasEffect(err, api.EffectNewAsset) && restart < maxRestarts {
			a.e.cfg.Logger.Info("upload URLs expired; starting the file again with a new asset", "file", a.f.Name)
			if err := a.dropAsset("The upload links expired; starting again with a new upload."); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		changed, reason, err := checkUnchanged(&a.f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Deleted once every byte was read from the still-open file, checked unchanged
			// at the start: what arrived is what was queued.
			a.e.cfg.Logger.Warn("the file was deleted from disk as its upload finished", "file", a.f.Name)
		case err != nil:
			return &api.LocalFileError{Path: a.f.Path, Err: err}
		}
		if changed {
			if restart >= maxRestarts {
				// The server has an older content than the file: never call that done.
				return keptChanging(&a.f, reason)
			}
			// The server has the old content; the new content gets an asset of its own.
			if err := a.dropAsset(reason + "; uploading it again."); err != nil {
				return err
			}
			continue
		}
		var lastPart []Part
		if last.Index >= 0 {
			lastPart = []Part{last}
		}
		// The place goes to the next file now: its first journal write can share this
		// file's final commit.
		a.e.send(func(o *owner) {
			if ent := o.files[a.id]; ent != nil && ent.att == a {
				o.releasePlace(ent)
			}
		})
		if a.reread > 0 {
			a.e.cfg.Logger.Debug("hashed the file's parts sent out of order by reading them again", "file", a.f.Name, "bytes", a.reread)
		}
		if differs := offloadDiffers(&a.f, sums); differs != "" {
			a.e.cfg.Logger.Warn("the file differs from the offload's hash list", "file", a.f.Name, "path", a.f.Path,
				"hash_list", a.f.HashList, "offload", a.f.Offload.String(), "sent", sums.String(), "asset", a.f.AssetID)
			a.alert = &Alert{Kind: AlertDiffers, Message: differsAlert, Files: []string{a.f.Name}}
			return a.write(lastPart, func(f *File) {
				f.Hashes = sums
				f.State, f.ErrorKind, f.ErrorMessage = Failed, DiffersKind, differs
			})
		}
		return a.write(lastPart, func(f *File) {
			f.Hashes = sums
			f.State, f.DoneAt = Done, time.Now()
			f.ErrorKind, f.ErrorMessage, f.NextAttempt = "", "", time.Time{}
		})
	}
}

// haveLinks tells whether f has the links of its asset: the journal gives blanks for
// links it could not open.
func haveLinks(f *File) bool {
	if len(f.UploadURLs) == 0 {
		return false
	}
	return !slices.Contains(f.UploadURLs, "")
}

// reopenLinks reads the links of the file's asset from the journal again, for a file
// loaded without them. While their key's store cannot tell (a token file unlocked after
// the start), the file waits with its asset (settle); a file whose links are lost gets a
// new asset, as for links that expired.
func (a *attempt) reopenLinks() error {
	urls, err := a.e.cfg.Journal.UploadURLs(a.ctx, a.f.ID, a.f.AssetID)
	switch {
	case err == nil && len(urls) == a.f.ChunkCount():
		a.f.UploadURLs = urls
		return nil
	case a.ctx.Err() != nil:
		return context.Cause(a.ctx)
	case err == nil || errors.Is(err, ErrLinksLost):
		a.e.cfg.Logger.Warn("the links of the file's upload cannot be opened; it starts again with a new asset",
			"file", a.f.Name, "asset", a.f.AssetID, "err", err)
		return a.dropAsset("The links of its upload could not be opened; starting again with a new upload.")
	}
	return err
}

// keptChanging gives up on a file that changed under every try (maxRestarts).
func keptChanging(f *File, detail string) error {
	return &api.LocalFileError{Path: f.Path, Err: errors.New("it kept changing while it was being uploaded: " + detail),
		Reason: "It kept changing while it was being uploaded; retry once the camera has finished writing it."}
}

// write records a change of the file (and finished chunks) in the journal, then takes it
// as the attempt's state. The write outlives a cancelled attempt: a state that was
// decided must be kept.
func (a *attempt) write(parts []Part, change func(*File)) error {
	f := a.f
	change(&f)
	a.nextRequestID(&f)
	f.UpdatedAt = time.Now()
	if err := a.journal(func(ctx context.Context) error {
		return a.e.cfg.Journal.Update(ctx, f, parts...)
	}); err != nil {
		a.e.cfg.Logger.Error("journal write failed", "file", f.Name, "err", err)
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	a.f = f
	for _, p := range parts {
		if p.Index >= 0 && p.Index < len(a.done) {
			a.done[p.Index], a.parts[p.Index] = true, p.Hash
		}
	}
	return nil
}

// nextRequestID gives f the id of its next asset creation once the last one was sent.
func (a *attempt) nextRequestID(f *File) {
	if a.ridSent {
		f.RequestID, a.ridSent = uuid.NewString(), false
	}
}

// step is write, told to the owner.
func (a *attempt) step(change func(*File)) error {
	if err := a.write(nil, change); err != nil {
		return err
	}
	a.report(true)
	return nil
}

// ensureUnchanged makes sure the file on disk is the one that was queued. A file that
// grew or was rewritten (a camera still writing it) is waited for until it has been
// still for SettleTime, then taken as it is now, with a new asset if it had one.
func (a *attempt) ensureUnchanged() error {
	changed, _, err := checkUnchanged(&a.f)
	if errors.Is(err, errNotRegular) {
		return &api.LocalFileError{Path: a.f.Path, Err: err,
			Reason: "It is no longer a regular file: something else took its name; put the file back and retry."}
	}
	if err != nil {
		return &api.LocalFileError{Path: a.f.Path, Err: err}
	}
	if !changed {
		return nil
	}
	a.detail = "The file is still being written; waiting for it to settle."
	defer func() { a.detail = "" }()
	if err := a.step(func(f *File) { f.State = Waiting }); err != nil {
		return err
	}
	fi, err := a.waitStable()
	if err != nil {
		return err
	}
	fp, err := fingerprint(a.f.Path, fi.Size())
	if err != nil {
		return &api.LocalFileError{Path: a.f.Path, Err: err}
	}
	if fi.Size() > MaxFileSize {
		return &api.LocalFileError{Path: a.f.Path, Err: errors.New("it grew past 5 TiB"),
			Reason: "It grew past 5 TiB, the most the storage takes in one file."}
	}
	return a.resetAsset(func(f *File) {
		f.Size, f.ModTime, f.Fingerprint = fi.Size(), fi.ModTime(), fp
		if f.MediaCreated.IsZero() || fi.ModTime().Before(f.MediaCreated) {
			f.MediaCreated = fi.ModTime()
		}
	})
}

// waitStable looks at the file until its size and mtime have not moved for SettleTime.
func (a *attempt) waitStable() (os.FileInfo, error) {
	poll := min(a.e.cfg.SettleTime/4, time.Second)
	var last os.FileInfo
	var since time.Time
	for {
		fi, err := os.Stat(a.f.Path)
		if err != nil {
			return nil, &api.LocalFileError{Path: a.f.Path, Err: err}
		}
		if last == nil || fi.Size() != last.Size() || !fi.ModTime().Equal(last.ModTime()) {
			last, since = fi, time.Now()
		} else if time.Since(since) >= a.e.cfg.SettleTime {
			return fi, nil
		}
		select {
		case <-a.ctx.Done():
			return nil, context.Cause(a.ctx)
		case <-time.After(poll):
		}
	}
}

// dropAsset forgets the file's asset so the next step creates a new one.
func (a *attempt) dropAsset(why string) error {
	return a.resetAsset(func(f *File) { f.ErrorMessage = why })
}

func (a *attempt) resetAsset(change func(*File)) error {
	if err := a.write(nil, func(f *File) {
		f.AssetID, f.UploadURLs, f.ChunkSize, f.URLsFetchedAt = "", nil, 0, time.Time{}
		change(f)
	}); err != nil {
		return err
	}
	a.done, a.parts = nil, nil
	a.bytes.Store(0)
	a.report(true)
	return nil
}

// createAsset asks the API for an asset and its upload URLs, and journals them before
// the first chunk leaves (newAsset).
func (a *attempt) createAsset() error {
	f := a.f
	req := api.AssetRequest{Name: f.Name, Filetype: f.Filetype, Filesize: f.Size, Offset: a.offset()}
	asset, err := a.newAsset(func(ctx context.Context, token string) (api.Asset, error) {
		return a.e.cfg.Client.CreateAsset(ctx, token, req)
	}, func(f *File, asset api.Asset) {
		n := int64(len(asset.UploadURLs))
		f.UploadURLs, f.ChunkSize, f.Realtime = asset.UploadURLs, 0, false
		if f.Size > 0 {
			f.ChunkSize = (f.Size + n - 1) / n
		}
	})
	if err != nil {
		return err
	}
	a.done, a.parts = make([]bool, len(asset.UploadURLs)), make([]string, len(asset.UploadURLs))
	a.bytes.Store(0)
	a.report(true)
	return nil
}

// offset is how many seconds ago the file's media was made, as the asset is created
// with it: 0 when the settings or the person say to file it by its arrival.
func (a *attempt) offset() int64 {
	if a.settings.OffsetFromNow || a.f.DatedOnArrival {
		return 0
	}
	return max(0, int64(time.Since(a.f.MediaCreated)/time.Second))
}

// newAsset creates the file's next asset with create and journals it (StartAsset, with
// what links sets: its URLs and chunk size) as the file's asset. The intent is
// journalled first with our request id, so a crash between the server's answer and our
// record leaves a traceable pair of ids.
//
// The request id is in the journal before the call: a file is queued with one, and
// every write after a creation carries the next (nextRequestID). So the creation needs no
// commit of its own; `creating` is told without one (it is not a state the journal
// keeps: a file read back creating is queued). Only a creation cut short by a command or
// a crash, with nothing written after it, lends its id to the next one.
func (a *attempt) newAsset(create func(ctx context.Context, token string) (api.Asset, error), links func(*File, api.Asset)) (api.Asset, error) {
	if a.f.RequestID == "" {
		// Queued by an earlier version, without one.
		if err := a.step(func(f *File) { f.RequestID = uuid.NewString() }); err != nil {
			return api.Asset{}, err
		}
	}
	a.f.State, a.f.ServerRequestID = Creating, ""
	a.report(true)
	rid := a.f.RequestID
	a.ridSent = true
	f := a.f
	var (
		asset api.Asset
		dest  Project
	)
	err := a.e.cfg.Auth.Do(api.WithRequestID(a.ctx, rid), api.EndpointAssets, func(ctx context.Context, token string) error {
		// The project is checked with the very token that creates the asset: a device
		// re-paired to another project meanwhile cannot take the file there.
		p, err := a.e.cfg.Auth.ProjectOf(ctx, token)
		if err != nil {
			return err
		}
		if f.ProjectID != "" && p.ID != f.ProjectID {
			return &otherProjectError{meant: Project{f.ProjectID, f.ProjectName}, paired: p}
		}
		// The creation is a request in flight like a chunk: it takes a slot of the
		// budget, once the gates let it through.
		if !a.acquire(ctx) {
			return context.Cause(ctx)
		}
		defer a.release()
		asset, err = create(ctx, token)
		dest = p
		return err
	})
	if err != nil {
		return api.Asset{}, err
	}
	f.State, f.AssetID = Uploading, asset.ID
	links(&f, asset)
	f.URLsFetchedAt, f.UpdatedAt = time.Now(), time.Now()
	if f.StartedAt.IsZero() {
		f.StartedAt = f.URLsFetchedAt
	}
	if f.ProjectID == "" || f.ProjectName == "" && f.ProjectID == dest.ID {
		f.ProjectID, f.ProjectName = dest.ID, dest.Name
	}
	a.nextRequestID(&f)
	if err := a.journal(func(ctx context.Context) error { return a.e.cfg.Journal.StartAsset(ctx, f) }); err != nil {
		return api.Asset{}, err
	}
	a.f = f
	return asset, nil
}
