package desktop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
)

// alertTitles is what each kind's dialog is called, and the button that dismisses it.
var alertTitles = []struct {
	kind    core.AlertKind
	title   string
	dismiss string
}{
	{core.AlertChannelPaused, "Paused in the project", "OK"},
	{core.AlertReconnect, "Reconnect this computer", "Later"},
	{core.AlertVersionRejected, "This version is no longer accepted", "OK"},
	{core.AlertClientRejected, "This app's credentials were refused", "OK"},
	{core.AlertPaymentRequired, "The account cannot take uploads", "OK"},
	{core.AlertKeychain, "The keychain is not available", "OK"},
	{core.AlertJournalMovedAway, "The upload history was damaged", "OK"},
	{core.AlertOtherProject, "Files queued for another project", "Keep them for their project"},
	{core.AlertDiskFull, "The disk is full", "OK"},
}

func alertEvent(kind core.AlertKind, msg string, files ...string) core.Event {
	return core.Event{Type: core.EventAlert, Alert: &core.Alert{Kind: kind, Message: msg, Files: files}}
}

// closeDialog taps the button of the dialog on top.
func (d *desk) closeDialog(label string) {
	d.t.Helper()
	onUI(func() {
		ov := d.overlays()
		if len(ov) == 0 {
			d.t.Fatalf("no dialog to close with %q", label)
		}
		b := findButton(ov[len(ov)-1], label)
		if b == nil {
			d.t.Fatalf("the dialog has no %q button; texts %q", label, texts(ov[len(ov)-1]))
		}
		test.Tap(b)
	})
}

// Media recorded while the device is paused in the project is refused by the API; the
// window says so in one dialog that lists every refused file, and the banner says the
// device is paused.
func TestAlertChannelPausedFromTheAPI(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	d.settled()
	d.sim.Pause(0)
	time.Sleep(10 * time.Millisecond) // the files are recorded after the pause began
	a := d.writeFile("paused/A003_C001.mov", 5000)
	b := d.writeFile("paused/A003_C002.mov", 6000)
	ctx, cancel := context.WithTimeout(context.Background(), deskWaitLong)
	defer cancel()
	if _, err := d.svc.Add(ctx, []string{a, b}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	d.eventually("both files are skipped and named in the dialog", func() bool {
		rs := rows(d.win.Content())
		for _, n := range []string{"A003_C001.mov", "A003_C002.mov"} {
			if r := rs[n]; r == nil || r.state.Text != "Skipped: channel paused" {
				return false
			}
		}
		txt := d.dialogText()
		return strings.Contains(txt, "A003_C001.mov") && strings.Contains(txt, "A003_C002.mov")
	})
	onUI(func() {
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d dialogs for one kind of problem: %s", n, d.dialogText())
		}
		if k := d.ui.alerts.Showing(); k != core.AlertChannelPaused {
			t.Errorf("the dialog shows %q", k)
		}
		if txt := d.dialogText(); !strings.Contains(txt, "Paused in the project") || !strings.Contains(txt, "These 2 files") {
			t.Errorf("dialog text %q", txt)
		}
		if got := d.ui.banner.text.Text; !strings.Contains(got, "refused media recorded while this device was paused") {
			t.Errorf("banner %q", got)
		}
		if r := rows(d.win.Content())["A003_C001.mov"]; r != nil && (!r.anyway.Visible() || r.retry.Visible()) {
			t.Error("a skipped file offers Retry, which the project would refuse again, or not Upload anyway")
		}
	})
	// Once the project resumes the device, the person sends them anyway, as new media.
	d.sim.Resume(0)
	d.closeDialog("Upload them anyway…")
	d.closeDialog("Upload anyway")
	d.eventually("both files arrive", func() bool {
		rs := rows(d.win.Content())
		for _, n := range []string{"A003_C001.mov", "A003_C002.mov"} {
			if r := rs[n]; r == nil || r.state.Text != "Done" {
				return false
			}
		}
		return len(d.overlays()) == 0
	})
	for _, a := range d.sim.Assets() {
		if a.Complete && a.Offset != 0 {
			t.Errorf("%s sent anyway with offset %d, want 0", a.Name, a.Offset)
		}
	}
}

// Every kind of alert raises its one dialog; a second alert of the kind joins it (its
// files are added) rather than stacking a second dialog.
func TestAlertEachKindOneDialog(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	for _, k := range alertTitles {
		t.Run(string(k.kind), func(t *testing.T) {
			d.apply(alertEvent(k.kind, "first: "+string(k.kind), "/media/"+string(k.kind)+"-1.mov"))
			onUI(func() {
				if n := len(d.overlays()); n != 1 {
					t.Fatalf("%d overlays after one alert", n)
				}
				if got := d.ui.alerts.Showing(); got != k.kind {
					t.Errorf("showing %q", got)
				}
				txt := d.dialogText()
				if !strings.Contains(txt, k.title) || !strings.Contains(txt, "first: "+string(k.kind)) ||
					!strings.Contains(txt, string(k.kind)+"-1.mov") {
					t.Errorf("dialog text %q", txt)
				}
			})
			d.apply(alertEvent(k.kind, "", "/media/"+string(k.kind)+"-2.mov"))
			d.apply(alertEvent(k.kind, "", "/media/"+string(k.kind)+"-1.mov")) // the same file again
			onUI(func() {
				if n := len(d.overlays()); n != 1 {
					t.Errorf("%d overlays after a second alert of the same kind", n)
				}
				txt := d.dialogText()
				if !strings.Contains(txt, string(k.kind)+"-2.mov") {
					t.Errorf("the second alert's file is missing: %q", txt)
				}
				if c := strings.Count(txt, string(k.kind)+"-1.mov"); c != 1 {
					t.Errorf("the first file is listed %d times: %q", c, txt)
				}
				if !strings.Contains(txt, "first: "+string(k.kind)) {
					t.Errorf("an empty message replaced the first: %q", txt)
				}
			})
			d.closeDialog(k.dismiss)
			onUI(func() {
				if n := len(d.overlays()); n != 0 || d.ui.alerts.Showing() != "" {
					t.Errorf("after closing: %d overlays, showing %q", n, d.ui.alerts.Showing())
				}
				if !d.showsQueue() {
					t.Error("dismissing the dialog left the queue")
				}
			})
		})
	}
}

// Alerts of another kind wait until the dialog on screen is closed; meanwhile they
// gather their own files.
func TestAlertOtherKindWaitsItsTurn(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(alertEvent(core.AlertPaymentRequired, "The plan allows no more uploads.", "/m/p1.mov"))
	d.apply(alertEvent(core.AlertVersionRejected, "Update the app.", "/m/v1.mov"),
		alertEvent(core.AlertPaymentRequired, "", "/m/p2.mov"),
		alertEvent(core.AlertVersionRejected, "", "/m/v2.mov"))
	onUI(func() {
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d dialogs at once", n)
		}
		if k := d.ui.alerts.Showing(); k != core.AlertPaymentRequired {
			t.Errorf("showing %q first", k)
		}
		txt := d.dialogText()
		if !strings.Contains(txt, "p1.mov") || !strings.Contains(txt, "p2.mov") || strings.Contains(txt, "v1.mov") {
			t.Errorf("first dialog %q", txt)
		}
	})
	d.closeDialog("OK")
	onUI(func() {
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d dialogs after closing the first", n)
		}
		if k := d.ui.alerts.Showing(); k != core.AlertVersionRejected {
			t.Errorf("showing %q second", k)
		}
		txt := d.dialogText()
		if !strings.Contains(txt, "Update the app.") || !strings.Contains(txt, "v1.mov") || !strings.Contains(txt, "v2.mov") {
			t.Errorf("second dialog %q", txt)
		}
	})
	d.closeDialog("OK")
	onUI(func() {
		if n := len(d.overlays()); n != 0 {
			t.Errorf("%d dialogs left", n)
		}
	})
}

// A long list of files is cut short in the dialog.
func TestAlertManyFilesAreSummed(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	var files []string
	for i := range 40 {
		files = append(files, fmt.Sprintf("/m/clip-%02d.mov", i))
	}
	d.apply(alertEvent(core.AlertChannelPaused, "Paused.", files...))
	onUI(func() {
		txt := d.dialogText()
		if !strings.Contains(txt, "These 40 files") || !strings.Contains(txt, "…and 25 more") {
			t.Errorf("dialog %q", txt)
		}
	})
}

// Reconnect from the dialog: the pairing view comes up with a new code; Cancel goes back
// to the queue, which was kept.
func TestAlertReconnectOpensPairing(t *testing.T) {
	// Not running: no real status comes to contradict the one injected here.
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	// What the service says when the project forgets the device.
	d.apply(core.Event{Type: core.EventAuth, Auth: &core.AuthStatus{State: core.NeedsReconnect, Reason: "the project removed this device"}},
		alertEvent(core.AlertReconnect, "The project no longer knows this device."))
	d.closeDialog("Reconnect")
	code := d.pendingCode("")
	d.eventually("the pairing view shows the new code", func() bool {
		return d.showsPairing() && d.ui.pairing.code.Text == code[:3]+" "+code[3:]
	})
	onUI(func() {
		b := findButton(d.win.Content(), "Cancel")
		if b == nil {
			t.Fatal("no Cancel on the pairing view")
		}
		test.Tap(b)
	})
	d.eventually("a paired app goes back to the queue on Cancel", d.showsQueue)
}

// A Reconnect dialog that waited its turn can be answered after the device was paired
// again: the pairing it starts keeps its view until it ends (it used to flip back to the
// queue at the next event while the code was still being polled for, out of sight).
func TestReconnectWhilePairedKeepsPairingView(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	d.settled()
	d.apply(alertEvent(core.AlertReconnect, "The project no longer knows this device."))
	d.closeDialog("Reconnect")
	code := d.pendingCode("")
	d.eventually("the pairing view shows the new code", func() bool {
		return d.showsPairing() && d.ui.pairing.code.Text == code[:3]+" "+code[3:]
	})
	// More events come (a tick, totals…): the view stays.
	d.apply(core.Event{Type: core.EventConnection, Connection: &core.Connection{State: core.Online}})
	onUI(func() {
		if !d.showsPairing() {
			t.Error("the pairing view went away while its code was live")
		}
	})
	if err := d.sim.Approve(code, c2csim.Approval{ProjectName: "Second Project"}); err != nil {
		t.Fatal(err)
	}
	d.eventually("paired again, the queue is back", func() bool {
		return d.showsQueue() && d.ui.banner.text.Text == "Connected to “Second Project”"
	})
}
