package desktop

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Preference keys (Fyne preferences, per app ID).
const (
	prefParallelFiles  = "parallel_files"
	prefParallelChunks = "parallel_chunks"
	prefBandwidth      = "bandwidth_mib_s" // 0 = unlimited
	prefOffsetFromNow  = "offset_from_now"
	prefNotifications  = "notifications"
	prefAPIURL         = "api_url"
)

// settingsStore reads and writes the settings the user chose.
type settingsStore struct{ p fyne.Preferences }

func newSettingsStore(p fyne.Preferences) *settingsStore { return &settingsStore{p: p} }

// upload is the saved upload settings, over the engine's defaults.
func (s *settingsStore) upload(def upload.Settings) upload.Settings {
	return upload.Settings{
		ParallelFiles:  s.p.IntWithFallback(prefParallelFiles, def.ParallelFiles),
		ParallelChunks: s.p.IntWithFallback(prefParallelChunks, def.ParallelChunks),
		BandwidthLimit: int64(s.p.FloatWithFallback(prefBandwidth, float64(def.BandwidthLimit)/(1<<20)) * (1 << 20)),
		OffsetFromNow:  s.p.BoolWithFallback(prefOffsetFromNow, def.OffsetFromNow),
	}
}

func (s *settingsStore) saveUpload(u upload.Settings) {
	s.p.SetInt(prefParallelFiles, u.ParallelFiles)
	s.p.SetInt(prefParallelChunks, u.ParallelChunks)
	s.p.SetFloat(prefBandwidth, float64(u.BandwidthLimit)/(1<<20))
	s.p.SetBool(prefOffsetFromNow, u.OffsetFromNow)
}

func (s *settingsStore) notifications() bool { return s.p.BoolWithFallback(prefNotifications, true) }

// SavedAPIURL is the API URL chosen in the settings, "" for the default. main reads it
// before it builds the service (a new URL takes effect at the next start).
func SavedAPIURL(p fyne.Preferences) string { return p.String(prefAPIURL) }

func intValidator(min, max int, what string) fyne.StringValidator {
	return func(s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < min || n > max {
			return fmt.Errorf("%s must be a whole number from %d to %d", what, min, max)
		}
		return nil
	}
}

func bandwidthValidator(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || f < 0:
		return errors.New("the limit is a number of MiB/s (0 for none)")
	case f > 0 && f < 0.0625:
		return errors.New("the limit must be at least 0.0625 MiB/s (64 KiB/s), or 0 for none")
	}
	return nil
}

func apiURLValidator(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	_, err := api.ValidateBaseURL(s)
	return err
}

// settingsForm is the settings dialog's content, kept apart for tests.
type settingsForm struct {
	files, chunks, bandwidth, apiURL *widget.Entry
	offset                           *widget.RadioGroup
	notify                           *widget.Check
	form                             *widget.Form
}

const (
	offsetShot  = "When it was shot (recommended)"
	offsetToday = "Today (when it is uploaded)"
)

func (u *UI) newSettingsForm(onSave func(upload.Settings, bool, string)) *settingsForm {
	cur := u.svc.Settings()
	f := &settingsForm{}
	f.files = widget.NewEntry()
	f.files.SetText(strconv.Itoa(cur.ParallelFiles))
	f.files.Validator = intValidator(1, upload.MaxParallelFiles, "Parallel files")
	f.chunks = widget.NewEntry()
	f.chunks.SetText(strconv.Itoa(cur.ParallelChunks))
	f.chunks.Validator = intValidator(1, upload.MaxParallelChunks, "Parallel chunks")
	f.bandwidth = widget.NewEntry()
	f.bandwidth.SetText(strconv.FormatFloat(float64(cur.BandwidthLimit)/(1<<20), 'f', -1, 64))
	f.bandwidth.Validator = bandwidthValidator
	f.offset = widget.NewRadioGroup([]string{offsetShot, offsetToday}, nil)
	f.offset.Required = true
	f.offset.SetSelected(offsetShot)
	if cur.OffsetFromNow {
		f.offset.SetSelected(offsetToday)
	}
	f.notify = widget.NewCheck("Tell me when a batch finishes or needs attention", nil)
	f.notify.SetChecked(u.settings.notifications())
	f.apiURL = widget.NewEntry()
	f.apiURL.SetPlaceHolder("https://api.frame.io (default)")
	f.apiURL.SetText(SavedAPIURL(u.app.Preferences()))
	f.apiURL.Validator = apiURLValidator
	f.form = &widget.Form{
		Items: []*widget.FormItem{
			{Text: "Parallel files", Widget: f.files, HintText: "large files uploaded at once (1–16); small files share their slots"},
			{Text: "Parallel chunks", Widget: f.chunks, HintText: "parts of each file in flight (1–32); files × chunks is the most parts in flight"},
			{Text: "Bandwidth limit", Widget: f.bandwidth, HintText: "MiB/s for all uploads; 0 means no limit"},
			{Text: "Date media by", Widget: f.offset},
			{Text: "Notifications", Widget: f.notify},
			{Text: "API URL", Widget: f.apiURL, HintText: "https only (http only for this computer); applies at the next start"},
		},
		SubmitText: "Save",
		OnSubmit: func() {
			s, err := f.values()
			if err != nil {
				return
			}
			onSave(s, f.notify.Checked, strings.TrimSpace(f.apiURL.Text))
		},
	}
	return f
}

// values reads the form; the validators have run when Save is enabled.
func (f *settingsForm) values() (upload.Settings, error) {
	if err := f.form.Validate(); err != nil {
		return upload.Settings{}, err
	}
	files, _ := strconv.Atoi(strings.TrimSpace(f.files.Text))
	chunks, _ := strconv.Atoi(strings.TrimSpace(f.chunks.Text))
	mib, _ := strconv.ParseFloat(strings.TrimSpace(f.bandwidth.Text), 64)
	s := upload.Settings{
		ParallelFiles: files, ParallelChunks: chunks, BandwidthLimit: int64(mib * (1 << 20)),
		OffsetFromNow: f.offset.Selected == offsetToday,
	}
	return s, s.Validate()
}

func (u *UI) showSettings() {
	var d dialog.Dialog
	f := u.newSettingsForm(func(s upload.Settings, notify bool, apiURL string) {
		if err := u.svc.SetSettings(s); err != nil {
			u.showError("The settings could not be applied", err)
			return
		}
		u.settings.saveUpload(s)
		u.app.Preferences().SetBool(prefNotifications, notify)
		u.app.Preferences().SetString(prefAPIURL, apiURL)
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
	content := container.NewVBox(f.form, widget.NewSeparator(), unpair)
	d = dialog.NewCustom("Settings", "Close", content, u.win)
	d.Resize(fyne.NewSize(620, 0))
	d.Show()
}
