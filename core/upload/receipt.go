package upload

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

// differsAlert is the alert of files that differ from the offload's hash list.
const differsAlert = "These files reached the project, but the bytes sent differ from the offload's hash list: the copy they were uploaded from is not what the offload verified. Check it against the card, then retry them."

// DiffersKind is the error kind of a file whose bytes sent do not hash to what the
// offload's hash list (ASC MHL) holds for it: it failed, though it reached the project.
const DiffersKind = "differs-from-hash-list"

// formats are the hash formats the attempt computes: the file's own (the settings' and
// its hash list's, decided when it was queued), else the settings' (a file queued by an
// earlier version).
func (a *attempt) formats() []hashes.Format {
	if len(a.f.HashFormats) > 0 {
		return a.f.HashFormats
	}
	return []hashes.Format{a.settings.hashFormat()}
}

// hashFormat is the format every file is hashed in.
func (s Settings) hashFormat() hashes.Format {
	if s.HashFormat == "" {
		return hashes.Default
	}
	return s.HashFormat
}

// hashFormatsFor are the formats a file queued under s is hashed in: the settings' and
// the offload's, when its hash list gives one.
func hashFormatsFor(s Settings, offload hashes.Sum) []hashes.Format {
	out := []hashes.Format{s.hashFormat()}
	if offload.Format != "" && !slices.Contains(out, offload.Format) {
		out = append(out, offload.Format)
	}
	return out
}

// offloadDiffers says, in a sentence for the person, how the file's hashes differ from
// the offload's hash list; "" when they agree or there is nothing to compare.
func offloadDiffers(f *File, sums hashes.Sums) string {
	if f.Offload.Value == "" {
		return ""
	}
	got := sums.Get(f.Offload.Format)
	if got == "" || f.Offload.Format.Equal(got, f.Offload.Value) {
		return ""
	}
	return "It differs from the offload's hash list: check this copy against the card, then retry (sent " +
		string(f.Offload.Format) + " " + got + ", the list has " + f.Offload.Value + ")."
}

// findOffloadHashes looks for the offload's hash list (an ASC MHL history in the file's
// folder or one above it) of each file, and takes from it the newest hash of the file:
// in the format the settings hash in when the list has it, else the fastest it has. It
// returns the problems of the histories it read, each once.
func findOffloadHashes(files []File, prefer hashes.Format) (problems []string) {
	var finder mhl.Finder
	for i := range files {
		f := &files[i]
		h := finder.Look(f.Path)
		if h == nil {
			continue
		}
		f.HashList = h.Root
		rel, ok := h.Rel(f.Path)
		if !ok {
			continue
		}
		if sums, ok := h.Newest(rel); ok {
			f.Offload = sums.Pick(prefer)
		}
	}
	return finder.Problems()
}

// Receipted records that files were written into their batch's receipts at at (the
// report, and the hash list for those done): those in the list, and those cleared from
// it, which the receipts name too (BatchFiles); a cleared file not marked would keep its
// batch due for ever (TestFilesClearedBeforeTheirBatchSettledAreReceiptedOnce). Files
// removed from the journal are passed over.
func (e *Engine) Receipted(ctx context.Context, ids []FileID, at time.Time) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		if err := o.e.cfg.Journal.Receipted(ctx, ids, at); err != nil {
			return fmt.Errorf("recording the receipts: %w", err)
		}
		for _, id := range ids {
			if ent := o.files[id]; ent != nil {
				ent.f.Receipted = at
				o.announce(ent)
			}
		}
		return nil
	})
}

// Verdicts of a file against the offload's hash list.
const (
	VerdictMatched   = "matched"    // the bytes sent hash to what the list has
	VerdictDiffers   = "differs"    // they do not: the file failed
	VerdictNotListed = "not-listed" // a list covers its folder but does not list it
)

// Verdict compares the file's hashes with the offload's hash list: "" when no list
// covers it or it is not hashed yet.
func (v FileView) Verdict() string {
	switch {
	case v.HashList == "":
		return ""
	case v.Offload.Value == "":
		return VerdictNotListed
	case v.ErrorKind == DiffersKind:
		return VerdictDiffers
	}
	got := v.Hashes.Get(v.Offload.Format)
	switch {
	case got == "":
		return ""
	case v.Offload.Format.Equal(got, v.Offload.Value):
		return VerdictMatched
	}
	return VerdictDiffers
}

// BatchViews returns the views of the files in the list of the batches added at the
// times given (in UnixNano, the files of one add share their AddedAt), in its order.
func (e *Engine) BatchViews(added map[int64]bool) []FileView {
	views, _ := ask(e, func(o *owner) []FileView { return o.batchViews(added) })
	return views
}

func (o *owner) batchViews(added map[int64]bool) []FileView {
	var out []FileView
	for _, id := range o.order {
		if ent := o.files[id]; ent != nil && added[ent.f.AddedAt.UnixNano()] {
			out = append(out, o.view(ent))
		}
	}
	return out
}

// BatchFiles returns the views of every file of the batches added at the times given,
// for their receipts: those in the list, in its order, then those cleared from it,
// which are still the batch's and uploaded
// (TestABatchsReportKeepsTheFilesClearedFromTheList). The owner reads the journal, so a
// file cleared meanwhile is in one part or the other. An error means the journal could
// not be read: the batches' views are not whole.
func (e *Engine) BatchFiles(ctx context.Context, added map[int64]bool) ([]FileView, error) {
	type batch struct {
		views []FileView
		err   error
	}
	b, err := ask(e, func(o *owner) batch {
		out := o.batchViews(added)
		keys := slices.Sorted(maps.Keys(added))
		times := make([]time.Time, len(keys))
		for i, k := range keys {
			times[i] = time.Unix(0, k)
		}
		cleared, err := o.e.cfg.Journal.Cleared(ctx, times)
		if err != nil {
			return batch{err: fmt.Errorf("reading the files cleared from the list: %w", err)}
		}
		for i := range cleared {
			if o.files[cleared[i].ID] == nil {
				out = append(out, o.view(clearedEntry(cleared[i])))
			}
		}
		return batch{views: out}
	})
	if err != nil {
		return nil, err
	}
	return b.views, b.err
}

// clearedEntry is the entry of a file cleared from the list, for a view of its batch: a
// cleared file is done, each chunk finished.
func clearedEntry(f File) *entry {
	n := f.ChunkCount()
	done := make([]bool, n)
	for i := range done {
		done[i] = true
	}
	return &entry{f: f, done: done, parts: make([]string, n)}
}

// Unreceipted returns the times the batches were added (UnixNano) that have a file not
// yet written into their receipts since it last finished, in the list or cleared from
// it (a batch whose receipts could not be written, then cleared): what a receipts
// writer starting up has to look at
// (TestABatchWhoseReceiptsFailedIsWrittenAtTheNextStartThoughCleared). The app clears
// no file itself while its receipts are due (prune).
func (e *Engine) Unreceipted(ctx context.Context) (map[int64]bool, error) {
	type due struct {
		keys map[int64]bool
		err  error
	}
	d, err := ask(e, func(o *owner) due {
		out := map[int64]bool{}
		for _, ent := range o.files {
			if receiptsDue(&ent.f) {
				out[ent.f.AddedAt.UnixNano()] = true
			}
		}
		cleared, err := o.e.cfg.Journal.UnreceiptedCleared(ctx)
		if err != nil {
			return due{out, fmt.Errorf("reading the batches cleared from the list: %w", err)}
		}
		for _, at := range cleared {
			out[at.UnixNano()] = true
		}
		return due{keys: out}
	})
	if err != nil {
		return nil, err
	}
	return d.keys, d.err
}
