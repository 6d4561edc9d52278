package desktop

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// The keys under which earlier versions kept the settings in Fyne's preferences (per app
// ID). They are read once, to carry them over into the data folder's settings
// (PreferencesToCarryOver), and left as they were for an older version.
const (
	prefParallelFiles  = "parallel_files"
	prefParallelChunks = "parallel_chunks"
	prefBandwidth      = "bandwidth_mib_s" // 0 = unlimited
	prefOffsetFromNow  = "offset_from_now"
	prefNotifications  = "notifications"
	prefAPIURL         = "api_url"
)

// PreferencesToCarryOver are the settings an earlier version saved in Fyne's preferences,
// by setting key, written the way the keys read them; only those that were saved.
func PreferencesToCarryOver(p fyne.Preferences) map[string]string {
	out := map[string]string{}
	const absent = math.MinInt
	if n := p.IntWithFallback(prefParallelFiles, absent); n != absent {
		out["parallel-files"] = strconv.Itoa(n)
	}
	if n := p.IntWithFallback(prefParallelChunks, absent); n != absent {
		out["parallel-chunks"] = strconv.Itoa(n)
	}
	if mib := p.FloatWithFallback(prefBandwidth, -1); mib >= 0 {
		out["bandwidth"] = format.Bandwidth(int64(mib * (1 << 20)))
	}
	for pref, key := range map[string]string{prefOffsetFromNow: "offset-from-now", prefNotifications: "notifications"} {
		// A saved switch reads the same whatever the fallback.
		if v := p.BoolWithFallback(pref, true); v == p.BoolWithFallback(pref, false) {
			out[key] = strconv.FormatBool(v)
		}
	}
	if u := strings.TrimSpace(p.String(prefAPIURL)); u != "" {
		out["api"] = u
	}
	return out
}

// keyValidator checks an entry the way the setting key reads it, so that the dialog and
// `c2c-uploader settings set` take the same values; an empty entry stands for empty.
func keyValidator(name, empty string) fyne.StringValidator {
	k, err := core.LookupSettingKey(name)
	return func(text string) error {
		if err != nil {
			return err // a key core does not have: TestSettingsValidators fails
		}
		if strings.TrimSpace(text) == "" {
			text = empty
		}
		s := core.DefaultSettings()
		if err := k.Set(&s, text); err != nil {
			return errors.New(capitalize(err.Error()))
		}
		return nil
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// settingsForm is the settings dialog's content, kept apart for tests.
type settingsForm struct {
	files, chunks, bandwidth, apiURL, order *widget.Entry
	schedule, only, include, exclude        *widget.Entry
	speed, limit, look                      *widget.Select
	hash, hashLists                         *widget.Select
	offset, start                           *widget.RadioGroup
	notify                                  *widget.Check
	awake                                   *widget.Check
	cards                                   *widget.Select
	keep                                    *widget.Select
	keepOffered                             choices // keepChoices, and the value in force when it is none of them
	form                                    *widget.Form
	// following is set while a preset list follows what was typed: it then writes
	// nothing back (1MB/s typed stays 1MB/s, though it is the 8 Mbit/s preset).
	following bool
	// before are the settings the form opened with: Save writes only what differs.
	before core.Settings
	submit func() // Save: applies the form when it is valid
}

const (
	offsetShot  = "When it was shot (recommended)"
	offsetToday = "Today (when it is uploaded)"
	startAuto   = "As soon as they are added"
	startManual = "When I press Start"
)

// speeds are the upload speeds people pick from, as parallel files × parts per file;
// Advanced holds the numbers.
var speeds = []struct {
	label         string
	files, chunks int
}{
	{"Gentle: 1 file, 2 parts at a time", 1, 2},
	{"Balanced: 2 files, 4 parts each (recommended)", 2, 4},
	{"Fast: 4 files, 8 parts each", 4, 8},
}

const speedCustom = "Custom: as set under Advanced"

// choices are a setting's values as a select offers them, the first the default.
type choices []struct{ label, value string }

// newSelect is a select of cs showing value (the first, when value is none of them).
func (cs choices) newSelect(value string) *widget.Select {
	labels := make([]string, len(cs))
	for i, c := range cs {
		labels[i] = c.label
	}
	sel := widget.NewSelect(labels, nil)
	sel.SetSelected(cs[0].label)
	for _, c := range cs {
		if c.value == value {
			sel.SetSelected(c.label)
		}
	}
	return sel
}

// valueOf is the value of the label a select shows ("" for none).
func (cs choices) valueOf(label string) string {
	for _, c := range cs {
		if c.label == label {
			return c.value
		}
	}
	return ""
}

// cardChoices are what happens when a camera card is inserted, as the setting cards
// says it.
var cardChoices = choices{
	{"Offer to upload it (recommended)", core.CardsAsk},
	{"Upload it at once", core.CardsAlways},
	{"Leave it alone", core.CardsNever},
}

// hashListChoices are where a batch's hash list (ASC MHL) goes, as the setting hash-lists
// names them.
var hashListChoices = choices{
	{"Beside the offload's hash list, else in the reports folder (recommended)", core.HashListsExisting},
	{"Beside the media, starting one where there is none", core.HashListsAlways},
	{"Only in the reports folder", core.HashListsReports},
}

// keepChoices are how long an uploaded file stays in the list, as the setting
// keep-finished says it.
var keepChoices = choices{
	{"A week (recommended)", "7d"},
	{"A day", "1d"},
	{"A month", "30d"},
	{"Until I clear them", "forever"},
}

// keepSelect offers keepChoices with value selected, and value itself when it is none
// of them (`settings set keep-finished 12h`, or --keep-finished for this run), so that
// saving the dialog keeps it.
func keepSelect(value string) (*widget.Select, choices) {
	cs := keepChoices
	if !slices.ContainsFunc(cs, func(c struct{ label, value string }) bool { return c.value == value }) {
		cs = append(slices.Clone(cs), struct{ label, value string }{value + " (as set on the command line)", value})
	}
	return cs.newSelect(value), cs
}

// hashRecommended marks the default hash format in its list.
const hashRecommended = " (recommended)"

// limits are bandwidth presets, in the unit crews use for links.
var limits = []struct{ label, value string }{
	{"No limit", "0"},
	{"Hotel Wi-Fi: 8 Mbit/s", "8Mbit/s"},
	{"Office: 40 Mbit/s", "40Mbit/s"},
}

const limitCustom = "Custom"

// entries are the form's text fields by setting key, with what an empty one stands for.
func (f *settingsForm) entries() []struct {
	key, empty string
	entry      *widget.Entry
} {
	return []struct {
		key, empty string
		entry      *widget.Entry
	}{
		{"parallel-files", "", f.files}, {"parallel-chunks", "", f.chunks},
		{"bandwidth", "0", f.bandwidth}, {"api", core.DefaultAPIURL, f.apiURL},
		{"order", core.CategoryOrder{}.String(), f.order}, {"schedule", "", f.schedule},
		{"only", "", f.only}, {"include", "", f.include}, {"exclude", "", f.exclude},
	}
}

func (u *UI) newSettingsForm(onSave func(before, after core.Settings)) *settingsForm {
	cur := u.settings
	up := u.svc.Settings() // what the engine runs with
	cur.ParallelFiles, cur.ParallelChunks, cur.BandwidthLimit, cur.OffsetFromNow = up.ParallelFiles, up.ParallelChunks, up.BandwidthLimit, up.OffsetFromNow
	cur.Order, cur.ManualStart, cur.Filter, cur.Schedule = up.Order, up.ManualStart, up.Filter, up.Schedule
	cur.HashFormat, cur.HashLists, cur.KeepAwake, cur.Cards = up.HashFormat, up.HashLists, up.KeepAwake, up.Cards
	cur.KeepFinished = up.KeepFinished
	f := &settingsForm{before: cur}
	f.files, f.chunks, f.bandwidth, f.apiURL, f.order = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.schedule, f.only, f.include, f.exclude = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.schedule.SetPlaceHolder("weekdays 08:00-19:00 2MB/s; weekends 10:00-16:00 5MB/s")
	f.only.SetPlaceHolder("every kind")
	f.include.SetPlaceHolder("every file")
	f.exclude.SetPlaceHolder("none")
	f.order.SetPlaceHolder(core.CategoryOrder{}.String() + " (default)")
	f.apiURL.SetPlaceHolder(core.DefaultAPIURL + " (default)")
	for _, e := range f.entries() {
		k, _ := core.LookupSettingKey(e.key)
		if v := k.Value(cur); v != e.empty || e.key == "bandwidth" {
			e.entry.SetText(v)
		}
		e.entry.Validator = keyValidator(e.key, e.empty)
	}
	f.offset = widget.NewRadioGroup([]string{offsetShot, offsetToday}, nil)
	f.offset.Required = true
	f.offset.SetSelected(offsetShot)
	if cur.OffsetFromNow {
		f.offset.SetSelected(offsetToday)
	}
	f.start = widget.NewRadioGroup([]string{startAuto, startManual}, nil)
	f.start.Required = true
	f.start.SetSelected(startAuto)
	if cur.ManualStart {
		f.start.SetSelected(startManual)
	}
	f.notify = widget.NewCheck("Tell me when a batch finishes or needs attention", nil)
	f.notify.SetChecked(cur.Notifications)
	f.awake = widget.NewCheck("Keep the computer awake while files upload", nil)
	f.awake.SetChecked(cur.KeepAwake)
	f.cards = cardChoices.newSelect(cur.Cards)
	keep, _ := core.LookupSettingKey("keep-finished")
	f.keep, f.keepOffered = keepSelect(keep.Value(cur))

	// The speed and the bandwidth presets write into the entries they stand for, and
	// follow what is typed there.
	speedLabels := make([]string, len(speeds))
	for i, sp := range speeds {
		speedLabels[i] = sp.label
	}
	f.speed = f.presets(speedLabels, speedCustom, func(i int) {
		f.files.SetText(strconv.Itoa(speeds[i].files))
		f.chunks.SetText(strconv.Itoa(speeds[i].chunks))
	}, nil)
	limitLabels := make([]string, len(limits))
	for i, l := range limits {
		limitLabels[i] = l.label
	}
	f.limit = f.presets(limitLabels, limitCustom, func(i int) { f.bandwidth.SetText(limits[i].value) }, func() {
		if f.bandwidth.Text == "0" {
			f.bandwidth.SetText("")
			u.win.Canvas().Focus(f.bandwidth)
		}
	})
	follow := func() {
		f.following = true
		f.speed.SetSelected(f.speedLabel())
		f.limit.SetSelected(f.limitLabel())
		f.following = false
	}
	f.files.OnChanged = func(string) { follow() }
	f.chunks.OnChanged, f.bandwidth.OnChanged = f.files.OnChanged, f.files.OnChanged
	follow()
	f.look = widget.NewSelect([]string{lookSystem, lookLight, lookDark}, nil)
	f.look.SetSelected(u.look())
	var formats []string
	for _, h := range core.HashFormats() {
		label := string(h)
		if h == core.DefaultHashFormat {
			label += hashRecommended
		}
		formats = append(formats, label)
	}
	f.hash = widget.NewSelect(formats, nil)
	f.hash.SetSelected(string(core.DefaultHashFormat) + hashRecommended)
	if cur.HashFormat != "" && cur.HashFormat != core.DefaultHashFormat {
		f.hash.SetSelected(string(cur.HashFormat))
	}
	f.hashLists = hashListChoices.newSelect(cur.HashLists)

	advanced := widget.NewLabelWithStyle("Advanced", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.form = &widget.Form{
		Items: []*widget.FormItem{
			{Text: "Upload speed", Widget: f.speed, HintText: "How much runs at once. Gentle leaves room on a shared line; Fast suits a wired connection."},
			{Text: "Bandwidth limit", Widget: container.NewBorder(nil, nil, f.limit, nil, f.bandwidth),
				HintText: "For all uploads together, in Mbit/s or MB/s (8Mbit/s is 1MB/s); 0 means no limit."},
			{Text: "Start uploads", Widget: f.start,
				HintText: "When I press Start: files added wait on hold, to be started one by one or all at once."},
			{Text: "What goes first", Widget: f.order,
				HintText: "Kinds of file in the order they go; those not named follow. A file moved to the top goes before all."},
			{Text: "Bandwidth schedule", Widget: f.schedule,
				HintText: "Limits by time of day, separated by semicolons; the limit above holds outside them."},
			{Text: "Date media by", Widget: f.offset,
				HintText: "Shot: a 14:02 clip is filed at 14:02, refused if this device was paused then. Today: filed on arrival."},
			{Text: "Hash lists", Widget: f.hashLists,
				HintText: "Where a finished batch's ASC MHL hash list goes: never onto a camera card or a folder that cannot be written."},
			{Text: "Finished files", Widget: f.keep,
				HintText: "How long an uploaded file stays in this list. It stays in its batch's report and is still known as uploaded."},
			{Text: "Notifications", Widget: f.notify},
			{Text: "Camera cards", Widget: f.cards, HintText: "What happens when a card is inserted: the files already uploaded are always left out."},
			{Text: "Sleep", Widget: f.awake, HintText: "The system's power settings show why it stays awake: “Uploading 12 files to Feature Film”."},
			{Text: "Appearance", Widget: f.look},
			{Widget: advanced},
			{Text: "Parallel files", Widget: f.files, HintText: fmt.Sprintf("Large files uploaded at once (1–%d); small files share their slots.", core.MaxParallelFiles)},
			{Text: "Parts per file", Widget: f.chunks, HintText: fmt.Sprintf("Parts of each file in flight (1–%d); files × parts is the most in flight.", core.MaxParallelChunks)},
			{Text: "Only these kinds", Widget: f.only, HintText: "Like sound,proxies: other kinds are left out when files are added."},
			{Text: "Include", Widget: f.include, HintText: "Patterns below the folder added, like *.mov,Sound/**: other files are left out."},
			{Text: "Exclude", Widget: f.exclude, HintText: "Patterns of files to leave out, like *.tmp,Proxy/**."},
			{Text: "Hash", Widget: f.hash, HintText: "What every file sent is hashed in for its receipt; a file an offload's hash list covers is hashed in the list's too."},
			{Text: "API URL", Widget: f.apiURL, HintText: apiHint(u.opts.APIURL)},
		},
	}
	// The dialog's own Save (showSettings) submits: a form's button would sit at its
	// end, below the fold of a dialog that scrolls.
	f.submit = func() {
		s, err := f.values()
		if err != nil {
			return
		}
		onSave(f.before, s)
	}
	return f
}

// presets is a choice of labels and custom: picking label i runs pick(i), picking custom
// runs onCustom (if set) — unless the list only follows what was typed.
func (f *settingsForm) presets(labels []string, custom string, pick func(int), onCustom func()) *widget.Select {
	return widget.NewSelect(append(labels, custom), func(l string) {
		if f.following {
			return
		}
		if i := slices.Index(labels, l); i >= 0 {
			pick(i)
		} else if onCustom != nil {
			onCustom()
		}
	})
}

// speedLabel is the speed preset the entries hold, or Custom.
func (f *settingsForm) speedLabel() string {
	for _, sp := range speeds {
		if strings.TrimSpace(f.files.Text) == strconv.Itoa(sp.files) && strings.TrimSpace(f.chunks.Text) == strconv.Itoa(sp.chunks) {
			return sp.label
		}
	}
	return speedCustom
}

// limitLabel is the bandwidth preset the entry holds, or Custom (also while it is
// empty: being typed).
func (f *settingsForm) limitLabel() string {
	got, err := format.ParseBandwidth(strings.TrimSpace(f.bandwidth.Text))
	if strings.TrimSpace(f.bandwidth.Text) == "" {
		return limitCustom
	}
	for _, l := range limits {
		if want, _ := format.ParseBandwidth(l.value); err == nil && got == want {
			return l.label
		}
	}
	return limitCustom
}

// apiHint names the API in use (set here, in the environment, by a flag or by the demo)
// beside the rule for a new one.
func apiHint(inUse string) string {
	hint := "Use https (http only on this computer); a change applies at the next start."
	if inUse == "" {
		return hint
	}
	return "In use now: " + inUse + ". " + hint
}

// values reads the form; the validators have run when Save is enabled.
func (f *settingsForm) values() (core.Settings, error) {
	if err := f.form.Validate(); err != nil {
		return core.Settings{}, err
	}
	s := f.before
	for _, e := range f.entries() {
		text := e.entry.Text
		if strings.TrimSpace(text) == "" {
			text = e.empty
		}
		k, _ := core.LookupSettingKey(e.key)
		if err := k.Set(&s, text); err != nil {
			return core.Settings{}, err
		}
	}
	s.OffsetFromNow = f.offset.Selected == offsetToday
	s.ManualStart = f.start.Selected == startManual
	s.Notifications = f.notify.Checked
	s.KeepAwake = f.awake.Checked
	s.Cards = cardChoices.valueOf(f.cards.Selected)
	s.HashFormat = core.HashFormat(strings.TrimSuffix(f.hash.Selected, hashRecommended))
	s.HashLists = hashListChoices.valueOf(f.hashLists.Selected)
	keep, _ := core.LookupSettingKey("keep-finished")
	if err := keep.Set(&s, f.keepOffered.valueOf(f.keep.Selected)); err != nil {
		return core.Settings{}, err
	}
	return s, s.Validate()
}

// saveSettings keeps in the data folder what the person changed in the dialog, and only
// that: a value set on the command line since the window started stays. An emptied API
// URL goes back to following the default.
func (u *UI) saveSettings(before, after core.Settings, apiText string) {
	st := u.opts.SettingsStore
	if st == nil {
		return
	}
	changed := core.ChangedSettings(before, after)
	_, apiChanged := changed["api"]
	resetAPI := apiChanged && strings.TrimSpace(apiText) == ""
	if resetAPI {
		delete(changed, "api")
	}
	u.p.do("The settings could not be saved", func(context.Context) error {
		if len(changed) > 0 {
			if err := st.Set(changed); err != nil {
				return err
			}
		}
		if resetAPI {
			return st.Reset("api")
		}
		return nil
	})
}

func (u *UI) showSettings() {
	var d dialog.Dialog
	var f *settingsForm
	f = u.newSettingsForm(func(before, after core.Settings) {
		if err := u.svc.SetSettings(after); err != nil {
			u.showError("The settings could not be applied", err)
			return
		}
		u.settings = after
		if u.m.runOrder != after.Order {
			u.m.runOrder, u.m.rowsStale = after.Order, true
			if u.m.arrange() {
				u.queue.refresh()
			}
		}
		u.saveSettings(before, after, f.apiURL.Text)
		u.setLook(f.look.Selected)
		d.Hide()
	})
	unpair := widget.NewButtonWithIcon("Unpair this computer…", theme.LogoutIcon(), func() {
		dialog.ShowConfirm("Unpair?", "This computer stops uploading to "+project(u.m.auth)+
			". The queue and its history are kept; pair again to go on.", func(ok bool) {
			if ok {
				d.Hide()
				u.p.do("Unpairing failed", func(ctx context.Context) error {
					res, err := u.svc.Unpair(ctx)
					if err == nil && !res.Revoked {
						fyne.Do(func() {
							u.alerts.info("Unpaired on this computer only",
								"The API could not be reached ("+res.Reason+"), so the project still lists this computer. "+
									"The revocation is sent the next time the app reaches it; you can also remove the device in the project's C2C Connections.")
						})
					}
					return err
				})
			}
		}, u.win)
	})
	unpair.Importance = widget.DangerImportance
	// The form scrolls inside a dialog that fits the window, with Save and Cancel always
	// in sight below it.
	scroll := container.NewVScroll(container.NewPadded(container.NewVBox(f.form, widget.NewSeparator(), unpair)))
	win := u.win.Canvas().Size()
	height := max(min(win.Height-140, 760), 240)
	scroll.SetMinSize(fyne.NewSize(min(600, win.Width-60), height))
	save := widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.submit)
	save.Importance = widget.HighImportance
	f.form.SetOnValidationChanged(func(err error) {
		if err != nil {
			save.Disable()
		} else {
			save.Enable()
		}
	})
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	cd := dialog.NewCustomWithoutButtons("Settings", scroll, u.win)
	cd.SetButtons([]fyne.CanvasObject{cancel, save})
	d = cd
	d.Show()
}
