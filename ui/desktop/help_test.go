package desktop

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// The help menu opens the log and data folders in the file manager, and copies
// diagnostics that name the version, the API, the folders, the state and the log's end,
// without a secret even if one had reached the log.
func TestHelpMenuOpensFoldersAndCopiesDiagnostics(t *testing.T) {
	data := t.TempDir()
	logs := filepath.Join(data, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for i := range 100 {
		log.WriteString("time=2026-12-03T10:00:00Z level=INFO msg=\"line " + string(rune('a'+i%26)) + "\"\n")
	}
	log.WriteString(`time=2026-12-03T10:00:01Z level=DEBUG msg=request url="https://s3.example.com/b/k?X-Amz-Signature=deadbeef1234" refresh_token=sekret-refresh` + "\n")
	if err := os.WriteFile(filepath.Join(logs, "c2c-uploader.log"), []byte(log.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, deskConfig{paired: true, opts: Options{
		Version: "1.2.3", APIURL: "https://api.example.com", DataDir: data, LogDir: logs, LogFile: "c2c-uploader.log", TokenStore: "keychain",
	}})
	d.settled()
	var opened []string
	onUI(func() {
		d.ui.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	})

	menu := uiValue(d.ui.helpMenu)
	item := func(label string) *fyne.MenuItem {
		for _, it := range menu.Items {
			if it.Label == label {
				return it
			}
		}
		t.Fatalf("no %q in the help menu", label)
		return nil
	}
	onUI(func() {
		item("Open the log folder").Action()
		item("Open the data folder").Action()
	})
	if want := []string{"file://" + logs, "file://" + data}; strings.Join(opened, " ") != strings.Join(want, " ") {
		t.Errorf("opened %q, want %q", opened, want)
	}

	onUI(func() { item("Copy diagnostics").Action() })
	d.eventually("the diagnostics are on the clipboard", func() bool { return d.app.Clipboard().Content() != "" })
	got := uiValue(func() string { return d.app.Clipboard().Content() })
	for _, want := range []string{"C2C Uploader 1.2.3", "API: https://api.example.com", "Data folder: " + data,
		"Pairing: paired with “Desk Tests” (tokens in the keychain)", "Queue: 0 files", "parallel-files=2", "msg=\"line v\"", "msg=request"} {
		if !strings.Contains(got, want) {
			t.Errorf("the diagnostics lack %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"deadbeef1234", "sekret-refresh"} {
		if strings.Contains(got, secret) {
			t.Errorf("the diagnostics hold the secret %q", secret)
		}
	}
	if n := strings.Count(got, "\n"); n > diagnosticsLogLines+20 {
		t.Errorf("the diagnostics run to %d lines", n)
	}

	// The toolbar's button opens the menu.
	onUI(func() {
		test.Tap(findButtonWithIcon(d.win.Content(), theme.HelpIcon()))
		if !hasTextIn(d.overlays(), "Copy diagnostics") {
			t.Error("the toolbar's help button shows no menu")
		}
	})
}

func hasTextIn(objs []fyne.CanvasObject, s string) bool {
	for _, o := range objs {
		if hasText(o, s) {
			return true
		}
	}
	return false
}
