package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Status is `c2c-uploader status`: the pairing (paired or not, the project, the
// connection) and the queue in the order it runs (each file's id, state, kind, progress,
// where it went and why). It
// starts no upload. With --json it prints the same as events. While another process holds
// the data folder it reads the queue as last written and uses no token.
func Status(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	showNotices(&o)
	if o.AcknowledgeAsked {
		switch {
		case o.HeldBy != "":
			fmt.Fprintf(o.Stderr, "status: cannot mark the warnings read while %s uses the data folder; run it again when it has finished.\n", o.HeldBy)
			return ExitFailed
		case len(o.Notices) == 0:
			fmt.Fprintln(o.Stderr, "No warning to mark as read.")
		default:
			if err := o.Acknowledge(); err != nil {
				fmt.Fprintf(o.Stderr, "status: %v\n", err)
				return ExitFailed
			}
			fmt.Fprintln(o.Stderr, "Marked as read; the warning is not shown again.")
		}
	}
	if _, err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "status: %v\n", err)
		return ExitFailed
	}
	if o.HeldBy != "" {
		fmt.Fprintf(o.Stderr, "%s is using this data folder: the queue below is as it last recorded it.\n", upperFirst(o.HeldBy))
	}
	if o.OtherAPI != "" {
		fmt.Fprintf(o.Stderr, "This data folder is paired with %s, not %s: its pairing is not used with another API.\n", o.RecordedAPI, o.OtherAPI)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	online, reason, st := svc.Probe(pctx)
	cancel()
	if o.RecordedPaired && (o.HeldBy != "" || o.OtherAPI != "") {
		// The pairing as the folder records it: its tokens belong to the process that
		// holds the folder, or to another API.
		st = core.AuthStatus{State: core.Paired, ProjectName: o.RecordedProject}
	}
	cs := core.Connection{State: core.Online, Since: time.Now()}
	if !online {
		cs = core.Connection{State: core.Offline, Since: time.Now(), Reason: reason}
	}
	views, totals := svc.Snapshot()
	core.SortByRun(views, svc.Settings().Order) // the order it will run
	// All of it through one buffer, written at once (the status is not followed): a line
	// or a table cell at a time, a system call each, a list of 50,000 files took a second.
	w := bufio.NewWriter(o.Stdout)
	defer w.Flush()
	if o.JSON {
		jw := newJSONWriter(w)
		jw.write(eventJSON(core.Event{Type: core.EventAuth, Auth: &st}))
		jw.write(eventJSON(core.Event{Type: core.EventConnection, Connection: &cs}))
		for i := range views {
			jw.write(eventJSON(core.Event{Type: core.EventFile, File: &views[i]}))
		}
		jw.write(eventJSON(core.Event{Type: core.EventTotals, Totals: &totals}))
		return ExitOK
	}
	switch st.State {
	case core.Paired, core.Refreshing:
		fmt.Fprintf(w, "Pairing:     paired%s\n", projectSuffix(st))
	case core.NeedsReconnect:
		fmt.Fprintf(w, "Pairing:     needs reconnecting — %s\n", st.Reason)
	default:
		fmt.Fprintln(w, "Pairing:     not paired (run `c2c-uploader pair`)")
	}
	if online {
		fmt.Fprintf(w, "Connection:  online (%s)\n", o.APIURL)
		if reason != "" {
			fmt.Fprintf(w, "             %s\n", reason)
		}
	} else {
		fmt.Fprintf(w, "Connection:  offline (%s) — %s\n", o.APIURL, reason)
	}
	fmt.Fprintf(w, "Queue:       %s, %d to go (%s), %d done, %d failed, %d skipped",
		format.Count(totals.Files, "file"), totals.FilesRemaining, format.Bytes(totals.BytesRemaining), totals.Done, totals.Failed, totals.Skipped)
	if totals.Held > 0 {
		fmt.Fprintf(w, ", %d held for another project", totals.Held)
	}
	if totals.OnHold > 0 {
		fmt.Fprintf(w, ", %d on hold (`c2c-uploader start all` sends them)", totals.OnHold)
	}
	fmt.Fprintln(w)
	if totals.Limit > 0 {
		fmt.Fprintf(w, "Bandwidth:   limited to %s", format.Bandwidth(totals.Limit))
		if !totals.LimitUntil.IsZero() {
			fmt.Fprintf(w, " until %s (schedule)", totals.LimitUntil.Local().Format("Mon 15:04"))
		}
		fmt.Fprintln(w)
	} else if !totals.LimitUntil.IsZero() {
		fmt.Fprintf(w, "Bandwidth:   no limit until %s (schedule)\n", totals.LimitUntil.Local().Format("Mon 15:04"))
	}
	if totals.DiskFull {
		fmt.Fprintln(w, "             stopped: the disk holding the upload journal is full")
	}
	if len(views) == 0 {
		return ExitOK
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tPROGRESS\tSIZE\tFILE\tPROJECT\tNOTE")
	for _, v := range views {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.State, strings.ToLower(v.Category.Label()), progress(v), format.Bytes(v.Size), oneLine(v.Name), oneLine(v.Project), oneLine(note(v)))
	}
	_ = tw.Flush()
	if totals.Skipped > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, skippedAdvice(totals.Skipped))
	}
	return ExitOK
}

// skippedAdvice says what can be done with files the project refused for a channel pause.
func skippedAdvice(n int) string {
	return fmt.Sprintf("%s recorded while the device was paused in the project: the project refuses media from that time, even after it resumes. "+
		"They stay on disk; `c2c-uploader upload --anyway PATH...` (or Upload anyway in the window) sends them as new media, dated by when they arrive.", format.Counted(n, "file was", "files were"))
}

func progress(v core.FileView) string {
	if v.Size == 0 {
		if v.State == core.Done {
			return "100%"
		}
		return "0%"
	}
	return fmt.Sprintf("%d%%", v.BytesDone*100/v.Size)
}

// note is the reason a file is where it is, on one line.
func note(v core.FileView) string {
	var parts []string
	if p := v.MovedTo(); p != "" && !v.State.Finished() {
		parts = append(parts, "moved to the "+string(p))
	}
	if v.State == core.Done && !v.DoneAt.IsZero() {
		parts = append(parts, "uploaded "+v.DoneAt.Local().Format("2 Jan 2006 15:04"))
	}
	if v.Error != "" && v.State != core.Done {
		parts = append(parts, v.Error)
	}
	if v.Detail != "" {
		parts = append(parts, v.Detail)
	}
	if v.State == core.Retrying && !v.NextAttempt.IsZero() {
		parts = append(parts, "next try "+v.NextAttempt.Local().Format("15:04:05"))
	}
	return strings.Join(parts, "; ")
}

// oneLine keeps a name with a line break or a tab on its row of the table.
func oneLine(s string) string { return lineBreaks.Replace(s) }

var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
