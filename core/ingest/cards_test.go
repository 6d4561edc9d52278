//go:build linux

package ingest_test

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/ingest"
	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// These tests mount real volumes: a tmpfs of its own for each card (disktest.Card, as the
// e2e tests' cards), bind-mounted onto a folder in a mount root of the test's, and
// unmounted from it, as a card reader's volume comes and goes. Nothing is timed:
// "never" is checked after later looks of the Cards, counted by the calls to Roots (each
// look asks it once).

// cardsPoll only makes the Cards quick; nothing asserts it.
const cardsPoll = 20 * time.Millisecond

// newVolume is a volume of its own (disktest.Card: 8 MiB, mountable in a mount root and
// taken away again) holding tree; where volumes cannot be mounted the test fails, saying
// so.
func newVolume(t *testing.T, tree ...string) *disktest.Card {
	t.Helper()
	v := disktest.NewCard(t, 8<<20)
	makeTree(t, v.Dir, tree)
	return v
}

// cardsSeen records what Cards tells and what it is asked, for the test goroutine.
type cardsSeen struct {
	mu       sync.Mutex
	roots    []string
	looks    int
	inserted []ingest.Card
	removed  []ingest.Card
}

func (s *cardsSeen) rootsNow() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.looks++
	return slices.Clone(s.roots)
}

func (s *cardsSeen) setRoots(roots ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roots = roots
}

func (s *cardsSeen) insert(c ingest.Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inserted = append(s.inserted, c)
}

func (s *cardsSeen) remove(c ingest.Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = append(s.removed, c)
}

// counts are how often the card at path was inserted and removed.
func (s *cardsSeen) counts(path string) (inserted, removed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.inserted {
		if c.Path == path {
			inserted++
		}
	}
	for _, c := range s.removed {
		if c.Path == path {
			removed++
		}
	}
	return inserted, removed
}

// all is every card inserted and removed so far.
func (s *cardsSeen) all() (inserted, removed []ingest.Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inserted), slices.Clone(s.removed)
}

// waitLook waits until a whole look of the Cards started after the call has ended: a
// second look asking Roots means the first one made since is over.
func (s *cardsSeen) waitLook(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	from := s.looks
	s.mu.Unlock()
	waitfor.Condition(t, "two more looks of the Cards", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.looks >= from+2
	})
}

// waitCounts waits until the card at path was inserted and removed that often.
func (s *cardsSeen) waitCounts(t *testing.T, path string, inserted, removed int) {
	t.Helper()
	waitfor.Condition(t, "the card's insertions and removals", func() bool {
		i, r := s.counts(path)
		return i == inserted && r == removed
	})
	// And no more after further looks.
	s.waitLook(t)
	if i, r := s.counts(path); i != inserted || r != removed {
		t.Fatalf("%s: inserted %d times, removed %d; want %d and %d", path, i, r, inserted, removed)
	}
}

// startCards runs Cards over the roots until the test ends.
func startCards(t *testing.T, roots ...string) (*ingest.Cards, *cardsSeen) {
	t.Helper()
	seen := &cardsSeen{roots: roots}
	cards := ingest.NewCards(ingest.CardsConfig{
		Roots: seen.rootsNow, Poll: cardsPoll, Inserted: seen.insert, Removed: seen.remove,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cards.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return cards, seen
}

func present(t *testing.T, cards *ingest.Cards) []ingest.Card {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := cards.Present(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A card mounted while Cards runs is inserted once, with its layout, even when its folder
// is made before the volume is mounted on it.
func TestACardMountedLaterIsInsertedOnce(t *testing.T) {
	root := t.TempDir()
	vol := newVolume(t, "DCIM/100MSDCF/", "PRIVATE/M4ROOT/CLIP/C0001.MP4")
	cards, seen := startCards(t, root)
	seen.waitLook(t)

	at := filepath.Join(root, "Untitled")
	if err := os.Mkdir(at, 0o755); err != nil {
		t.Fatal(err)
	}
	seen.waitLook(t)
	if i, _ := seen.counts(at); i != 0 {
		t.Fatal("a folder with nothing mounted on it was taken for a card")
	}
	vol.MountAt(at)
	seen.waitCounts(t, at, 1, 0)

	want := ingest.Card{Path: at, Layout: ingest.LayoutSonyXAVC, Volume: at}
	if inserted, _ := seen.all(); inserted[0] != want {
		t.Errorf("inserted %+v, want %+v", inserted[0], want)
	}
	if got := present(t, cards); !slices.Equal(got, []ingest.Card{want}) {
		t.Errorf("Present = %+v, want %+v", got, want)
	}
}

// A volume without a camera's folders is no card; nor is a folder someone made in the
// mount root, even with DCIM in it, since it is no volume of its own.
func TestOnlyVolumesWithACamerasFoldersAreCards(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, []string{"Made by hand/DCIM/100CANON/IMG_0001.JPG", "Empty mount point/"})
	backup := newVolume(t, "Documents/letter.odt", "Footage/day1.mov")
	cards, seen := startCards(t, root)
	backup.MountAt(filepath.Join(root, "BACKUP"))
	card := newVolume(t, "DCIM/100GOPRO/GX010001.MP4")
	cardAt := filepath.Join(root, "GOPRO")
	card.MountAt(cardAt)

	// The card, mounted after the backup drive, is found: the look that found it saw the
	// backup drive too.
	seen.waitCounts(t, cardAt, 1, 0)
	if inserted, removed := seen.all(); len(inserted) != 1 || len(removed) != 0 {
		t.Fatalf("inserted %+v, removed %+v; want the GoPro card alone", inserted, removed)
	}
	if got := present(t, cards); len(got) != 1 || got[0].Path != cardAt || got[0].Layout != ingest.LayoutDCIM {
		t.Errorf("Present = %+v, want the GoPro card alone", got)
	}

	// The backup drive gains a camera's folder at its top: now it is a card.
	if err := os.Mkdir(filepath.Join(root, "BACKUP", "DCIM"), 0o755); err != nil {
		t.Fatal(err)
	}
	seen.waitCounts(t, filepath.Join(root, "BACKUP"), 1, 0)
}

// The cards in when Run starts are inserted too: the app may start with a card in.
func TestACardInAtStartIsInserted(t *testing.T) {
	root := t.TempDir()
	vol := newVolume(t, "A001_1203XY.RDM/A001_C001_1203AB.RDC/A001_C001_1203AB_001.R3D")
	at := filepath.Join(root, "RED_MAG")
	vol.MountAt(at)
	_, seen := startCards(t, root)
	seen.waitCounts(t, at, 1, 0)
	if inserted, _ := seen.all(); inserted[0].Layout != ingest.LayoutRED {
		t.Errorf("layout %q, want %q", inserted[0].Layout, ingest.LayoutRED)
	}
}

// A card unmounted is removed once, and inserted again when it is back; so is one whose
// folder goes with it, as udisks does.
func TestACardRemovedAndPutBack(t *testing.T) {
	root := t.TempDir()
	vol := newVolume(t, "A001R1AB/A001C001_150101_R1AB.mov")
	at := filepath.Join(root, "A001R1AB")
	vol.MountAt(at)
	cards, seen := startCards(t, root)
	seen.waitCounts(t, at, 1, 0)

	vol.Unmount() // the folder stays, a mount point no more
	seen.waitCounts(t, at, 1, 1)
	if _, removed := seen.all(); removed[0].Layout != ingest.LayoutARRI || removed[0].Volume != at {
		t.Errorf("removed %+v", removed[0])
	}
	if got := present(t, cards); len(got) != 0 {
		t.Errorf("Present after the card was removed = %+v", got)
	}

	vol.MountAt(at)
	seen.waitCounts(t, at, 2, 1)

	vol.Unmount()
	if err := os.Remove(at); err != nil {
		t.Fatal(err)
	}
	seen.waitCounts(t, at, 2, 2)

	vol.MountAt(at)
	seen.waitCounts(t, at, 3, 2)
	if got := present(t, cards); len(got) != 1 || got[0].Path != at {
		t.Errorf("Present after the card came back = %+v", got)
	}
}

// The roots are asked at each look: a root added is looked in, a root dropped lets its
// cards go without calling them removed (they are still in), and a root that is made
// only later is looked in once it is there.
func TestRootsChangingAtRuntimeApply(t *testing.T) {
	rootA, rootB := t.TempDir(), t.TempDir()
	later := filepath.Join(t.TempDir(), "media", "user")
	vol := newVolume(t, "XDROOT/Clip/")
	at := filepath.Join(rootB, "SxS")
	vol.MountAt(at)
	cards, seen := startCards(t, rootA, later)
	seen.waitLook(t)
	if i, _ := seen.counts(at); i != 0 {
		t.Fatal("a card in a root not listed was inserted")
	}

	seen.setRoots(rootA, later, rootB)
	seen.waitCounts(t, at, 1, 0)

	seen.setRoots(rootA, later)
	waitfor.Condition(t, "the card in the root dropped to be let go", func() bool {
		return len(present(t, cards)) == 0
	})
	seen.waitCounts(t, at, 1, 0) // not removed

	// The root made only now, with a card mounted in it.
	card := newVolume(t, "CONTENTS/CLIPS001/AA0001/AA0001.MXF")
	cardAt := filepath.Join(later, "CANON")
	card.MountAt(cardAt)
	seen.waitCounts(t, cardAt, 1, 0)
	if got := present(t, cards); len(got) != 1 || got[0].Layout != ingest.LayoutCanonCinema {
		t.Errorf("Present = %+v, want the Canon card", got)
	}
}

// Present says so once Run has returned.
func TestCardsPresentAfterRunReturned(t *testing.T) {
	cards := ingest.NewCards(ingest.CardsConfig{Roots: func() []string { return nil }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cards.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cards.Present(context.Background()); !errors.Is(err, ingest.ErrCardsStopped) {
		t.Errorf("Present after Run = %v, want ErrCardsStopped", err)
	}
}

// On Linux, volumes are looked for where udisks2 mounts them for the user (Debian's
// /media/$USER, Fedora's /run/media/$USER) and in /media itself.
func TestDefaultMountRootsOnLinux(t *testing.T) {
	roots := ingest.DefaultMountRoots()
	if !slices.Contains(roots, "/media") {
		t.Errorf("DefaultMountRoots = %v, want /media among them", roots)
	}
	if u, err := user.Current(); err == nil {
		for _, want := range []string{"/media/" + u.Username, "/run/media/" + u.Username} {
			if !slices.Contains(roots, want) {
				t.Errorf("DefaultMountRoots = %v, want %s among them", roots, want)
			}
		}
	}
}
