package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/redact"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/store"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// DefaultAPIURL is the real service.
const DefaultAPIURL = "https://api.frame.io"

// clientSecret is set at build time for release builds:
// go build -ldflags "-X main.clientSecret=$C2C_CLIENT_SECRET". It never lives in the repo.
var clientSecret string

// wiring is everything one run wires together (not named app: `fyne package` adds a
// file to package main that imports fyne.io/fyne/v2/app).
type wiring struct {
	svc     *core.Service
	sim     *c2csim.Server // demo mode only
	journal *journal.Journal
	logFile *os.File
	dataDir string
	apiURL  string
	logger  *slog.Logger
}

// setup wires store, core and (in demo mode) the simulator.
func setup(ctx context.Context, o options, stderr io.Writer) (*wiring, error) {
	a := &wiring{}
	var err error
	a.dataDir = o.dataDir
	if a.dataDir == "" {
		if a.dataDir, err = store.DefaultDataDir(o.demo); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	secrets := &redact.Secrets{}
	if a.logger, a.logFile, err = openLog(a.dataDir, secrets, o.verbose, stderr); err != nil {
		return nil, err
	}
	keyringService := o.keyringService
	apiURL := o.apiURL
	var secret string
	if o.demo {
		if keyringService == "" {
			keyringService = store.DefaultKeychainService + "-demo"
		}
		if a.sim, err = startDemoSimulator(a.dataDir, a.logger); err != nil {
			a.close()
			return nil, err
		}
		apiURL, secret = a.sim.URL(), c2csim.DemoClientSecret
		// The simulator starts empty each run: so do the demo's queue and pairing.
		_ = os.Remove(filepath.Join(a.dataDir, "journal.db"))
		_ = store.NewKeychain(keyringService).Delete(ctx)
	} else {
		if secret, err = store.ClientSecret(a.dataDir, clientSecret); err != nil {
			a.close()
			return nil, err
		}
	}
	secrets.Add(secret)
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if _, err := api.ValidateBaseURL(apiURL); err != nil {
		a.close()
		return nil, err
	}
	a.apiURL = apiURL
	clientID, err := store.ClientID(a.dataDir)
	if err != nil {
		a.close()
		return nil, err
	}
	var moved *journal.MovedAsideError
	a.journal, err = journal.Open(ctx, filepath.Join(a.dataDir, "journal.db"))
	if err != nil && !errors.As(err, &moved) {
		a.close()
		return nil, err
	}
	a.svc, err = core.New(core.Config{
		APIURL: apiURL, ClientVersion: appVersion(),
		Credentials: api.Credentials{ClientID: clientID, ClientSecret: secret},
		Tokens:      store.RegisteringStore{TokenStore: store.NewKeychain(keyringService), Secrets: secrets},
		Journal:     a.journal, Settings: upload.DefaultSettings(), Logger: a.logger,
	})
	if err != nil {
		a.close()
		return nil, err
	}
	if moved != nil {
		a.svc.Warn(core.Alert{Kind: core.AlertJournalMovedAway, Message: moved.Error()})
	}
	a.logger.Info("started", "version", appVersion(), "api", apiURL, "data_dir", a.dataDir, "demo", o.demo)
	return a, nil
}

func (a *wiring) close() {
	if a.svc != nil {
		// A token refresh in flight must land in the keychain before the process goes.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := a.svc.Shutdown(ctx); err != nil && a.logger != nil {
			a.logger.Warn("a token refresh did not finish before exit", "err", err)
		}
		cancel()
	}
	if a.journal != nil {
		_ = a.journal.Close()
	}
	if a.sim != nil {
		_ = a.sim.Close()
	}
	if a.logFile != nil {
		_ = a.logFile.Close()
	}
}

// startDemoSimulator runs the simulator inside the app on a loopback port, with parts of
// a few MiB so that even small demo files show chunked, parallel uploads.
func startDemoSimulator(dataDir string, logger *slog.Logger) (*c2csim.Server, error) {
	simDir := filepath.Join(dataDir, "simulator")
	_ = os.RemoveAll(simDir)
	return c2csim.New(c2csim.Options{
		DataDir: simDir, PartSize: 4 << 20, VaryPartSize: true, MinPartSize: 1 << 20,
		PollInterval: 2 * time.Second, ProjectName: "Demo Project", Logger: logger.With("component", "simulator"),
	})
}

// openLog writes the log to <data-dir>/logs/c2c-uploader.log (the previous run's log is
// kept as .1), through the redactor, and to stderr too with --verbose.
func openLog(dataDir string, secrets *redact.Secrets, verbose bool, stderr io.Writer) (*slog.Logger, *os.File, error) {
	dir := filepath.Join(dataDir, "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the log folder: %w", err)
	}
	path := filepath.Join(dir, "c2c-uploader.log")
	_ = os.Rename(path, path+".1")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log: %w", err)
	}
	var w io.Writer = f
	if verbose {
		w = io.MultiWriter(f, stderr)
	}
	level := slog.LevelInfo
	if strings.EqualFold(os.Getenv("C2C_LOG_LEVEL"), "debug") {
		level = slog.LevelDebug // one line per request attempt, for support and the field trial
	}
	h := redact.NewHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), secrets)
	return slog.New(h), f, nil
}
