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

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/redact"
	"github.com/c2c-uploader/c2c-uploader/platform/awake"
	"github.com/c2c-uploader/c2c-uploader/store"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
	"github.com/c2c-uploader/c2c-uploader/store/lock"
	"github.com/c2c-uploader/c2c-uploader/store/settings"
)

// DefaultAPIURL is the real service.
const DefaultAPIURL = core.DefaultAPIURL

// clientSecret is set at build time for release builds:
// go build -ldflags "-X main.clientSecret=$C2C_CLIENT_SECRET". It never lives in the repo.
var clientSecret string

// wiring is everything one run wires together (not named app: `fyne package` adds a
// file to package main that imports fyne.io/fyne/v2/app).
type wiring struct {
	svc     *core.Service
	sim     *c2csim.Server // demo mode only
	journal *journal.Journal
	lock    *lock.Lock // nil when another process holds the data folder (readOnly)
	log     io.Closer
	dataDir string
	apiURL  string
	logger  *slog.Logger
	// readOnly is set when another process holds the data folder and this command only
	// reads (status): holder says who.
	readOnly bool
	holder   lock.Holder
	// pairing is the data folder's record of its pairing (paired: ok).
	pairing   store.PairingRecord
	paired    bool
	otherAPI  string // the API this run asked for, when the folder is paired with another
	noTokens  bool   // this run may not use the pairing (status asked of another API)
	damages   []journal.Damage
	tokenKind string // store.TokenStoreKeychain or store.TokenStoreFile
	tokens    store.RegisteringStore
	backend   *store.Switchable // where tokens keeps them
	book      *store.PairingBook
	account   string // the keychain account of this installation and API
	// needPassphrase: the pairing is in a token file and no passphrase was given (the
	// window asks for it; a command refuses).
	needPassphrase bool
	// settingsNotices are said once at start: an API chosen in the settings that gave
	// way to the pairing.
	settingsNotices []string
}

// chosenSettings are the settings of one run: the data folder's (store/settings), with
// this run's flags over them.
type chosenSettings struct {
	core.Settings
	// savedAPI is the API the saved settings name ("" when they follow the default). It
	// gives way to the data folder's pairing; --api does not.
	savedAPI string
	// problems are sentences to show at start (a damaged settings file, a value not
	// understood, a preference not carried over).
	problems []string
}

// loadSettings reads the data folder's settings and puts this run's flags over them.
// carryOver, when given (the window), returns the window's earlier preferences, which
// are carried over into the data folder once.
func loadSettings(o options, carryOver func() map[string]string) (chosenSettings, error) {
	dir, err := dataDir(o)
	if err != nil {
		return chosenSettings{}, err
	}
	st := settings.New(dir)
	saved, err := st.Load()
	if err != nil {
		return chosenSettings{}, err
	}
	problems := saved.Problems
	if carryOver != nil && !saved.CarriedOver {
		more, err := st.CarryOver(carryOver())
		if err != nil {
			return chosenSettings{}, err
		}
		problems = append(problems, more...)
		if saved, err = st.Load(); err != nil { // its problems were told by the first read
			return chosenSettings{}, err
		}
	}
	cs := chosenSettings{Settings: saved.Settings, problems: problems}
	if _, ok := saved.Saved["api"]; ok && !o.demo {
		cs.savedAPI = saved.Settings.APIURL
	}
	if err := core.ApplySettings(&cs.Settings, o.overrides); err != nil {
		return chosenSettings{}, err // parseArgs checked them: not expected
	}
	if o.apiURL != "" {
		cs.APIURL = o.apiURL
	}
	return cs, nil
}

// readOnlyCommands may run while another process holds the data folder: they read it and
// write nothing (no journal write, no token use).
var readOnlyCommands = map[string]bool{"status": true, "verify": true}

// setup wires store, core and (in demo mode) the simulator. A *lock.HeldError means
// another process holds the data folder.
func setup(ctx context.Context, o options, cs chosenSettings, stderr io.Writer) (*wiring, error) {
	a := &wiring{}
	var err error
	if a.dataDir, err = dataDir(o); err != nil {
		return nil, err
	}
	command := o.command
	if command == "" {
		command = "window"
	}
	if a.lock, err = lock.Acquire(a.dataDir, lock.Holder{Command: command}); err != nil {
		held, ok := lock.IsHeld(err)
		if !ok || !readOnlyCommands[o.command] {
			return nil, err
		}
		a.readOnly, a.holder = true, held.Holder
	}
	secrets := redact.Registered
	if a.logger, a.log, err = openLog(a.dataDir, secrets, o.verbose, a.readOnly, stderr); err != nil {
		a.close()
		return nil, err
	}
	// Nothing the app starts may inherit the secrets (and nothing should: no child
	// process is meant to be started, but D-Bus and libraries have tried).
	passphrase := os.Getenv(store.PassphraseEnv)
	secrets.Add(passphrase)
	_ = os.Unsetenv(store.PassphraseEnv)
	keyringService := o.keyringService
	apiURL := o.apiURL
	fromSettings := apiURL == "" && cs.savedAPI != "" && !o.demo
	if fromSettings {
		apiURL = cs.savedAPI
	}
	var secret string
	if o.demo && keyringService == "" {
		keyringService = store.DefaultKeychainService + "-demo"
	}
	switch {
	case o.demo && a.readOnly:
		// The demo window (or upload) holding the folder owns its queue, its pairing and
		// its simulator: a read-only status only reads them, through the folder's record.
		secret = c2csim.DemoClientSecret
	case o.demo:
		// The simulator starts empty each run: so do the demo's queue and pairing.
		for _, name := range []string{"journal.db", "journal.db-wal", "journal.db-shm", journal.LedgerName, "pairing.json", store.TokenFileName} {
			_ = os.Remove(filepath.Join(a.dataDir, name))
		}
		_ = store.NewKeychain(keyringService, "").DeleteAll(ctx)
		if a.sim, err = startDemoSimulator(a.dataDir, a.logger); err != nil {
			a.close()
			return nil, err
		}
		apiURL, secret = a.sim.URL(), c2csim.DemoClientSecret
	default:
		if secret, err = store.ClientSecret(a.dataDir, clientSecret); err != nil {
			a.close()
			return nil, err
		}
	}
	_ = os.Unsetenv("C2C_CLIENT_SECRET")
	secrets.Add(secret)
	if a.pairing, a.paired, err = store.LoadPairing(a.dataDir); err != nil {
		a.close()
		return nil, err
	}
	if fromSettings && a.paired && !sameOrigin(a.pairing.APIOrigin, apiURL) {
		// A URL saved in the settings gives way to the pairing of the data folder: its
		// tokens go to no other API. Unpairing first makes the new URL take.
		a.settingsNotices = append(a.settingsNotices, fmt.Sprintf("The settings ask for the API %s, but this data folder is paired with %s, so %s is used; to use %s, unpair this computer and start again.",
			apiURL, a.pairing.APIURL, a.pairing.APIURL, apiURL))
		apiURL = a.pairing.APIURL
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	origin, err := api.Origin(apiURL)
	if err != nil {
		a.close()
		return nil, err
	}
	if a.paired && a.pairing.APIOrigin != origin {
		// The tokens of this folder belong to the API it was paired with, and go nowhere
		// else: unpair talks to that API; status says so; everything else stops.
		switch o.command {
		case "unpair":
			a.otherAPI = apiURL
			apiURL, origin = a.pairing.APIURL, a.pairing.APIOrigin
		case "status", "move", "verify": // none needs a token
			a.otherAPI, a.noTokens = apiURL, true
		default:
			a.close()
			return nil, &otherAPIError{paired: a.pairing.APIURL, asked: apiURL}
		}
	}
	a.apiURL = apiURL
	clientID, err := store.ClientID(a.dataDir)
	if err != nil {
		a.close()
		return nil, err
	}
	a.account = store.Account(clientID, origin)
	if err := a.openTokens(o, keyringService, passphrase, secrets); err != nil {
		a.close()
		return nil, err
	}
	if err := a.openJournal(ctx); err != nil {
		a.close()
		return nil, err
	}
	cfg := core.Config{
		APIURL: apiURL, ClientVersion: appVersion(),
		Credentials: api.Credentials{ClientID: clientID, ClientSecret: secret},
		Tokens:      a.tokens,
		Journal:     a.journal, ReadOnly: a.readOnly, Settings: cs.Settings, Logger: a.logger,
		ReportsDir: reportsDir(a.dataDir),
		// The window and watch follow the cards mounted; an upload or a status does not.
		WatchCards: !a.readOnly && (command == "window" || command == "watch"),
	}
	if !a.readOnly {
		cfg.Revocations = store.RegisteringStore{TokenStore: a.backend.Sub("revoke"), Secrets: secrets}
		a.book = store.NewPairingBook(a.dataDir, apiURL, origin, a.tokenKind)
		cfg.Pairings = a.book
		// The computer is kept awake while files upload (the keep-awake setting): the
		// window, upload, watch and start; nothing is held where nothing can hold it.
		cfg.Awake = awake.New(awake.Options{Who: "C2C Uploader", AppID: appID})
	}
	if a.svc, err = core.New(cfg); err != nil {
		a.close()
		return nil, err
	}
	if !a.readOnly {
		a.logger.Info("started", "version", appVersion(), "command", command, "api", apiURL, "data_dir", a.dataDir,
			"demo", o.demo, "pairing_kept_in", a.tokenKind)
	}
	return a, nil
}

// dataDir is the data folder of this run, made if missing.
func dataDir(o options) (string, error) {
	dir := o.dataDir
	if dir == "" {
		var err error
		if dir, err = store.DefaultDataDir(o.demo); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the data folder: %w", err)
	}
	return filepath.Abs(dir)
}

func sameOrigin(origin, url string) bool {
	o, err := api.Origin(url)
	return err == nil && o == origin
}

// otherAPIError: the data folder is paired with one API and this run asked for another.
type otherAPIError struct{ paired, asked string }

func (e *otherAPIError) Error() string {
	return fmt.Sprintf("this data folder is paired with %s, not %s; run `c2c-uploader unpair` (it ends that pairing), then pair again with --api %s",
		e.paired, e.asked, e.asked)
}

// openTokens picks where the tokens live: where the folder's pairing put them, else
// where --token-store says (the keychain by default). In read-only mode no token is read:
// the process holding the folder owns them, and a refresh here would spend its refresh
// token.
func (a *wiring) openTokens(o options, service, passphrase string, secrets *redact.Secrets) error {
	kind := o.tokenStore
	if a.paired && a.pairing.TokenStore != "" {
		if kind != "" && kind != a.pairing.TokenStore {
			return fmt.Errorf("this data folder keeps its pairing in the %s; run `c2c-uploader unpair` first to keep it in the %s",
				tokenStoreWords(a.pairing.TokenStore), tokenStoreWords(kind))
		}
		kind = a.pairing.TokenStore
	}
	if kind == "" {
		kind = store.TokenStoreKeychain
	}
	a.tokenKind = kind
	var ts auth.TokenStore
	switch {
	case a.readOnly || a.noTokens:
		ts = store.NoTokens{}
	case kind == store.TokenStoreFile && passphrase == "" && o.command == "":
		// The window asks for it (UnlockTokenFile).
		ts, a.needPassphrase = store.NoTokens{}, true
	case kind == store.TokenStoreFile:
		f, err := store.OpenTokenFile(filepath.Join(a.dataDir, store.TokenFileName), passphrase, a.account)
		if err != nil {
			return err
		}
		ts = f
	default:
		ts = store.NewKeychain(service, a.account)
	}
	a.backend = store.NewSwitchable(ts)
	a.tokens = store.RegisteringStore{TokenStore: a.backend, Secrets: secrets}
	return nil
}

// useTokenFile keeps the pairing in the token file from now on, opened with passphrase:
// the window unlocks the file it found, or moves a pairing it could not keep (no
// keychain) into a new one.
func (a *wiring) useTokenFile(ctx context.Context, passphrase string) error {
	f, err := store.OpenTokenFile(filepath.Join(a.dataDir, store.TokenFileName), passphrase, a.account)
	if err != nil {
		return err
	}
	if err := f.Check(ctx); err != nil {
		return err
	}
	redact.Registered.Add(passphrase)
	a.backend.Switch(f)
	a.tokenKind, a.needPassphrase = store.TokenStoreFile, false
	if a.book != nil {
		a.book.SetTokenStore(store.TokenStoreFile)
	}
	return nil
}

func tokenStoreWords(kind string) string {
	if kind == store.TokenStoreFile {
		return "encrypted token file"
	}
	return "keychain"
}

// openJournal opens the upload journal: for reading only when another process holds the
// folder; otherwise for writing, moving a damaged one aside (its notice stays until the
// person acknowledges it).
func (a *wiring) openJournal(ctx context.Context) error {
	path := filepath.Join(a.dataDir, "journal.db")
	var err error
	if a.readOnly {
		a.journal, err = journal.OpenReadOnly(ctx, path)
	} else {
		var moved *journal.MovedAsideError
		keys := store.JournalKey{Slot: a.backend.Sub(store.JournalKeySlot), Secrets: redact.Registered}
		a.journal, err = journal.Open(ctx, path, journal.WithKeyStore(keys))
		if errors.As(err, &moved) {
			a.logger.Error("the upload journal was damaged and moved aside", "err", moved)
			err = nil
		}
		if err == nil && !a.needPassphrase {
			// Links an older version kept in the clear are sealed now; with the token file
			// still locked, at the next start.
			if n, serr := a.journal.SealLinks(ctx); serr != nil {
				a.logger.Warn("the upload links kept by an older version could not be sealed", "err", serr)
			} else if n > 0 {
				a.logger.Info("sealed the upload links an older version kept in the clear", "files", n)
			}
		}
	}
	if err != nil {
		return err
	}
	a.damages, err = journal.Damages(path)
	return err
}

// reportsDir is where the data folder's receipts go: each batch's report, and the hash
// lists that may not be written beside the media.
func reportsDir(dataDir string) string { return filepath.Join(dataDir, "reports") }

// journalPath is the upload journal of the data folder.
func (a *wiring) journalPath() string { return filepath.Join(a.dataDir, "journal.db") }

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
	if a.log != nil {
		_ = a.log.Close()
	}
	if a.lock != nil {
		_ = a.lock.Release()
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

// Log files: rotated by size, a few kept, appended to by every run (lumberjack).
const (
	logMaxMB    = 10
	logBackups  = 5
	logFileName = "c2c-uploader.log"
)

// openLog writes the log to <data-dir>/logs/c2c-uploader.log, appending, rotated by size
// (gopkg.in/natefinch/lumberjack.v2), through the redactor, and to stderr too with
// --verbose. A read-only run writes no log file: the process that holds the folder owns
// it. The logger is also slog's default, so that nothing logs around the redactor.
func openLog(dataDir string, secrets *redact.Secrets, verbose, readOnly bool, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	var (
		w      io.Writer = io.Discard
		closer io.Closer = io.NopCloser(nil)
	)
	if !readOnly {
		dir := filepath.Join(dataDir, "logs")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("creating the log folder: %w", err)
		}
		lj := &lumberjack.Logger{Filename: filepath.Join(dir, logFileName), MaxSize: logMaxMB, MaxBackups: logBackups}
		w, closer = lj, lj
	}
	if verbose {
		w = io.MultiWriter(w, stderr)
	}
	level := slog.LevelInfo
	if strings.EqualFold(os.Getenv("C2C_LOG_LEVEL"), "debug") {
		level = slog.LevelDebug // one line per request attempt, for support and the field trial
	}
	logger := slog.New(redact.NewTextHandler(w, level, secrets))
	slog.SetDefault(logger)
	return logger, closer, nil
}
