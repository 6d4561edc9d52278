package desktop

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
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
	s := &shownAlert{kind: a.Kind, message: a.Message, files: map[string]bool{}}
	for _, f := range a.Files {
		s.files[f] = true
	}
	s.title, s.action, s.do = c.describe(a.Kind)
	c.enqueue(s)
	if c.u.settings.notifications() && a.Kind != core.AlertKind("info") {
		c.u.app.SendNotification(fyne.NewNotification("C2C Uploader: "+s.title, firstLine(a.Message)))
	}
}

// info shows a plain message in the same one-at-a-time way (errors of user commands,
// rejected files).
func (c *alertCenter) info(title, message string) {
	c.enqueue(&shownAlert{kind: "info", title: title, message: message, files: map[string]bool{}})
}

func (c *alertCenter) find(kind core.AlertKind) *shownAlert {
	if kind == "info" {
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
	if s.do != nil {
		s.dlg = dialog.NewCustomConfirm(s.title, s.action, "Later", content, func(ok bool) {
			if ok {
				s.do()
			}
		}, c.u.win)
	} else {
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
			b.WriteString("\n\nThis file was recorded while the device was paused and will not be uploaded (it stays on disk; Retry sends it if the project resumes and accepts it):\n")
		} else {
			fmt.Fprintf(&b, "\n\nThese %d files were recorded while the device was paused and will not be uploaded (they stay on disk; Retry sends them if the project resumes and accepts them):\n", len(names))
		}
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
		return "Paused in the project", "", nil
	case core.AlertReconnect:
		return "Reconnect this computer", "Reconnect", c.u.startPairing
	case core.AlertVersionRejected:
		return "This version is no longer accepted", "", nil
	case core.AlertClientRejected:
		return "This app's credentials were refused", "", nil
	case core.AlertPaymentRequired:
		return "The account cannot take uploads", "", nil
	case core.AlertKeychain:
		return "The keychain is not available", "", nil
	case core.AlertJournalMovedAway:
		return "The upload history was damaged", "", nil
	}
	return "Attention", "", nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
