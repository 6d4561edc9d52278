package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// WindDownLimit is how long `watch`, told to stop, lets the requests in flight finish
// before it ends them (they resume on the next run).
const WindDownLimit = 10 * time.Second

// Watch is `c2c-uploader watch [DIR...]`: it watches the folders (those named, else the
// watch setting's) and uploads the files that settle in them, with the rest of the queue,
// until SIGINT or SIGTERM; then the requests in flight get WindDownLimit to finish and
// it exits 0. It exits 1 when it must stop: the device needs reconnecting, a watched
// folder stays missing (core/ingest's Lost), the journal's disk is full, or the API
// refuses this app.
func Watch(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	showNotices(&o)
	folders := svc.Settings().WatchFolders()
	if len(folders) == 0 {
		fmt.Fprintln(o.Stderr, "watch: no folders to watch: name them (c2c-uploader watch DIR...) or keep them in the settings (c2c-uploader settings set watch DIR).")
		return ExitUsage
	}
	tokensErr, err := load(ctx, svc, &o)
	if err != nil {
		fmt.Fprintf(o.Stderr, "watch: %v\n", err)
		return ExitFailed
	}
	if tokensErr != nil {
		fmt.Fprintf(o.Stderr, "watch: the pairing could not be read: %s\n", userText(tokensErr))
		return ExitFailed
	}
	if svc.AuthStatus().State == core.Unpaired {
		fmt.Fprintln(o.Stderr, "watch: this computer is not paired with a project. Run `c2c-uploader pair` first.")
		return ExitFailed
	}

	sigCtx, interrupted, stopSignals := interruptible(ctx)
	defer stopSignals()
	// The service outlives the signal: what is in flight is let finish (WindDown).
	runCtx, endRun := context.WithCancel(context.WithoutCancel(ctx))
	defer endRun()
	jw := o.events()
	sub := svc.Subscribe()
	defer sub.Close()
	if err := svc.Run(runCtx); err != nil {
		fmt.Fprintf(o.Stderr, "watch: %v\n", err)
		return ExitFailed
	}
	var display progressDisplay = &lineDisplay{w: o.Stderr}
	if o.JSON {
		display = nopDisplay{}
	} else {
		fmt.Fprintf(o.Stderr, "Watching %s for %s: files are uploaded as they settle. Ctrl-C stops.\n",
			strings.Join(folders, ", "), svc.AuthStatus().ProjectName)
	}

	var stopReason string
	handle := func(ev core.Event) {
		switch ev.Type {
		case core.EventFile:
			display.file(*ev.File)
		case core.EventWatch:
			w := ev.Watch
			switch w.State {
			case core.WatchLost:
				stopReason = fmt.Sprintf("the watched folder %s is gone and has not come back", w.Folder)
			case core.WatchWatching:
				display.note("watching " + w.Folder)
			default:
				display.note("! " + w.Folder + ": " + w.Reason)
			}
		case core.EventCard:
			display.note(cardNote(*ev.Card))
		case core.EventAlert:
			switch ev.Alert.Kind {
			case core.AlertReconnect:
				stopReason = "this computer needs reconnecting to the project. Run `c2c-uploader pair`, then watch again: the queue is kept."
			case core.AlertClientRejected, core.AlertVersionRejected:
				stopReason = ev.Alert.Message
			case core.AlertDiskFull:
				stopReason = ev.Alert.Message + "; free some space and run it again"
			}
			display.note("! " + ev.Alert.Message)
		}
	}
	for stopReason == "" {
		select {
		case <-sigCtx.Done():
		case <-sub.Ready():
			drain(sub, jw, handle)
			continue
		}
		break
	}

	display.note(fmt.Sprintf("Stopping: letting the requests in flight finish (%s at most)…", format.Duration(WindDownLimit)))
	if idle, err := svc.WindDown(runCtx); err == nil {
		select {
		case <-idle:
		case <-time.After(WindDownLimit):
		case <-ctx.Done():
		}
	}
	drain(sub, jw, handle)
	writeReceipts(runCtx, svc, jw, o, display.columns())
	// The attempts write how they stood (a file whose last parts reached S3 is done)
	// once the run has ended: Shutdown waits for them.
	endRun()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), WindDownLimit)
	defer cancel()
	_ = svc.Shutdown(shutdown)
	drain(sub, jw, handle)
	_, final := svc.Snapshot()
	display.totals(final)
	display.close()
	if stopReason != "" && !interrupted() {
		fmt.Fprintf(o.Stderr, "watch: stopped: %s\n", stopReason)
		return ExitFailed
	}
	left := final.FilesRemaining
	if !o.JSON && left > 0 {
		fmt.Fprintf(o.Stderr, "watch: stopped; %s to go on the next run.\n", format.Count(left, "file"))
	}
	return ExitOK
}

// cardNote is what watch says of a camera card mounted or removed.
func cardNote(c core.CardEvent) string {
	name := c.Path
	if c.Layout != "" {
		name += " (" + c.Layout + ")"
	}
	switch {
	case c.Removed:
		return "card removed: " + name + "; its files not uploaded yet wait for it"
	case c.Problem != "":
		return "! " + c.Problem
	case c.Survey == nil:
		return "card mounted: " + name
	case c.Added > 0:
		return fmt.Sprintf("card mounted: %s; %s queued", name, format.Count(c.Added, "file"))
	case c.Survey.Files == c.Survey.Known:
		return fmt.Sprintf("card mounted: %s; its %s were uploaded already", name, format.Count(c.Survey.Files, "file"))
	}
	// This run holds the data folder: an upload command would wait for it to end.
	return fmt.Sprintf("card mounted: %s, %s (%s) not uploaded yet; to upload it, stop watching and run `c2c-uploader upload %s`, or have cards uploaded as they are mounted: `c2c-uploader settings set cards always`, then watch again",
		name, format.Count(c.Survey.Files-c.Survey.Known, "file"), format.Bytes(c.Survey.NewBytes), c.Path)
}
