package desktop

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// queueView is the list of files (virtualised: rows are made once and reused) under its
// filter chips and search box, or the drop zone while the list is empty.
type queueView struct {
	u       *UI
	list    *queueList
	empty   fyne.CanvasObject // no files at all: where to drop them
	none    *widget.Label     // files, but none the filter and search let through
	chips   []*widget.Button  // in the order of filters
	search  *searchEntry
	density *widget.Check // compact rows
	bar     fyne.CanvasObject
	body    fyne.CanvasObject
}

func newQueueView(u *UI) *queueView {
	q := &queueView{u: u}
	q.list = &queueList{u: u}
	q.list.Length = func() int { return len(u.m.rows) }
	q.list.CreateItem = func() fyne.CanvasObject { return newListItem(u) }
	q.list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) { o.(*listItem).set(u.m, i) }
	q.list.ExtendBaseWidget(q.list)
	q.list.HideSeparators = false
	// The rows keep their own selection (Shift and Ctrl pick several): the list's own
	// single one would disagree with it.
	q.list.OnSelected = func(id widget.ListItemID) { q.list.Unselect(id) }
	q.empty = newDropZone(u)
	q.none = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	chipBox := container.NewHBox()
	for _, f := range filters {
		b := widget.NewButton(f.label, func() { q.pick(f.f) })
		q.chips = append(q.chips, b)
		chipBox.Add(b)
	}
	q.search = newSearchEntry(q.find)
	q.density = widget.NewCheck("Compact", q.setCompact)
	q.density.Checked = u.compact
	q.bar = container.NewPadded(container.NewBorder(nil, nil, chipBox, q.density, q.search))
	q.body = container.NewBorder(q.bar, nil, nil, nil, container.NewStack(q.empty, q.none, q.list))
	q.refresh()
	return q
}

func (q *queueView) object() fyne.CanvasObject { return q.body }

// pick shows the files of one chip; find those matching the search words.
func (q *queueView) pick(f listFilter) {
	q.u.m.setFilter(f)
	q.rearranged()
}

func (q *queueView) find(words string) {
	q.u.m.setQuery(words)
	q.rearranged()
}

func (q *queueView) rearranged() {
	if q.u.m.arrange() {
		q.refresh()
		q.list.ScrollToTop()
	}
}

// prefCompactRows keeps the row density between runs: how the list looks is the
// window's business only, unlike the settings the command line shares.
const prefCompactRows = "compact_rows"

// setCompact switches between one line and two per file.
func (q *queueView) setCompact(on bool) {
	if q.u.compact == on {
		return
	}
	q.u.compact = on
	q.u.app.Preferences().SetBool(prefCompactRows, on)
	q.list.Refresh()
}

// focusSearch puts the cursor in the search box (Ctrl/Cmd+F).
func (q *queueView) focusSearch() {
	if q.bar.Visible() {
		q.u.win.Canvas().Focus(q.search)
	}
}

// refresh redraws after the rows were arranged anew: the chips' counts, and the list,
// the drop zone, or why the list is empty.
func (q *queueView) refresh() {
	m := q.u.m
	for i, f := range filters {
		b := q.chips[i]
		text := fmt.Sprintf("%s  %d", f.label, m.count(f.f))
		imp := widget.LowImportance
		if m.filter == f.f {
			imp = widget.HighImportance
		}
		if b.Text != text || b.Importance != imp {
			b.Text, b.Importance = text, imp
			b.Refresh()
		}
	}
	show(q.bar, len(m.files) > 0)
	show(q.empty, len(m.files) == 0)
	show(q.none, len(m.files) > 0 && len(m.rows) == 0)
	show(q.list, len(m.rows) > 0)
	if len(m.files) > 0 && len(m.rows) == 0 {
		q.none.SetText(q.nothingShown())
	}
	q.list.Refresh()
}

// nothingShown says why the list is empty although files are queued.
func (q *queueView) nothingShown() string {
	m := q.u.m
	if len(m.words) > 0 {
		s := "No file matches “" + strings.Join(m.words, " ") + "”"
		if m.filter != filterAll {
			s += " under " + filters[m.filter].label
		}
		return s + "."
	}
	return filters[m.filter].empty
}

// refreshRows redraws the rows of files that changed. One row is refreshed alone; for
// more, the list is refreshed once: Fyne's List.RefreshItem (v2.7) refreshes the whole
// list each time (a new template row, every visible row bound again), so a batch of a
// few hundred finished files called it a few hundred times and held the UI goroutine
// for seconds, while the template rows piled up in Fyne's renderer cache.
func (q *queueView) refreshRows(ids []core.FileID) {
	if !q.list.Visible() {
		return
	}
	var rows []int
	headers := map[int]bool{}
	m := q.u.m
	for _, id := range ids {
		if i, ok := m.row[id]; ok {
			rows = append(rows, i)
		}
		// The header sums its files up, folded away or not.
		v := m.files[id]
		if v == nil {
			continue
		}
		if h, ok := m.headerRow[batchKey(v)]; ok && !headers[h] {
			headers[h] = true
			rows = append(rows, h)
		}
	}
	switch len(rows) {
	case 0:
	case 1:
		q.list.RefreshItem(rows[0])
	default:
		q.list.Refresh()
	}
}

// queueList is the list, whose keys act on the picked rows: Fyne's List takes the
// keyboard when a row is clicked, and would take Space for its own selection.
type queueList struct {
	widget.List
	u *UI
}

func (l *queueList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeySpace, fyne.KeyDelete, fyne.KeyBackspace, fyne.KeyEscape:
		l.u.typedKey(k)
	default:
		l.List.TypedKey(k)
	}
}

// searchEntry is the search box: Escape clears it.
type searchEntry struct {
	widget.Entry
}

func newSearchEntry(onChanged func(string)) *searchEntry {
	e := &searchEntry{}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("Search names and folders (" + keyHint("F") + ")")
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	e.OnChanged = onChanged
	return e
}

func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.SetText("")
		return
	}
	e.Entry.TypedKey(k)
}

// newDropZone is what an empty queue shows: where to drop, and the buttons that do the
// same from a file dialog.
func newDropZone(u *UI) fyne.CanvasObject {
	icon := widget.NewIcon(theme.UploadIcon())
	iconBox := container.NewGridWrap(fyne.NewSize(72, 72), icon)
	title := widget.NewLabelWithStyle("Drop camera media here", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	hint := widget.NewLabelWithStyle("Files and whole folders — clips, sound, stills, LUTs. They upload in the background and resume after a crash or a lost connection.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	hint.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(layout.NewSpacer(),
		widget.NewButtonWithIcon("Add files…", theme.FileIcon(), u.chooseFile),
		widget.NewButtonWithIcon("Add folder…", theme.FolderOpenIcon(), u.chooseFolder),
		layout.NewSpacer())
	border := canvas.NewRectangle(color.Transparent)
	border.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	border.StrokeWidth = 2
	border.CornerRadius = 12
	content := container.NewVBox(container.NewCenter(iconBox), title, container.NewGridWrap(fyne.NewSize(460, 60), hint), buttons)
	return container.NewPadded(container.NewStack(border, container.NewCenter(content)))
}

func show(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}

// barColor colours a row's progress by what happened to it.
func barColor(s core.State) fyne.ThemeColorName {
	switch s {
	case core.Done:
		return theme.ColorNameSuccess
	case core.Failed:
		return theme.ColorNameError
	case core.Skipped, core.Retrying, core.Waiting, core.Held:
		return theme.ColorNameWarning
	case core.Paused, core.Cancelled, core.OnHold:
		return theme.ColorNameDisabled
	}
	return theme.ColorNamePrimary
}

// stateLabel is a file's state in a word or two, in its bar's colour (a queued file's
// in the placeholder colour: nothing has happened to it yet).
func stateLabel(v core.FileView) (string, color.Color) {
	col := theme.Color(barColor(v.State))
	switch v.State {
	case core.Done:
		return "Done", col
	case core.Failed:
		return "Failed", col
	case core.Skipped:
		return "Skipped: channel paused", col
	case core.Held:
		return "Held: another project", col
	// Paused and cancelled in the placeholder colour: the bar's grey is too faint for
	// words, on a picked row above all.
	case core.Cancelled:
		return "Cancelled", theme.Color(theme.ColorNamePlaceHolder)
	case core.Paused:
		if v.ErrorKind == core.CardRemovedKind {
			return "Card removed", theme.Color(theme.ColorNamePlaceHolder)
		}
		return "Paused", theme.Color(theme.ColorNamePlaceHolder)
	case core.OnHold:
		return "On hold", theme.Color(theme.ColorNamePlaceHolder)
	case core.Retrying:
		if left := time.Until(v.NextAttempt); left > 0 {
			return "Retrying in " + format.Duration(left), col
		}
		return "Retrying", col
	case core.Waiting:
		return "Waiting", col
	case core.Creating:
		return "Starting", col
	case core.Uploading:
		if v.Realtime {
			return "Uploading while recorded", col
		}
		return "Uploading", col
	}
	return "Queued", theme.Color(theme.ColorNamePlaceHolder)
}

// rowDetail is the line under the name: size and progress, or the reason. The bytes it
// counts are those S3 acknowledged, which never step back (a pause or a restart drops
// the chunks in flight: the bar's lighter part).
func rowDetail(v core.FileView) string {
	size := format.Bytes(v.Size)
	switch v.State {
	case core.Uploading, core.Creating:
		if v.Realtime {
			// It grows as it goes: a share of what it holds now would step back.
			s := fmt.Sprintf("%s sent of %s so far", format.Bytes(v.BytesAcked), size)
			if v.Rate >= 1 {
				s += " · " + format.Rate(v.Rate)
			}
			return s
		}
		pct := 100
		if v.Size > 0 {
			pct = int(v.BytesAcked * 100 / v.Size)
		}
		s := fmt.Sprintf("%s of %s · %d%%", format.Bytes(v.BytesAcked), size, pct)
		if v.Rate >= 1 {
			s += " · " + format.Rate(v.Rate)
		}
		if v.ETA > 0 {
			s += " · " + format.Duration(v.ETA) + " left"
		}
		return s
	case core.Done:
		s := size + " · uploaded" + doneAt(v) + toProject(v)
		switch v.Verdict() {
		case core.VerdictMatched:
			s += " · matches the hash list"
		case core.VerdictNotListed:
			s += " · not in the offload's hash list"
		}
		return s
	case core.Held:
		return size + " · " + v.Error
	case core.Queued:
		if v.Detail != "" {
			return size + " · " + v.Detail
		}
	case core.Waiting:
		return size + " · " + v.Detail
	case core.Failed, core.Skipped, core.Retrying, core.Cancelled:
		if v.Error != "" {
			return size + " · " + v.Error
		}
	case core.Paused:
		if v.ErrorKind == core.CardRemovedKind {
			return size + " · " + v.Error
		}
		if v.BytesAcked > 0 {
			return fmt.Sprintf("%s of %s sent · paused", format.Bytes(v.BytesAcked), size)
		}
	}
	return size
}

// doneAt is when a file was uploaded (see when).
func doneAt(v core.FileView) string {
	if v.DoneAt.IsZero() {
		return ""
	}
	return when(v.DoneAt)
}

// when is " at 15:04" for a time today, " 2 Jan 15:04" for another day.
func when(t time.Time) string {
	at := t.Local()
	if y, m, d := at.Date(); y != time.Now().Year() || m != time.Now().Month() || d != time.Now().Day() {
		return " " + at.Format("2 Jan 15:04")
	}
	return " at " + at.Format("15:04")
}

// toProject is where an uploaded file went.
func toProject(v core.FileView) string {
	if v.Project == "" {
		return ""
	}
	return " to “" + v.Project + "”"
}

// fileIcon picks an icon by extension, of a different shape for each kind: the theme's
// file icons (a page with a small mark) look alike at a row's size.
func fileIcon(name string) fyne.Resource {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".mov", ".mp4", ".mxf", ".braw", ".r3d", ".arx", ".crm", ".mkv", ".avi", ".mts", ".m4v", ".webm", ".dv":
		return theme.MediaVideoIcon()
	case ".wav", ".bwf", ".aif", ".aiff", ".mp3", ".m4a", ".aac", ".flac":
		return theme.MediaMusicIcon()
	case ".jpg", ".jpeg", ".png", ".heic", ".heif", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".tif", ".tiff", ".exr", ".dpx", ".ari", ".raf":
		return theme.MediaPhotoIcon()
	case ".srt", ".vtt", ".xml", ".csv", ".txt", ".edl", ".ale", ".cube", ".pdf", ".json":
		return theme.ListIcon()
	}
	return theme.FileIcon()
}

// kindPrefix starts a row's detail with its kind ("Proxy · "), which decides when it
// goes.
func kindPrefix(v core.FileView) string {
	if v.Category == "" {
		return ""
	}
	return v.Category.Label() + " · "
}

// movedNote says where the person moved a file that has yet to go.
func movedNote(v core.FileView) string {
	if v.Realtime && !v.State.Finished() {
		return " · goes first while it is recorded"
	}
	if p := v.MovedTo(); p != "" && !v.State.Finished() {
		return " · moved to the " + string(p)
	}
	return ""
}
