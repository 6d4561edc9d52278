// Package receipt writes what a batch of uploads proves once it has settled: the
// batch's report (core/report: CSV, JSON, a page to print) in the reports folder, and the
// next generation of the files' ASC MHL hash list (core/mhl) — beside the media when the
// offload's history is there and may be written, else a complete history of its own in
// the reports folder. It knows the engine's file views, not the journal.
package receipt

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/report"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Where hash lists go (core's setting hash-lists).
const (
	HashListsExisting = "existing" // the offload's history beside the media, else the reports folder
	HashListsAlways   = "always"   // also a history started beside media that has none
	HashListsReports  = "reports"  // only the reports folder
)

// Config is what the writer needs to know of the installation.
type Config struct {
	Dir         string // the reports folder
	Tool        string // the app's name, for the hash list's creator
	ToolVersion string
	HashLists   string // HashListsExisting (the default), HashListsAlways or HashListsReports
	// Mark records that files were written into their receipts at a time
	// (upload.Engine.Receipted): what was recorded is not recorded again.
	Mark   func(ctx context.Context, ids []upload.FileID, at time.Time) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Batch is the files of one add, as the engine shows them, and where they went.
type Batch struct {
	Added   time.Time
	Files   []upload.FileView
	Project string // the project paired now, for a batch whose files do not say
	Device  string // this installation's device name
}

// Written is what writing one batch's receipts did.
type Written struct {
	Batch     string       // the report's ID
	Folder    string       // the batch's folder
	Report    report.Paths // the report's files
	HashLists []string     // the hash list generations (.mhl) written
	// Problems say, one sentence each, what could not be written or read; the rest was
	// written all the same.
	Problems []string
	// Totals sum the batch up as its report does; Offload: an offload's hash list covered
	// some of its files.
	Totals  report.Totals
	Offload bool
}

// Due tells whether a batch has something to write: a file that finished since its
// receipts were last written, and no file still on its way. Files queued before receipts
// existed (no Root) are passed over.
func Due(files []upload.FileView) bool {
	due := false
	for i := range files {
		v := &files[i]
		if v.Root == "" {
			continue
		}
		if Active(v.State) {
			return false
		}
		if v.Receipted.IsZero() || v.State == upload.Done && v.DoneAt.After(v.Receipted) {
			due = true
		}
	}
	return due
}

// Active: the file is on its way; its batch has not settled.
func Active(s upload.State) bool {
	switch s {
	case upload.Queued, upload.Waiting, upload.Creating, upload.Uploading, upload.Retrying:
		return true
	}
	return false
}

// Write writes the receipts of a settled batch: the hash list generations of the files
// done since they were last written, then the report of every file, then the mark.
func Write(ctx context.Context, cfg Config, b Batch) Written {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	at := now()
	files := slices.DeleteFunc(b.Files, func(v upload.FileView) bool { return v.Root == "" }) // the batch's own slice
	for i := range files {
		// Never before a file's DoneAt: after a clock stepped back, the batch would stay
		// due (Due compares the two) and be written again on every pass.
		if files[i].DoneAt.After(at) {
			at = files[i].DoneAt
		}
	}
	slices.SortFunc(files, func(a, b upload.FileView) int { return cmp.Compare(a.Path, b.Path) })
	w := Written{}
	if len(files) == 0 {
		return w
	}
	folder := files[0].Root
	w.Folder = folder
	w.Batch = report.BatchID(b.Added, folder)

	lists := writeHashLists(cfg, w.Batch, folder, files, at)
	w.HashLists, w.Problems = lists.written, lists.problems
	rb := reportOf(cfg, b, w.Batch, folder, files, at, lists)
	w.Totals = rb.Totals()
	w.Offload = slices.ContainsFunc(files, func(v upload.FileView) bool { return v.HashList != "" })
	paths, err := report.Write(cfg.Dir, rb)
	if err != nil {
		// Not marked: the next pass (the next start, the next batch) writes it again; the
		// hash list's generation, written already, is not added twice (appendGeneration).
		w.Problems = append(w.Problems, "The report of "+folder+" could not be written: "+err.Error())
	} else {
		w.Report = paths
	}
	if cfg.Mark != nil && err == nil {
		ids := make([]upload.FileID, 0, len(files))
		for i := range files {
			ids = append(ids, files[i].ID)
		}
		if err := cfg.Mark(ctx, ids, at); err != nil {
			w.Problems = append(w.Problems, "Could not record that the receipts of "+folder+" were written: "+err.Error())
		}
	}
	if cfg.Logger != nil {
		cfg.Logger.Info("receipts written", "batch", w.Batch, "folder", folder, "report", w.Report.HTML,
			"hash_lists", w.HashLists, "problems", len(w.Problems))
		for _, p := range w.Problems {
			cfg.Logger.Warn("receipts", "problem", p)
		}
	}
	return w
}

// reportOf is the batch's report: every file, with its verdict against the offload's
// hash list.
func reportOf(cfg Config, b Batch, id, folder string, files []upload.FileView, at time.Time, lists hashListResult) report.Batch {
	rb := report.Batch{
		ID: id, Folder: folder, Device: b.Device, App: cfg.Tool + " " + cfg.ToolVersion,
		Added: b.Added.Local(), Written: at.Local(),
		HashList: lists.where, HashListNote: lists.note,
	}
	for i := range files {
		v := &files[i]
		if rb.Project == "" && v.Project != "" {
			rb.Project = v.Project
		}
		f := report.File{
			Name: v.Name, Path: v.Path, RelPath: media.Below(folder, v.Path), Size: v.Size,
			Hashes: v.Hashes, MHL: report.Verdict(v.Verdict()), AssetID: v.AssetID, Project: v.Project,
			Started: v.StartedAt.Local(), Finished: v.DoneAt.Local(), Attempts: v.Attempts,
			State: string(v.State),
		}
		if v.Offload.Value != "" {
			f.MHLHash = v.Offload
		}
		if v.StartedAt.IsZero() {
			f.Started = time.Time{}
		}
		if v.DoneAt.IsZero() {
			f.Finished = time.Time{}
		}
		if v.State != upload.Done {
			f.Reason = v.Error
		}
		rb.Files = append(rb.Files, f)
	}
	if rb.Project == "" {
		rb.Project = b.Project
	}
	return rb
}
