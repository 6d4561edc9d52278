package desktop

import (
	"cmp"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// picker is the window's own chooser for files and folders: Fyne's picks one file at a
// time and knows no cards. Beside a folder's files and subfolders it lists the cards and
// drives mounted and the folders added lately; it adds the files ticked, or the folder
// shown. Folders are read off Fyne's goroutine: a card reader can be slow.
type picker struct {
	u       *UI
	folders bool // choosing a folder, not files
	chosen  func(paths []string)
	dir     string
	entries []pickEntry
	ticked  map[string]bool // paths of the files ticked, in this folder or others
	loading int             // counts folder reads, so that a late one is dropped

	where *widget.Label
	list  *widget.List
	note  *widget.Label // the folder is empty, unreadable, or being read
	add   *widget.Button
	dlg   dialog.Dialog
}

type pickEntry struct {
	name string
	dir  bool
	size int64
}

// recentFolders keeps the folders added lately (Fyne's preferences, newest first).
const (
	prefRecentFolders = "recent_folders"
	recentFoldersKept = 6
)

func (u *UI) chooseFile()   { u.openPicker(false, "") }
func (u *UI) chooseFolder() { u.openPicker(true, "") }

// openPicker shows the chooser at dir (the last folder added when ""); what is chosen
// is added to the queue.
func (u *UI) openPicker(folders bool, dir string) *picker {
	title := "Add files"
	if folders {
		title = "Add a folder"
	}
	return u.openPickerFor(title, folders, dir, u.add)
}

// openPickerFor shows the chooser titled title at dir, and hands what is chosen to chosen.
func (u *UI) openPickerFor(title string, folders bool, dir string, chosen func(paths []string)) *picker {
	if dir == "" {
		if recent := u.app.Preferences().StringList(prefRecentFolders); len(recent) > 0 {
			dir = recent[0]
		} else if home, err := os.UserHomeDir(); err == nil {
			dir = home
		}
	}
	p := &picker{u: u, folders: folders, chosen: chosen, ticked: map[string]bool{}}
	p.where = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.where.Truncation = fyne.TextTruncateEllipsis
	p.note = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	p.list = widget.NewList(func() int { return len(p.entries) }, p.newRow, p.setRow)
	p.list.OnSelected = func(i widget.ListItemID) {
		p.list.Unselect(i)
		if i < len(p.entries) {
			p.choose(p.entries[i])
		}
	}
	up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { p.open(filepath.Dir(p.dir)) })
	p.add = widget.NewButtonWithIcon("", theme.ContentAddIcon(), p.done)
	p.add.Importance = widget.HighImportance
	all := widget.NewButton("Tick every file", func() {
		for _, e := range p.entries {
			if !e.dir {
				p.ticked[filepath.Join(p.dir, e.name)] = true
			}
		}
		p.refresh()
	})
	show(all, !folders)
	top := container.NewBorder(nil, nil, up, nil, p.where)
	body := container.NewBorder(top, nil, nil, nil, container.NewStack(p.list, container.NewCenter(p.note)))
	split := container.NewHSplit(p.places(), body)
	split.Offset = 0.28
	buttons := container.NewHBox(all, layout.NewSpacer(), widget.NewButton("Cancel", func() { p.dlg.Hide() }), p.add)
	p.dlg = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, buttons, nil, nil, split), u.win)
	p.dlg.Resize(fyne.NewSize(820, 540))
	p.open(dir)
	p.dlg.Show()
	return p
}

// places is the column of where to start: home, the cards and drives mounted, the
// folders added lately.
func (p *picker) places() fyne.CanvasObject {
	place := func(icon fyne.Resource, label, dir string) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, func() { p.open(dir) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		return b
	}
	heading := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	home, volumes, recent := container.NewVBox(), container.NewVBox(), container.NewVBox()
	if dir, err := os.UserHomeDir(); err == nil {
		home.Add(place(theme.HomeIcon(), "Home", dir))
	}
	if dirs := p.u.app.Preferences().StringList(prefRecentFolders); len(dirs) > 0 {
		recent.Add(heading("Added lately"))
		for _, dir := range dirs {
			recent.Add(place(theme.FolderIcon(), filepath.Base(dir), dir))
		}
	}
	// The volumes are looked for off Fyne's goroutine: a drive gone away can take
	// seconds to answer.
	p.u.p.offUI(p.u.ctx, func() func() {
		vols := mountedVolumes(volumeRoots())
		return func() {
			if len(vols) == 0 {
				return
			}
			volumes.Add(heading("Cards and drives"))
			for _, v := range vols {
				label := filepath.Base(v)
				if strings.Trim(label, `/\`) == "" {
					label = v // a drive's root
				}
				volumes.Add(place(theme.StorageIcon(), label, v))
			}
		}
	})
	return container.NewVScroll(container.NewVBox(home, volumes, recent))
}

// open reads dir and shows it.
func (p *picker) open(dir string) {
	p.dir = dir
	p.loading++
	n := p.loading
	p.entries = nil
	p.note.SetText("Reading the folder…")
	p.note.Show()
	p.refresh()
	p.u.p.offUI(p.u.ctx, func() func() {
		entries, err := readFolder(dir)
		return func() {
			if n != p.loading {
				return
			}
			p.entries = entries
			switch {
			case err != nil:
				p.note.SetText("This folder cannot be read: " + err.Error())
			case len(entries) == 0:
				p.note.SetText("Nothing here.")
			default:
				p.note.Hide()
			}
			p.refresh()
		}
	})
}

// readFolder lists a folder's subfolders then its files, each by name, hidden ones left
// out.
func readFolder(dir string) ([]pickEntry, error) {
	des, err := os.ReadDir(dir)
	var out []pickEntry
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			continue
		}
		e := pickEntry{name: de.Name(), dir: de.IsDir()}
		if fi, err := os.Stat(filepath.Join(dir, de.Name())); err == nil {
			e.dir, e.size = fi.IsDir(), fi.Size() // a link, by what it points to
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b pickEntry) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
	})
	return out, err
}

// choose opens a folder, or ticks and unticks a file.
func (p *picker) choose(e pickEntry) {
	path := filepath.Join(p.dir, e.name)
	switch {
	case e.dir:
		p.open(path)
	case !p.folders:
		if p.ticked[path] {
			delete(p.ticked, path)
		} else {
			p.ticked[path] = true
		}
		p.refresh()
	}
}

func (p *picker) newRow() fyne.CanvasObject {
	check := widget.NewCheck("", nil)
	icon := widget.NewIcon(theme.FolderIcon())
	name := widget.NewLabel("")
	name.Truncation = fyne.TextTruncateEllipsis
	size := widget.NewLabel("")
	return container.NewBorder(nil, nil, container.NewHBox(check, icon), size, name)
}

func (p *picker) setRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(p.entries) {
		return
	}
	e := p.entries[i]
	c := o.(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	check, icon := left.Objects[0].(*widget.Check), left.Objects[1].(*widget.Icon)
	name, size := c.Objects[0].(*widget.Label), c.Objects[2].(*widget.Label)
	name.SetText(e.name)
	path := filepath.Join(p.dir, e.name)
	check.OnChanged = nil
	check.SetChecked(p.ticked[path])
	check.OnChanged = func(bool) { p.choose(e) }
	show(check, !e.dir && !p.folders)
	if e.dir {
		icon.SetResource(theme.FolderIcon())
		size.SetText("")
	} else {
		icon.SetResource(fileIcon(e.name))
		size.SetText(format.Bytes(e.size))
	}
	if p.folders && !e.dir {
		name.Importance = widget.LowImportance
	} else {
		name.Importance = widget.MediumImportance
	}
	name.Refresh()
	c.Refresh() // the size's width changed: lay the row out again
}

// refresh redraws the list and says what the button adds.
func (p *picker) refresh() {
	p.where.SetText(p.dir)
	if p.folders {
		p.add.SetText("Add “" + filepath.Base(p.dir) + "”")
		p.add.Enable()
	} else {
		n := len(p.ticked)
		p.add.SetText("Add " + format.Count(n, "file"))
		if n == 0 {
			p.add.Disable()
		} else {
			p.add.Enable()
		}
	}
	p.list.Refresh()
}

// done adds the ticked files or the folder shown, and remembers where they came from.
func (p *picker) done() {
	var paths []string
	if p.folders {
		paths = []string{p.dir}
	} else {
		for path := range p.ticked {
			paths = append(paths, path)
		}
		slices.Sort(paths)
	}
	if len(paths) == 0 {
		return
	}
	p.dlg.Hide()
	p.u.rememberFolder(p.dir)
	p.chosen(paths)
}

// rememberFolder puts dir first among the folders added lately.
func (u *UI) rememberFolder(dir string) {
	recent := slices.DeleteFunc(u.app.Preferences().StringList(prefRecentFolders), func(s string) bool { return s == dir })
	recent = append([]string{dir}, recent...)
	if len(recent) > recentFoldersKept {
		recent = recent[:recentFoldersKept]
	}
	u.app.Preferences().SetStringList(prefRecentFolders, recent)
}

// volumeRoots are where this system mounts cards and drives.
func volumeRoots() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"/Volumes"}
	case "windows":
		var drives []string
		for c := 'A'; c <= 'Z'; c++ {
			drives = append(drives, fmt.Sprintf("%c:\\", c))
		}
		return drives
	}
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return []string{filepath.Join("/media", name), filepath.Join("/run/media", name), "/media", "/mnt"}
}

// mountedVolumes lists the volumes under roots: a Windows drive root itself, the folders
// in the others (a user's folder under /media is a root, not a volume).
func mountedVolumes(roots []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, root := range roots {
		if runtime.GOOS == "windows" {
			if _, err := os.Stat(root); err == nil {
				out = append(out, root)
			}
			continue
		}
		des, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, de := range des {
			p := filepath.Join(root, de.Name())
			if !de.IsDir() || strings.HasPrefix(de.Name(), ".") || seen[p] || slices.Contains(roots, p) {
				continue
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
