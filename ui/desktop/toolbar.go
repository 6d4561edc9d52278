package desktop

import (
	"context"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// toolbar holds what applies to the whole queue.
func (u *UI) toolbar() fyne.CanvasObject {
	addFiles := widget.NewButtonWithIcon("Add files…", theme.FileIcon(), u.chooseFile)
	addFolder := widget.NewButtonWithIcon("Add folder…", theme.FolderOpenIcon(), u.chooseFolder)
	// Files added while uploads start by hand (Settings: Start uploads) wait on hold.
	u.startAll = widget.NewButtonWithIcon("Start all", theme.MediaPlayIcon(), func() {
		u.p.do("Starting failed", func(ctx context.Context) error { return u.svc.Start(ctx, core.All) })
	})
	u.startAll.Importance = widget.HighImportance
	u.startAll.Hide()
	retry := widget.NewButtonWithIcon("Retry failed", theme.ViewRefreshIcon(), func() {
		u.p.do("Retry failed", func(ctx context.Context) error { return u.svc.Retry(ctx, core.All) })
	})
	clear := widget.NewButtonWithIcon("Clear finished", theme.DeleteIcon(), func() {
		u.p.do("Clearing the list failed", u.svc.ClearFinished)
	})
	settings := widget.NewButtonWithIcon("", theme.SettingsIcon(), u.showSettings)
	var help *widget.Button
	help = widget.NewButtonWithIcon("", theme.HelpIcon(), func() { u.showHelpMenu(help) })
	for _, b := range []*widget.Button{retry, clear, settings, help} {
		b.Importance = widget.LowImportance
	}
	return container.NewPadded(container.NewHBox(addFiles, addFolder, u.watch.button, u.startAll, layout.NewSpacer(), retry, clear, settings, help))
}

// Keyboard shortcuts for the toolbar's actions: Ctrl (Cmd on a Mac) with O adds files,
// with Shift and O a folder, with a comma opens the settings, with F searches the list.
var (
	shortcutAddFiles  = &desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutAddFolder = &desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	shortcutSettings  = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutSearch    = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	// With Shift and Up the picked files go next; with Shift and Down, last.
	shortcutMoveTop    = &desktop.CustomShortcut{KeyName: fyne.KeyUp, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	shortcutMoveBottom = &desktop.CustomShortcut{KeyName: fyne.KeyDown, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
)

// keyHint names a shortcut of the default modifier and key k as the platform writes it.
func keyHint(k string) string {
	if runtime.GOOS == "darwin" {
		return "⌘" + k
	}
	return "Ctrl+" + k
}

func (u *UI) addShortcuts() {
	c := u.win.Canvas()
	c.AddShortcut(shortcutAddFiles, func(fyne.Shortcut) { u.chooseFile() })
	c.AddShortcut(shortcutAddFolder, func(fyne.Shortcut) { u.chooseFolder() })
	c.AddShortcut(shortcutSettings, func(fyne.Shortcut) { u.showSettings() })
	c.AddShortcut(shortcutSearch, func(fyne.Shortcut) { u.queue.focusSearch() })
	for sc, to := range map[*desktop.CustomShortcut]core.Place{shortcutMoveTop: core.Top, shortcutMoveBottom: core.Bottom} {
		c.AddShortcut(sc, func(fyne.Shortcut) {
			if c.Overlays().Top() == nil && !u.showingPairing {
				u.movePicked(to, 0)
			}
		})
	}
	// Ctrl/Cmd+A comes from the driver as its own select-all shortcut.
	c.AddShortcut(&fyne.ShortcutSelectAll{}, func(fyne.Shortcut) {
		if c.Overlays().Top() != nil {
			return
		}
		u.m.selectAll()
		u.queue.list.Refresh()
	})
	c.SetOnTypedKey(u.typedKey)
}
