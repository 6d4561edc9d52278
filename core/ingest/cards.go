package ingest

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// CardsConfig is how Cards watches for camera cards.
type CardsConfig struct {
	// Roots are the folders volumes are mounted in (DefaultMountRoots, and the folders a
	// setting adds); asked at each look, so a changed setting applies at the next one.
	// nil: DefaultMountRoots.
	Roots func() []string
	// Poll is how often the roots are looked at even without events: mounting a volume on
	// a folder that is there already changes nothing the system reports. 0: 2 s.
	Poll time.Duration
	// Inserted hears of each card found, on the Cards' goroutine: the cards in when Run
	// starts, each card put in later, and a card put back after it was removed. No card
	// is looked for while it runs: what takes long (reading the card through) belongs
	// on a goroutine of its own.
	Inserted func(Card)
	// Removed hears of each card gone (unmounted, its folder gone, or no longer a volume
	// of its own), on the Cards' goroutine. A card whose root is no longer listed is let
	// go without a word: it is still there, and what is being read from it can go on.
	Removed func(Card)
	Logger  *slog.Logger
}

// Card is a camera card mounted.
type Card struct {
	// Path is the card's top folder: what to offer for upload, and what CardLayout read.
	Path string
	// Layout names the camera's layout for a person (CardLayout).
	Layout string
	// Volume is the mount point the card is on: the folder that goes when the card does.
	// A card is a volume's top, so it is Path too, kept apart so that the files of a card
	// are matched to the mount that carries them.
	Volume string
}

// Cards watches the folders volumes are mounted in for camera cards: a volume mounted
// directly in one of them (a drive letter, on Windows) whose top holds a camera's layout.
// One goroutine (Run) owns its state; Present reaches it through a message.
type Cards struct {
	cfg   CardsConfig
	inbox chan func(*cardsState)
	done  chan struct{} // closed when Run returns
}

// NewCards makes a Cards; Run starts it.
func NewCards(cfg CardsConfig) *Cards {
	if cfg.Roots == nil {
		cfg.Roots = DefaultMountRoots
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Inserted == nil {
		cfg.Inserted = func(Card) {}
	}
	if cfg.Removed == nil {
		cfg.Removed = func(Card) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cards{cfg: cfg, inbox: make(chan func(*cardsState)), done: make(chan struct{})}
}

// ErrCardsStopped: the Cards' Run has returned.
var ErrCardsStopped = errors.New("camera cards are no longer watched")

// Present is the cards in now, by path, as the last look found them.
func (c *Cards) Present(ctx context.Context) ([]Card, error) {
	var out []Card
	err := c.do(ctx, func(s *cardsState) {
		for _, p := range slices.Sorted(maps.Keys(s.cards)) {
			out = append(out, s.cards[p].card)
		}
	})
	return out, err
}

func (c *Cards) do(ctx context.Context, fn func(*cardsState)) error {
	return onOwner(ctx, c.inbox, c.done, ErrCardsStopped, fn)
}

// eventLook is how long after an event in a root it is looked at: the events of a
// mount come in a burst (its folder made, then mounted on), and one look takes them all.
const eventLook = 200 * time.Millisecond

// Run watches until ctx ends; the cards in already are reported first. Cards runs once.
func (c *Cards) Run(ctx context.Context) error {
	defer close(c.done)
	s := &cardsState{
		cfg: c.cfg, cards: map[string]*cardIn{}, plain: map[string]volume{},
		// Without events, cards are still found, by the polls alone.
		watched: openWatches(c.cfg.Logger, "the system cannot report changes in the folders volumes are mounted in; they are looked at every so often instead"),
	}
	defer s.watched.close()
	s.look()
	next := time.Now().Add(c.cfg.Poll)
	timer := time.NewTimer(c.cfg.Poll)
	defer timer.Stop()
	for {
		timer.Reset(max(time.Until(next), time.Millisecond))
		events, errs := s.watched.channels()
		select {
		case <-ctx.Done():
			return nil
		case fn := <-c.inbox:
			fn(s)
			continue
		case ev := <-events:
			s.event(ev)
			next = minTime(next, time.Now().Add(eventLook))
			continue
		case err := <-errs:
			c.cfg.Logger.Warn("the system lost track of changes in the folders volumes are mounted in; looking at them again", "err", err)
		case <-timer.C:
		}
		s.look()
		next = time.Now().Add(c.cfg.Poll)
	}
}

// volume is a volume mounted in a root, as a look saw it.
type volume struct {
	path string
	// id tells this volume from another mounted on the same folder later: the device
	// (unix), the volume's serial number (Windows).
	id uint64
	// changed is when the volume's top last changed, as far as its folder's time tells: a
	// volume that was not a card is looked at again when it changes.
	changed time.Time
}

// cardIn is a card present, and where it was found.
type cardIn struct {
	card Card
	root string
	vol  volume
}

// cardsState is the Cards', owned by its goroutine.
type cardsState struct {
	cfg     CardsConfig
	watched *watches           // the roots
	cards   map[string]*cardIn // by path
	// plain are the volumes that are not cards, as they were when their top was read:
	// read again only when they change, so a look costs a folder read per root and a
	// look at each folder in it.
	plain map[string]volume
}

// look finds the volumes in the roots and tells of the cards that went and came.
func (s *cardsState) look() {
	roots := cleanRoots(s.cfg.Roots())
	listed := map[string]bool{}
	found := map[string]volume{}
	foundIn := map[string]string{}
	for _, r := range roots {
		listed[r] = true
		s.watch(r)
		vols, err := volumesIn(r)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.cfg.Logger.Debug("a folder volumes are mounted in cannot be read", "root", r, "err", err)
		}
		for _, v := range vols {
			if _, dup := found[v.path]; !dup {
				found[v.path], foundIn[v.path] = v, r
			}
		}
	}
	for r := range s.watched.all() {
		if !listed[r] {
			s.watched.remove(r)
		}
	}

	for _, p := range slices.Sorted(maps.Keys(s.cards)) {
		c := s.cards[p]
		v, there := found[p]
		if there && v.id == c.vol.id {
			continue
		}
		delete(s.cards, p)
		if !there && !listed[c.root] {
			s.cfg.Logger.Info("a camera card is no longer watched: the folder it is mounted in is no longer one to watch", "card", p, "root", c.root)
			continue
		}
		s.cfg.Logger.Debug("a camera card was removed", "card", p, "layout", c.card.Layout)
		s.cfg.Removed(c.card)
	}

	for p := range s.plain {
		if _, there := found[p]; !there {
			delete(s.plain, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(found)) {
		v := found[p]
		if s.cards[p] != nil {
			continue
		}
		if seen, ok := s.plain[p]; ok && seen.id == v.id && seen.changed.Equal(v.changed) {
			continue
		}
		layout, err := cardLayout(p)
		if err != nil {
			// Mounted but not readable yet (or any more): looked at again next time.
			delete(s.plain, p)
			s.cfg.Logger.Debug("a volume's top cannot be read", "volume", p, "err", err)
			continue
		}
		if layout == "" {
			s.plain[p] = v
			continue
		}
		delete(s.plain, p)
		card := Card{Path: p, Layout: layout, Volume: p}
		s.cards[p] = &cardIn{card: card, root: foundIn[p], vol: v}
		s.cfg.Logger.Debug("a camera card was inserted", "card", p, "layout", layout)
		s.cfg.Inserted(card)
	}
}

// watch asks the system for the changes in root, when it can give them: a root missing
// now is asked for again at the next look.
func (s *cardsState) watch(root string) {
	if !s.watched.has(root) && watchable(root) {
		_ = s.watched.add(root)
	}
}

// event takes a change in a root; a look follows. A root removed lost its watch with it:
// it is watched again when it is back.
func (s *cardsState) event(ev fsnotify.Event) {
	if s.watched.has(ev.Name) && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
		s.watched.remove(ev.Name)
	}
}

// cleanRoots makes the roots absolute and clean, each once, in their order.
func cleanRoots(roots []string) []string {
	out := make([]string, 0, len(roots))
	for _, r := range roots {
		if r == "" {
			continue
		}
		abs, err := filepath.Abs(driveRoot(r))
		if err != nil {
			continue
		}
		if !slices.Contains(out, abs) {
			out = append(out, abs)
		}
	}
	return out
}
