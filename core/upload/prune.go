package upload

import "time"

// pruneEvery is how often the list is looked over for files uploaded longer ago than
// Settings.KeepFinished, while the queue runs.
const pruneEvery = time.Hour

// prune takes off the list the files uploaded longer ago than the settings keep them,
// as Clear finished does: their rows stay, hidden, so they are still known as uploaded
// and their batches' receipts still name them (BatchFiles). A file whose receipts are
// still due (a run ended before its batch's were written) stays until they are: the
// receipts writer starting up looks for such batches in the list (Unreceipted).
//
// Without it a journal holding every file ever finished is read whole, and kept in
// memory, by every start and every command: 50,000 made a one-file upload take 2 s and
// 330 MiB, and a headless ingest station has no Clear button
// (TestFilesUploadedLongAgoLeaveTheList).
func (o *owner) prune() {
	keep := o.settings.KeepFinished
	if keep <= 0 || o.e.cfg.ReadOnly {
		return
	}
	now := o.e.cfg.Now()
	o.nextPrune = now.Add(pruneEvery)
	cutoff := now.Add(-keep)
	var old []*entry
	for _, id := range o.order {
		ent := o.files[id]
		if ent != nil && ent.f.State == Done && ent.att == nil && !ent.f.DoneAt.IsZero() && ent.f.DoneAt.Before(cutoff) && !receiptsDue(&ent.f) {
			old = append(old, ent)
		}
	}
	if len(old) == 0 {
		return
	}
	if err := o.forget(old); err != nil {
		o.e.cfg.Logger.Error("files uploaded long ago could not leave the list", "files", len(old), "err", err)
		return
	}
	o.e.cfg.Logger.Info("files uploaded long ago left the list", "files", len(old), "keep_finished", keep)
}

// pruneDue: the list is due to be looked over again.
func (o *owner) pruneDue(now time.Time) bool {
	return o.settings.KeepFinished > 0 && !now.Before(o.nextPrune)
}

// receiptsDue: f is in a batch (it was added with a folder) and has not been written
// into its receipts since it last finished.
func receiptsDue(f *File) bool {
	return f.Root != "" && (f.Receipted.IsZero() || f.State == Done && f.DoneAt.After(f.Receipted))
}
