package mhl_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

// A history in a parent folder covers a file deep below it; a nearer one wins.
func TestFindFromDeepBelow(t *testing.T) {
	tmp := t.TempDir()
	day := filepath.Join(tmp, "Day01")
	deep := filepath.Join(day, "A002R2EC", "Clips", "Sub", "Deeper", "A002C006.mov")
	writeFile(t, deep, "clip")
	writeHistory(t, day, gen{"0001_Day01_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
		rec("A002R2EC/Clips/Sub/Deeper/A002C006.mov", 4, h(xxh64("clip"), "original")),
	})})

	hist, err := mhl.Find(deep)
	if err != nil || hist == nil || hist.Root != day {
		t.Fatalf("Find(%s) = %v, %v; want the history of %s", deep, hist, err, day)
	}
	rel, ok := hist.Rel(deep)
	if !ok || rel != "A002R2EC/Clips/Sub/Deeper/A002C006.mov" {
		t.Errorf("Rel = %q, %v", rel, ok)
	}
	wantNewest(t, hist, rel, xxh64("clip"))

	outside := filepath.Join(tmp, "Elsewhere", "x.mov")
	writeFile(t, outside, "x")
	if hist, err := mhl.Find(outside); hist != nil || err != nil {
		t.Errorf("Find(%s) = %v, %v; want nil, nil", outside, hist, err)
	}
	if _, ok := hist.Rel(outside); ok {
		t.Errorf("Rel(%s) is inside %s", outside, day)
	}
	if _, ok := hist.Rel(filepath.Join(day, "ascmhl", "0001_Day01_2020-01-16_091500Z.mhl")); ok {
		t.Error("Rel takes the history's own manifest for a file it covers")
	}

	// A history of the card itself is nearer than the day's.
	card := filepath.Join(day, "A002R2EC")
	writeHistory(t, card, gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
		rec("Clips/Sub/Deeper/A002C006.mov", 4, h(xxh64("clip"), "original")),
	})})
	if hist, err := mhl.Find(deep); err != nil || hist == nil || hist.Root != card {
		t.Errorf("Find(%s) = %v, %v; want the history of %s", deep, hist, err, card)
	}
}

// A Finder reads a history once for all the files of a card, from any goroutine.
func TestFinderRemembers(t *testing.T) {
	card := filepath.Join(t.TempDir(), "A002R2EC")
	writeHistory(t, card, gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
		rec("Clips/a.mov", 1, h(xxh64("a"), "original")),
	})})
	files := []string{
		filepath.Join(card, "Clips", "a.mov"),
		filepath.Join(card, "Clips", "b.mov"),
		filepath.Join(card, "Sidecar.txt"),
		filepath.Join(card, "Proxies", "Sub", "a.mov"),
	}
	var f mhl.Finder
	found := make([]*mhl.History, len(files)*4)
	var wg sync.WaitGroup
	for i := range found {
		wg.Go(func() {
			h, err := f.Find(files[i%len(files)])
			if err != nil {
				t.Error(err)
			}
			found[i] = h
		})
	}
	wg.Wait()
	for i, h := range found {
		if h == nil || h != found[0] || h.Root != card {
			t.Fatalf("lookup %d gave %p (%v), lookup 0 gave %p", i, h, h, found[0])
		}
	}
	// What the Finder remembers is what it read: a history made since is not seen.
	other := filepath.Join(card, "Proxies")
	writeHistory(t, other, gen{"0001_Proxies_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
		rec("Sub/a.mov", 1, h(xxh64("a"), "original")),
	})})
	if h, _ := f.Find(files[3]); h != found[0] {
		t.Errorf("the Finder looked again: %v", h)
	}
	if h, _ := mhl.Find(files[3]); h == nil || h.Root != other {
		t.Errorf("Find(%s) = %v, want the history of %s", files[3], h, other)
	}
}
