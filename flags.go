package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// commands are the headless sub-commands; with none, the window opens (with any file
// arguments queued). sim is run before the flags are read (main.go).
var commands = map[string]bool{"pair": true, "upload": true, "status": true, "unpair": true, "settings": true, "move": true, "start": true,
	"report": true, "verify": true, "watch": true}

// commandNames are the commands in the order the usage lists them, for suggestions.
var commandNames = []string{"pair", "upload", "watch", "status", "start", "move", "report", "verify", "unpair", "settings", "sim"}

// settingsActions are the words after `settings`, with the words each takes.
var settingsActions = map[string]int{"set": 2, "reset": 1}

// options are the command line, each common flag also an environment variable (the
// headless contract in README.md). The client secret is never a flag: flags show in ps.
type options struct {
	command        string
	paths          []string
	apiURL         string
	dataDir        string
	keyringService string
	demo           bool
	json           bool
	timeout        time.Duration
	force          bool
	hold           bool
	toCurrent      bool
	anyway         bool
	acknowledge    bool
	tokenStore     string
	verbose        bool
	version        bool
	// overrides are the settings given as flags (--bandwidth 5MB/s): key → value, for
	// this run only. --api is one of them too, but lives in apiURL.
	overrides map[string]string
	// settingsArgs are the words after `settings`: none (list), set KEY VALUE, reset KEY.
	settingsArgs []string
	// moveIDs and movePlace are `move ID... top|bottom`.
	moveIDs   []core.FileID
	movePlace core.Place
	// startWhat is `start ID...|all`.
	startWhat core.Selector
	// last is `report --last`; reportBatch `report BATCH`.
	last        bool
	reportBatch string
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("c2c-uploader", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.apiURL, "api", os.Getenv("C2C_API_URL"), "the API's base URL (https; http only for loopback) [C2C_API_URL]")
	fs.StringVar(&o.dataDir, "data-dir", os.Getenv("C2C_DATA_DIR"), "folder for the installation id, the upload journal and logs [C2C_DATA_DIR]")
	fs.StringVar(&o.keyringService, "keyring-service", os.Getenv("C2C_KEYRING_SERVICE"), "keychain service name the tokens are kept under [C2C_KEYRING_SERVICE]")
	fs.BoolVar(&o.demo, "demo", false, "run against the simulator built into the app, with its own data and keychain entry")
	fs.BoolVar(&o.json, "json", false, "print one JSON event per line on stdout (human text stays on stderr)")
	fs.DurationVar(&o.timeout, "timeout", 0, "pair: give up after this long (exit 124)")
	fs.BoolVar(&o.force, "force", false, "upload: queue files again even if they were uploaded already")
	fs.BoolVar(&o.hold, "hold", false, "upload: add the files on hold, to send later with start (nothing is uploaded now)")
	fs.BoolVar(&o.toCurrent, "to-current-project", false, "upload: send files queued for another project to the one this computer is paired with now")
	fs.BoolVar(&o.anyway, "anyway", false, "upload: send files the project refused for a channel pause as new media, dated by when they arrive")
	fs.BoolVar(&o.acknowledge, "acknowledge", false, "status: the warnings shown (a damaged upload history) have been read; stop showing them")
	fs.StringVar(&o.tokenStore, "token-store", os.Getenv("C2C_TOKEN_STORE"), "pair: where to keep the tokens: keychain (default), or file (encrypted in the data folder with the passphrase in "+store.PassphraseEnv+") [C2C_TOKEN_STORE]")
	fs.BoolVar(&o.last, "last", false, "report: the newest batch's report")
	fs.BoolVar(&o.verbose, "verbose", false, "also write the log to stderr")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	o.overrides = map[string]string{}
	for _, k := range core.SettingKeys() {
		if k.Name == "api" {
			continue // --api above, which is also an environment variable
		}
		usage := "setting, for this run only (settings set " + k.Name + " keeps it): " + k.Description
		set := func(v string) error {
			if strings.HasPrefix(v, "--") {
				// The next flag taken for this one's value: --exclude --hold.
				return fmt.Errorf("give --%s a value right after it", k.Name)
			}
			// A list's flag given again adds to it.
			if prev, ok := o.overrides[k.Name]; k.List && ok && prev != "" && v != "" {
				sep := k.Separator
				if sep == "" {
					sep = ","
				}
				v = prev + sep + v
			}
			o.overrides[k.Name] = v
			return nil
		}
		if k.Switch {
			fs.BoolFunc(k.Name, usage, set)
		} else {
			fs.Func(k.Name, usage, set)
		}
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage:
  c2c-uploader [flags] [FILE...]          open the window (files given are queued)
  c2c-uploader [flags] pair               pair this computer with a project
  c2c-uploader [flags] upload PATH...     queue files and folders and upload the queue (files on hold wait)
  c2c-uploader [flags] watch [DIR...]     watch folders (else the watch setting's) and upload what
                                          settles in them, until Ctrl-C or SIGTERM
  c2c-uploader [flags] status             show the pairing, the connection and the queue
  c2c-uploader [flags] start ID...|all    send files on hold (upload --hold, or the start setting manual)
  c2c-uploader [flags] move ID... top|bottom
                                          send files next, or after everything else
  c2c-uploader [flags] report [--last|BATCH]
                                          list the batches' reports (their CSV, JSON and page)
  c2c-uploader [flags] verify PATH...     hash files again and compare them with what was sent
                                          and the offload's hash lists (exit 1: any differ)
  c2c-uploader [flags] unpair             revoke the pairing and forget the tokens
  c2c-uploader settings                   list the settings, their values and defaults
  c2c-uploader settings set KEY VALUE     change one (for one run: --KEY VALUE)
  c2c-uploader settings reset KEY         take one back to its default
  c2c-uploader sim [flags]                serve the API simulator (see c2c-uploader sim -h)

The client secret comes from C2C_CLIENT_SECRET, <data-dir>/client_secret, or the build.

Flags:
`)
		fs.PrintDefaults()
	}
	// Flags may come before or after the sub-command and between paths.
	rest := args
	var positional []string
	for {
		if len(positional) == 3 && positional[0] == "settings" && positional[1] == "set" && len(rest) > 0 {
			// The value is taken as written, even when it starts with a dash.
			positional, rest = append(positional, rest[0]), rest[1:]
			continue
		}
		if err := parseFlags(fs, rest, stderr); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
		if len(rest) > 0 && rest[0] == "--" {
			positional = append(positional, rest[1:]...)
			break
		}
	}
	if len(positional) > 0 && commands[positional[0]] {
		o.command, positional = positional[0], positional[1:]
	}
	o.paths = positional
	if o.command == "" && len(o.paths) > 0 {
		// A word that is neither a command nor an existing path is a typo, not a file
		// to open (the headless contract in README.md, "Headless commands").
		if _, err := os.Lstat(o.paths[0]); err != nil {
			return o, unknownCommand(o.paths[0])
		}
	}
	if o.command == "settings" {
		o.settingsArgs, o.paths = o.paths, nil
		if err := checkSettingsArgs(o); err != nil {
			return o, err
		}
	}
	if o.command == "move" {
		if err := parseMove(&o); err != nil {
			return o, err
		}
	}
	if o.command == "start" {
		if err := parseStart(&o); err != nil {
			return o, err
		}
	}
	if o.command == "report" {
		switch {
		case len(o.paths) > 1:
			return o, fmt.Errorf("report takes one batch at most (got %q)", o.paths[1])
		case len(o.paths) == 1 && o.last:
			return o, errors.New("report takes --last or a batch, not both")
		case len(o.paths) == 1:
			o.reportBatch = o.paths[0]
		}
		o.paths = nil
	}
	if o.last && o.command != "report" {
		return o, errors.New("--last is for report: the newest batch's report")
	}
	if o.hold && o.command != "upload" {
		return o, errors.New("--hold is for upload: it adds files on hold")
	}
	for _, name := range slices.Sorted(maps.Keys(o.overrides)) {
		var s core.Settings
		if err := core.ApplySettings(&s, map[string]string{name: o.overrides[name]}); err != nil {
			var bad *core.SettingValueError
			if errors.As(err, &bad) {
				return o, fmt.Errorf("--%s cannot be %q (%v)", name, bad.Value, bad.Err)
			}
			return o, err
		}
	}
	if o.apiURL != "" {
		if _, err := api.ValidateBaseURL(o.apiURL); err != nil {
			return o, err
		}
	}
	switch o.tokenStore {
	case "", store.TokenStoreKeychain, store.TokenStoreFile:
	default:
		return o, fmt.Errorf("--token-store is %q: use keychain or file", o.tokenStore)
	}
	switch {
	case o.command == "upload" && len(o.paths) == 0:
		return o, errors.New("upload needs at least one file or folder")
	case o.command == "verify" && len(o.paths) == 0:
		return o, errors.New("verify needs at least one file or folder")
	case o.command == "watch":
		if err := watchFolders(&o); err != nil {
			return o, err
		}
	case o.command != "" && o.command != "upload" && o.command != "verify" && len(o.paths) > 0:
		return o, fmt.Errorf("%s takes no paths (got %q)", o.command, o.paths[0])
	}
	return o, nil
}

// watchFolders makes the folders `watch DIR...` names the watch setting for this run
// (never written). Each must be a folder now: a word that is not is a typo.
func watchFolders(o *options) error {
	if len(o.paths) == 0 {
		return nil
	}
	for _, p := range o.paths {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return fmt.Errorf("watch: %s is not a folder that can be found; name folders to watch", p)
		case !fi.IsDir():
			return fmt.Errorf("watch: %s is a file; name the folder it is in to watch it", p)
		}
	}
	o.overrides["watch"] = strings.Join(o.paths, string(os.PathListSeparator))
	o.paths = nil
	return nil
}

// parseMove reads `move ID... top|bottom` (the ids as status lists them).
func parseMove(o *options) error {
	const usage = "like `c2c-uploader move 12 top` (status lists the ids)"
	words := o.paths
	o.paths = nil
	if len(words) < 2 {
		return fmt.Errorf("move takes the ids of files and then top or bottom, %s", usage)
	}
	place, err := core.ParsePlace(words[len(words)-1])
	if err != nil {
		return fmt.Errorf("move: %v, %s", err, usage)
	}
	ids, err := fileIDs(words[:len(words)-1])
	if err != nil {
		return fmt.Errorf("move: %v, %s", err, usage)
	}
	o.moveIDs, o.movePlace = ids, place
	return nil
}

// parseStart reads `start ID...` or `start all`.
func parseStart(o *options) error {
	const usage = "like `c2c-uploader start 12 14` or `c2c-uploader start all` (status lists the ids)"
	words := o.paths
	o.paths = nil
	switch {
	case len(words) == 0:
		return fmt.Errorf("start takes the ids of files, or all, %s", usage)
	case len(words) == 1 && strings.EqualFold(words[0], "all"):
		o.startWhat = core.All
		return nil
	}
	ids, err := fileIDs(words)
	if err != nil {
		return fmt.Errorf("start: %v, %s", err, usage)
	}
	o.startWhat = core.Some(ids...)
	return nil
}

// fileIDs reads ids as status lists them.
func fileIDs(words []string) ([]core.FileID, error) {
	ids := make([]core.FileID, 0, len(words))
	for _, w := range words {
		id, err := strconv.ParseInt(strings.TrimSpace(w), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not a file id (a whole number, as status lists them)", w)
		}
		if !slices.Contains(ids, core.FileID(id)) { // named twice: once
			ids = append(ids, core.FileID(id))
		}
	}
	return ids, nil
}

// unknownCommand: word is neither a command nor a file or folder.
func unknownCommand(word string) error {
	if near := format.Nearest(word, commandNames); near != "" {
		return fmt.Errorf("unknown command %q (nor is it a file or folder); did you mean %s?", word, near)
	}
	return fmt.Errorf("unknown command %q (nor is it a file or folder); the commands are %s (see -h)", word, strings.Join(commandNames, ", "))
}

// checkSettingsArgs: `settings`, `settings set KEY VALUE` or `settings reset KEY`. The
// key and the value are checked by the settings themselves (ui/cli).
func checkSettingsArgs(o options) error {
	args := o.settingsArgs
	if len(o.overrides) > 0 {
		return errors.New("settings takes no --KEY flags; to change a setting, run `c2c-uploader settings set KEY VALUE`")
	}
	if len(args) == 0 {
		return nil
	}
	want, ok := settingsActions[args[0]]
	if !ok {
		hint := "settings set KEY VALUE, or settings reset KEY"
		if near := format.Nearest(args[0], slices.Sorted(maps.Keys(settingsActions))); near != "" {
			hint = "did you mean settings " + near + "?"
		}
		return fmt.Errorf("settings has no %q; %s", args[0], hint)
	}
	if got := len(args) - 1; got != want {
		usage := map[string]string{"set": "settings set KEY VALUE", "reset": "settings reset KEY"}[args[0]]
		return fmt.Errorf("settings %s takes %s, like `c2c-uploader %s` (got %d)", args[0], format.Counted(want, "word", "words"), usage, got)
	}
	return nil
}

// parseFlags is fs.Parse with the flag package's own complaint (its error and the whole
// usage) replaced by one sentence: a flag that does not exist names the nearest one.
// -h still prints the usage.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg := fmt.Sprintf("there is no flag --%s", name)
		if near := format.Nearest(name, names); near != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", near)
		}
		return errors.New(msg + "; c2c-uploader -h lists them")
	}
	return fmt.Errorf("%v; c2c-uploader -h lists the flags", err)
}
