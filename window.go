package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/assets"
	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
	"github.com/c2c-uploader/c2c-uploader/store/lock"
	"github.com/c2c-uploader/c2c-uploader/store/settings"
	"github.com/c2c-uploader/c2c-uploader/ui/cli"
	"github.com/c2c-uploader/c2c-uploader/ui/control"
	"github.com/c2c-uploader/c2c-uploader/ui/desktop"
)

// appID is the app's identity for Fyne (preferences, notifications); it matches
// FyneApp.toml.
const appID = "io.github.c2cuploader.C2CUploader"

// runWindow opens the desktop window; the service runs until the window closes. When the
// window is open already (it holds the data folder), the files given are handed to it
// and it comes to the front.
func runWindow(ctx context.Context, o options, stderr io.Writer) int {
	if why := noDisplayNamed(); why != "" {
		return noWindow(why, stderr)
	}
	// The window lives all day with a day of cards in memory: the heap may grow half
	// again over what is live instead of double (the default). With 10,000 files queued
	// the window's peak RSS went from 278 to 251 MiB (TestWindowTenThousandFiles), at
	// little cost: uploads allocate little per byte sent.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	a := app.NewWithID(appID)
	icon := fyne.NewStaticResource("icon.png", assets.IconPNG)
	a.SetIcon(icon)
	cs, err := loadSettings(o, func() map[string]string { return desktop.PreferencesToCarryOver(a.Preferences()) })
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		showStartupError(a, capitalized(err.Error())+".", stderr)
		return cli.ExitFailed
	}
	ap, err := setup(ctx, o, cs, stderr)
	if err != nil {
		if held, ok := lock.IsHeld(err); ok && held.Holder.Control != "" {
			return showInHolder(ctx, held, o.paths, stderr)
		}
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		text := capitalized(err.Error()) + "."
		if held, ok := lock.IsHeld(err); ok {
			text = fmt.Sprintf("%s. The window can open once it has finished.", capitalized(held.Error()))
		}
		showStartupError(a, text, stderr)
		return cli.ExitFailed
	}
	defer ap.close()
	if why := displayFails(filepath.Join(ap.dataDir, "logs", logFileName)); why != "" {
		return noWindow(why, stderr)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var notices []string
	for _, d := range ap.damages {
		notices = append(notices, d.Message())
	}
	opts := desktop.Options{Version: appVersion(), Paths: o.paths, APIURL: ap.apiURL, OnQuit: cancel,
		Notices: notices, TokenStore: ap.tokenKind,
		DataDir: ap.dataDir, LogDir: filepath.Join(ap.dataDir, "logs"), LogFile: logFileName, ReportsDir: reportsDir(ap.dataDir),
		Settings: cs.Settings, SettingsStore: settings.New(ap.dataDir),
		SettingsProblems:   append(cs.problems, ap.settingsNotices...),
		AcknowledgeNotices: func() error { return journal.AcknowledgeDamage(ap.journalPath()) },
		NeedPassphrase:     ap.needPassphrase,
		UnlockTokens: func(ctx context.Context, passphrase string) error {
			if err := ap.useTokenFile(ctx, passphrase); err != nil {
				return err
			}
			return ap.svc.ReloadPairing(ctx)
		},
		KeepInTokenFile: func(ctx context.Context, passphrase string) error {
			if err := ap.useTokenFile(ctx, passphrase); err != nil {
				return err
			}
			return ap.svc.KeepPairing(ctx)
		},
	}
	if ap.sim != nil {
		fmt.Fprintf(stderr, "c2c-uploader: demo mode; the built-in simulator is at %s (admin API %s)\n", ap.sim.URL(), ap.sim.AdminURL())
		opts.Demo = true
		opts.ApproveDemo = func(code string) error {
			return ap.sim.Approve(code, c2csim.Approval{ProjectName: "Demo Project"})
		}
	}
	if _, err := ap.svc.Load(ctx); err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		showStartupError(a, capitalized(err.Error())+".", stderr)
		return cli.ExitFailed
	}
	ui := desktop.New(a, ap.svc, opts)
	ui.Start(ctx)
	if err := ap.svc.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	serveControl(ctx, ap, ui)
	// Stopped by the system (a logout, a service manager, Ctrl-C in the terminal that
	// started it): quit as the Quit menu does, without asking; the queue resumes at the
	// next start.
	signalled, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	go func() {
		<-signalled.Done()
		if ctx.Err() == nil {
			ap.logger.Info("stopped by a signal; quitting")
			ui.Quit()
		}
	}()
	ui.Window().ShowAndRun()
	return cli.ExitOK
}

// serveControl lets `upload` and a second start of the app reach this window (ui/control).
// Without the socket the window works alone: another process is then told it is busy.
func serveControl(ctx context.Context, ap *wiring, ui *desktop.UI) {
	addr, err := control.Address(ap.dataDir)
	if err == nil {
		ln, lerr := control.Listen(addr)
		if err = lerr; err == nil {
			go control.Serve(ctx, ln, ap.svc, control.ServerOptions{Version: appVersion(), Open: ui.Open, Logger: ap.logger})
			err = ap.lock.SetControl(addr)
		}
	}
	if err != nil {
		ap.logger.Warn("other processes cannot hand files to this window", "err", err)
	}
}

// showInHolder brings the running window to the front with the files given.
func showInHolder(ctx context.Context, held *lock.HeldError, paths []string, stderr io.Writer) int {
	c, err := control.Dial(ctx, held.Holder.Control, appVersion())
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v, but %v\n", held, err)
		return cli.ExitFailed
	}
	defer c.Close()
	abs := make([]string, 0, len(paths))
	for _, p := range paths {
		if a, err := filepath.Abs(p); err == nil {
			p = a
		}
		abs = append(abs, p)
	}
	if err := c.Open(ctx, abs); err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: the open window did not take the files: %v\n", err)
		return cli.ExitFailed
	}
	if len(abs) > 0 {
		fmt.Fprintf(stderr, "c2c-uploader: the app is open already: its window was brought to the front, and %s handed to it.\n", format.Counted(len(abs), "path was", "paths were"))
	} else {
		fmt.Fprintln(stderr, "c2c-uploader: the app is open already; its window was brought to the front.")
	}
	return cli.ExitOK
}

// noWindow says that the window cannot open here, and what works instead.
func noWindow(why string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "c2c-uploader: the window cannot open: %s; without a display, use the headless commands: pair, upload PATH..., status, unpair, settings (see -h).\n", why)
	return cli.ExitFailed
}

// showStartupError tells a person who started the app from the desktop (no terminal to
// read) why the window cannot open; where no display opens, stderr has said it already.
func showStartupError(a fyne.App, text string, stderr io.Writer) {
	if why := displayFails(""); why != "" {
		noWindow(why, stderr)
		return
	}
	w := a.NewWindow("C2C Uploader")
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewBorder(nil, container.NewHBox(widget.NewButton("Quit", a.Quit)), nil, nil, msg))
	w.Resize(fyne.NewSize(520, 180))
	w.SetOnClosed(a.Quit)
	w.ShowAndRun()
}

// capitalized starts a message with a capital for a dialog.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
