package desktop

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
)

// A card put back in after more shooting, once its files were cleared from the list:
// what was uploaded is not sent again, and the window says so as a fact, not as an error
// ("N items were not added"), with a button that sends them again on purpose.
func TestReAddedCardSaysUploadedAndOffersToSendAgain(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	d.settled()
	a := d.writeFile("A001/A001_C001.mov", 70<<10)
	d.ui.add([]string{a})
	d.eventually("the clip is uploaded", func() bool {
		r := rows(d.win.Content())["A001_C001.mov"]
		return r != nil && r.state.Text == "Done" && strings.Contains(r.detail.Text, "to “Desk Tests”")
	})
	onUI(func() { tapButton(d, "Clear finished") })
	d.eventually("the list is empty", func() bool { return len(rows(d.win.Content())) == 0 })

	d.ui.add([]string{a})
	d.eventually("the window says the clip was uploaded already", func() bool {
		return strings.Contains(d.dialogText(), "1 file was uploaded already")
	})
	onUI(func() {
		txt := d.dialogText()
		if !strings.Contains(txt, "1 file in “Desk Tests”, uploaded ") || !strings.Contains(txt, "A001_C001.mov") || strings.Contains(txt, "not added") {
			t.Errorf("dialog %q", txt)
		}
	})
	if n := len(d.sim.Assets()); n != 1 {
		t.Fatalf("%d assets after adding the card again, want 1", n)
	}
	d.closeDialog("Upload it again")
	d.eventually("the clip is sent again, on purpose", func() bool { return len(d.sim.Assets()) == 2 })
}

// tapButton taps a toolbar button by its label.
func tapButton(d *desk, label string) {
	b := findButton(d.win.Content(), label)
	if b == nil {
		d.t.Fatalf("no %q button", label)
	}
	b.OnTapped()
}

// Re-paired with another project, the window asks once about the files queued for the
// first, and sends them to the new project only when told to.
func TestHeldFilesAskOnceAndGoWhereTold(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	a := d.writeFile("B001/B001_C001.mov", 30<<10)
	b := d.writeFile("B001/B001_C002.wav", 20<<10)
	if _, err := d.svc.Add(context.Background(), []string{a, b}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	coretest.Pair(t, d.svc, d.sim, "Second Desk", deskWaitLong)
	if err := d.svc.Run(d.ctx); err != nil {
		t.Fatal(err)
	}
	d.eventually("one dialog asks what to do with both files", func() bool {
		txt := d.dialogText()
		return d.ui.alerts.Showing() == core.AlertOtherProject && strings.Contains(txt, "B001_C001.mov") && strings.Contains(txt, "B001_C002.wav")
	})
	onUI(func() {
		for _, n := range []string{"B001_C001.mov", "B001_C002.wav"} {
			r := rows(d.win.Content())[n]
			if r == nil || r.state.Text != "Held: another project" || !strings.Contains(r.detail.Text, "Queued for “Desk Tests”") {
				t.Errorf("%s's row: %+v", n, r)
			}
		}
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d dialogs, want one", n)
		}
	})
	if n := len(d.sim.Assets()); n != 0 {
		t.Fatalf("%d assets made before the person said where the files go", n)
	}
	d.closeDialog("Send them to “Second Desk”")
	d.eventually("both files are uploaded to the second project", func() bool {
		done := 0
		for _, as := range d.sim.Assets() {
			if as.Complete && as.Project == "Second Desk" {
				done++
			}
		}
		return done == 2
	})
}

// A start-up notice (a damaged upload history) stays until the person says they have
// read it; saying so is what stops it from being shown again.
func TestNoticeIsShownUntilRead(t *testing.T) {
	var acknowledged atomic.Int32
	d := newDesk(t, deskConfig{paired: true, opts: Options{
		Notices:            []string{"The upload history was damaged (found 2 Dec 2026 14:03) and was moved to /data/journal.db.corrupt."},
		AcknowledgeNotices: func() error { acknowledged.Add(1); return nil },
	}})
	d.eventually("the notice is shown", func() bool { return strings.Contains(d.dialogText(), "journal.db.corrupt") })
	if acknowledged.Load() != 0 {
		t.Fatal("acknowledged before the person read it")
	}
	d.closeDialog("I have read this")
	d.eventually("the notice is marked read", func() bool { return acknowledged.Load() == 1 })
}

// A full disk under the journal shows in the banner while it lasts.
func TestBannerSaysTheDiskIsFull(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	d.apply(core.Event{Type: core.EventTotals, Totals: &core.Totals{Files: 3, FilesRemaining: 3, DiskFull: true}})
	onUI(func() {
		if got := d.ui.banner.text.Text; !strings.Contains(got, "disk that holds the upload journal is full") {
			t.Errorf("banner %q", got)
		}
	})
	d.apply(core.Event{Type: core.EventTotals, Totals: &core.Totals{Files: 3, FilesRemaining: 3}})
	onUI(func() {
		if got := d.ui.banner.text.Text; got != "Connected to “Desk Tests”" {
			t.Errorf("banner after the disk has room %q", got)
		}
	})
}

// A pairing kept in a token file (no keychain on this computer) is unlocked with its
// passphrase at start; the window starts no new pairing meanwhile (a second pairing would
// leave the first one live in the project), and a wrong passphrase is asked for again.
func TestLockedPairingIsUnlockedNotReplaced(t *testing.T) {
	var tries []string
	var mu sync.Mutex
	d := newDesk(t, deskConfig{run: true, opts: Options{NeedPassphrase: true, UnlockTokens: func(_ context.Context, p string) error {
		mu.Lock()
		defer mu.Unlock()
		tries = append(tries, p)
		if p != "right horse battery" {
			return errors.New("the passphrase does not open the token file")
		}
		return nil
	}}})
	d.eventually("the window asks for the passphrase", func() bool { return strings.Contains(d.dialogText(), "Unlock the pairing") })
	enter := func(p string) {
		onUI(func() {
			ov := d.overlays()
			for _, o := range visibleObjects(ov[len(ov)-1]) {
				if e, ok := o.(*widget.Entry); ok && e.Password {
					e.SetText(p)
				}
			}
		})
		d.closeDialog("Unlock")
	}
	enter("wrong")
	d.eventually("the window says so and asks again", func() bool {
		txt := d.dialogText()
		return strings.Contains(txt, "could not be unlocked: the passphrase does not open the token file") && strings.Contains(txt, "Unlock the pairing")
	})
	enter("right horse battery")
	d.eventually("the passphrase is tried", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(tries) == 2 && tries[1] == "right horse battery"
	})
	for _, rq := range d.sim.Requests(0) {
		if rq.Path == "/v2/auth/device/code" {
			t.Fatalf("a new pairing was started while the pairing in the token file was locked")
		}
	}
}
