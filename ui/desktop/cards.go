package desktop

import (
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// cardsView is what the window says of camera cards (README, "Cards"): a card mounted
// is offered — what it holds, Upload it, and "always do this" — unless the cards setting
// says otherwise; a card removed takes its offer away and says its files wait for it.
type cardsView struct {
	u      *UI
	offers map[string]dialog.Dialog // by mount point, while shown
}

func newCardsView(u *UI) *cardsView { return &cardsView{u: u, offers: map[string]dialog.Dialog{}} }

// told takes the service's news of a card (on Fyne's goroutine).
func (c *cardsView) told(ev core.CardEvent) {
	name := cardName(ev)
	if d := c.offers[ev.Path]; d != nil {
		d.Hide()
		delete(c.offers, ev.Path)
	}
	switch {
	case ev.Removed:
		c.notify("Card removed", name+" was removed: its files that were not uploaded yet wait for it.")
	case ev.Problem != "":
		c.notify("Card "+name, ev.Problem)
	case ev.Survey == nil:
	case ev.Added > 0:
		c.notify("Uploading a card", fmt.Sprintf("%s: %s queued.", name, format.Count(ev.Added, "file")))
	case ev.Survey.Files == 0:
		c.notify("Card "+name, "It holds no file to upload.")
	case ev.Survey.Files == ev.Survey.Known:
		c.notify("Card "+name, fmt.Sprintf("Its %s were uploaded already.", format.Count(ev.Survey.Files, "file")))
	default:
		c.offer(ev, name)
	}
}

func (c *cardsView) notify(title, text string) {
	if c.u.settings.Notifications {
		c.u.app.SendNotification(fyne.NewNotification("C2C Uploader: "+title, text))
	}
}

// offer asks whether to upload the card.
func (c *cardsView) offer(ev core.CardEvent, name string) {
	sv := ev.Survey
	what := widget.NewLabel(cardSummary(sv))
	what.Wrapping = fyne.TextWrapWord
	where := widget.NewLabel(ev.Path)
	where.Truncation = fyne.TextTruncateEllipsis
	always := widget.NewCheck("Always upload cards when they are inserted", nil)
	var d dialog.Dialog
	notNow := widget.NewButton("Not now", func() { d.Hide() })
	upload := widget.NewButton("Upload it", func() {
		d.Hide()
		if always.Checked {
			c.setAlways()
		}
		c.u.addCard(ev.Path)
	})
	upload.Importance = widget.HighImportance
	title := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := container.NewVBox(title, where, what, always,
		container.NewHBox(layout.NewSpacer(), notNow, upload))
	d = dialog.NewCustomWithoutButtons("A camera card is in", body, c.u.win)
	d.SetOnClosed(func() {
		if c.offers[ev.Path] == d {
			delete(c.offers, ev.Path)
		}
	})
	c.offers[ev.Path] = d
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// setAlways keeps the choice to upload cards as they are mounted.
func (c *cardsView) setAlways() {
	before := c.u.settings
	after := before
	after.Cards = core.CardsAlways
	if err := c.u.svc.SetSettings(after); err != nil {
		c.u.showError("The choice could not be kept", err)
		return
	}
	c.u.settings = after
	c.u.saveSettings(before, after, after.APIURL)
}

// cardName is the card's folder and its camera's layout: "A001 — Sony XAVC (PRIVATE/M4ROOT)".
func cardName(ev core.CardEvent) string {
	name := filepath.Base(ev.Path)
	if ev.Layout != "" {
		name += " — " + ev.Layout
	}
	return name
}

// cardSummary says what a card holds in a sentence or two: "212 files not uploaded yet,
// 64.2 GB: 150 originals, 40 sound, 22 proxies. 12 were uploaded before."
func cardSummary(sv *core.CardSurvey) string {
	var kinds []string
	for _, k := range []core.Category{core.Originals, core.Sound, core.Proxies, core.Stills, core.Sidecars, core.Other} {
		if n := sv.Categories[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, strings.ToLower(categoryPlural(k, n))))
		}
	}
	s := fmt.Sprintf("%s, %s", format.Count(sv.Files-sv.Known, "file")+" not uploaded yet", format.Bytes(sv.NewBytes))
	if len(kinds) > 0 {
		s += " (on the card: " + strings.Join(kinds, ", ") + ")"
	}
	s += "."
	if sv.Known > 0 {
		s += " " + format.Counted(sv.Known, "file was uploaded before or is in the queue", "files were uploaded before or are in the queue") + ": left out."
	}
	if sv.LeftOut > 0 {
		s += " The filter leaves out " + format.Count(sv.LeftOut, "file") + "."
	}
	return s
}

// categoryPlural names n files of category k.
func categoryPlural(k core.Category, n int) string {
	if k == core.Sound || n == 1 {
		return k.Label()
	}
	if k == core.Proxies {
		return "Proxies"
	}
	return k.Label() + "s"
}
