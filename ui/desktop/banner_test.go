package desktop

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// bannerNow is what the banner shows: its text, its button ("" when hidden) and its icon.
func (d *desk) bannerNow() (text, action, icon string) {
	b := d.ui.banner
	text = b.text.Text
	if b.action.Visible() {
		action = b.action.Text
	}
	if b.icon.Resource != nil {
		icon = b.icon.Resource.Name()
	}
	return text, action, icon
}

// The banner says where the uploads go and whether they can, in each state the service
// reports; the tray menu's status follows it.
func TestBannerStates(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.eventually("the banner names the project", func() bool {
		return d.ui.banner.text.Text == "Connected to “Desk Tests”"
	})
	paired := core.AuthStatus{State: core.Paired, ProjectName: "Desk Tests"}
	cases := []struct {
		name   string
		events []core.Event
		text   *regexp.Regexp
		action string
		icon   string
	}{
		{"connected", []core.Event{authEv(paired), connEv(core.Connection{State: core.Online})},
			regexp.MustCompile(`^Connected to “Desk Tests”$`), "", theme.ConfirmIcon().Name()},
		{"offline", []core.Event{connEv(core.Connection{State: core.Offline, NextCheck: time.Now().Add(30 * time.Second)})},
			regexp.MustCompile(`^Offline — next check in [1-3]?\d s; the queue waits$`), "Check now", theme.WarningIcon().Name()},
		{"offline, no check planned", []core.Event{connEv(core.Connection{State: core.Offline})},
			regexp.MustCompile(`^Offline — the queue waits$`), "Check now", theme.WarningIcon().Name()},
		{"reconnecting", []core.Event{connEv(core.Connection{State: core.Reconnecting})},
			regexp.MustCompile(`^Reconnecting…$`), "", theme.InfoIcon().Name()},
		{"renewing", []core.Event{connEv(core.Connection{State: core.Online}), authEv(core.AuthStatus{State: core.Refreshing, ProjectName: "Desk Tests"})},
			regexp.MustCompile(`^Renewing access to the project…$`), "", theme.InfoIcon().Name()},
		{"needs reconnect", []core.Event{authEv(core.AuthStatus{State: core.NeedsReconnect, Reason: "the refresh token was refused"})},
			regexp.MustCompile(`^Needs reconnecting — the refresh token was refused$`), "Reconnect", theme.ErrorIcon().Name()},
		{"paused in project", []core.Event{authEv(paired), alertEvent(core.AlertChannelPaused, "Paused.", "/m/x.mov")},
			regexp.MustCompile(`^Connected to “Desk Tests” — it refused media recorded while this device was paused there$`), "", theme.WarningIcon().Name()},
		{"uploading again clears the pause", []core.Event{fileEv(core.FileView{ID: 1, Name: "y.mov", Size: 10, State: core.Uploading})},
			regexp.MustCompile(`^Connected to “Desk Tests”$`), "", theme.ConfirmIcon().Name()},
		{"paused in project again", []core.Event{totalsEv(core.Totals{Files: 1, Skipped: 1}), alertEvent(core.AlertChannelPaused, "Paused.", "/m/z.mov")},
			regexp.MustCompile(`^Connected to “Desk Tests” — it refused media recorded while this device was paused there$`), "", theme.WarningIcon().Name()},
		{"clearing the refused files clears it", []core.Event{totalsEv(core.Totals{})},
			regexp.MustCompile(`^Connected to “Desk Tests”$`), "", theme.ConfirmIcon().Name()},
		{"storage warning", []core.Event{authEv(core.AuthStatus{State: core.Paired, ProjectName: "Desk Tests", StorageWarning: "the pairing is kept in memory only"})},
			regexp.MustCompile(`^Connected to “Desk Tests” — but the pairing is kept in memory only$`), "", theme.WarningIcon().Name()},
		{"no project name yet", []core.Event{authEv(core.AuthStatus{State: core.Paired})},
			regexp.MustCompile(`^Connected to the project$`), "", theme.ConfirmIcon().Name()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d.apply(c.events...)
			onUI(func() {
				text, action, icon := d.bannerNow()
				if !c.text.MatchString(text) {
					t.Errorf("banner %q, want %v", text, c.text)
				}
				if action != c.action {
					t.Errorf("banner button %q, want %q", action, c.action)
				}
				if icon != c.icon {
					t.Errorf("banner icon %q, want %q", icon, c.icon)
				}
				if !hasText(d.win.Content(), text) {
					t.Errorf("the banner's text is not on screen: %q", texts(d.win.Content()))
				}
			})
			for len(uiValue(d.overlays)) > 0 { // the paused case's dialog
				d.closeDialog("OK")
			}
		})
	}
}

// The offline countdown moves with the presenter's once-a-second tick, with no event
// from the service.
func TestBannerOfflineCountsDown(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.eventually("the banner names the project", func() bool {
		return d.ui.banner.text.Text == "Connected to “Desk Tests”"
	})
	d.apply(connEv(core.Connection{State: core.Offline, NextCheck: time.Now().Add(40 * time.Second)}))
	first := uiValue(func() string { return d.ui.banner.text.Text })
	if !strings.HasPrefix(first, "Offline — next check in ") {
		t.Fatalf("banner %q", first)
	}
	d.eventually("the countdown moves", func() bool {
		return d.ui.banner.text.Text != first && strings.HasPrefix(d.ui.banner.text.Text, "Offline — next check in ")
	})
}

// Reconnect on the banner opens the pairing view (the queue is kept).
func TestBannerReconnectButton(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(authEv(core.AuthStatus{State: core.NeedsReconnect, Reason: "the project removed this device"}))
	onUI(func() { test.Tap(d.ui.banner.action) })
	code := d.pendingCode("")
	d.eventually("the pairing view shows a new code", func() bool {
		return d.showsPairing() && d.ui.pairing.code.Text == code[:3]+" "+code[3:]
	})
}

func authEv(s core.AuthStatus) core.Event { return core.Event{Type: core.EventAuth, Auth: &s} }
func connEv(s core.Connection) core.Event {
	return core.Event{Type: core.EventConnection, Connection: &s}
}
func fileEv(v core.FileView) core.Event {
	return core.Event{Type: core.EventFile, File: &v}
}

func totalsEv(t core.Totals) core.Event { return core.Event{Type: core.EventTotals, Totals: &t} }
