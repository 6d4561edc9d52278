package desktop

import (
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"regexp"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// pendingCode waits for the simulator to have a pending code newer than not (the code a
// person would read off the screen) and returns it.
func (d *desk) pendingCode(not string) string {
	d.t.Helper()
	deadline := time.Now().Add(deskWaitLong)
	for time.Now().Before(deadline) {
		ps, err := d.sim.Admin.Pairings(context.Background())
		if err != nil {
			d.t.Fatalf("listing the pairings: %v", err)
		}
		for _, p := range ps {
			if p.State == "pending" && !p.Expired && p.UserCode != not {
				return p.UserCode
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps, _ := d.sim.Admin.Pairings(context.Background())
	onUI(func() {
		d.t.Logf("pairing in the window %+v; in the service %+v; on the simulator %+v", d.ui.m.pairing, d.svc.Pairing(), ps)
	})
	d.t.Fatalf("the simulator never issued a pairing code")
	return ""
}

func (d *desk) showsPairing() bool { return d.win.Content() == d.ui.pairing.object() }
func (d *desk) showsQueue() bool   { return d.win.Content() == d.ui.mainView }

var countdownRE = regexp.MustCompile(`^Expires in \d+:\d\d\b`)

// An unpaired app opens on the pairing view: the simulator's code, spaced for reading,
// a QR code of the complete URL, the countdown to the code's expiry and the link to type
// it at. "Approve in simulator" (demo mode) pairs, and the window turns to the queue.
func TestPairingViewShowsCodeAndApprovesInDemo(t *testing.T) {
	var d *desk
	d = newDesk(t, deskConfig{run: true, opts: Options{Demo: true, ApproveDemo: func(code string) error {
		return d.sim.Approve(code, c2csim.Approval{ProjectName: "Pairing Tests"})
	}}})
	code := d.pendingCode("")
	spaced := code[:3] + " " + code[3:]
	v := d.ui.pairing
	d.eventually("the pairing view shows "+spaced, func() bool {
		return d.showsPairing() && v.code.Text == spaced && v.cur.State == core.PairPending
	})
	onUI(func() {
		root := d.win.Content()
		if !hasText(root, spaced) {
			t.Errorf("the code %q is not on screen; texts: %q", spaced, texts(root))
		}
		if v.qr.Image == nil || !v.qrBox.Visible() {
			t.Errorf("no QR code is shown (image %v, visible %v)", v.qr.Image != nil, v.qrBox.Visible())
		} else if b := v.qr.Image.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Errorf("the QR image is %v, too small to scan", b)
		}
		if !countdownRE.MatchString(v.countdown.Text) || !v.countdown.Visible() {
			t.Errorf("countdown %q (visible %v), want \"Expires in m:ss…\"", v.countdown.Text, v.countdown.Visible())
		}
		if !v.expiry.Visible() || v.expiry.value <= 0 || v.expiry.value > 1 {
			t.Errorf("expiry bar visible %v at %v", v.expiry.Visible(), v.expiry.value)
		}
		want := d.sim.URL() + "/pair"
		if v.link.URL == nil || v.link.URL.String() != want || v.link.Text != want {
			t.Errorf("link %q → %v, want %s", v.link.Text, v.link.URL, want)
		}
		if v.cur.VerificationURIComplete != "" && v.qrFor != v.cur.VerificationURIComplete {
			t.Errorf("the QR code encodes %q, want %q", v.qrFor, v.cur.VerificationURIComplete)
		}
		if v.retry.Visible() {
			t.Error("\"Get a new code\" shows while the code is live")
		}
		if !v.approve.Visible() || v.approve.Disabled() {
			t.Errorf("approve button visible %v disabled %v", v.approve.Visible(), v.approve.Disabled())
		}
	})

	// The countdown moves on its own (the presenter ticks once a second).
	first := uiValue(func() string { return v.countdown.Text })
	d.eventually("the countdown moves", func() bool { return v.countdown.Text != first })

	onUI(func() { test.Tap(v.approve) })
	d.eventually("the window shows the queue once paired", func() bool {
		return d.showsQueue() && d.ui.m.auth.State == core.Paired
	})
	d.eventually("the banner names the project", func() bool {
		return d.ui.banner.text.Text == "Connected to “Pairing Tests”"
	})
	onUI(func() {
		if !hasText(d.win.Content(), "Drop camera media here") {
			t.Errorf("the empty queue does not invite a drop; texts %q", texts(d.win.Content()))
		}
	})
	if st := d.svc.AuthStatus(); st.State != core.Paired || st.ProjectName != "Pairing Tests" {
		t.Errorf("service status %+v", st)
	}
}

// A code declined in the project ends the pairing with "Get a new code", which asks for a
// fresh code.
func TestPairingDeclinedOffersNewCode(t *testing.T) {
	d := newDesk(t, deskConfig{run: true})
	code := d.pendingCode("")
	v := d.ui.pairing
	d.eventually("the code is shown", func() bool { return v.cur.UserCode == code })
	if err := d.sim.Decline(code); err != nil {
		t.Fatal(err)
	}
	d.eventually("the view offers a new code", func() bool {
		return v.cur.State == core.PairDeclined && v.retry.Visible()
	})
	onUI(func() {
		if !hasText(d.win.Content(), "declined") || !hasText(d.win.Content(), "Get a new code") {
			t.Errorf("texts after decline: %q", texts(d.win.Content()))
		}
		if v.code.Text != "— — —" {
			t.Errorf("a dead code is still shown: %q", v.code.Text)
		}
		if v.countdown.Text != "" || v.expiry.Visible() {
			t.Errorf("countdown %q / bar %v after decline", v.countdown.Text, v.expiry.Visible())
		}
		if !d.showsPairing() {
			t.Error("the window left the pairing view")
		}
	})
	onUI(func() { test.Tap(v.retry) })
	next := d.pendingCode(code)
	d.eventually("the new code "+next+" is shown", func() bool {
		return v.cur.State == core.PairPending && v.code.Text == next[:3]+" "+next[3:] && !v.retry.Visible()
	})
}

// Cancel stops asking the server: the simulator sees no more polls, and the view offers
// a new code.
func TestPairingCancelStopsPolling(t *testing.T) {
	d := newDesk(t, deskConfig{run: true})
	code := d.pendingCode("")
	v := d.ui.pairing
	d.eventually("the code is shown", func() bool { return v.cur.UserCode == code })
	onUI(func() {
		b := findButton(d.win.Content(), "Cancel")
		if b == nil {
			t.Fatalf("no Cancel button; texts %q", texts(d.win.Content()))
		}
		test.Tap(b)
	})
	d.eventually("the view says the pairing was cancelled", func() bool {
		return v.cur.State == core.PairCancelled && v.retry.Visible() && !v.spinner.Visible()
	})
	polls := func() int {
		ps, err := d.sim.Admin.Pairings(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.UserCode == code {
				return p.Polls
			}
		}
		t.Fatalf("the code %s is gone from the simulator", code)
		return 0
	}
	before := polls()
	time.Sleep(time.Second) // ten poll intervals
	if after := polls(); after != before {
		t.Errorf("the app polled %d more times after Cancel", after-before)
	}
	onUI(func() {
		if !d.showsPairing() {
			t.Error("an unpaired app left the pairing view on Cancel")
		}
	})
}
