// Command c2c-uploader uploads media to a project through the Camera to Cloud API: a
// desktop window, or headless commands for automation (see flags.go).
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	_ "github.com/c2c-uploader/c2c-uploader/internal/cleanlocale"  // before Fyne reads the locale
	_ "github.com/c2c-uploader/c2c-uploader/internal/nodbuslaunch" // before anything talks to D-Bus
	"github.com/c2c-uploader/c2c-uploader/store/journal"
	"github.com/c2c-uploader/c2c-uploader/store/lock"
	"github.com/c2c-uploader/c2c-uploader/store/settings"
	"github.com/c2c-uploader/c2c-uploader/ui/cli"
	"github.com/c2c-uploader/c2c-uploader/ui/control"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "sim" {
		return c2csim.RunCommand(args[1:], stdout, stderr)
	}
	o, err := parseArgs(args, stderr)
	if err != nil {
		if err.Error() == "flag: help requested" {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitUsage
	}
	if o.version {
		fmt.Fprintln(stdout, appVersion())
		return cli.ExitOK
	}
	if o.command == "" {
		return runWindow(ctx, o, stderr)
	}
	if o.command == "settings" {
		return runSettings(o, stdout, stderr)
	}
	if o.command == "report" {
		return runReport(o, stdout, stderr)
	}
	rs, err := loadSettings(o, nil)
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	for _, p := range rs.problems {
		fmt.Fprintf(stderr, "warning: %s\n", p)
	}
	a, err := setup(ctx, o, rs, stderr)
	if err != nil {
		if held, ok := lock.IsHeld(err); ok {
			if o.command == "upload" && held.Holder.Control != "" {
				return uploadThroughHolder(ctx, o, held, stdout, stderr)
			}
			if (o.command == "move" || o.command == "start") && held.Holder.Control != "" {
				return queueCommandThroughHolder(ctx, o, held, stdout, stderr)
			}
			fmt.Fprintf(stderr, "c2c-uploader: %v; try again once it has finished%s.\n", held, closeHint(held))
			return cli.ExitFailed
		}
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	defer a.close()
	for _, n := range a.settingsNotices {
		fmt.Fprintf(stderr, "warning: %s\n", n)
	}
	co := cli.Options{JSON: o.json, Timeout: o.timeout, Force: o.force, Hold: o.hold, Stdout: stdout, Stderr: stderr, Terminal: isTerminal(stderr),
		ToCurrentProject: o.toCurrent, Anyway: o.anyway, AcknowledgeAsked: o.acknowledge,
		APIURL: a.apiURL, DataDir: a.dataDir, TokenStore: a.tokenKind,
		CheckTokens:    a.tokens.Check,
		Acknowledge:    func() error { return journal.AcknowledgeDamage(a.journalPath()) },
		RecordedPaired: a.paired, RecordedProject: a.pairing.ProjectName, RecordedAPI: a.pairing.APIURL,
		OtherAPI: a.otherAPI,
	}
	for _, d := range a.damages {
		co.Notices = append(co.Notices, d.Message())
	}
	if a.readOnly {
		co.HeldBy = a.holder.String()
		if a.holder.PID == 0 {
			co.HeldBy = "another C2C Uploader"
		}
	}
	if a.sim != nil {
		co.AutoApprove = func(_ context.Context, code string) error {
			fmt.Fprintln(stderr, "  (demo: approving the code in the built-in simulator)")
			return a.sim.Approve(code, c2csim.Approval{ProjectName: "Demo Project"})
		}
	}
	switch o.command {
	case "pair":
		return cli.Pair(ctx, a.svc, co)
	case "upload":
		if a.sim != nil {
			// The demo's simulator lives only as long as this run: pair with it first.
			if code := cli.Pair(ctx, a.svc, co); code != cli.ExitOK {
				return code
			}
		}
		return cli.Upload(ctx, a.svc, o.paths, co)
	case "status":
		return cli.Status(ctx, a.svc, co)
	case "move":
		return cli.MoveWith(ctx, a.svc, o.moveIDs, o.movePlace, co)
	case "start":
		return cli.Start(ctx, a.svc, o.startWhat, co)
	case "verify":
		return cli.Verify(ctx, a.svc, o.paths, co)
	case "watch":
		if a.sim != nil {
			if code := cli.Pair(ctx, a.svc, co); code != cli.ExitOK {
				return code
			}
		}
		return cli.Watch(ctx, a.svc, co)
	default:
		return cli.Unpair(ctx, a.svc, co)
	}
}

// runSettings is `settings`: it needs the data folder but not its lock, so that the
// settings can be changed while the window runs (store/settings).
func runSettings(o options, stdout, stderr io.Writer) int {
	dir, err := dataDir(o)
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	return cli.Settings(settings.New(dir), o.settingsArgs, cli.Options{JSON: o.json, Stdout: stdout, Stderr: stderr})
}

// runReport is `report`: it reads the reports folder only, and takes no lock.
func runReport(o options, stdout, stderr io.Writer) int {
	dir, err := dataDir(o)
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
		return cli.ExitFailed
	}
	return cli.Report(reportsDir(dir), o.last, o.reportBatch, cli.Options{JSON: o.json, Stdout: stdout, Stderr: stderr})
}

// dialHolder connects to the window that holds the data folder; false (and said) when it
// cannot be reached.
func dialHolder(ctx context.Context, held *lock.HeldError, stderr io.Writer) (*control.Client, bool) {
	c, err := control.Dial(ctx, held.Holder.Control, appVersion())
	if err != nil {
		fmt.Fprintf(stderr, "c2c-uploader: %v, but %v; quit it, or try again.\n", held, err)
		return nil, false
	}
	return c, true
}

// uploadThroughHolder hands an upload to the window that holds the data folder, and
// follows it.
func uploadThroughHolder(ctx context.Context, o options, held *lock.HeldError, stdout, stderr io.Writer) int {
	c, ok := dialHolder(ctx, held, stderr)
	if !ok {
		return cli.ExitFailed
	}
	defer c.Close()
	paths := make([]string, len(o.paths))
	for i, p := range o.paths {
		// The window runs in another folder: it is given absolute paths.
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		paths[i] = p
	}
	// The filter is the add's own: it goes with the files. The other settings are the
	// window's.
	var filter *core.FilterSpec
	others := maps.Clone(o.overrides)
	for _, k := range filterKeys {
		delete(others, k)
		if _, ok := o.overrides[k]; ok && filter == nil {
			rs, err := loadSettings(o, nil)
			if err != nil {
				fmt.Fprintf(stderr, "c2c-uploader: %v\n", err)
				return cli.ExitFailed
			}
			filter = &rs.Filter
		}
	}
	if (o.hold || filter != nil) && !sameVersion(c, held, "--hold, --only, --include and --exclude", stderr) {
		return cli.ExitFailed
	}
	if len(others) > 0 {
		fmt.Fprintf(stderr, "warning: the files go into the queue of %s, which uploads with its own settings: --%s does not apply to them.\n",
			held.Holder.String(), strings.Join(slices.Sorted(maps.Keys(others)), ", --"))
	}
	co := cli.Options{JSON: o.json, Force: o.force, Hold: o.hold, Filter: filter, ToCurrentProject: o.toCurrent, Anyway: o.anyway, Stdout: stdout, Stderr: stderr, Terminal: isTerminal(stderr)}
	return cli.UploadThrough(ctx, c, held.Holder.String(), paths, co)
}

// queueCommandThroughHolder runs move or start on the queue of the window that holds the
// data folder (start follows the files it starts).
func queueCommandThroughHolder(ctx context.Context, o options, held *lock.HeldError, stdout, stderr io.Writer) int {
	c, ok := dialHolder(ctx, held, stderr)
	if !ok {
		return cli.ExitFailed
	}
	defer c.Close()
	if !sameVersion(c, held, o.command, stderr) {
		return cli.ExitFailed
	}
	co := cli.Options{JSON: o.json, Stdout: stdout, Stderr: stderr, Terminal: isTerminal(stderr)}
	if o.command == "move" {
		return cli.Move(ctx, c, o.moveIDs, o.movePlace, co)
	}
	return cli.StartThrough(ctx, c, held.Holder.String(), o.startWhat, co)
}

// sameVersion: the window holding the folder is this version, which knows what the
// command asks of it (an older one would upload at once what was meant to wait, or
// leave nothing out). Otherwise it says so.
func sameVersion(c *control.Client, held *lock.HeldError, what string, stderr io.Writer) bool {
	if c.Version() == appVersion() {
		return true
	}
	fmt.Fprintf(stderr, "c2c-uploader: %s is version %s, which does not know %s of version %s; quit it and open this version, then run the command again.\n",
		held.Holder.String(), c.Version(), what, appVersion())
	return false
}

// filterKeys are the settings that say which files of an add are queued.
var filterKeys = []string{"only", "include", "exclude"}

// closeHint tells how to end what holds the folder, when it is the window.
func closeHint(held *lock.HeldError) string {
	if held.Known && held.Holder.Command == "window" {
		return " (or quit the window)"
	}
	return ""
}

// isTerminal tells whether w is a character device (live progress bars) rather than a
// file or a pipe (one line per event).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
