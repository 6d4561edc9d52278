package desktop

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/store/settings"
)

// The settings form refuses what the engine or the API client would refuse, in words,
// before anything is saved.
func TestSettingsValidators(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	var f *settingsForm
	onUI(func() { f = d.ui.newSettingsForm(func(core.Settings, core.Settings) {}) })
	cases := []struct {
		field *widget.Entry
		name  string
		ok    []string
		bad   []string
	}{
		{f.files, "parallel files", []string{"1", "2", "16", " 8 "}, []string{"0", "17", "-1", "", "two", "1.5"}},
		{f.chunks, "parallel chunks", []string{"1", "4", "32"}, []string{"0", "33", "", "x"}},
		{f.bandwidth, "bandwidth", []string{"", "0", "64KiB/s", "1.5MiB/s", "5MB/s", "40Mbit/s", "100 MB/s"}, []string{"-1", "-0.5MB/s", "10KB/s", "1.5", "fast", "5 mb/s"}},
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

// formEntry is the text field of the form's item labelled label (beside a preset, for
// the bandwidth); formSelect its choice list.
func formEntry(f *widget.Form, label string) *widget.Entry {
	return formWidget[*widget.Entry](f, label)
}

func formSelect(f *widget.Form, label string) *widget.Select {
	return formWidget[*widget.Select](f, label)
}

func formWidget[T fyne.CanvasObject](f *widget.Form, label string) T {
	var zero T
	for _, it := range f.Items {
		if it.Text != label {
			continue
		}
		for _, o := range visibleObjects(it.Widget) {
			if w, ok := o.(T); ok {
				return w
			}
		}
	}
	return zero
}

// newStore is a data folder's settings store for a test.
func newStore(t *testing.T) *settings.Store { return settings.New(t.TempDir()) }

func loadStore(t *testing.T, st *settings.Store) core.SavedSettings {
	t.Helper()
	saved, err := st.Load()
	if err != nil {
		t.Fatalf("loading the settings: %v", err)
	}
	return saved
}

// Saving the settings applies them to the running engine and keeps in the data folder's
// settings what was changed, and only that; an invalid form saves nothing.
func TestSettingsSavePersistsAndApplies(t *testing.T) {
	st := newStore(t)
	d := newDesk(t, deskConfig{paired: true, run: true, opts: Options{SettingsStore: st}})
	d.settled()
	form := d.settingsDialog()
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
	if s := d.svc.Settings().Upload(); s != upload.DefaultSettings() {
		t.Errorf("an invalid form changed the settings to %+v", s)
	}
	onUI(func() {
		if len(d.overlays()) != 1 {
			t.Error("an invalid form closed the dialog")
		}
	})
	if _, err := os.Stat(st.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid form wrote %s (%v)", st.Path(), err)
	}

	onUI(func() {
		formEntry(form, "Parallel files").SetText("3")
		formEntry(form, "Parts per file").SetText("8")
		formEntry(form, "Bandwidth limit").SetText("1.5MiB/s")
		formEntry(form, "API URL").SetText("https://api.example.com")
		for _, it := range form.Items {
			switch w := it.Widget.(type) {
			case *widget.RadioGroup:
				w.SetSelected(offsetToday)
			case *widget.Check:
				w.SetChecked(false)
			}
		}
		if got := formSelect(form, "Upload speed").Selected; got != speedCustom {
			t.Errorf("3 files × 8 parts show as the speed %q, want %q", got, speedCustom)
		}
		if got := formSelect(form, "Hash").Selected; got != "xxh64"+hashRecommended {
			t.Errorf("the hash shows as %q, want the default", got)
		}
		formSelect(form, "Hash").SetSelected("md5")
		formSelect(form, "Hash lists").SetSelected(hashListChoices[2].label)
		formSelect(form, "Camera cards").SetSelected(cardChoices[1].label)
		if got := formSelect(form, "Finished files").Selected; got != keepChoices[0].label {
			t.Errorf("finished files show as kept %q, want the default %q", got, keepChoices[0].label)
		}
		formSelect(form, "Finished files").SetSelected("Until I clear them")
		test.Tap(findButton(d.overlays()[0], "Save"))
	})
	want := upload.DefaultSettings()
	want.ParallelFiles, want.ParallelChunks, want.BandwidthLimit, want.OffsetFromNow, want.HashFormat = 3, 8, 3<<19, true, "md5"
	want.KeepFinished = 0
	if s := d.svc.Settings().Upload(); s != want {
		t.Errorf("the engine runs with %+v, want %+v", s, want)
	}
	if got := d.svc.Settings().HashLists; got != core.HashListsReports {
		t.Errorf("hash lists go %q, want %q", got, core.HashListsReports)
	}
	wantSaved := map[string]string{"parallel-files": "3", "parallel-chunks": "8", "bandwidth": "1.5MiB/s",
		"offset-from-now": "true", "notifications": "false", "api": "https://api.example.com",
		"hash": "md5", "hash-lists": "reports", "keep-awake": "false", "cards": "always", "keep-finished": "forever"}
	d.eventually("the settings are saved in the data folder", func() bool { return len(loadStore(t, st).Saved) == len(wantSaved) })
	if saved := loadStore(t, st).Saved; !maps.Equal(saved, wantSaved) {
		t.Errorf("the data folder holds %v, want %v", saved, wantSaved)
	}
	onUI(func() {
		if n := len(d.overlays()); n != 0 {
			t.Errorf("%d dialogs after Save", n)
		}
		if d.ui.settings.Notifications {
			t.Error("notifications are still on")
		}
	})

	// Opened again, the form shows what was saved; emptying the API URL takes it back to
	// the default, and the other keys stay as they are.
	form = d.settingsDialog()
	onUI(func() {
		for label, want := range map[string]string{
			"Parallel files": "3", "Parts per file": "8", "Bandwidth limit": "1.5MiB/s", "API URL": "https://api.example.com",
		} {
			if got := formEntry(form, label).Text; got != want {
				t.Errorf("%s shows %q, want %q", label, got, want)
			}
		}
		formEntry(form, "API URL").SetText("")
		test.Tap(findButton(d.overlays()[0], "Save"))
	})
	delete(wantSaved, "api")
	d.eventually("the API setting is reset", func() bool { return len(loadStore(t, st).Saved) == len(wantSaved) })
	if saved := loadStore(t, st).Saved; !maps.Equal(saved, wantSaved) {
		t.Errorf("after emptying the API URL the data folder holds %v, want %v", saved, wantSaved)
	}
}

// The dialog shows the settings as `c2c-uploader settings set` left them in the data
// folder (the window reads them when it starts), and saving it keeps a change the
// command line made while the window was open.
func TestSettingsDialogShowsWhatTheCommandLineSet(t *testing.T) {
	st := newStore(t)
	if err := st.Set(map[string]string{"bandwidth": "1MB/s", "parallel-chunks": "8", "notifications": "false", "api": "http://127.0.0.1:9",
		"keep-finished": "12h"}); err != nil {
		t.Fatal(err)
	}
	saved := loadStore(t, st) // as main reads them at start
	d := newDesk(t, deskConfig{paired: true, run: true, settings: saved.Settings.Upload(),
		opts: Options{Settings: saved.Settings, SettingsStore: st}})
	d.settled()
	form := d.settingsDialog()
	onUI(func() {
		for label, want := range map[string]string{
			"Parallel files": "2", "Parts per file": "8", "Bandwidth limit": "1MB/s", "API URL": "http://127.0.0.1:9",
		} {
			if got := formEntry(form, label).Text; got != want {
				t.Errorf("%s shows %q, want %q as set on the command line", label, got, want)
			}
		}
		for _, it := range form.Items {
			if c, ok := it.Widget.(*widget.Check); ok && it.Text == "Notifications" && c.Checked {
				t.Error("notifications show as on, though the command line turned them off")
			}
		}
		if got := formSelect(form, "Finished files").Selected; got != "12h (as set on the command line)" {
			t.Errorf("finished files show as kept %q, want the command line's 12h", got)
		}
	})

	// The command line changes a setting while the window is open; the person then
	// saves another one in the dialog.
	if err := st.Set(map[string]string{"parallel-files": "5"}); err != nil {
		t.Fatal(err)
	}
	onUI(func() {
		formEntry(form, "Bandwidth limit").SetText("2MB/s")
		test.Tap(findButton(d.overlays()[0], "Save"))
	})
	d.eventually("the bandwidth is saved", func() bool { return loadStore(t, st).Saved["bandwidth"] == "2MB/s" })
	got := loadStore(t, st).Settings
	want := saved.Settings
	want.ParallelFiles, want.BandwidthLimit = 5, 2_000_000
	if got != want {
		t.Errorf("the data folder holds %+v, want %+v (the command line's parallel files kept)", got, want)
	}
}

// The settings show the API the app runs against, whatever set it (the environment, a
// flag, the demo): the field used to offer "https://api.frame.io (default)" with nothing
// else while the app, and its About box, used another.
func TestSettingsShowTheAPIInUse(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true, opts: Options{APIURL: "http://127.0.0.1:7070"}})
	d.settled()
	form := d.settingsDialog()
	onUI(func() {
		for _, it := range form.Items {
			if it.Text == "API URL" && !strings.Contains(it.HintText, "In use now: http://127.0.0.1:7070") {
				t.Errorf("the API URL's hint is %q, want it to name the API in use", it.HintText)
			}
		}
	})
}

// Problems with the settings found at start (a damaged file, a value not understood)
// are told once the window is up.
func TestSettingsProblemsAreShownAtStart(t *testing.T) {
	problem := "The settings file /data/settings.json was damaged, so every setting is back to its default; the damaged file is kept as /data/settings.json.damaged."
	d := newDesk(t, deskConfig{paired: true, opts: Options{SettingsProblems: []string{problem}}})
	onUI(func() {
		if d.ui.alerts.Showing() != "info" || len(d.overlays()) != 1 {
			t.Fatalf("no dialog tells of the settings (showing %q)", d.ui.alerts.Showing())
		}
		if !strings.Contains(strings.Join(texts(d.overlays()[0]), " "), "was damaged") {
			t.Errorf("the dialog says %q", texts(d.overlays()[0]))
		}
	})
}

// Settings an earlier version kept in Fyne's preferences are carried over into the data
// folder as they were; preferences never saved carry nothing.
func TestPreferencesAreCarriedOver(t *testing.T) {
	a := test.NewTempApp(t)
	if got := PreferencesToCarryOver(a.Preferences()); len(got) != 0 {
		t.Errorf("no preferences carry %v", got)
	}
	p := a.Preferences()
	p.SetInt(prefParallelFiles, 5)
	p.SetInt(prefParallelChunks, 12)
	p.SetFloat(prefBandwidth, 0.25)
	p.SetBool(prefOffsetFromNow, true)
	p.SetBool(prefNotifications, false)
	p.SetString(prefAPIURL, "https://api.example.com")
	got := PreferencesToCarryOver(p)
	want := map[string]string{"parallel-files": "5", "parallel-chunks": "12", "bandwidth": "256KiB/s",
		"offset-from-now": "true", "notifications": "false", "api": "https://api.example.com"}
	if !maps.Equal(got, want) {
		t.Errorf("carried %v, want %v", got, want)
	}
	st := newStore(t)
	if problems, err := st.CarryOver(got); err != nil || len(problems) != 0 {
		t.Fatalf("CarryOver: %v %q", err, problems)
	}
	wantSettings := core.DefaultSettings()
	wantSettings.ParallelFiles, wantSettings.ParallelChunks, wantSettings.BandwidthLimit, wantSettings.OffsetFromNow = 5, 12, 256<<10, true
	wantSettings.Notifications, wantSettings.APIURL = false, "https://api.example.com"
	if s := loadStore(t, st).Settings; s != wantSettings {
		t.Errorf("the data folder holds %+v, want %+v", s, wantSettings)
	}
}

// Settings in people's words: a speed instead of files × parts (which Advanced keeps),
// bandwidth presets in Mbit/s that follow what is typed, the date setting explained by
// an example, and the appearance.
func TestSettingsForPeople(t *testing.T) {
	st := newStore(t)
	d := newDesk(t, deskConfig{paired: true, run: true, opts: Options{SettingsStore: st}})
	d.settled()
	form := d.settingsDialog()
	onUI(func() {
		speed, limit := formSelect(form, "Upload speed"), formSelect(form, "Bandwidth limit")
		if speed.Selected != speeds[1].label || limit.Selected != "No limit" {
			t.Errorf("the defaults show as %q and %q", speed.Selected, limit.Selected)
		}
		speed.SetSelected(speeds[2].label)
		if f, c := formEntry(form, "Parallel files").Text, formEntry(form, "Parts per file").Text; f != "4" || c != "8" {
			t.Errorf("Fast sets %s files × %s parts, want 4 × 8", f, c)
		}
		formEntry(form, "Parts per file").SetText("6")
		if speed.Selected != speedCustom {
			t.Errorf("4 × 6 shows as %q, want %q", speed.Selected, speedCustom)
		}
		formEntry(form, "Bandwidth limit").SetText("40Mbit/s")
		if limit.Selected != "Office: 40 Mbit/s" {
			t.Errorf("40Mbit/s typed shows as %q", limit.Selected)
		}
		formEntry(form, "Bandwidth limit").SetText("1MB/s") // 8 Mbit/s
		if limit.Selected != "Hotel Wi-Fi: 8 Mbit/s" || formEntry(form, "Bandwidth limit").Text != "1MB/s" {
			t.Errorf("1MB/s typed shows as %q beside %q", limit.Selected, formEntry(form, "Bandwidth limit").Text)
		}
		formEntry(form, "Bandwidth limit").SetText("3MB/s")
		if limit.Selected != limitCustom {
			t.Errorf("3MB/s typed shows as %q", limit.Selected)
		}
		formEntry(form, "Bandwidth limit").SetText("0")
		limit.SetSelected(limitCustom)
		if got := formEntry(form, "Bandwidth limit").Text; got != "" || limit.Selected != limitCustom {
			t.Errorf("Custom picked over no limit leaves %q beside %q, want an empty field beside Custom", got, limit.Selected)
		}
		limit.SetSelected("Hotel Wi-Fi: 8 Mbit/s")
		if got := formEntry(form, "Bandwidth limit").Text; got != "8Mbit/s" {
			t.Errorf("the hotel preset writes %q", got)
		}
		var hint string
		for _, it := range form.Items {
			if it.Text == "Date media by" {
				hint = it.HintText
			}
		}
		if !strings.Contains(hint, "14:02") || !strings.Contains(hint, "paused") {
			t.Errorf("the date setting is explained as %q, want an example and what it changes", hint)
		}
		formSelect(form, "Appearance").SetSelected(lookLight)
		test.Tap(findButton(d.overlays()[0], "Save"))
	})
	want := upload.DefaultSettings()
	want.ParallelFiles, want.ParallelChunks, want.BandwidthLimit = 4, 6, 1_000_000
	if s := d.svc.Settings().Upload(); s != want {
		t.Errorf("the engine runs with %+v, want %+v", s, want)
	}
	onUI(func() {
		light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)
		if got := d.app.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark); got != light {
			t.Errorf("after choosing Light the background is %v, want %v", got, light)
		}
	})
	if again := uiValue(func() string { return New(d.app, d.svc, Options{}).look() }); again != lookLight {
		t.Errorf("a window opened later looks %q", again)
	}
}

// The settings dialog fits the window, at its first size and at 800 × 600: its form
// scrolls, and Save and Cancel stay in sight below it (a dialog taller than the window
// once hid Save).
func TestSettingsDialogFitsTheWindow(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true})
	d.settled()
	for _, size := range []fyne.Size{{}, fyne.NewSize(800, 600)} {
		if size.Width > 0 {
			onUI(func() {
				for len(d.overlays()) > 0 {
					d.win.Canvas().Overlays().Remove(d.overlays()[0])
				}
				d.win.Resize(size)
			})
		}
		d.settingsDialog()
		onUI(func() {
			canvas := d.win.Canvas().Size()
			for _, label := range []string{"Save", "Cancel"} {
				b := findButton(d.overlays()[0], label)
				if b == nil {
					t.Fatalf("no %s button in the settings dialog", label)
				}
				pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
				if pos.Y < 0 || pos.Y+b.Size().Height > canvas.Height || pos.X+b.Size().Width > canvas.Width {
					t.Errorf("at %v, %s is at %v (%v) outside the window's %v", canvas, label, pos, b.Size(), canvas)
				}
			}
		})
	}
}
