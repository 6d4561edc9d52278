package desktop

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// A camera card mounted is offered with what it holds; Upload it queues it, and "always"
// is kept in the settings; the card removed takes its offer away.
func TestACardMountedIsOfferedAndUploadedWhenAsked(t *testing.T) {
	st := newStore(t)
	saved := loadStore(t, st)
	d := newDesk(t, deskConfig{paired: true, run: true, opts: Options{Settings: saved.Settings, SettingsStore: st}})
	d.settled()
	for _, f := range []string{"C0001.MP4", "C0002.MP4", "C0003.MP4"} {
		d.writeFile(filepath.Join("A001", "PRIVATE", "M4ROOT", "CLIP", f), 70_000)
	}
	d.writeFile(filepath.Join("A001", "SOUND", "T001.WAV"), 30_000)
	card := filepath.Join(d.media, "A001")
	sv, err := d.svc.SurveyCard(context.Background(), card)
	if err != nil {
		t.Fatal(err)
	}
	ev := core.CardEvent{Path: card, Layout: "Sony XAVC (PRIVATE/M4ROOT)", Survey: &sv}
	onUI(func() { d.ui.cards.told(ev) })
	d.eventually("the card offered with what it holds", func() bool {
		o := d.overlays()
		return len(o) > 0 && hasText(o[0], "A001 — Sony XAVC (PRIVATE/M4ROOT)") &&
			hasText(o[0], "4 files not uploaded yet") && hasText(o[0], "3 originals, 1 sound")
	})
	onUI(func() {
		findCheck(d.overlays()[0], "Always upload cards when they are inserted").SetChecked(true)
		test.Tap(findButton(d.overlays()[0], "Upload it"))
	})
	d.eventually("the card's four files queued", func() bool {
		n := 0
		onUI(func() {
			for _, v := range d.ui.m.files {
				if strings.HasPrefix(v.Path, card+string(filepath.Separator)) {
					n++
				}
			}
		})
		return n == 4
	})
	d.eventually("cards always kept in the settings", func() bool { return loadStore(t, st).Saved["cards"] == core.CardsAlways })

	// Put back after more shooting: the offer counts the one new clip, and Upload it
	// queues it without telling again what the offer said was left out.
	d.writeFile(filepath.Join("A001", "PRIVATE", "M4ROOT", "CLIP", "C0004.MP4"), 70_000)
	sv, err = d.svc.SurveyCard(context.Background(), card)
	if err != nil {
		t.Fatal(err)
	}
	again := core.CardEvent{Path: card, Layout: ev.Layout, Survey: &sv}
	onUI(func() { d.ui.cards.told(again) })
	d.eventually("the card offered with its one new clip", func() bool {
		o := d.overlays()
		return len(o) > 0 && hasText(o[0], "1 file not uploaded yet") && hasText(o[0], "4 files were uploaded before or are in the queue")
	})
	onUI(func() { test.Tap(findButton(d.overlays()[0], "Upload it")) })
	d.eventually("the new clip queued", func() bool {
		n := 0
		onUI(func() {
			for _, v := range d.ui.m.files {
				if strings.HasPrefix(v.Path, card+string(filepath.Separator)) {
					n++
				}
			}
		})
		return n == 5
	})
	onUI(func() {
		if len(d.overlays()) != 0 {
			t.Errorf("after Upload it a dialog says: %q", texts(d.overlays()[0]))
		}
	})

	// Offered again, then removed: the offer goes with the card.
	onUI(func() { d.ui.cards.told(ev) })
	d.eventually("the second offer", func() bool { return len(d.overlays()) > 0 })
	onUI(func() { d.ui.cards.told(core.CardEvent{Path: card, Removed: true}) })
	d.eventually("the offer taken away", func() bool { return len(d.overlays()) == 0 })
}

// A row tells a clip being recorded and a file waiting for its card apart from the others:
// no share of a size that still grows (it would step back), no "moved to the top" for
// the place a recording takes by itself, and the card's removal rather than "Paused".
func TestRowsOfARecordingAndOfACardRemoved(t *testing.T) {
	rec := core.FileView{Name: "A001C001.mov", State: core.Uploading, Realtime: true, Size: 30 << 20, BytesAcked: 20 << 20, Rank: -1}
	if got, _ := stateLabel(rec); got != "Uploading while recorded" {
		t.Errorf("a recording's state reads %q", got)
	}
	if got := rowDetail(rec); strings.Contains(got, "%") || !strings.Contains(got, "so far") {
		t.Errorf("a recording's detail reads %q, want what was sent of what it holds so far, no share", got)
	}
	if got := movedNote(rec); strings.Contains(got, "moved") {
		t.Errorf("a recording's place reads %q", got)
	}
	gone := core.FileView{Name: "C0001.MP4", State: core.Paused, ErrorKind: core.CardRemovedKind,
		Error: "The card was removed; its files go on when it is back.", Size: 1 << 20}
	if got, _ := stateLabel(gone); got != "Card removed" {
		t.Errorf("a file whose card was removed reads %q", got)
	}
	if got := rowDetail(gone); !strings.Contains(got, "goes on when it is back") && !strings.Contains(got, "go on when it is back") {
		t.Errorf("its detail reads %q, want why it waits", got)
	}
}
