package cli

import (
	"context"
	"fmt"
	"maps"
	"sort"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Upload is `c2c-uploader upload PATH...`: it adds the paths to the persistent queue and
// runs the queue to its end. Exit 0 when every file arrived, 1 when some failed or were
// skipped (each listed with its reason), 130 when interrupted (the queue resumes next
// time).
func Upload(ctx context.Context, svc *core.Service, paths []string, o Options) int {
	o.defaults()
	showNotices(&o)
	tokensErr, err := load(ctx, svc, &o)
	if err != nil {
		fmt.Fprintf(o.Stderr, "upload: %v\n", err)
		return ExitFailed
	}
	if tokensErr != nil && !o.Hold {
		// Not "not paired": the pairing is there, and pairing again would leave it live.
		fmt.Fprintf(o.Stderr, "upload: the pairing could not be read: %s\n", userText(tokensErr))
		return ExitFailed
	}
	return uploadWith(ctx, svc, paths, o, svc.Run)
}

// UploadThrough is `upload` while the window holds the data folder: the paths join the
// window's queue (one queue, one owner), and the command follows those files to their
// end with the same output and exit codes. Files the editor paused in the window stay
// paused; interrupting the command leaves the files with the window.
func UploadThrough(ctx context.Context, q core.Queue, holder string, paths []string, o Options) int {
	o.defaults()
	o.through = holder
	if !o.JSON {
		fmt.Fprintf(o.Stderr, "%s is open: handing the files to it.\n", upperFirst(holder))
	}
	return uploadWith(ctx, q, paths, o, nil)
}

// uploadWith adds the paths to svc's queue and follows it: the whole queue when this
// process runs it (run starts the engine), only the files this command named when
// another process does (run is nil).
func uploadWith(ctx context.Context, svc core.Queue, paths []string, o Options, run func(context.Context) error) int {
	ctx, interrupted, stop := interruptible(ctx)
	defer stop()
	jw := o.events()
	sub := svc.Subscribe()
	defer sub.Close()

	res, err := svc.Add(ctx, paths, core.AddOptions{Force: o.Force, Hold: o.Hold, Filter: o.Filter})
	if err != nil {
		fmt.Fprintf(o.Stderr, "upload: %v\n", err)
		return ExitFailed
	}
	rejected, already := 0, 0
	// Files the project refused (channel paused) stay skipped when named again, as a
	// script re-running its command after a crash does: Channel Paused is never
	// retried. They count as not arrived.
	refused := map[core.FileID]bool{}
	skipped := map[core.FileID]bool{}
	held := map[core.FileID]bool{} // in the queue on hold already
	if len(res.Rejected) > 0 {
		views, _ := svc.Snapshot()
		for _, v := range views {
			skipped[v.ID] = v.State == core.Skipped
			held[v.ID] = v.State == core.OnHold
		}
	}
	for _, r := range res.Rejected {
		if jw != nil {
			m := map[string]any{"type": "rejected", "reason": r.Reason, "existing": int64(r.Existing),
				"uploaded_at": ts(r.UploadedAt), "uploaded_to": nilIfEmpty(r.UploadedTo), "left_out": r.LeftOut}
			pathJSON(m, r.Path)
			jw.write(m)
		}
		if r.LeftOut {
			o.leftOut++
			continue // listed below, grouped: the person asked for it
		}
		if r.AlreadyUploaded() {
			// Named again, as a script re-running its command does, or a card put back
			// after more shooting: what arrived is fine as it is. A card holds hundreds:
			// a few lines say so, the rest is counted.
			already++
			if !o.JSON && already <= alreadyShown {
				fmt.Fprintf(o.Stderr, "  %s: %s (--force sends it again)\n", r.Reason, oneLine(r.Path))
			}
			continue
		}
		if r.Existing != 0 {
			// In the queue already (failed and cancelled ones are queued again: Again).
			if skipped[r.Existing] {
				refused[r.Existing] = true
			}
			continue
		}
		rejected++
		if !o.JSON {
			fmt.Fprintf(o.Stderr, "  not queued: %s: %s\n", r.Path, r.Reason)
		}
	}
	if !o.JSON && already > alreadyShown {
		fmt.Fprintf(o.Stderr, "  …and %s uploaded already (`c2c-uploader status` lists where and when)\n",
			format.Counted(already-alreadyShown, "more file", "more files"))
	}
	if !o.JSON {
		for _, g := range core.LeftOut(res.Rejected) {
			fmt.Fprintf(o.Stderr, "  left out: %s, %s\n", format.Count(len(g.Paths), "file"), g.Reason)
		}
	}
	for _, p := range res.HashListProblems {
		if jw != nil {
			jw.write(map[string]any{"type": "hash_list_problem", "problem": p})
		} else {
			fmt.Fprintf(o.Stderr, "  the offload's hash list: %s\n", p)
		}
	}
	// named are the files this command named that are still in the queue.
	named := map[core.FileID]bool{}
	var onHold []core.FileID
	for _, v := range append(res.Added, res.Again...) {
		named[v.ID] = true
		if v.State == core.OnHold {
			onHold = append(onHold, v.ID)
		}
	}
	for _, r := range res.Rejected {
		if r.Existing != 0 && !r.AlreadyUploaded() {
			named[r.Existing] = true
			if held[r.Existing] {
				onHold = append(onHold, r.Existing) // named again: upload starts it
			}
		}
	}
	if o.Hold {
		return heldSummary(o, jw, res, len(res.Added)+len(res.Again), rejected, already)
	}
	// Uploads start by hand (the start setting): naming files to upload starts them.
	if len(onHold) > 0 {
		if err := svc.Start(ctx, core.Some(onHold...)); err != nil {
			fmt.Fprintf(o.Stderr, "upload: %v\n", err)
			return ExitFailed
		}
	}
	return follow(ctx, interrupted, svc, sub, jw, named, refused, rejected, already, o, run)
}

// follow runs the files named to their end and sums them up: the whole queue when this
// process runs it (run starts the engine), only the files named when another process
// does (run is nil). Files on hold wait for the person (start) and are not waited for.
// refused are files named again that the project refused (they stay skipped); rejected
// and already count the paths not queued, for the summary.
func follow(ctx context.Context, interrupted func() bool, svc core.Queue, sub *core.Subscription, jw *jsonWriter,
	named, refused map[core.FileID]bool, rejected, already int, o Options, run func(context.Context) error) int {
	watched := maps.Clone(named)
	if run != nil {
		_ = svc.Resume(ctx, core.All) // paused earlier, in the window perhaps: this run finishes them
	}
	// A file named here that waits for a decision this command was given goes on:
	// held for another project, to the one paired now (--to-current-project; other cards
	// held in the queue wait for their own decision); refused for a channel pause, as
	// new media, once (--anyway; refused again, the device still paused, it stays so).
	// Files held or refused later in the run go on as they are.
	var states map[core.FileID]core.FileView
	sentAnyway := map[core.FileID]bool{}
	sendOn := func(v core.FileView) {
		if !named[v.ID] {
			return
		}
		var err error
		switch {
		case o.ToCurrentProject && v.State == core.Held:
			err = svc.Redirect(ctx, core.One(v.ID))
		case o.Anyway && v.State == core.Skipped && !sentAnyway[v.ID]:
			sentAnyway[v.ID] = true
			delete(refused, v.ID)
			err = svc.UploadAnyway(ctx, core.One(v.ID))
		default:
			return
		}
		if err == nil && states != nil {
			// Queued again: the run waits for it, although the event saying so may
			// still be on its way.
			v.State = core.Queued
			states[v.ID] = v
		}
	}
	views, _ := svc.Snapshot()
	for _, v := range views {
		if run != nil && !v.State.Finished() && v.State != core.OnHold {
			watched[v.ID] = true // this process runs the whole queue (the headless contract)
		}
		sendOn(v)
	}
	views, _ = svc.Snapshot()
	if len(watched) == 0 {
		return summary(o, svc, nil, refused, rejected, already)
	}
	if st := svc.AuthStatus(); st.State == core.Unpaired {
		fmt.Fprintf(o.Stderr, "%s: %s queued, but this computer is not paired with a project. Run `c2c-uploader pair`; they upload on the next run.\n", o.name(), format.Count(len(watched), "file"))
		return ExitFailed
	}
	if !o.JSON {
		fmt.Fprintf(o.Stderr, "Uploading %s (%s to send)…\n", format.Count(len(watched), "file"), format.Bytes(bytesLeft(views, watched)))
	}
	if run != nil {
		if err := run(ctx); err != nil {
			fmt.Fprintf(o.Stderr, "%s: %v\n", o.name(), err)
			return ExitFailed
		}
	}
	// Where each file stands now: one that waits for the person (on hold, held for
	// another project) sends no event, and must not be waited for.
	states = map[core.FileID]core.FileView{}
	for _, v := range views {
		if watched[v.ID] {
			states[v.ID] = v
		}
	}
	var display progressDisplay = &lineDisplay{w: o.Stderr}
	if o.JSON {
		display = nopDisplay{}
	} else if o.Terminal {
		display = newBarDisplay(ctx, o.Stderr)
	}
	var stopReason, diskFull string
	handle := func(ev core.Event) {
		switch ev.Type {
		case core.EventFile:
			if watched[ev.File.ID] {
				states[ev.File.ID] = *ev.File
				display.file(*ev.File)
				sendOn(*ev.File)
			}
		case core.EventAuth:
			if ev.Auth.ProjectID != "" {
				// The project is known now: files held before it was are sent to it.
				for _, v := range states {
					sendOn(v)
				}
			}
		case core.EventTotals:
			display.totals(*ev.Totals)
		case core.EventRemoved:
			delete(watched, ev.Removed)
		case core.EventAlert:
			switch ev.Alert.Kind {
			case core.AlertReconnect:
				stopReason = "this computer needs reconnecting to the project. Run `c2c-uploader pair`, then upload again: the queue is kept."
			case core.AlertClientRejected, core.AlertVersionRejected:
				stopReason = ev.Alert.Message
			case core.AlertDiskFull:
				diskFull = ev.Alert.Message
			case core.AlertOtherProject:
				if o.ToCurrentProject {
					return // sent to the current project as they are held
				}
			}
			if !o.JSON {
				display.note("! " + ev.Alert.Message)
			}
		}
	}
	// A stop (the device needs reconnecting, say) holds every call that needs a token, but
	// chunk PUTs go to presigned URLs: the files already sending their chunks are seen
	// through rather than thrown away, and the run ends when none is left.
	// A queue in another process can go away (the window quits): then so does this run.
	var lost <-chan struct{}
	if r, ok := svc.(interface{ Done() <-chan struct{} }); ok {
		lost = r.Done()
	}
	finishing := false
	for !allFinished(watched, states) && diskFull == "" {
		if stopReason != "" {
			n := sending(watched, states)
			if n == 0 {
				break
			}
			if !finishing && !o.JSON {
				display.note(fmt.Sprintf("Finishing the uploads already sending chunks (%s)…", format.Count(n, "file")))
			}
			finishing = true
		}
		select {
		case <-ctx.Done():
		case <-lost:
			lost = nil
			drain(sub, jw, handle)
			if !allFinished(watched, states) {
				display.close()
				fmt.Fprintf(o.Stderr, "%s: %s went away before the files were uploaded; open it again and they go on.\n", o.name(), o.through)
				return ExitFailed
			}
		case <-sub.Ready():
			drain(sub, jw, handle)
			continue
		}
		break
	}
	drain(sub, jw, handle)
	// The totals as they end, not as the last periodic update left them.
	_, final := svc.Snapshot()
	display.totals(final)
	display.close()
	if !interrupted() {
		writeReceipts(ctx, svc, jw, o, display.columns())
	}
	switch {
	case interrupted() && o.through != "":
		fmt.Fprintf(o.Stderr, "%s: interrupted; %s goes on uploading the files.\n", o.name(), o.through)
		return ExitInterrupted
	case interrupted():
		fmt.Fprintf(o.Stderr, "%s: interrupted; the queue resumes where it stopped on the next run.\n", o.name())
		return ExitInterrupted
	case diskFull != "":
		// Nothing more can be recorded, so nothing more is sent: what was journalled
		// resumes, not re-sent, on the next run.
		fmt.Fprintf(o.Stderr, "%s: stopped: %s; free some space and run it again (the queue resumes where it stopped).\n", o.name(), diskFull)
		return ExitFailed
	case stopReason != "" && !allArrived(watched, states):
		fmt.Fprintf(o.Stderr, "%s: stopped: %s\n", o.name(), stopReason)
		if allFinished(watched, states) {
			break // the summary lists what did not arrive, and why
		}
		return ExitFailed
	case stopReason != "":
		// Every file arrived, but the next run will need the device reconnected first.
		fmt.Fprintf(o.Stderr, "%s: every file arrived, but: %s\n", o.name(), stopReason)
	}
	return summary(o, svc, watched, refused, rejected, already)
}

// heldSummary ends `upload --hold`: what was added, and how to start it.
func heldSummary(o Options, jw *jsonWriter, res core.AddResult, added, rejected, already int) int {
	inQueue := 0
	for _, r := range res.Rejected {
		if !r.LeftOut && r.Existing != 0 && !r.AlreadyUploaded() {
			inQueue++
		}
	}
	leftOut := o.leftOut
	if jw != nil {
		jw.write(map[string]any{"type": "result", "on_hold": added, "rejected": rejected, "already_uploaded": already, "left_out": leftOut, "in_queue": inQueue})
	}
	switch {
	case added == 0 && rejected == 0 && inQueue > 0:
		fmt.Fprintf(o.Stderr, "Nothing new to add: %s in the queue already (`c2c-uploader status` lists them).\n", format.Counted(inQueue, "file is", "files are"))
	case added == 0 && rejected == 0 && already > 0:
		fmt.Fprintln(o.Stderr, "Nothing new to add: every file was uploaded already.")
	case added == 0 && rejected == 0 && leftOut > 0:
		fmt.Fprintln(o.Stderr, "Nothing was added: the filter left out every file.")
	case added == 0 && rejected == 0:
		fmt.Fprintln(o.Stderr, "Nothing was added: no file was found there.")
	case added > 0:
		fmt.Fprintf(o.Stderr, "%s on hold. `c2c-uploader status` lists them in the order they will go; "+
			"`c2c-uploader start all` (or Start in the window) sends them.\n", format.Counted(added, "file is", "files are"))
	}
	if rejected > 0 {
		fmt.Fprintf(o.Stderr, "%s not queued (see above).\n", format.Counted(rejected, "path was", "paths were"))
		return ExitFailed
	}
	return ExitOK
}

// sending counts the watched files whose chunks are on their way to presigned URLs (or
// wait for the link to come back to go on).
func sending(watched map[core.FileID]bool, states map[core.FileID]core.FileView) int {
	n := 0
	for id := range watched {
		if states[id].Sending {
			n++
		}
	}
	return n
}

// allArrived reports whether every watched file is done.
func allArrived(watched map[core.FileID]bool, states map[core.FileID]core.FileView) bool {
	for id := range watched {
		if states[id].State != core.Done {
			return false
		}
	}
	return true
}

// allFinished reports whether no watched file has anything left this run: finished,
// held for another project (a person decides: --to-current-project, or pairing with it),
// or on hold (start).
func allFinished(watched map[core.FileID]bool, states map[core.FileID]core.FileView) bool {
	for id := range watched {
		if v, ok := states[id]; !ok || !(v.State.Finished() || v.State == core.Held || v.State == core.OnHold) {
			return false
		}
	}
	return true
}

// summary lists the files of this run that did not arrive, with their reasons, and
// picks the exit code. refused are files named again that stay skipped.
func summary(o Options, svc core.Queue, watched, refused map[core.FileID]bool, rejected, already int) int {
	views, _ := svc.Snapshot()
	var bad []core.FileView
	arrived := 0
	projects := map[string]bool{}
	for _, v := range views {
		if !watched[v.ID] && !(refused[v.ID] && v.State == core.Skipped) {
			continue
		}
		if v.State == core.Done {
			arrived++
			projects[v.Project] = true
		} else {
			bad = append(bad, v)
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].ID < bad[j].ID })
	project := ""
	if len(projects) == 1 {
		for p := range projects {
			project = p // several: each file's own is in status
		}
	}
	if o.JSON {
		newJSONWriter(o.Stdout).write(map[string]any{
			"type": "result", "arrived": arrived, "not_arrived": len(bad), "rejected": rejected,
			"left_out": o.leftOut, "project": nilIfEmpty(project),
		})
	}
	if arrived == 0 && len(bad)+rejected == 0 && already > 0 {
		fmt.Fprintf(o.Stderr, "Nothing new to upload: %s uploaded already.\n", format.Counted(already, "file was", "files were"))
		return ExitOK
	}
	if arrived == 0 && len(bad)+rejected == 0 {
		if o.leftOut > 0 {
			fmt.Fprintln(o.Stderr, "Nothing to upload: the filter left out every file.")
		} else {
			fmt.Fprintln(o.Stderr, "Nothing to upload.")
		}
		return ExitOK
	}
	fmt.Fprintf(o.Stderr, "%d arrived", arrived)
	if project != "" && arrived > 0 {
		fmt.Fprintf(o.Stderr, " in “%s”", project)
	}
	if len(bad)+rejected == 0 {
		fmt.Fprintln(o.Stderr, ".")
		return ExitOK
	}
	fmt.Fprintf(o.Stderr, ", %d did not:\n", len(bad)+rejected)
	held, skipped := 0, 0
	for _, v := range bad {
		reason := v.Error
		if reason == "" {
			reason = string(v.State)
		}
		fmt.Fprintf(o.Stderr, "  %s %s: %s\n", v.State, oneLine(v.Path), reason)
		switch v.State {
		case core.Held:
			held++
		case core.Skipped:
			skipped++
		}
	}
	if rejected > 0 {
		fmt.Fprintf(o.Stderr, "  %s not queued (see above)\n", format.Counted(rejected, "path was", "paths were"))
	}
	if skipped > 0 {
		fmt.Fprintln(o.Stderr, skippedAdvice(skipped))
	}
	if held > 0 {
		fmt.Fprintf(o.Stderr, "%s for another project than the one this computer is paired with now: "+
			"run `c2c-uploader upload --to-current-project PATH...` to send them here, or pair with their project again.\n",
			format.Counted(held, "file is held", "files are held"))
	}
	return ExitFailed
}

// alreadyShown is how many files uploaded already `upload` names one by one.
const alreadyShown = 5

// bytesLeft is what remains to send of the files followed.
func bytesLeft(views []core.FileView, watched map[core.FileID]bool) int64 {
	var n int64
	for _, v := range views {
		if watched[v.ID] && !v.State.Finished() {
			n += v.Size - v.BytesDone
		}
	}
	return n
}
