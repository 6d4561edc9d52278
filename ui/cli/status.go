package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Status is `c2c-uploader status`: the pairing (paired or not, the project, the
// connection) and the queue (each file's state, progress and reason). It starts no
// upload. With --json it prints the same as events.
func Status(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	if err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "status: %v\n", err)
		return ExitFailed
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	online, reason, st := svc.Probe(pctx)
	cancel()
	cs := conn.Status{State: conn.Online, Since: time.Now()}
	if !online {
		cs = conn.Status{State: conn.Offline, Since: time.Now(), Reason: reason}
	}
	views, totals := svc.Snapshot()
	if o.JSON {
		jw := newJSONWriter(o.Stdout)
		jw.write(eventJSON(core.Event{Type: core.EventAuth, Auth: &st}))
		jw.write(eventJSON(core.Event{Type: core.EventConnection, Connection: &cs}))
		for i := range views {
			jw.write(eventJSON(core.Event{Type: core.EventFile, File: &views[i]}))
		}
		jw.write(eventJSON(core.Event{Type: core.EventTotals, Totals: &totals}))
		return ExitOK
	}
	w := o.Stdout
	switch st.State {
	case auth.Paired, auth.Refreshing:
		fmt.Fprintf(w, "Pairing:     paired%s\n", projectSuffix(st))
	case auth.NeedsReconnect:
		fmt.Fprintf(w, "Pairing:     needs reconnecting — %s\n", st.Reason)
	default:
		fmt.Fprintln(w, "Pairing:     not paired (run `c2c-uploader pair`)")
	}
	if online {
		fmt.Fprintln(w, "Connection:  online")
		if reason != "" {
			fmt.Fprintf(w, "             %s\n", reason)
		}
	} else {
		fmt.Fprintf(w, "Connection:  offline — %s\n", reason)
	}
	fmt.Fprintf(w, "Queue:       %s, %d to go (%s), %d done, %d failed, %d skipped\n",
		format.Count(totals.Files, "file"), totals.FilesRemaining, format.Bytes(totals.BytesRemaining), totals.Done, totals.Failed, totals.Skipped)
	if len(views) == 0 {
		return ExitOK
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tPROGRESS\tSIZE\tFILE\tNOTE")
	for _, v := range views {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.State, progress(v), format.Bytes(v.Size), v.Name, note(v))
	}
	_ = tw.Flush()
	return ExitOK
}

func progress(v upload.FileView) string {
	if v.Size == 0 {
		if v.State == upload.Done {
			return "100%"
		}
		return "0%"
	}
	return fmt.Sprintf("%d%%", v.BytesDone*100/v.Size)
}

// note is the reason a file is where it is, on one line.
func note(v upload.FileView) string {
	var parts []string
	if v.Error != "" && v.State != upload.Done {
		parts = append(parts, v.Error)
	}
	if v.Detail != "" {
		parts = append(parts, v.Detail)
	}
	if v.State == upload.Retrying && !v.NextAttempt.IsZero() {
		parts = append(parts, "next try "+v.NextAttempt.Local().Format("15:04:05"))
	}
	return strings.Join(parts, "; ")
}
