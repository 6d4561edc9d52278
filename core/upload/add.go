package upload

import (
	"context"
	"fmt"
	"time"
)

// Add queues files and folders (expanded). A file already in the queue with the same
// path, size, mtime and fingerprint is refused unless force is set.
func (e *Engine) Add(ctx context.Context, paths []string, force bool) (AddResult, error) {
	files, rejected := scanPaths(paths, time.Now())
	e.mu.Lock()
	known := make(map[string]*entry, len(e.files))
	for _, ent := range e.files {
		ent.mu.Lock()
		known[identity(&ent.f)] = ent
		ent.mu.Unlock()
	}
	e.mu.Unlock()
	fresh := files[:0]
	for _, f := range files {
		if ent, dup := known[identity(&f)]; dup && !force {
			ent.mu.Lock()
			st, id := ent.f.State, ent.f.ID
			ent.mu.Unlock()
			why := "already in the queue (" + string(st) + ")"
			if st == Done {
				why = "already uploaded"
			}
			rejected = append(rejected, Rejection{Path: f.Path, Reason: why, Existing: id})
			continue
		}
		fresh = append(fresh, f)
	}
	res := AddResult{Rejected: rejected}
	if len(fresh) == 0 {
		return res, nil
	}
	stored, err := e.cfg.Journal.Insert(ctx, fresh)
	if err != nil {
		return res, fmt.Errorf("queueing %d files: %w", len(fresh), err)
	}
	e.mu.Lock()
	ents := make([]*entry, len(stored))
	for i, f := range stored {
		ents[i] = &entry{f: f}
		e.files[f.ID] = ents[i]
		e.order = append(e.order, f.ID)
	}
	e.dirty = true
	e.mu.Unlock()
	for _, ent := range ents {
		res.Added = append(res.Added, e.publish(ent))
	}
	e.poke()
	return res, nil
}

func identity(f *File) string {
	return fmt.Sprintf("%s\x00%d\x00%d\x00%s", f.Path, f.Size, f.ModTime.UnixNano(), f.Fingerprint)
}
