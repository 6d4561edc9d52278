package desktop

import (
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
)

// headers is the batch headers on screen, by title.
func (d *desk) headers() map[string]*batchRow {
	return uiValue(func() map[string]*batchRow {
		out := map[string]*batchRow{}
		for _, o := range visibleObjects(d.win.Content()) {
			if h, ok := o.(*batchRow); ok && h.b != nil {
				out[h.title.Text] = h
			}
		}
		return out
	})
}

// Each add is a batch under a header of its own: its folder, how many files, where they
// go, how far it is. Tapping a header folds its files away and back; a filter that lets
// none of a batch's files through leaves its header out too.
func TestBatchesGroupTheList(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.writeFile("A003/CLIPS/A003C001.mov", 3000)
	d.writeFile("A003/CLIPS/A003C002.mov", 3000)
	d.writeFile("A003/AUDIO/A003C001.wav", 1000)
	s1 := d.writeFile("SOUND_DAY3/S001_T01.wav", 2000)
	s2 := d.writeFile("SOUND_DAY3/S002_T01.wav", 2000)

	onUI(func() { d.ui.add([]string{filepath.Join(d.media, "A003")}) })
	d.eventually("the card is listed", func() bool { return len(d.ui.m.row) == 3 })
	onUI(func() { d.ui.add([]string{s1, s2}) })
	d.eventually("the sound is listed", func() bool { return len(d.ui.m.row) == 5 })

	hs := d.headers()
	card, sound := hs["A003"], hs["SOUND_DAY3"]
	if card == nil || sound == nil {
		t.Fatalf("headers %v, want A003 and SOUND_DAY3", keys(hs))
	}
	wantDetail := "3 files in " + filepath.Join(d.media, "A003") + " · to “Desk Tests” · added"
	if got := uiValue(func() string { return card.detail.Text }); len(got) < len(wantDetail) || got[:len(wantDetail)] != wantDetail {
		t.Errorf("the card's header says %q, want it to start %q", got, wantDetail)
	}
	if got := uiValue(func() string { return card.state.Text }); got != "0 of 3 uploaded" {
		t.Errorf("the card's header counts %q", got)
	}
	// The batches in the order they were added, each with its own files.
	if got, want := d.listed(), []string{"A003C001.wav", "A003C001.mov", "A003C002.mov", "S001_T01.wav", "S002_T01.wav"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want the card's files then the sound's: %q", got, want)
	}

	onUI(func() { test.Tap(card) })
	if got, want := d.onScreen(), []string{"S001_T01.wav", "S002_T01.wav"}; !slices.Equal(got, want) {
		t.Errorf("with the card folded away the screen shows %q, want %q", got, want)
	}
	if d.headers()["A003"] == nil {
		t.Error("the folded card lost its header")
	}
	onUI(func() { test.Tap(d.headers()["A003"]) })
	if got := d.onScreen(); len(got) != 5 {
		t.Errorf("with the card open again the screen shows %q", got)
	}

	onUI(func() { d.ui.queue.search.SetText("S00") })
	if hs := d.headers(); hs["A003"] != nil || hs["SOUND_DAY3"] == nil {
		t.Errorf("searching for the sound shows headers %v, want SOUND_DAY3 alone", keys(hs))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
