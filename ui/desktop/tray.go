package desktop

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// tray is the system tray menu, where the platform has one: the status, pause or resume
// all, show the window, quit.
type tray struct {
	u      *UI
	app    desktop.App
	menu   *fyne.Menu
	status *fyne.MenuItem
	pause  *fyne.MenuItem
	last   string
}

func newTray(u *UI) *tray {
	t := &tray{u: u}
	app, ok := u.app.(desktop.App)
	if !ok || !trayAvailable() {
		return t
	}
	t.app = app
	t.status = fyne.NewMenuItem("Starting…", nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem("Pause all", func() {
		if u.m.totals.Paused {
			u.p.do("Resume failed", func(ctx context.Context) error { return u.svc.Resume(ctx, core.All) })
		} else {
			u.p.do("Pause failed", func(ctx context.Context) error { return u.svc.Pause(ctx, core.All) })
		}
	})
	show := fyne.NewMenuItem("Show window", func() { u.win.Show(); u.win.RequestFocus() })
	quit := fyne.NewMenuItem("Quit", u.requestQuit)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("C2C Uploader", t.status, fyne.NewMenuItemSeparator(), t.pause, show, fyne.NewMenuItemSeparator(), quit)
	app.SetSystemTrayMenu(t.menu)
	return t
}

func (t *tray) update() {
	if t.app == nil {
		return
	}
	_, text, _, _ := t.u.banner.state()
	if tot := t.u.m.totals; tot.FilesRemaining > 0 {
		text = totalsText(tot)
	}
	pause := "Pause all"
	if t.u.m.totals.Paused {
		pause = "Resume all"
	}
	if text+pause == t.last {
		return
	}
	t.last = text + pause
	t.status.Label = text
	t.pause.Label = pause
	t.pause.Disabled = t.u.m.totals.FilesRemaining == 0
	t.menu.Refresh()
}
