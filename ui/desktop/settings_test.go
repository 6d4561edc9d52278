package desktop

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// The settings form refuses what the engine or the API client would refuse, in words,
// before anything is saved.
func TestSettingsValidators(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	var f *settingsForm
	onUI(func() { f = d.ui.newSettingsForm(func(upload.Settings, bool, string) {}) })
	cases := []struct {
		field *widget.Entry
		name  string
		ok    []string
		bad   []string
	}{
		{f.files, "parallel files", []string{"1", "2", "16", " 8 "}, []string{"0", "17", "-1", "", "two", "1.5"}},
		{f.chunks, "parallel chunks", []string{"1", "4", "32"}, []string{"0", "33", "", "x"}},
		{f.bandwidth, "bandwidth", []string{"", "0", "0.0625", "1.5", "100"}, []string{"-1", "-0.5", "0.01", "0.06", "fast"}},
		{f.apiURL, "API URL", []string{"", "https://api.frame.io", "https://api.example.com/v2", "http://127.0.0.1:8080", "http://localhost:9000"},
			[]string{"http://example.com", "http://10.0.0.1:8080", "ftp://api.example.com", "not a url"}},
	}
	for _, c := range cases {
		for _, v := range c.ok {
			onUI(func() {
				c.field.SetText(v)
				if err := c.field.Validate(); err != nil {
					t.Errorf("%s %q refused: %v", c.name, v, err)
				}
			})
		}
		for _, v := range c.bad {
			onUI(func() {
				c.field.SetText(v)
				err := c.field.Validate()
				if err == nil {
					t.Errorf("%s %q accepted", c.name, v)
				} else if err.Error() == "" {
					t.Errorf("%s %q refused without a reason", c.name, v)
				}
				if _, err := f.values(); err == nil {
					t.Errorf("the form gives values with %s %q", c.name, v)
				}
				c.field.SetText("")
			})
		}
		onUI(func() { // back to a valid value for the next field's cases
			switch c.field {
			case f.files:
				c.field.SetText("2")
			case f.chunks:
				c.field.SetText("4")
			}
		})
	}
}

// findButtonWithIcon is the visible button under o that shows icon.
func findButtonWithIcon(o fyne.CanvasObject, icon fyne.Resource) *widget.Button {
	for _, c := range visibleObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Icon != nil && b.Icon.Name() == icon.Name() {
			return b
		}
	}
	return nil
}

// settingsDialog opens the settings from the toolbar and returns its form.
func (d *desk) settingsDialog() *widget.Form {
	d.t.Helper()
	var form *widget.Form
	onUI(func() {
		b := findButtonWithIcon(d.win.Content(), theme.SettingsIcon())
		if b == nil {
			d.t.Fatal("no settings button in the toolbar")
		}
		test.Tap(b)
		for _, o := range d.overlays() {
			for _, c := range visibleObjects(o) {
				if f, ok := c.(*widget.Form); ok {
					form = f
				}
			}
		}
	})
	if form == nil {
		d.t.Fatal("the settings dialog shows no form")
	}
	return form
}

func formEntry(f *widget.Form, label string) *widget.Entry {
	for _, it := range f.Items {
		if it.Text == label {
			if e, ok := it.Widget.(*widget.Entry); ok {
				return e
			}
		}
	}
	return nil
}

// Saving the settings applies them to the running engine and keeps them in the app's
// preferences; an invalid form saves nothing.
func TestSettingsSavePersistsAndApplies(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	d.settled()
	form := d.settingsDialog()
	prefs := d.app.Preferences()
	onUI(func() {
		if got := formEntry(form, "Parallel files").Text; got != "2" {
			t.Errorf("the form opens with %q parallel files, want the engine's 2", got)
		}
		formEntry(form, "Parallel files").SetText("17")
		save := findButton(d.overlays()[0], "Save")
		if save == nil {
			t.Fatal("no Save button")
		}
		test.Tap(save)
	})
	if s := d.svc.Settings(); s != upload.DefaultSettings() {
		t.Errorf("an invalid form changed the settings to %+v", s)
	}
	onUI(func() {
		if len(d.overlays()) != 1 {
			t.Error("an invalid form closed the dialog")
		}
		if prefs.IntWithFallback(prefParallelFiles, -1) != -1 {
			t.Error("an invalid form was saved")
		}
	})

	onUI(func() {
		formEntry(form, "Parallel files").SetText("3")
		formEntry(form, "Parallel chunks").SetText("8")
		formEntry(form, "Bandwidth limit").SetText("1.5")
		formEntry(form, "API URL").SetText("https://api.example.com")
		for _, it := range form.Items {
			switch w := it.Widget.(type) {
			case *widget.RadioGroup:
				w.SetSelected(offsetToday)
			case *widget.Check:
				w.SetChecked(false)
			}
		}
		test.Tap(findButton(d.overlays()[0], "Save"))
	})
	want := upload.Settings{ParallelFiles: 3, ParallelChunks: 8, BandwidthLimit: 3 << 19, OffsetFromNow: true}
	if s := d.svc.Settings(); s != want {
		t.Errorf("the engine runs with %+v, want %+v", s, want)
	}
	onUI(func() {
		if n := len(d.overlays()); n != 0 {
			t.Errorf("%d dialogs after Save", n)
		}
		if got := newSettingsStore(prefs).upload(upload.DefaultSettings()); got != want {
			t.Errorf("the preferences hold %+v", got)
		}
		if SavedAPIURL(prefs) != "https://api.example.com" {
			t.Errorf("saved API URL %q", SavedAPIURL(prefs))
		}
		if d.ui.settings.notifications() {
			t.Error("notifications are still on")
		}
	})

	// Opened again, the form shows what was saved.
	form = d.settingsDialog()
	onUI(func() {
		for label, want := range map[string]string{
			"Parallel files": "3", "Parallel chunks": "8", "Bandwidth limit": "1.5", "API URL": "https://api.example.com",
		} {
			if got := formEntry(form, label).Text; got != want {
				t.Errorf("%s shows %q, want %q", label, got, want)
			}
		}
	})
}

// Settings saved in an earlier run are applied to the service when the window starts.
func TestSettingsSavedAreAppliedAtStart(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, noStart: true})
	prefs := d.app.Preferences()
	prefs.SetInt(prefParallelFiles, 5)
	prefs.SetInt(prefParallelChunks, 12)
	prefs.SetFloat(prefBandwidth, 0.25)
	prefs.SetBool(prefOffsetFromNow, true)
	onUI(func() { d.ui.Start(d.ctx) })
	want := upload.Settings{ParallelFiles: 5, ParallelChunks: 12, BandwidthLimit: 256 << 10, OffsetFromNow: true}
	if s := d.svc.Settings(); s != want {
		t.Errorf("the engine runs with %+v, want %+v", s, want)
	}
}

// Saved settings the engine refuses (an older version's, or edited by hand) are
// reported once, and the engine keeps its own.
func TestSettingsInvalidSavedAreReported(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, noStart: true})
	d.app.Preferences().SetInt(prefParallelFiles, 99)
	onUI(func() { d.ui.Start(d.ctx) })
	if s := d.svc.Settings(); s != upload.DefaultSettings() {
		t.Errorf("the engine took %+v", s)
	}
	onUI(func() {
		if d.ui.alerts.Showing() != "info" || len(d.overlays()) != 1 {
			t.Errorf("no dialog tells of the refused settings (showing %q)", d.ui.alerts.Showing())
		}
	})
}
