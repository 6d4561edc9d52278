package desktop

import (
	"bytes"
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"image"
	"image/color"
	_ "image/png" // the QR encoder writes PNG
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// pairingView shows the six-digit code large enough to read across a room, where to
// type it, a QR code of the complete URL when the API gives one, and a countdown to the
// code's expiry (a new code comes by itself).
type pairingView struct {
	u *UI

	root      fyne.CanvasObject
	heading   *widget.Label
	code      *canvas.Text
	link      *widget.Hyperlink
	where     *widget.Label
	qr        *canvas.Image
	qrBox     *fyne.Container
	countdown *widget.Label
	expiry    *thinBar
	message   *widget.Label
	spinner   *widget.Activity
	cancel    *widget.Button
	retry     *widget.Button
	approve   *widget.Button

	cur       core.Pairing
	codeStart time.Time // when the current code appeared, for the countdown bar
	qrFor     string
	qrImage   image.Image
}

func newPairingView(u *UI) *pairingView {
	v := &pairingView{u: u}
	v.heading = widget.NewLabelWithStyle("Connect this computer to a project", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.heading.SizeName = theme.SizeNameHeadingText
	v.code = canvas.NewText("— — —", theme.Color(theme.ColorNameForeground))
	v.code.TextSize = 72
	v.code.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	v.code.Alignment = fyne.TextAlignCenter
	v.where = widget.NewLabel("1.  In the project's web app, open")
	v.link = widget.NewHyperlink("", nil)
	enter := widget.NewLabel("2.  Enter this code:")
	v.qr = canvas.NewImageFromImage(nil)
	v.qr.FillMode = canvas.ImageFillContain
	v.qr.ScaleMode = canvas.ImageScalePixels
	v.qr.SetMinSize(fyne.NewSize(176, 176))
	qrCaption := widget.NewLabelWithStyle("or scan it with a phone", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.qrBox = container.NewVBox(container.NewCenter(v.qr), qrCaption)
	v.countdown = widget.NewLabel("")
	v.countdown.SizeName = theme.SizeNameCaptionText
	v.expiry = newThinBar(6)
	v.message = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.spinner = widget.NewActivity()
	v.cancel = widget.NewButton("Cancel", func() { u.cancelPairing() })
	v.retry = widget.NewButtonWithIcon("Get a new code", theme.ViewRefreshIcon(), func() { u.startPairing() })
	v.retry.Importance = widget.HighImportance
	v.approve = widget.NewButtonWithIcon("Approve in simulator", theme.ConfirmIcon(), v.approveDemo)
	if !u.opts.Demo {
		v.approve.Hide()
	}
	steps := container.NewVBox(
		container.NewHBox(v.where, v.link),
		enter,
		container.NewPadded(v.code),
		v.expiry,
		v.countdown,
	)
	codeCard := container.NewBorder(nil, nil, nil, container.NewCenter(v.qrBox), container.NewPadded(steps))
	status := container.NewHBox(layout.NewSpacer(), v.spinner, v.message, layout.NewSpacer())
	buttons := container.NewHBox(layout.NewSpacer(), v.cancel, v.retry, v.approve, layout.NewSpacer())
	card := container.NewVBox(v.heading, widget.NewSeparator(), codeCard, widget.NewSeparator(), status, buttons)
	v.root = container.NewCenter(container.NewPadded(card))
	v.update(core.Pairing{State: core.PairRequesting, Message: "Asking the server for a pairing code…"})
	return v
}

func (v *pairingView) object() fyne.CanvasObject { return v.root }

// update shows a pairing state.
func (v *pairingView) update(p core.Pairing) {
	if p.UserCode != v.cur.UserCode {
		v.codeStart = time.Now()
	}
	v.cur = p
	showCode := p.State == core.PairPending || p.State == core.PairApproved
	if showCode && len(p.UserCode) == 6 {
		v.code.Text = p.UserCode[:3] + " " + p.UserCode[3:]
	} else if showCode {
		v.code.Text = p.UserCode
	} else {
		v.code.Text = "— — —"
	}
	v.code.Color = theme.Color(theme.ColorNameForeground)
	if !showCode {
		v.code.Color = theme.Color(theme.ColorNameDisabled)
	}
	v.code.Refresh()
	if p.VerificationURI != "" {
		if u, err := url.Parse(p.VerificationURI); err == nil {
			v.link.SetURL(u)
			v.link.SetText(p.VerificationURI)
		}
	}
	if showCode && p.VerificationURIComplete != "" {
		if v.qrFor != p.VerificationURIComplete {
			v.qrFor = p.VerificationURIComplete
			v.qrImage = qrImage(p.VerificationURIComplete)
			v.qr.Image = v.qrImage
			v.qr.Refresh()
		}
		v.qrBox.Show()
	} else {
		v.qrBox.Hide()
	}
	v.message.SetText(p.Message)
	busy := p.State == core.PairRequesting || p.State == core.PairApproved
	if busy || p.State == core.PairPending {
		v.spinner.Show()
		v.spinner.Start()
	} else {
		v.spinner.Stop()
		v.spinner.Hide()
	}
	ended := p.State == core.PairDeclined || p.State == core.PairFailed || p.State == core.PairCancelled
	if ended {
		v.retry.Show()
	} else {
		v.retry.Hide()
	}
	if v.u.opts.Demo && p.State == core.PairPending {
		v.approve.Enable()
	} else {
		v.approve.Disable()
	}
	v.tick()
}

// tick moves the countdown.
func (v *pairingView) tick() {
	p := v.cur
	if p.State != core.PairPending || p.ExpiresAt.IsZero() {
		v.countdown.SetText("")
		v.expiry.Hide()
		return
	}
	left := time.Until(p.ExpiresAt)
	v.countdown.SetText("Expires in " + format.Countdown(left) + " — a new code appears by itself.")
	v.expiry.SetValue(left.Seconds() / max(p.ExpiresAt.Sub(v.codeStart), left).Seconds())
	v.expiry.Show()
}

// approveDemo plays the editor in the demo: it approves the code in the simulator.
func (v *pairingView) approveDemo() {
	code := v.cur.UserCode
	if v.u.opts.ApproveDemo == nil || code == "" {
		return
	}
	v.approve.Disable()
	v.u.p.do("The simulator did not approve the code", func(context.Context) error {
		return v.u.opts.ApproveDemo(code)
	})
}

// qrImage draws a QR code of text; nil if it cannot be encoded.
func qrImage(text string) image.Image {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil
	}
	q.BackgroundColor, q.ForegroundColor = color.White, color.Black
	png, err := q.PNG(256)
	if err != nil {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return nil
	}
	return img
}
