package desktop

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// Watched folders from the window: the toolbar's button opens their dialog; a folder
// watched there is watched at once (a file landing in it is uploaded), kept in the
// settings, and shown as watched; Stop watching lets it go, in the settings too.
func TestWatchFoldersFromTheWindow(t *testing.T) {
	st := newStore(t)
	saved := loadStore(t, st)
	d := newDesk(t, deskConfig{paired: true, run: true, opts: Options{Settings: saved.Settings, SettingsStore: st}})
	d.settled()
	folder := d.media
	onUI(func() { test.Tap(findButton(d.win.Content(), "Watch folders…")) })
	d.eventually("the dialog says no folder is watched", func() bool { return hasText(d.overlays()[0], "No folder is watched.") })

	onUI(func() { d.ui.watch.set([]string{folder}) }) // as the picker hands the folder chosen
	d.eventually("the folder shows as watched", func() bool {
		return hasText(d.overlays()[0], "Watching: new files are uploaded as they settle") &&
			d.ui.watch.button.Text == "Watching 1 folder"
	})
	d.eventually("the folder kept in the settings", func() bool { return loadStore(t, st).Saved["watch"] == folder })
	clip := d.writeFile(filepath.Join("A001", "clip.mov"), 100_000)
	d.eventually("the clip landing in the folder is uploaded", func() bool {
		for _, a := range d.sim.Assets() {
			if a.Name == "clip.mov" && a.State == "complete" {
				return true
			}
		}
		return false
	})
	onUI(func() {
		for _, v := range d.ui.m.files {
			if v.Path == clip && v.Root != folder {
				t.Errorf("the clip's batch is %q; want the watched folder's", v.Root)
			}
		}
	})

	onUI(func() { test.Tap(findButton(d.overlays()[0], "Stop watching")) })
	d.eventually("no folder is watched", func() bool {
		return hasText(d.overlays()[0], "No folder is watched.") && d.ui.watch.button.Text == "Watch folders…"
	})
	// Kept by the window's background saver.
	d.eventually("no folder kept in the settings", func() bool {
		return strings.TrimSpace(loadStore(t, st).Saved["watch"]) == ""
	})
}

// The watched folders' dialog carries the realtime and settle settings: changed there,
// they are in force at once and kept.
func TestWatchDialogSetsRealtimeAndSettle(t *testing.T) {
	st := newStore(t)
	saved := loadStore(t, st)
	d := newDesk(t, deskConfig{paired: true, opts: Options{Settings: saved.Settings, SettingsStore: st}})
	onUI(func() { test.Tap(findButton(d.win.Content(), "Watch folders…")) })
	d.eventually("the dialog offers uploading while recording, on", func() bool {
		c := findCheck(d.overlays()[0], "Upload clips while they are recorded")
		return c != nil && c.Checked
	})
	onUI(func() {
		findCheck(d.overlays()[0], "Upload clips while they are recorded").SetChecked(false)
		findSelect(d.overlays()[0], "2 s (recommended)").SetSelected("1 s")
	})
	if s := d.ui.svc.Settings(); s.Realtime || s.Settle != time.Second {
		t.Errorf("in force: realtime %v, settle %s; want false, 1s", s.Realtime, s.Settle)
	}
	// Kept by the window's background saver.
	d.eventually("realtime false and settle 1s kept in the settings", func() bool {
		kept := loadStore(t, st).Saved
		return kept["realtime"] == "false" && kept["settle"] == "1s"
	})
}
