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
		return len(o) > 0 && hasText(o[0], "A001 (Sony XAVC (PRIVATE/M4ROOT))") &&
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
	if got := loadStore(t, st).Saved["cards"]; got != core.CardsAlways {
		t.Errorf("the settings keep cards %q, want always", got)
	}

	// Offered again, then removed: the offer goes with the card.
	onUI(func() { d.ui.cards.told(ev) })
	d.eventually("the second offer", func() bool { return len(d.overlays()) > 0 })
	onUI(func() { d.ui.cards.told(core.CardEvent{Path: card, Removed: true}) })
	d.eventually("the offer taken away", func() bool { return len(d.overlays()) == 0 })
}
