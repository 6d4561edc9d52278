package desktop

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/redact"
)

// diagnosticsLogLines is how much of the log's end the diagnostics carry.
const diagnosticsLogLines = 60

// helpMenu is what the person needs when something goes wrong, or to say which version
// they run: the log and data folders, the diagnostics to paste into a message, About.
// It is the toolbar's menu button everywhere, and the Help menu of a Mac's menu bar.
func (u *UI) helpMenu() *fyne.Menu {
	return fyne.NewMenu("Help",
		fyne.NewMenuItem("Open the reports folder", func() { u.openFolder(u.opts.ReportsDir) }),
		fyne.NewMenuItem("Verify files…", u.askVerify),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open the log folder", func() { u.openFolder(u.opts.LogDir) }),
		fyne.NewMenuItem("Open the data folder", func() { u.openFolder(u.opts.DataDir) }),
		fyne.NewMenuItem("Copy diagnostics", u.copyDiagnostics),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("About C2C Uploader", u.showAbout),
	)
}

// openFolder shows a folder in the system's file manager.
func (u *UI) openFolder(dir string) {
	if dir == "" {
		u.alerts.info("No folder", "This window was started without one.")
		return
	}
	uri := storage.NewFileURI(dir)
	link, err := url.Parse(uri.String())
	if err == nil {
		err = u.openURL(link)
	}
	if err != nil {
		u.showError("The folder could not be opened; it is "+dir, err)
	}
}

// copyDiagnostics puts what a support message needs on the clipboard: versions, where
// the app keeps things, its state and the log's end — with secrets scrubbed again,
// although the log never writes them.
func (u *UI) copyDiagnostics() {
	state := u.diagnostics()
	// The log is read off Fyne's goroutine: it may be large, or on a slow disk.
	u.p.offUI(u.ctx, func() func() {
		text := redact.String(state+u.logTail(), nil)
		return func() {
			u.app.Clipboard().SetContent(text)
			u.alerts.info("Diagnostics copied", "Paste them into your message to support. They hold no tokens, secrets or signed links.")
		}
	})
}

// diagnostics is the window's state in words, for copyDiagnostics.
func (u *UI) diagnostics() string {
	var b strings.Builder
	fmt.Fprintf(&b, "C2C Uploader %s (%s/%s, %s, Fyne %s)\n", u.opts.Version, runtime.GOOS, runtime.GOARCH, runtime.Version(), moduleVersion("fyne.io/fyne/v2"))
	fmt.Fprintf(&b, "Copied: %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(&b, "API: %s\n", u.opts.APIURL)
	fmt.Fprintf(&b, "Data folder: %s\n", u.opts.DataDir)
	fmt.Fprintf(&b, "Log folder: %s\n", u.opts.LogDir)
	a := u.m.auth
	fmt.Fprintf(&b, "Pairing: %s", a.State)
	if a.ProjectName != "" {
		fmt.Fprintf(&b, " with “%s”", a.ProjectName)
	}
	if u.opts.TokenStore != "" {
		fmt.Fprintf(&b, " (tokens in the %s)", u.opts.TokenStore)
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, ": %s", a.Reason)
	}
	b.WriteString("\n")
	c := u.m.conn
	fmt.Fprintf(&b, "Connection: %s", c.State)
	if !c.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", c.Since.Format(time.RFC3339))
	}
	if c.Reason != "" {
		fmt.Fprintf(&b, ": %s", c.Reason)
	}
	b.WriteString("\n")
	t := u.m.totals
	fmt.Fprintf(&b, "Queue: %s, %d to go (%s not yet acknowledged), %d done, %d failed, %d skipped, %d held, %d cancelled\n",
		format.Count(t.Files, "file"), t.FilesRemaining, format.Bytes(t.BytesRemaining), t.Done, t.Failed, t.Skipped, t.Held, t.Cancelled)
	b.WriteString("Settings:")
	in := u.svc.Settings()
	for _, k := range core.SettingKeys() {
		fmt.Fprintf(&b, " %s=%s", k.Name, k.Value(in))
	}
	b.WriteString("\n")
	return b.String()
}

// logTail is the log's last lines for the diagnostics (it reads the disk).
func (u *UI) logTail() string {
	if u.opts.LogFile == "" {
		return ""
	}
	lines, err := lastLines(filepath.Join(u.opts.LogDir, u.opts.LogFile), diagnosticsLogLines)
	if err != nil {
		return fmt.Sprintf("Log: not readable (%v)\n", err)
	}
	return fmt.Sprintf("Log (the last %d lines of %s):\n%s\n", len(lines), u.opts.LogFile, strings.Join(lines, "\n"))
}

// lastLines is the last n lines of a file.
func lastLines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The log rotates at 10 MB: reading the end of it is enough.
	if fi, err := f.Stat(); err == nil && fi.Size() > 1<<20 {
		if _, err := f.Seek(-1<<20, 2); err != nil {
			return nil, err
		}
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines, sc.Err()
}

// moduleVersion is the version of a module built into the app, "unknown" outside a
// module build.
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}

func (u *UI) showAbout() {
	text := fmt.Sprintf("C2C Uploader %s\n\nUploads camera media to a project through the Camera to Cloud API.\n\nAPI: %s\nData folder: %s\nBuilt with %s and Fyne %s for %s/%s.",
		u.opts.Version, u.opts.APIURL, u.opts.DataDir, runtime.Version(), moduleVersion("fyne.io/fyne/v2"), runtime.GOOS, runtime.GOARCH)
	dialog.ShowInformation("About C2C Uploader", text, u.win)
}

// showHelpMenu pops the help menu up under the toolbar's button.
func (u *UI) showHelpMenu(from fyne.CanvasObject) {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(from).Add(fyne.NewPos(0, from.Size().Height))
	widget.ShowPopUpMenuAtPosition(u.helpMenu(), u.win.Canvas(), pos)
}
