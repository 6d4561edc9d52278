package upload

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// What goes first (README, "What goes first"): files the person moved to the top, the
// last moved first; then by category in the order of the settings (sound, proxies,
// sidecars, stills, originals, other unless changed); within a category the oldest shot
// first, then by name; files moved to the bottom last, the last moved last. A file that
// arrives with a category ahead of what runs takes the next free place; nothing running
// is interrupted.

// RunKey is what the place of a file in the queue depends on.
type RunKey struct {
	Rank     int64 // File.Rank: where the person moved it
	Category media.Category
	Shot     time.Time // File.MediaCreated
	Name     string
	ID       FileID
}

// Compare orders k before (-1) or after (1) other, by the rule above; order is the
// category order of the settings.
func (k *RunKey) Compare(order media.Order, other *RunKey) int {
	return compareRun(order, k.Rank, other.Rank, k.Category, other.Category, &k.Shot, &other.Shot, k.Name, other.Name, k.ID, other.ID)
}

// compare orders two files of the queue as they will run. It reads the files' fields
// where they are: sorting a day of cards makes it run a hundred thousand times.
func (o *owner) compare(a, b *entry) int {
	x, y := &a.f, &b.f
	return compareRun(o.settings.Order, x.Rank, y.Rank, x.Category, y.Category, &x.MediaCreated, &y.MediaCreated, x.Name, y.Name, x.ID, y.ID)
}

func compareRun(order media.Order, rankA, rankB int64, catA, catB media.Category, shotA, shotB *time.Time, nameA, nameB string, idA, idB FileID) int {
	if c := cmp.Compare(rankA, rankB); c != 0 {
		return c
	}
	if catA != catB {
		if c := cmp.Compare(order.Rank(catA), order.Rank(catB)); c != 0 {
			return c
		}
	}
	if c := shotA.Compare(*shotB); c != 0 {
		return c
	}
	if c := strings.Compare(nameA, nameB); c != 0 {
		return c
	}
	return cmp.Compare(idA, idB)
}

// SortByRun sorts views into the order the queue runs them: files running first, then
// the files waiting to run as the scheduler will take them, then the finished ones in the
// order they finished. order is the category order of the settings.
func SortByRun(views []FileView, order media.Order) {
	SortViews(views, order, func(v *FileView) RunPlace {
		return RunPlace{Key: v.RunKey(), State: v.State, Sending: v.Sending, DoneAt: v.DoneAt}
	})
}

// RunPlace is what SortViews orders a view by.
type RunPlace struct {
	Key     RunKey
	State   State
	Sending bool
	DoneAt  time.Time
}

// SortViews is SortByRun for views of any type (a front door's own), read by place.
func SortViews[V any](views []V, order media.Order, place func(*V) RunPlace) {
	part := func(p *RunPlace) int {
		switch {
		case p.State.Finished():
			return 2
		case p.State == Creating || p.State == Uploading || p.Sending:
			return 0
		}
		return 1
	}
	// The keys are made once and sorted with the views' places: a view is large to
	// move about, and 10,000 of them are sorted for a status.
	type keyed struct {
		part int
		key  RunKey
		done time.Time
		at   int
	}
	keys := make([]keyed, len(views))
	for i := range views {
		p := place(&views[i])
		keys[i] = keyed{part: part(&p), key: p.Key, done: p.DoneAt, at: i}
	}
	slices.SortFunc(keys, func(a, b keyed) int {
		if c := cmp.Compare(a.part, b.part); c != 0 {
			return c
		}
		if a.part == 2 {
			if c := a.done.Compare(b.done); c != 0 {
				return c
			}
			return cmp.Compare(a.key.ID, b.key.ID)
		}
		return a.key.Compare(order, &b.key)
	})
	sorted := make([]V, len(views))
	for i, k := range keys {
		sorted[i] = views[k.at]
	}
	copy(views, sorted)
}

// RunKey is the view's place in the queue, whatever its state.
func (v *FileView) RunKey() RunKey {
	return RunKey{Rank: v.Rank, Category: v.Category, Shot: v.Shot, Name: v.Name, ID: v.ID}
}

// Place is where Move puts files.
type Place string

const (
	Top    Place = "top"
	Bottom Place = "bottom"
)

// ParsePlace reads "top" or "bottom".
func ParsePlace(s string) (Place, error) {
	switch p := Place(strings.ToLower(strings.TrimSpace(s))); p {
	case Top, Bottom:
		return p, nil
	}
	return "", fmt.Errorf("%q is not a place in the queue: say top or bottom", s)
}

// Move puts the selected files at the top of the queue (they go next, as places free up;
// nothing running is stopped) or at its bottom, keeping their order among themselves.
// The order is kept in the journal. An id not in the queue is ErrUnknownFile, and
// nothing moves.
func (e *Engine) Move(ctx context.Context, s Selector, to Place) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	if _, err := ParsePlace(string(to)); err != nil {
		return err
	}
	return e.askErr(func(o *owner) error {
		for _, id := range s.IDs {
			if o.files[id] == nil {
				return fmt.Errorf("file %d: %w", id, ErrUnknownFile)
			}
		}
		ents, err := o.selected(s)
		if err != nil || len(ents) == 0 {
			return err
		}
		return o.move(ents, to)
	})
}

func (o *owner) move(ents []*entry, to Place) error {
	ents = slices.Clone(ents)
	slices.SortFunc(ents, o.compare)
	lowest, highest := int64(0), int64(0)
	for _, ent := range o.files {
		lowest, highest = min(lowest, ent.f.Rank), max(highest, ent.f.Rank)
	}
	ranks := make(map[FileID]int64, len(ents))
	n := int64(len(ents))
	for i, ent := range ents {
		if to == Top {
			ranks[ent.f.ID] = lowest - n + int64(i)
		} else {
			ranks[ent.f.ID] = highest + 1 + int64(i)
		}
	}
	if err := o.write(func(ctx context.Context) error { return o.e.cfg.Journal.Reorder(ctx, ranks) }); err != nil {
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	for _, ent := range ents {
		o.unindex(ent) // its place in ready depends on its rank
		ent.f.Rank = ranks[ent.f.ID]
		o.index(ent)
		o.announce(ent)
	}
	o.kick = true
	return nil
}

// reorder sorts the files waiting to run again, after the category order changed.
func (o *owner) reorder() { slices.SortFunc(o.ready, o.compare) }
