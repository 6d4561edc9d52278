package upload

import (
	"context"
	"fmt"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// AddOptions say how Add queues files.
type AddOptions struct {
	// Force queues again files uploaded already (or in the queue already).
	Force bool
	// Hold: the files wait on hold until started (Start), whatever the start setting.
	Hold bool
	// Filter, when set, is which files are queued instead of the settings' filter.
	Filter *media.FilterSpec
	// Folder, when set, is the watched folder the paths were found in (core/ingest),
	// not named by a person: the files' batch and filters are below it; hidden files,
	// litter and hash lists among them are passed over silently; a path already in the
	// queue on its way is left to its upload, which notices a change by itself, and a
	// failed or cancelled one stays so until a person retries it.
	Folder string
	// AddedAt, when set, is the batch the files join (the files of one batch share it):
	// a watched folder's day. Zero: a batch of their own, now.
	AddedAt time.Time
	// Growing: the files are still being written (a watched folder saw them grow). With
	// the realtime setting on, each is uploaded as it grows: a real-time asset whose
	// parts go as they are written, the final one once it stops growing.
	Growing bool
}

// Add queues files and folders (expanded), each meant for the project the device is
// paired with now (SetProject), if it is known. A file already in the queue with the same
// path, size, mtime and fingerprint is refused unless opts.Force is set, and so is one that
// was uploaded before, even if it was cleared from the list since (the journal keeps the
// record), and even to another project: a card named again after a re-pairing must not
// be split between two projects unasked. The rejection says where it went. A file in the
// queue that failed or was cancelled, named again, is queued again (Again).
//
// Files wait on hold when uploads start by hand (Settings.ManualStart) or opts.Hold asks.
//
// The paths are looked at here; the owner decides and records, so two Adds of one card
// at once queue it once.
func (e *Engine) Add(ctx context.Context, paths []string, opts AddOptions) (AddResult, error) {
	if e.cfg.ReadOnly {
		return AddResult{}, errReadOnly
	}
	spec := opts.Filter
	if spec == nil {
		s := e.Settings()
		spec = &s.Filter
	}
	filter, err := spec.Parse()
	if err != nil {
		return AddResult{}, fmt.Errorf("the filter's %w", err)
	}
	at := opts.AddedAt
	if at.IsZero() {
		at = time.Now()
	}
	files, rejected := scanPaths(paths, at, filter, opts.Folder)
	problems := findOffloadHashes(files, e.Settings().hashFormat())
	for _, p := range problems {
		e.cfg.Logger.Warn("the offload's hash list has a problem; its other hashes are still used", "problem", p)
	}
	type result struct {
		res AddResult
		err error
	}
	r, err := ask(e, func(o *owner) result {
		res, err := o.add(ctx, files, rejected, opts)
		return result{res, err}
	})
	if err != nil {
		return AddResult{Rejected: rejected, HashListProblems: problems}, err
	}
	r.res.HashListProblems = problems
	return r.res, r.err
}

func (o *owner) add(ctx context.Context, files []File, rejected []Rejection, opts AddOptions) (AddResult, error) {
	force := opts.Force
	start := Queued
	if opts.Hold || o.settings.ManualStart {
		start = OnHold
	}
	fresh := files[:0]
	var again []*entry
	if force {
		fresh = files
	} else {
		known := make(map[string]*entry, len(o.files))
		var onItsWay, gaveUp map[string]*entry // by path, for a watched folder's files
		if opts.Folder != "" {
			onItsWay, gaveUp = map[string]*entry{}, map[string]*entry{}
		}
		for _, ent := range o.files {
			known[identity(&ent.f)] = ent
			switch st := ent.f.State; {
			case onItsWay == nil:
			case st == Failed || st == Cancelled:
				gaveUp[ent.f.Path] = ent
			case !st.Finished():
				onItsWay[ent.f.Path] = ent
			}
		}
		for _, f := range files {
			ent, dup := known[identity(&f)]
			if !dup && onItsWay[f.Path] != nil {
				// Found again while its upload is on its way or waits for a person:
				// a second entry would send a second asset. The upload notices a
				// change itself (it waits for the file to settle, with a new asset).
				ent, dup = onItsWay[f.Path], true
			}
			if g := gaveUp[f.Path]; !dup && g != nil && g.att == nil {
				// Another take where one failed or was cancelled (a clip deleted mid-
				// recording and shot again): its entry goes again, and its upload takes
				// the file as it is now, with a new asset. The same content found again
				// stays as it is, for a person (known, above).
				again = append(again, g)
				continue
			}
			switch {
			case !dup:
				fresh = append(fresh, f)
			case opts.Folder != "":
				rejected = append(rejected, duplicate(f.Path, &ent.f, ent.f.ID))
			case ent.att == nil && (ent.f.State == Failed || ent.f.State == Cancelled):
				// Named again on purpose, by a drop or a script re-running its command:
				// a file that failed or was cancelled is tried again. A skipped one
				// stays skipped: the project refused it (Channel Paused is never
				// retried); Retry says otherwise.
				again = append(again, ent)
			default:
				rejected = append(rejected, duplicate(f.Path, &ent.f, ent.f.ID))
			}
		}
	}
	if !force && len(fresh) > 0 {
		// Uploaded before, and cleared from the list since.
		uploaded, err := o.e.cfg.Journal.Uploaded(ctx, fresh)
		if err != nil {
			return AddResult{Rejected: rejected}, fmt.Errorf("looking up earlier uploads: %w", err)
		}
		kept := fresh[:0]
		for i, f := range fresh {
			if u := uploaded[i]; u.ID != 0 {
				rejected = append(rejected, duplicate(f.Path, &u, 0))
				continue
			}
			kept = append(kept, f)
		}
		fresh = kept
	}
	res := AddResult{Rejected: rejected}
	if err := o.setStates(again, to(start)); err != nil {
		return res, err
	}
	for _, ent := range again {
		res.Again = append(res.Again, o.view(ent))
	}
	if len(fresh) == 0 {
		return res, nil
	}
	for i := range fresh {
		fresh[i].ProjectID, fresh[i].ProjectName = o.project.ID, o.project.Name
		fresh[i].State = start
		fresh[i].HashFormats = hashFormatsFor(o.settings, fresh[i].Offload)
		fresh[i].Realtime = opts.Growing && o.settings.Realtime
	}
	var stored []File
	if err := o.write(func(ctx context.Context) (err error) {
		stored, err = o.e.cfg.Journal.Insert(ctx, fresh)
		return err
	}); err != nil {
		return res, fmt.Errorf("queueing %d files: %w", len(fresh), err)
	}
	ents := make([]*entry, len(stored))
	for i, f := range stored {
		ents[i] = &entry{f: f}
		o.files[f.ID] = ents[i]
		o.order = append(o.order, f.ID)
	}
	o.indexAll(ents)
	// A clip being recorded goes to the top: it overtakes the files running, so that it
	// reaches the project as it is shot.
	var recording []*entry
	for _, ent := range ents {
		if ent.f.Realtime {
			recording = append(recording, ent)
		}
	}
	if len(recording) > 0 {
		if err := o.move(recording, Top); err != nil {
			o.e.cfg.Logger.Warn("a clip being recorded could not be moved to the top of the queue", "err", err)
		}
	}
	for _, ent := range ents {
		res.Added = append(res.Added, o.announce(ent))
	}
	o.dirty, o.kick = true, true
	return res, nil
}

// duplicate says why path is not queued again: old is the queued or uploaded file with
// the same content (existing, when it is still in the queue).
func duplicate(path string, old *File, existing FileID) Rejection {
	r := Rejection{Path: path, Existing: existing}
	if old.State != Done {
		r.Reason = "already in the queue (" + string(old.State) + ")"
		return r
	}
	r.UploadedTo, r.UploadedAt = old.ProjectName, old.DoneAt
	r.Reason = "already uploaded"
	if old.ProjectName != "" {
		r.Reason = "already in “" + old.ProjectName + "”"
	}
	if !old.DoneAt.IsZero() {
		r.Reason += ", uploaded " + old.DoneAt.Local().Format("2 Jan 2006 15:04")
	}
	return r
}

func identity(f *File) string {
	return fmt.Sprintf("%s\x00%d\x00%d\x00%s", f.Path, f.Size, f.ModTime.UnixNano(), f.Fingerprint)
}
