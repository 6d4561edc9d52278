package desktop

import (
	"github.com/c2c-uploader/c2c-uploader/core"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// banner is the strip across the top that says, at a glance, where the uploads go and
// whether they can: connected to the project, offline (next check in N s),
// reconnecting, paused in the project, or needs reconnect.
type banner struct {
	u      *UI
	bg     *canvas.Rectangle
	icon   *widget.Icon
	text   *widget.Label
	action *widget.Button
	root   fyne.CanvasObject
	do     func()
}

type bannerTone int

const (
	toneOK bannerTone = iota
	toneWarn
	toneBad
	toneBusy
)

func newBanner(u *UI) *banner {
	b := &banner{u: u}
	b.bg = canvas.NewRectangle(color.Transparent)
	b.icon = widget.NewIcon(theme.InfoIcon())
	b.text = widget.NewLabel("")
	b.text.TextStyle = fyne.TextStyle{Bold: true}
	b.text.Truncation = fyne.TextTruncateEllipsis
	b.action = widget.NewButton("", func() {
		if b.do != nil {
			b.do()
		}
	})
	b.action.Hide()
	b.root = container.NewStack(b.bg, container.NewBorder(nil, nil, b.icon, b.action, b.text))
	return b
}

func (b *banner) object() fyne.CanvasObject { return b.root }

// state is what the banner says now, from the model.
func (b *banner) state() (tone bannerTone, text, action string, do func()) {
	m := b.u.m
	switch {
	case m.totals.DiskFull:
		return toneBad, "The disk that holds the upload journal is full — uploads wait for room", "", nil
	case m.auth.State == core.NeedsReconnect:
		return toneBad, "Needs reconnecting — " + m.auth.Reason, "Reconnect", b.u.startPairing
	case m.conn.State == core.Offline:
		text := "Offline — the queue waits"
		if !m.conn.NextCheck.IsZero() {
			text = "Offline — next check in " + format.Duration(time.Until(m.conn.NextCheck)) + "; the queue waits"
		}
		return toneWarn, text, "Check now", b.u.svc.CheckConnectionNow
	case m.conn.State == core.Reconnecting:
		return toneBusy, "Reconnecting…", "", nil
	case m.auth.State == core.Refreshing:
		return toneBusy, "Renewing access to the project…", "", nil
	case m.channelPaused:
		// A fact about files refused, not a state: the API tells no resume, and this
		// stays true after it (the banner used to say "Paused" long after the project
		// had resumed).
		return toneWarn, "Connected to " + project(m.auth) + " — it refused media recorded while this device was paused there", "", nil
	case m.auth.StorageWarning != "" && b.u.opts.KeepInTokenFile != nil:
		return toneWarn, "Connected to " + project(m.auth) + " — but " + m.auth.StorageWarning, "Keep it in a file…", b.u.askNewTokenFile
	case m.auth.StorageWarning != "":
		return toneWarn, "Connected to " + project(m.auth) + " — but " + m.auth.StorageWarning, "", nil
	case m.auth.State == core.Paired:
		return toneOK, "Connected to " + project(m.auth), "", nil
	}
	return toneBusy, "Not connected to a project", "", nil
}

func project(st core.AuthStatus) string {
	if st.ProjectName == "" {
		return "the project"
	}
	return "“" + st.ProjectName + "”"
}

func (b *banner) update() {
	tone, text, action, do := b.state()
	b.text.SetText(text)
	b.do = do
	if action != "" {
		b.action.SetText(action)
		b.action.Show()
	} else {
		b.action.Hide()
	}
	var bg color.Color
	var icon fyne.Resource
	switch tone {
	case toneOK:
		bg, icon = withAlpha(theme.Color(theme.ColorNameSuccess), 0x40), theme.ConfirmIcon()
	case toneWarn:
		bg, icon = withAlpha(theme.Color(theme.ColorNameWarning), 0x48), theme.WarningIcon()
	case toneBad:
		bg, icon = withAlpha(theme.Color(theme.ColorNameError), 0x50), theme.ErrorIcon()
	default:
		bg, icon = withAlpha(theme.Color(theme.ColorNamePrimary), 0x30), theme.InfoIcon()
	}
	b.bg.FillColor = bg
	b.bg.Refresh()
	b.icon.SetResource(icon)
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, bl, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: a}
}
