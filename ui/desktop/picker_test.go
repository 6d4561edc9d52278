package desktop

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// pickerNames is the entries the chooser shows, once it has read its folder.
func (d *desk) pickerNames(p *picker) []string {
	d.t.Helper()
	var names []string
	d.eventually("the chooser has read its folder", func() bool { return !p.note.Visible() || p.note.Text != "Reading the folder…" })
	onUI(func() {
		for _, e := range p.entries {
			names = append(names, e.name)
		}
	})
	return names
}

// The chooser adds several files at once, ticked in the folder it shows (subfolders
// first, hidden files left out), or the folder it shows; it remembers the folders added
// and offers them, and the cards mounted, the next time.
func TestChooserAddsSeveralFilesOrAFolder(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	card := filepath.Join(d.media, "A003_1202")
	d.writeFile("A003_1202/A003C001.mov", 1000)
	d.writeFile("A003_1202/A003C002.mov", 1000)
	d.writeFile("A003_1202/A003C003.mov", 1000)
	d.writeFile("A003_1202/.DS_Store", 10)
	d.writeFile("A003_1202/SOUND/S001.wav", 500)

	var p *picker
	onUI(func() { p = d.ui.openPicker(false, card) })
	if got, want := d.pickerNames(p), []string{"SOUND", "A003C001.mov", "A003C002.mov", "A003C003.mov"}; !slices.Equal(got, want) {
		t.Fatalf("the chooser lists %q, want %q", got, want)
	}
	onUI(func() {
		p.choose(p.entries[1])
		p.choose(p.entries[3])
		if p.add.Text != "Add 2 files" || p.add.Disabled() {
			t.Errorf("with two files ticked the button says %q (disabled %v)", p.add.Text, p.add.Disabled())
		}
		test.Tap(p.add)
	})
	d.eventually("the two files are listed", func() bool { return len(d.ui.m.row) == 2 })
	if got, want := d.listed(), []string{"A003C001.mov", "A003C003.mov"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}

	// A folder: open SOUND from the card, add it.
	onUI(func() { p = d.ui.openPicker(true, "") })
	if got := d.pickerNames(p); !slices.Contains(got, "SOUND") {
		t.Fatalf("the folder chooser opens where the last files came from; it lists %q", got)
	}
	onUI(func() { p.choose(p.entries[0]) })
	if got := d.pickerNames(p); !slices.Equal(got, []string{"S001.wav"}) {
		t.Fatalf("in SOUND the chooser lists %q", got)
	}
	onUI(func() {
		if p.add.Text != "Add “SOUND”" {
			t.Errorf("the folder chooser's button says %q", p.add.Text)
		}
		test.Tap(p.add)
	})
	d.eventually("the folder's file is listed", func() bool { return len(d.ui.m.row) == 3 })
	recent := uiValue(func() []string { return d.app.Preferences().StringList(prefRecentFolders) })
	if want := []string{filepath.Join(card, "SOUND"), card}; !slices.Equal(recent, want) {
		t.Errorf("folders added lately %q, want %q", recent, want)
	}
	onUI(func() {
		p = d.ui.openPicker(false, "")
		if !hasTextIn(d.overlays(), "Added lately") {
			t.Error("the chooser does not offer the folders added lately")
		}
		var found bool
		for _, o := range visibleObjects(d.overlays()[len(d.overlays())-1]) {
			if b, ok := o.(*widget.Button); ok && b.Text == "A003_1202" {
				found = true
			}
		}
		if !found {
			t.Error("the card's folder is not among the places")
		}
	})
}

// Cards and drives: the folders in the system's mount roots, not the roots themselves.
func TestMountedVolumes(t *testing.T) {
	root := t.TempDir()
	user := filepath.Join(root, "media", "editor")
	for _, dir := range []string{filepath.Join(user, "A003_1202"), filepath.Join(user, "SOUND_DAY3"), filepath.Join(root, "mnt", "raid")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := mountedVolumes([]string{user, filepath.Join(root, "media"), filepath.Join(root, "mnt"), filepath.Join(root, "absent")})
	want := []string{filepath.Join(user, "A003_1202"), filepath.Join(user, "SOUND_DAY3"), filepath.Join(root, "mnt", "raid")}
	if !slices.Equal(got, want) {
		t.Errorf("volumes %q, want %q", got, want)
	}
}
