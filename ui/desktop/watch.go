package desktop

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// watchView is what the window shows of the watched folders (README, "Watch folders"):
// the toolbar's button, which says how many are watched and whether one is missing, and
// the dialog that lists them, adds one and lets one go.
type watchView struct {
	u      *UI
	button *widget.Button
	states map[string]core.WatchStatus // by folder, as the service last told
	dlg    dialog.Dialog
	list   *fyne.Container // the dialog's rows, while it is open
}

func newWatchView(u *UI) *watchView {
	w := &watchView{u: u, states: map[string]core.WatchStatus{}}
	w.button = widget.NewButtonWithIcon("Watch folders…", theme.VisibilityIcon(), w.show)
	w.update()
	return w
}

// folders are the folders the settings watch.
func (w *watchView) folders() []string { return w.u.settings.WatchFolders() }

// told takes the service's news of a folder (on Fyne's goroutine).
func (w *watchView) told(st core.WatchStatus) {
	w.states[st.Folder] = st
	w.update()
}

// update redraws the button and, when open, the dialog's rows.
func (w *watchView) update() {
	folders := w.folders()
	missing := 0
	for _, f := range folders {
		if st, ok := w.states[f]; ok && (st.State == core.WatchMissing || st.State == core.WatchLost) {
			missing++
		}
	}
	switch {
	case len(folders) == 0:
		w.button.SetText("Watch folders…")
		w.button.SetIcon(theme.VisibilityIcon())
	case missing > 0:
		w.button.SetText(fmt.Sprintf("Watching %d (%d missing)", len(folders), missing))
		w.button.SetIcon(theme.WarningIcon())
	default:
		w.button.SetText("Watching " + format.Count(len(folders), "folder"))
		w.button.SetIcon(theme.VisibilityIcon())
	}
	if w.list != nil {
		w.fill()
	}
}

// show opens the dialog of the watched folders.
func (w *watchView) show() {
	w.list = container.NewVBox()
	w.fill()
	intro := widget.NewLabel("New files in these folders, at any depth, are uploaded once they stop changing. " +
		"Files added while the app was closed are found when it starts; hidden and temporary files (.part, ~$…) wait for their real name.")
	intro.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Watch a folder…", theme.ContentAddIcon(), func() {
		w.u.openPickerFor("Watch a folder", true, "", func(paths []string) { w.set(append(w.folders(), paths...)) })
	})
	add.Importance = widget.HighImportance
	closeB := widget.NewButton("Close", func() { w.dlg.Hide() })
	options := widget.NewForm(
		&widget.FormItem{Text: "While recording", Widget: w.realtimeCheck(),
			HintText: "A file still being written goes part by part as it grows, its last part once it stops changing."},
		&widget.FormItem{Text: "Stopped changing for", Widget: w.settleSelect(),
			HintText: "Shorter gets a clip to the project sooner after the camera stops; longer waits out a slow copy's pauses."},
	)
	body := container.NewBorder(intro, container.NewVBox(widget.NewSeparator(), options, container.NewHBox(layout.NewSpacer(), closeB, add)), nil, nil,
		container.NewVScroll(w.list))
	w.dlg = dialog.NewCustomWithoutButtons("Watched folders", body, w.u.win)
	w.dlg.SetOnClosed(func() { w.list = nil })
	w.dlg.Resize(fyne.NewSize(680, 480))
	w.dlg.Show()
}

// fill makes the dialog's rows: each folder, how it stands, and Stop watching.
func (w *watchView) fill() {
	w.list.RemoveAll()
	folders := w.folders()
	if len(folders) == 0 {
		none := widget.NewLabelWithStyle("No folder is watched.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
		w.list.Add(none)
	}
	for _, f := range folders {
		name := widget.NewLabelWithStyle(f, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Truncation = fyne.TextTruncateEllipsis
		state := widget.NewLabel(w.stateText(f))
		state.Wrapping = fyne.TextWrapWord
		stop := widget.NewButtonWithIcon("Stop watching", theme.CancelIcon(), func() {
			w.set(slices.DeleteFunc(w.folders(), func(s string) bool { return s == f }))
		})
		stop.Importance = widget.LowImportance
		w.list.Add(container.NewBorder(nil, nil, nil, stop, container.NewVBox(name, state)))
		w.list.Add(widget.NewSeparator())
	}
	w.list.Refresh()
}

func (w *watchView) stateText(folder string) string {
	st, ok := w.states[folder]
	switch {
	case !ok:
		return "Starting to watch…"
	case st.State == core.WatchWatching && w.u.settings.Realtime:
		return "Watching: new files are uploaded as they settle, clips being recorded as they are written."
	case st.State == core.WatchWatching:
		return "Watching: new files are uploaded as they settle."
	default:
		return st.Reason
	}
}

// set makes folders the watched ones: in force at once, and kept in the settings.
func (w *watchView) set(folders []string) {
	var kept []string
	for _, f := range folders {
		if !slices.Contains(kept, f) {
			kept = append(kept, f)
		}
	}
	w.change("The watched folders could not be changed", func(s *core.Settings) {
		s.Watch = strings.Join(kept, string(os.PathListSeparator))
	})
}

// change applies a change of the settings at once and keeps it.
func (w *watchView) change(failure string, fn func(*core.Settings)) {
	before := w.u.settings
	after := before
	fn(&after)
	if err := w.u.svc.SetSettings(after); err != nil {
		w.u.showError(failure, err)
		return
	}
	w.u.settings = after
	w.u.saveSettings(before, after, after.APIURL)
	w.update()
}

// realtimeCheck is the realtime setting: clips uploaded while they are recorded.
func (w *watchView) realtimeCheck() *widget.Check {
	c := widget.NewCheck("Upload clips while they are recorded", nil)
	c.SetChecked(w.u.settings.Realtime)
	c.OnChanged = func(on bool) {
		w.change("Uploading while recording could not be changed", func(s *core.Settings) { s.Realtime = on })
	}
	return c
}

// settleChoices are the settle times offered; another one set elsewhere is shown too.
var settleChoices = []time.Duration{time.Second, core.DefaultSettle, 5 * time.Second, 30 * time.Second}

// settleSelect is the settle setting: how long a file must stop changing before it is
// queued, or its last part sent.
func (w *watchView) settleSelect() *widget.Select {
	label := func(d time.Duration) string {
		l := format.Duration(d)
		if d == core.DefaultSettle {
			l += " (recommended)"
		}
		return l
	}
	choices := slices.Clone(settleChoices)
	if cur := w.u.settings.Settle; !slices.Contains(choices, cur) && cur > 0 {
		choices = append(choices, cur)
		slices.Sort(choices)
	}
	labels := make([]string, len(choices))
	for i, d := range choices {
		labels[i] = label(d)
	}
	sel := widget.NewSelect(labels, nil)
	sel.SetSelected(label(w.u.settings.Settle))
	sel.OnChanged = func(l string) {
		d := choices[slices.Index(labels, l)]
		if d != w.u.settings.Settle {
			w.change("The settle time could not be changed", func(s *core.Settings) { s.Settle = d })
		}
	}
	return sel
}
