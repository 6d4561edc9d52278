package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// commands are the headless sub-commands; with none, the window opens (with any file
// arguments queued).
var commands = map[string]bool{"pair": true, "upload": true, "status": true, "unpair": true}

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
	toCurrent      bool
	acknowledge    bool
	tokenStore     string
	verbose        bool
	version        bool
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
	fs.BoolVar(&o.toCurrent, "to-current-project", false, "upload: send files queued for another project to the one this computer is paired with now")
	fs.BoolVar(&o.acknowledge, "acknowledge", false, "status: the warnings shown (a damaged upload history) have been read; stop showing them")
	fs.StringVar(&o.tokenStore, "token-store", os.Getenv("C2C_TOKEN_STORE"), "pair: where to keep the tokens: keychain (default), or file (encrypted in the data folder with the passphrase in "+store.PassphraseEnv+") [C2C_TOKEN_STORE]")
	fs.BoolVar(&o.verbose, "verbose", false, "also write the log to stderr")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage:
  c2c-uploader [flags] [FILE...]          open the window (files given are queued)
  c2c-uploader [flags] pair               pair this computer with a project
  c2c-uploader [flags] upload PATH...     queue files and folders and upload the whole queue
  c2c-uploader [flags] status             show the pairing, the connection and the queue
  c2c-uploader [flags] unpair             revoke the pairing and forget the tokens
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
		if err := fs.Parse(rest); err != nil {
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
			return o, fmt.Errorf("unknown command %q: not a command (pair, upload, status, unpair, sim) nor a file or folder (see -h)", o.paths[0])
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
	case o.command != "" && o.command != "upload" && len(o.paths) > 0:
		return o, fmt.Errorf("%s takes no paths (got %q)", o.command, o.paths[0])
	}
	return o, nil
}
