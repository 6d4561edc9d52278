// Package cli is the headless front end: pair, upload, status and unpair, for automation
// and machines without a display. It follows the headless contract (README.md, "Headless
// commands"): human text on stderr, one JSON event per line on stdout with --json, and
// exit codes a script can rely on.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// Exit codes of the headless contract.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitTimeout     = 124
	ExitInterrupted = 130
)

// Options are the flags the commands share.
type Options struct {
	JSON    bool
	Timeout time.Duration // pair: give up after this long (exit 124); 0 = never
	Force   bool          // upload: queue files again even if already uploaded
	Hold    bool          // upload: add the files on hold, to start later (start)
	// Filter (upload), when set, is which files are queued instead of the settings'
	// filter: the flags', for a queue in another process that has its own settings.
	Filter *core.FilterSpec
	Stdout io.Writer
	Stderr io.Writer
	// Terminal tells whether stderr is a terminal (live progress bars) or a log/pipe
	// (one line per file).
	Terminal bool
	// AutoApprove is demo mode's stand-in for a person: it approves the code shown.
	AutoApprove func(ctx context.Context, userCode string) error

	// ToCurrentProject (upload): files queued for another project go to the one the
	// device is paired with now.
	ToCurrentProject bool
	// Anyway (upload): files the project refused for a channel pause are sent once more,
	// as new media dated by their arrival.
	Anyway bool
	// Notices are warnings every command shows first, until the person acknowledges them
	// (a damaged upload history); Acknowledge marks them read (status --acknowledge).
	Notices     []string
	Acknowledge func() error
	// AcknowledgeAsked: status was run with --acknowledge.
	AcknowledgeAsked bool
	// CheckTokens tells whether the token store can keep a pairing (pair asks before it
	// shows a code); TokenStore names it ("keychain" or "file").
	CheckTokens func(ctx context.Context) error
	TokenStore  string
	// APIURL is the API in use; DataDir the data folder.
	APIURL, DataDir string

	// Read-only status, while another process holds the data folder: HeldBy names it,
	// and the pairing comes from the folder's record (the tokens are that process's).
	HeldBy          string
	RecordedProject string
	RecordedAPI     string
	RecordedPaired  bool
	// OtherAPI is the API this run asked for when the folder is paired with another
	// (RecordedAPI): status says so and uses no token.
	OtherAPI string

	// through names the process the command works through (UploadThrough).
	through string
	// command is the command's name for its messages ("upload" when empty).
	command string
	// leftOut counts the files the add's filter left out, for the summary.
	leftOut int
}

// events is where --json events go; nil without --json.
func (o *Options) events() *jsonWriter {
	if !o.JSON {
		return nil
	}
	return newJSONWriter(o.Stdout)
}

func (o *Options) name() string {
	if o.command == "" {
		return "upload"
	}
	return o.command
}

func (o *Options) defaults() {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
}

// interruptible returns a context that ends on Ctrl-C or SIGTERM, and tells afterwards
// whether that happened.
func interruptible(ctx context.Context) (context.Context, func() bool, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	interrupted := func() bool { return ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) }
	return ctx, interrupted, stop
}

// showNotices prints the notices the person has not acknowledged, first thing.
func showNotices(o *Options) {
	for _, n := range o.Notices {
		fmt.Fprintf(o.Stderr, "warning: %s\n         (run `c2c-uploader status --acknowledge` once you have read this)\n", n)
	}
	if o.JSON {
		jw := newJSONWriter(o.Stdout)
		for _, n := range o.Notices {
			jw.write(map[string]any{"type": "alert", "kind": string(core.AlertJournalMovedAway), "message": n, "files": []string{}})
		}
	}
}

// load reads the queue and the pairing. A pairing that cannot be read (a keychain that
// is locked or missing, a token file's passphrase that does not open it) is told, and
// returned as tokensErr for the commands that need the pairing.
func load(ctx context.Context, svc *core.Service, o *Options) (tokensErr error, err error) {
	tokensErr, err = svc.Load(ctx)
	if err != nil {
		return nil, err
	}
	if tokensErr != nil && !o.JSON {
		fmt.Fprintf(o.Stderr, "warning: %s\n", userText(tokensErr))
	}
	return tokensErr, nil
}

// drain prints the events a subscription holds, as JSON (--json) and/or through human.
func drain(sub *core.Subscription, jw *jsonWriter, human func(core.Event)) {
	for _, ev := range sub.Drain() {
		if jw != nil {
			jw.write(eventJSON(ev))
		}
		if human != nil {
			human(ev)
		}
	}
}

// userText is an error in the words the app shows a person (core.UserText).
func userText(err error) string { return core.UserText(err) }
