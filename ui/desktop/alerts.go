package desktop

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// alertCenter shows the problems that need a person as dialogs, one at a time: a second
// alert of a kind already waiting or showing joins it (its files are added) instead of
// stacking another dialog; alerts of other kinds wait their turn.
type alertCenter struct {
	u       *UI
	showing *shownAlert
	queue   []*shownAlert
}

type shownAlert struct {
	kind    core.AlertKind
	title   string
	message string
	files   map[string]bool
	body    *widget.Label
	dlg     dialog.Dialog
	action  string
	do      func()
	// confirm, when set, is the only button; done runs when it is pressed.
	confirm string
	done    func()
}

func newAlertCenter(u *UI) *alertCenter { return &alertCenter{u: u} }

// raise shows an alert, or adds it to the one of its kind.
func (c *alertCenter) raise(a core.Alert) {
	if cur := c.find(a.Kind); cur != nil {
		for _, f := range a.Files {
			cur.files[f] = true
		}
		if a.Message != "" {
			cur.message = a.Message
		}
		if cur.body != nil {
			cur.body.SetText(cur.text())
		}
		return
	}
	if a.Kind == core.AlertDiskFull {
		a.Message = "Uploads are stopped: " + a.Message + ". Free some space on it: the uploads go on by themselves once there is room, and nothing already sent is sent again."
	}
	s := &shownAlert{kind: a.Kind, message: a.Message, files: map[string]bool{}}
	for _, f := range a.Files {
		s.files[f] = true
	}
	s.title, s.action, s.do = c.describe(a.Kind)
	c.enqueue(s)
	if c.u.settings.Notifications && a.Kind != core.AlertKind("info") {
		c.u.app.SendNotification(fyne.NewNotification("C2C Uploader: "+s.title, firstLine(a.Message)))
	}
}

// info shows a plain message in the same one-at-a-time way (errors of user commands,
// rejected files).
func (c *alertCenter) info(title, message string) {
	c.enqueue(&shownAlert{kind: "info", title: title, message: message, files: map[string]bool{}})
}

// ask shows a message with an action besides closing it.
func (c *alertCenter) ask(title, message, action string, do func()) {
	c.enqueue(&shownAlert{kind: "info", title: title, message: message, files: map[string]bool{}, action: action, do: do})
}

// notice shows a start-up warning; its button says it was read, which stops it from
// being shown again.
func (c *alertCenter) notice(message string) {
	c.enqueue(&shownAlert{kind: "notice", title: "Please read", message: message, files: map[string]bool{},
		confirm: "I have read this", done: func() {
			if c.u.opts.AcknowledgeNotices == nil {
				return
			}
			c.u.p.do("The warning could not be marked as read", func(context.Context) error { return c.u.opts.AcknowledgeNotices() })
		}})
}

func (c *alertCenter) find(kind core.AlertKind) *shownAlert {
	if kind == "info" || kind == "notice" {
		return nil
	}
	if c.showing != nil && c.showing.kind == kind {
		return c.showing
	}
	for _, s := range c.queue {
		if s.kind == kind {
			return s
		}
	}
	return nil
}

func (c *alertCenter) enqueue(s *shownAlert) {
	c.queue = append(c.queue, s)
	if c.showing == nil {
		c.next()
	}
}

func (c *alertCenter) next() {
	if len(c.queue) == 0 {
		c.showing = nil
		return
	}
	s := c.queue[0]
	c.queue = c.queue[1:]
	c.showing = s
	s.body = widget.NewLabel(s.text())
	s.body.Wrapping = fyne.TextWrapWord
	var content fyne.CanvasObject = s.body
	switch {
	case s.do != nil && (s.kind == "info" || s.kind == core.AlertChannelPaused):
		// An offer, not the way out: closing is the default, the action a plain button
		// (sending 80 files again must not look like the obvious next step).
		do := s.do
		var b *widget.Button
		b = widget.NewButton(s.action, func() {
			b.Disable()
			s.dlg.Hide()
			do()
		})
		b.Importance = widget.LowImportance
		content = container.NewBorder(nil, container.NewHBox(b), nil, nil, s.body)
		dismiss := "Close"
		if s.kind == core.AlertChannelPaused {
			dismiss = "OK"
		}
		s.dlg = dialog.NewCustom(s.title, dismiss, content, c.u.win)
	case s.do != nil:
		dismiss := "Later"
		if s.kind == core.AlertOtherProject {
			dismiss = "Keep them for their project"
		}
		s.dlg = dialog.NewCustomConfirm(s.title, s.action, dismiss, content, func(ok bool) {
			if ok {
				s.do()
			}
		}, c.u.win)
	case s.confirm != "":
		s.dlg = dialog.NewCustom(s.title, s.confirm, content, c.u.win)
		done := s.done
		s.dlg.SetOnClosed(func() {
			if done != nil {
				done()
			}
			c.next()
		})
		s.dlg.Resize(fyne.NewSize(560, 0))
		s.dlg.Show()
		return
	default:
		s.dlg = dialog.NewCustom(s.title, "OK", content, c.u.win)
	}
	s.dlg.SetOnClosed(func() { c.next() })
	s.dlg.Resize(fyne.NewSize(520, 0))
	s.dlg.Show()
}

// Showing is the kind of the dialog on screen ("" when none), for tests.
func (c *alertCenter) Showing() core.AlertKind {
	if c.showing == nil {
		return ""
	}
	return c.showing.kind
}

func (s *shownAlert) text() string {
	msg := s.message
	if len(s.files) == 0 {
		return msg
	}
	names := make([]string, 0, len(s.files))
	for f := range s.files {
		names = append(names, f)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(msg)
	switch s.kind {
	case core.AlertChannelPaused:
		if len(names) == 1 {
			b.WriteString("\n\nThis file was recorded while the device was paused, and the project refuses media from that time even after it resumes. It stays on disk and in the list; Upload anyway sends it as new media, dated by when it arrives:\n")
		} else {
			fmt.Fprintf(&b, "\n\nThese %d files were recorded while the device was paused, and the project refuses media from that time even after it resumes. They stay on disk and in the list; Upload anyway sends them as new media, dated by when they arrive:\n", len(names))
		}
	case core.AlertOtherProject:
		fmt.Fprintf(&b, "\n\n%s:\n", format.Counted(len(names), "file held", "files held"))
	default:
		fmt.Fprintf(&b, "\n\nFiles concerned (%d):\n", len(names))
	}
	for i, n := range names {
		if i == 15 {
			fmt.Fprintf(&b, "…and %d more", len(names)-i)
			break
		}
		b.WriteString("• " + n + "\n")
	}
	return strings.TrimSpace(b.String())
}

// describe gives each kind its title and, where there is one, the action that fixes it.
func (c *alertCenter) describe(kind core.AlertKind) (title, action string, do func()) {
	switch kind {
	case core.AlertChannelPaused:
		return "Paused in the project", "Upload them anyway…", func() { c.u.confirmUploadAnyway(core.All, 0) }
	case core.AlertReconnect:
		return "Reconnect this computer", "Reconnect", c.u.startPairing
	case core.AlertVersionRejected:
		return "This version is no longer accepted", "", nil
	case core.AlertClientRejected:
		return "This app's credentials were refused", "", nil
	case core.AlertPaymentRequired:
		return "The account cannot take uploads", "", nil
	case core.AlertKeychain:
		if c.u.opts.KeepInTokenFile != nil {
			return "The keychain is not available", "Keep it in an encrypted file…", c.u.askNewTokenFile
		}
		return "The keychain is not available", "", nil
	case core.AlertJournalMovedAway:
		return "The upload history was damaged", "", nil
	case core.AlertOtherProject:
		return "Files queued for another project", "Send them to " + project(c.u.m.auth), func() {
			c.u.p.do("The files could not be sent to this project", func(ctx context.Context) error {
				return c.u.svc.Redirect(ctx, core.All)
			})
		}
	case core.AlertDiskFull:
		return "The disk is full", "", nil
	case core.AlertDiffers:
		return "Files differ from the offload's hash list", "Show them", func() { c.u.queue.pick(filterAttention) }
	}
	return "Attention", "", nil
}

// confirmUploadAnyway asks before sending refused files as new media (n of them; 0: all
// the refused ones) and does it.
func (u *UI) confirmUploadAnyway(sel core.Selector, n int) {
	what := "the files the project refused for the pause"
	if n == 1 {
		what = "this file"
	}
	msg := widget.NewLabel("Send " + what + " as new media? The project files them by when they arrive, not when they were shot, " +
		"and takes them only while it is not pausing this device. Do it if the pause was a mistake or the project asked for them.")
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Upload anyway?", "Upload anyway", "Cancel", msg, func(ok bool) {
		if ok {
			u.p.do("The files could not be sent", func(ctx context.Context) error { return u.svc.UploadAnyway(ctx, sel) })
		}
	}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
