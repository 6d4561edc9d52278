package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Pair is `c2c-uploader pair`: it shows the pairing code and its URL, then waits until a
// person enters it. Exit 0 once paired, 1 on a fatal answer (declined, credentials or
// version refused), 130 on Ctrl-C, 124 after --timeout.
func Pair(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	showNotices(&o)
	if o.CheckTokens != nil {
		// Before anything: a pairing the app cannot keep would be approved in the
		// project and lost with this process.
		if err := o.CheckTokens(ctx); err != nil {
			fmt.Fprintf(o.Stderr, "pair: the pairing could not be kept: %s\n", userText(err))
			if o.TokenStore != "file" {
				fmt.Fprintf(o.Stderr, "  To keep it in an encrypted file in the data folder instead, set a passphrase in C2C_TOKEN_PASSPHRASE and run `c2c-uploader pair --token-store file`.\n")
			}
			return ExitFailed
		}
	}
	if _, err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "pair: %v\n", err)
		return ExitFailed
	}
	if st := svc.AuthStatus(); st.State == core.Paired {
		// The tokens kept here may have died meanwhile (access revoked in the project):
		// then this is no pairing, and a new one is what the caller asked for.
		if st = withProject(ctx, svc, st); st.State != core.NeedsReconnect {
			fmt.Fprintf(o.Stderr, "Already paired%s. Run `c2c-uploader unpair` first to pair with another project.\n", projectSuffix(st))
			if o.JSON {
				newJSONWriter(o.Stdout).write(eventJSON(core.Event{Type: core.EventAuth, Auth: &st}))
			}
			return ExitOK
		}
		fmt.Fprintf(o.Stderr, "The pairing kept here no longer works: %s\nPairing again.\n", st.Reason)
	}
	ctx, interrupted, stop := interruptible(ctx)
	defer stop()
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if err := svc.RunConnection(runCtx); err != nil {
		fmt.Fprintf(o.Stderr, "pair: %v\n", err)
		return ExitFailed
	}
	sub := svc.Subscribe()
	defer sub.Close()
	jw := o.events()
	shown, unreachable := "", ""
	human := func(ev core.Event) {
		if ev.Type == core.EventConnection {
			c := ev.Connection
			switch {
			case c.State == core.Offline && c.Reason != "":
				unreachable = c.Reason
				if !o.JSON {
					next := ""
					if !c.NextCheck.IsZero() {
						next = "; trying again in " + format.Duration(time.Until(c.NextCheck).Round(time.Second))
					}
					fmt.Fprintf(o.Stderr, "Cannot reach %s: %s%s.\n", o.APIURL, strings.TrimSuffix(c.Reason, "."), next)
				}
			case c.State == core.Online && unreachable != "":
				unreachable = ""
				if !o.JSON {
					fmt.Fprintf(o.Stderr, "Reached %s.\n", o.APIURL)
				}
			}
			return
		}
		if ev.Type != core.EventPairing {
			return
		}
		p := ev.Pairing
		if p.State == core.PairPending && p.UserCode != shown {
			shown = p.UserCode
			printCode(o, p)
			if o.AutoApprove != nil {
				go func() {
					if err := o.AutoApprove(ctx, p.UserCode); err != nil {
						fmt.Fprintf(o.Stderr, "demo: approving the code failed: %v\n", err)
					}
				}()
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- svc.Pair(ctx) }()
	var err error
	for waiting := true; waiting; {
		select {
		case <-sub.Ready():
			drain(sub, jw, human)
		case err = <-done:
			waiting = false
		}
	}
	drain(sub, jw, human)
	switch {
	case err == nil:
		st := svc.AuthStatus()
		fmt.Fprintf(o.Stderr, "Paired%s.\n", projectSuffix(st))
		if st.StorageWarning != "" {
			fmt.Fprintf(o.Stderr, "warning: %s\n", st.StorageWarning)
		}
		return ExitOK
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && shown == "":
		why := unreachable
		if why == "" {
			why = "no pairing code came back"
		}
		fmt.Fprintf(o.Stderr, "pair: could not get a pairing code from %s within %s (%s); check the address and the network.\n",
			o.APIURL, o.Timeout, strings.TrimSuffix(why, "."))
		return ExitTimeout
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		fmt.Fprintf(o.Stderr, "pair: the code was not approved within %s; giving up.\n", o.Timeout)
		return ExitTimeout
	case interrupted():
		fmt.Fprintln(o.Stderr, "pair: cancelled.")
		return ExitInterrupted
	case errors.Is(err, core.ErrDeclined):
		fmt.Fprintln(o.Stderr, "pair: the request was declined in the project. Run `c2c-uploader pair` again for a new code.")
		return ExitFailed
	default:
		fmt.Fprintf(o.Stderr, "pair: %s\n", userText(err))
		return ExitFailed
	}
}

// printCode shows the code so it reads at a glance across a desk: spaced digits, the URL
// on its own line.
func printCode(o Options, p *core.Pairing) {
	code := p.UserCode
	if len(code) == 6 {
		code = code[:3] + " " + code[3:]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n  Pairing code:   %s\n\n", code)
	fmt.Fprintf(&b, "  Enter it at:    %s\n", p.VerificationURI)
	if p.VerificationURIComplete != "" {
		fmt.Fprintf(&b, "  or open:        %s\n", p.VerificationURIComplete)
	}
	left := time.Until(p.ExpiresAt).Round(time.Second)
	fmt.Fprintf(&b, "\n  The code is valid for %s; a new one comes by itself when it expires.\n  Waiting for approval… (Ctrl-C to cancel)\n\n", format.Duration(left))
	fmt.Fprint(o.Stderr, b.String())
}

// projectWait is how long `pair` on a paired installation waits for the API to confirm
// the pairing.
const projectWait = 5 * time.Second

// withProject asks the API which project the device is in (refreshing the tokens if
// need be), so that "Already paired" is true and says with which project, or so that
// tokens that no longer work (access revoked in the project) lead to a new pairing. The
// folder's record gives the project's name at once; only the API tells whether the
// pairing still works. Offline, it gives up after projectWait and trusts the record.
func withProject(ctx context.Context, svc *core.Service, st core.AuthStatus) core.AuthStatus {
	ctx, cancel := context.WithTimeout(ctx, projectWait)
	defer cancel()
	sub := svc.Subscribe()
	defer sub.Close()
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		_ = svc.ConfirmPairing(ctx)
	}()
	for {
		select {
		case <-checked:
			return svc.AuthStatus()
		case <-sub.Ready():
			sub.Drain()
			if st := svc.AuthStatus(); st.State == core.NeedsReconnect {
				return st
			}
		case <-ctx.Done():
			return svc.AuthStatus()
		}
	}
}

func projectSuffix(st core.AuthStatus) string {
	if st.ProjectName == "" {
		return ""
	}
	return " with the project “" + st.ProjectName + "”"
}
