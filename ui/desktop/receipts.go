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

// receiptsWritten tells the person a batch's receipts are written, with the page to open;
// problems writing them are said too.
func (u *UI) receiptsWritten(r core.Receipts) {
	name := filepath.Base(r.Folder)
	var b strings.Builder
	fmt.Fprintf(&b, "The report of %s is in the reports folder", name)
	if len(r.HashLists) > 0 {
		fmt.Fprintf(&b, ", and its hash list (ASC MHL) went to %s", filepath.Dir(r.HashLists[0]))
	}
	b.WriteString(".")
	for _, p := range r.Problems {
		b.WriteString("\n• " + p)
	}
	if r.Report.HTML == "" {
		u.alerts.info("Receipts of "+name, b.String())
		return
	}
	page := r.Report.HTML
	u.alerts.ask("Receipts of "+name, b.String(), "Open the report", func() { u.openFile(page) })
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
		b.WriteString("Every file in " + path + " matches what was uploaded and the offload's hash lists.")
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
