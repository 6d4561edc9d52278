package desktop

import (
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// The details dialog's form: wide enough for a path, tall enough for a file's record.
const (
	detailsWidth  = 560
	detailsHeight = 320
)

// fileDetails lists what is known of a file, a line per fact, leaving out what is not
// known yet.
func fileDetails(v core.FileView) []*widget.FormItem {
	var items []*widget.FormItem
	add := func(label, value string) {
		if value == "" {
			return
		}
		l := widget.NewLabel(value)
		l.Wrapping = fyne.TextWrapWord
		items = append(items, widget.NewFormItem(label, l))
	}
	add("Name", v.Name)
	add("Folder", filepath.Dir(v.Path))
	add("Size", format.Bytes(v.Size))
	label, _ := stateLabel(v)
	add("State", label)
	add("Project", v.Project)
	add("Asset ID", v.AssetID)
	if !v.AddedAt.IsZero() {
		add("Added", v.AddedAt.Local().Format("2 Jan 2006 15:04:05"))
	}
	if !v.DoneAt.IsZero() {
		add("Uploaded", v.DoneAt.Local().Format("2 Jan 2006 15:04:05"))
	}
	for _, h := range v.Hashes {
		add("Sent ("+string(h.Format)+")", h.Value)
	}
	if v.HashList != "" {
		add("Hash list", verdictText(v))
	}
	if v.State != core.Done {
		add("Last problem", v.Error)
	}
	return items
}

// verdictText says how the file compares with the offload's hash list.
func verdictText(v core.FileView) string {
	switch v.Verdict() {
	case core.VerdictMatched:
		return "matches the offload's " + string(v.Offload.Format) + " (" + v.HashList + ")"
	case core.VerdictDiffers:
		return "differs from the offload's " + string(v.Offload.Format) + " " + v.Offload.Value + " (" + v.HashList + ")"
	case core.VerdictNotListed:
		return "not listed in the offload's hash list (" + v.HashList + ")"
	}
	return "to be compared with the offload's " + string(v.Offload.Format) + " (" + v.HashList + ")"
}

// showDetails shows a file's record: where it came from, where it went (the project and
// the asset), when, and what last went wrong, with its asset id to copy into a report or
// a message to the post house.
func (u *UI) showDetails(v core.FileView) {
	copyID := widget.NewButtonWithIcon("Copy asset ID", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.AssetID)
	})
	if v.AssetID == "" {
		copyID.Disable()
	}
	// The values wrap at the dialog's width, so the form scrolls in a fixed height
	// rather than taking the height of its lines unwrapped.
	form := container.NewVScroll(widget.NewForm(fileDetails(v)...))
	form.SetMinSize(fyne.NewSize(detailsWidth, detailsHeight))
	dialog.ShowCustom(v.Name, "Close", container.NewBorder(nil, container.NewHBox(copyID), nil, nil, form), u.win)
}
