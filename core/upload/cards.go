package upload

import (
	"context"
	"fmt"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// CardRemovedKind is the error kind of a file paused because its card, the volume it is
// read from, was removed (CardRemoved): it goes on when the card is back (CardBack).
const CardRemovedKind = "card-removed"

const cardRemovedMessage = "The card was removed; its files go on when it is back."

// CardRemoved pauses every file read from below root (a card's mount point) that is not
// finished, and those that failed because they could not be read (the card went before
// it was said), saying "card removed". A file running starts no request more and stops
// once its requests in flight have ended; its finished chunks are kept.
func (e *Engine) CardRemoved(root string) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		var idle []*entry
		for _, ent := range o.files {
			if !media.Within(root, ent.f.Path) || !waitsForCard(&ent.f) {
				continue
			}
			if ent.att != nil {
				// Its requests in flight end as they would (a part S3 takes is
				// journaled, not sent again); none starts; then it stops.
				ent.cardGone = true
				if o.slots.perFile[ent.f.ID] == 0 {
					o.stopAttempt(ent)
				}
				continue
			}
			idle = append(idle, ent)
		}
		return o.setStates(idle, cardRemoved)
	})
}

// CardBack queues again the files read from below root that wait for their card: those
// CardRemoved paused, and those that failed because they could not be read.
func (e *Engine) CardBack(root string) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		var back []*entry
		for _, ent := range o.files {
			f := &ent.f
			if ent.att == nil && media.Within(root, f.Path) &&
				(f.State == Paused && f.ErrorKind == CardRemovedKind || f.State == Failed && f.ErrorKind == string(api.KindLocalFile)) {
				back = append(back, ent)
			}
		}
		return o.setStates(back, to(Queued))
	})
}

// waitsForCard tells whether a file is one a card's removal pauses: not finished (and
// not already paused for it), or failed because it could not be read.
func waitsForCard(f *File) bool {
	switch {
	case f.State == Paused && f.ErrorKind == CardRemovedKind:
		return false
	case f.State == Failed:
		return f.ErrorKind == string(api.KindLocalFile)
	}
	return !f.State.Finished()
}

// cardRemoved is the change CardRemoved makes.
func cardRemoved(f *File) {
	f.State, f.ErrorKind, f.ErrorMessage = Paused, CardRemovedKind, cardRemovedMessage
	f.NextAttempt = time.Time{}
}

// Survey is what a folder (a card just inserted) holds, as an add of it would queue it:
// its files and bytes, how many of each category, and how many of them were uploaded
// before or are in the queue already (an add leaves those out).
type Survey struct {
	Files, Known int
	// Bytes are all its files'; NewBytes those of the files not known (Files - Known).
	Bytes, NewBytes int64
	Categories      map[media.Category]int
	LeftOut         int // by the filter
}

// Survey looks through root as Add would, without queueing anything.
func (e *Engine) Survey(ctx context.Context, root string) (Survey, error) {
	s := e.Settings()
	filter, err := s.Filter.Parse()
	if err != nil {
		return Survey{}, fmt.Errorf("the filter's %w", err)
	}
	files, rejected := scanPaths([]string{root}, time.Now(), filter, "")
	out := Survey{Files: len(files), Categories: map[media.Category]int{}}
	for _, r := range rejected {
		if r.LeftOut {
			out.LeftOut++
		}
	}
	for _, f := range files {
		out.Bytes += f.Size
		out.Categories[f.Category]++
	}
	queued, err := ask(e, func(o *owner) map[string]bool {
		m := map[string]bool{}
		for _, ent := range o.files {
			m[identity(&ent.f)] = true
		}
		return m
	})
	if err != nil {
		return out, err
	}
	uploaded, err := e.cfg.Journal.Uploaded(ctx, files)
	if err != nil {
		return out, fmt.Errorf("looking up earlier uploads: %w", err)
	}
	for i := range files {
		if queued[identity(&files[i])] || uploaded[i].ID != 0 {
			out.Known++
		} else {
			out.NewBytes += files[i].Size
		}
	}
	return out, nil
}
