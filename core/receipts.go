package core

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/receipt"
	"github.com/c2c-uploader/c2c-uploader/core/report"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/core/verify"
)

// Receipts is what writing one batch's receipts did: its report's files, the hash list
// generations written, and what could not be written.
type Receipts = receipt.Written

// EventReceipts: Receipts were written for a batch that settled.
const EventReceipts EventType = "receipts"

// receiptsTool and the app's version name the hash lists' creator.
const receiptsTool = "C2C Uploader"

// receipts is the one goroutine that writes receipts: it follows the service's events,
// and writes a batch's receipts once the batch has settled (no file of it on its way)
// with something new to record.
type receipts struct {
	flush chan chan []Receipts
	done  chan struct{}
}

// runReceipts starts the receipts' goroutine, which ends with ctx after a last pass. It
// keeps only which batch each file is in and how many of a batch's files are on their
// way: a batch's views are asked of the engine once it has settled.
func (s *Service) runReceipts(ctx context.Context) {
	if s.cfg.ReportsDir == "" || s.cfg.ReadOnly {
		return
	}
	r := &receipts{flush: make(chan chan []Receipts), done: make(chan struct{})}
	s.mu.Lock()
	s.receipts = r
	s.mu.Unlock()
	// Not Subscribe: the present state of every file is not needed, only that of the
	// batches with something not yet written.
	sub := s.bus.subscribe()
	go func() {
		defer close(r.done)
		defer sub.Close()
		b := newBatches()
		var written []Receipts // this run's
		due, err := s.engine.Unreceipted(ctx)
		if err != nil {
			// Those in the list are still known; the others wait for the next start.
			s.cfg.Logger.Error("the batches left to write receipts for could not all be read", "err", err)
		}
		start := s.engine.BatchViews(due)
		for i := range start {
			v := fileView(start[i])
			b.take([]Event{{Type: EventFile, File: &v}})
		}
		// Batches that settled in a run that ended before their receipts were written
		// (a crash, a kill, a reports folder that could not be written) are written now,
		// not when something else happens — those whose files were all cleared since
		// too, which the events will never name.
		settled := b.settled(false)
		for k := range due {
			if b.active[k] == 0 {
				settled[k] = true
			}
		}
		written = append(written, s.writeDue(ctx, settled)...)
		for {
			select {
			case <-ctx.Done():
				b.take(sub.Drain())
				s.writeDue(context.WithoutCancel(ctx), b.settled(true))
				return
			case reply := <-r.flush:
				b.take(sub.Drain())
				written = append(written, s.writeDue(ctx, b.settled(true))...)
				reply <- slices.Clone(written)
			case <-sub.Ready():
				b.take(sub.Drain())
				written = append(written, s.writeDue(ctx, b.settled(false))...)
			}
		}
	}()
}

// batches follows which batch (AddedAt) each file is in, and how many files of each are
// on their way, from the service's events.
type batches struct {
	of     map[FileID]int64 // file → its batch
	going  map[FileID]bool  // the files on their way
	active map[int64]int    // batch → its files on their way
	dirty  map[int64]bool   // batches with a file that changed since the last pass
}

func newBatches() *batches {
	return &batches{of: map[FileID]int64{}, going: map[FileID]bool{}, active: map[int64]int{}, dirty: map[int64]bool{}}
}

func (b *batches) take(evs []Event) {
	for _, ev := range evs {
		switch ev.Type {
		case EventFile:
			k := ev.File.AddedAt.UnixNano()
			b.of[ev.File.ID] = k
			// A file paused because its card was removed is still on its way: the
			// batch is not over until the card is back and it arrives.
			waiting := ev.File.State == Paused && ev.File.ErrorKind == CardRemovedKind
			b.set(ev.File.ID, k, receipt.Active(ev.File.State) || waiting)
			b.dirty[k] = true
		case EventRemoved:
			if k, ok := b.of[ev.Removed]; ok {
				b.set(ev.Removed, k, false)
				delete(b.of, ev.Removed)
				b.dirty[k] = true
			}
		}
	}
}

func (b *batches) set(id FileID, k int64, going bool) {
	if b.going[id] == going {
		return
	}
	if going {
		b.going[id] = true
		b.active[k]++
		return
	}
	delete(b.going, id)
	if b.active[k]--; b.active[k] <= 0 {
		delete(b.active, k)
	}
}

// settled takes the batches that changed (all of them when all) and have no file on its
// way.
func (b *batches) settled(all bool) map[int64]bool {
	out := map[int64]bool{}
	if all {
		for _, k := range b.of {
			b.dirty[k] = true
		}
	}
	for k := range b.dirty {
		if b.active[k] == 0 {
			out[k] = true
		}
	}
	clear(b.dirty)
	return out
}

// writeDue writes the receipts of the batches among keys that are due, and tells the
// front ends.
func (s *Service) writeDue(ctx context.Context, keys map[int64]bool) []Receipts {
	if len(keys) == 0 {
		return nil
	}
	views, err := s.engine.BatchFiles(ctx, keys)
	if err != nil {
		// Not written from part of a batch: its receipts would leave files out. The next
		// pass (the next file, the next start) tries again.
		s.cfg.Logger.Error("a batch's receipts were not written", "err", err)
		return nil
	}
	batches := map[int64][]upload.FileView{}
	for _, v := range views {
		k := v.AddedAt.UnixNano()
		batches[k] = append(batches[k], v)
	}
	var out []Receipts
	st := s.AuthStatus()
	cfg := receipt.Config{
		Dir: s.cfg.ReportsDir, Tool: receiptsTool, ToolVersion: s.cfg.ClientVersion, HashLists: s.Settings().HashLists,
		Mark: s.engine.Receipted, Logger: s.cfg.Logger,
	}
	for k, vs := range batches {
		if !receipt.Due(vs) {
			continue
		}
		w := receipt.Write(ctx, cfg, receipt.Batch{Added: time.Unix(0, k), Files: vs, Project: st.ProjectName, Device: st.DeviceName})
		if w.Batch == "" {
			continue
		}
		out = append(out, w)
		s.bus.publish(Event{Type: EventReceipts, Receipts: &w})
	}
	return out
}

// WriteReceipts writes now the receipts of every batch that is due, and returns every
// receipt written since the service started: for a headless upload, which ends once its
// files have. Nothing when the service writes none (no reports folder, or it only reads).
func (s *Service) WriteReceipts(ctx context.Context) ([]Receipts, error) {
	s.mu.Lock()
	r := s.receipts
	s.mu.Unlock()
	if r == nil {
		return nil, nil
	}
	reply := make(chan []Receipts, 1)
	select {
	case r.flush <- reply:
	case <-r.done:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case w := <-reply:
		return w, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitReceipts waits for the receipts' last pass after the service's run ended.
func (s *Service) waitReceipts(ctx context.Context) error {
	s.mu.Lock()
	r := s.receipts
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	return waitClosed(ctx, r.done)
}

// VerifyResult is one file's verdict from Verify: it matches what was sent and the
// offload's hash list, differs, is missing, or has no record to compare with.
type VerifyResult = verify.Result

// Verdicts of Verify.
const (
	VerifyMatches     = verify.Matches
	VerifyDiffers     = verify.Differs
	VerifyMissing     = verify.Missing
	VerifyUnknown     = verify.Unknown
	VerifyNotUploaded = verify.NotUploaded
	VerifyUnreadable  = verify.Unreadable
)

// Verify hashes the files at and below paths again and compares them with this app's
// receipts (what each upload sent) and the offload's hash lists above them. problems are
// what of the hash lists could not be read.
func (s *Service) Verify(ctx context.Context, paths []string) (results []VerifyResult, problems []string, err error) {
	rec, _ := s.cfg.Journal.(verify.Receipts)
	return verify.Run(ctx, paths, rec)
}

// ReportSummary is one batch's report in the reports folder.
type ReportSummary struct {
	ID      string
	Folder  string
	Project string
	Added   time.Time
	Written time.Time
	Totals  report.Totals
	// Paths are the report's files (CSV, JSON, HTML); HashList where its hash list went.
	Paths    report.Paths
	HashList string
}

// Reports lists the batches' reports in dir (a data folder's reports folder), newest
// first. Files in it that are not reports are passed over; none is an empty list.
func Reports(dir string) ([]ReportSummary, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []ReportSummary
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || filepath.Ext(name) != ".json" {
			continue
		}
		b, err := report.Read(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		base := filepath.Join(dir, strings.TrimSuffix(name, ".json"))
		out = append(out, ReportSummary{
			ID: b.ID, Folder: b.Folder, Project: b.Project, Added: b.Added, Written: b.Written, Totals: b.Totals(),
			Paths: report.Paths{CSV: base + ".csv", JSON: base + ".json", HTML: base + ".html"}, HashList: b.HashList,
		})
	}
	slices.SortFunc(out, func(a, b ReportSummary) int { return b.Added.Compare(a.Added) })
	return out, nil
}
