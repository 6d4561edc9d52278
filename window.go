package main

import (
	"context"
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/c2c-uploader/c2c-uploader/assets"
	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/ui/cli"
	"github.com/c2c-uploader/c2c-uploader/ui/desktop"
)

// appID is the app's identity for Fyne (preferences, notifications); it matches
// FyneApp.toml.
const appID = "io.github.c2cuploader.C2CUploader"

// runWindow opens the desktop window; the service runs until the window closes.
func runWindow(ctx context.Context, o options, stderr io.Writer) int {
	a := app.NewWithID(appID)
	icon := fyne.NewStaticResource("icon.png", assets.IconPNG)
	a.SetIcon(icon)
	if o.apiURL == "" && !o.demo {
		o.apiURL = desktop.SavedAPIURL(a.Preferences())
	}
	ap, err := setup(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	defer ap.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := desktop.Options{Version: appVersion(), Paths: o.paths, APIURL: ap.apiURL, OnQuit: cancel}
	if ap.sim != nil {
		fmt.Fprintf(stderr, "c2c-uploader: demo mode; the built-in simulator is at %s (admin API %s)\n", ap.sim.URL(), ap.sim.AdminURL())
		opts.Demo = true
		opts.ApproveDemo = func(code string) error {
			return ap.sim.Approve(code, c2csim.Approval{ProjectName: "Demo Project"})
		}
	}
	if _, err := ap.svc.Load(ctx); err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	ui := desktop.New(a, ap.svc, opts)
	ui.Start(ctx)
	if err := ap.svc.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	ui.Window().ShowAndRun()
	return cli.ExitOK
}
