package desktop

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// verifyShown is how many files that do not match the verify dialog lists by name.
const verifyShown = 50

// receiptsWritten tells the person a batch's receipts are written: what they say and
// the page to open, in a dialog when something needs a look or an offload's hash list was
// compared; otherwise only as a notification, so that a day of drops is not a day of
// dialogs.
func (u *UI) receiptsWritten(r core.Receipts) {
	name := filepath.Base(r.Folder)
	t := r.Totals
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s uploaded", format.Count(t.Files, "file"), format.Counted(t.Done, "was", "were"))
	if r.Offload {
		fmt.Fprintf(&b, "; %s from the offload's hash list", format.Counted(t.Differs, "differs", "differ"))
		if t.NotListed > 0 {
			fmt.Fprintf(&b, ", %s not in it", format.Counted(t.NotListed, "is", "are"))
		}
	}
	if other := t.NeedsAttention - t.Differs; other > 0 {
		fmt.Fprintf(&b, "; %s need a look", format.Count(other, "other file"))
	}
	b.WriteString(".\nThe report is in the reports folder")
	if len(r.HashLists) > 0 {
		fmt.Fprintf(&b, "; the hash list (ASC MHL) went to %s", filepath.Dir(r.HashLists[0]))
	}
	b.WriteString(".")
	for _, p := range r.Problems {
		b.WriteString("\n• " + p)
	}
	title := "Receipts of " + name
	if !r.Offload && t.NeedsAttention == 0 && len(r.Problems) == 0 {
		if u.settings.Notifications {
			u.app.SendNotification(fyne.NewNotification("C2C Uploader: "+title, firstLine(b.String())))
		}
		return
	}
	if r.Report.HTML == "" {
		u.alerts.info(title, b.String())
		return
	}
	page := r.Report.HTML
	u.alerts.ask(title, b.String(), "Open the report", func() { u.openFile(page) })
}

// openFile opens a file with the system's application for it.
func (u *UI) openFile(path string) {
	link, err := url.Parse(storage.NewFileURI(path).String())
	if err == nil {
		err = u.openURL(link)
	}
	if err != nil {
		u.showError("The file could not be opened; it is "+path, err)
	}
}

// askVerify asks for a folder and verifies its files: hashed again off Fyne's goroutine,
// compared with what was sent and the offload's hash lists.
func (u *UI) askVerify() {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		u.verify(dir.Path())
	}, u.win)
	d.Show()
}

// verify checks the files at path and shows what it found.
func (u *UI) verify(path string) {
	progress := dialog.NewCustomWithoutButtons("Verifying "+filepath.Base(path)+"…", widget.NewProgressBarInfinite(), u.win)
	progress.Show()
	go func() {
		results, problems, err := u.svc.Verify(context.Background(), []string{path})
		fyne.Do(func() {
			progress.Hide()
			if err != nil {
				u.showError("The files could not be verified", err)
				return
			}
			u.showVerified(path, results, problems)
		})
	}()
}

// showVerified says whether every file matches, and lists those that do not.
func (u *UI) showVerified(path string, results []core.VerifyResult, problems []string) {
	var bad []core.VerifyResult
	for _, r := range results {
		if !r.OK() {
			bad = append(bad, r)
		}
	}
	title := "All " + format.Count(len(results), "file") + " match"
	var b strings.Builder
	switch {
	case len(results) == 0:
		title = "Nothing to verify"
		b.WriteString("No file was found in " + path + ".")
	case len(bad) == 0:
		b.WriteString("Every file in " + path + " was uploaded and matches what was sent and the offload's hash lists.")
	default:
		title = fmt.Sprintf("%d of %s do not match", len(bad), format.Count(len(results), "file"))
		for i, r := range bad {
			if i == verifyShown {
				fmt.Fprintf(&b, "…and %d more.\n", len(bad)-verifyShown)
				break
			}
			rel, err := filepath.Rel(path, r.Path)
			if err != nil {
				rel = r.Path
			}
			fmt.Fprintf(&b, "%s (%s): %s\n", rel, r.Verdict, r.Detail)
		}
	}
	for _, p := range problems {
		b.WriteString("\nThe offload's hash list: " + p)
	}
	text := widget.NewLabel(strings.TrimSpace(b.String()))
	text.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(text)
	scroll.SetMinSize(fyne.NewSize(560, 220))
	dialog.NewCustom(title, "Close", scroll, u.win).Show()
}
