package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MovedAsideError is what Open returns, together with a working, empty Journal, when the
// database was damaged (not a database, failing its integrity check, or truncated): the
// damaged file (with its -wal, -shm and -journal files) was renamed to MovedTo, next to
// it, and a new journal was made at Path. Nothing was deleted: MovedTo holds the original
// bytes. The app should tell the user, for example "The upload history was damaged and
// was moved to MovedTo; the queue starts empty".
type MovedAsideError struct {
	Path    string // the journal
	MovedTo string // where the damaged file is now
	Cause   error  // what was wrong with it
	// Recovered is how many finished uploads the record of uploads (LedgerName) brought
	// into the new journal.
	Recovered int
}

func (e *MovedAsideError) Error() string {
	return fmt.Sprintf("journal: the upload history %s was damaged (%v); it was moved to %s and the queue starts empty (%d finished uploads recovered from the record of uploads)",
		e.Path, e.Cause, e.MovedTo, e.Recovered)
}

func (e *MovedAsideError) Unwrap() error { return e.Cause }

// damagedError marks a database whose bytes are bad, as opposed to one that cannot be
// reached (permissions, a missing folder, a lock, a transient I/O error).
type damagedError struct{ err error }

func (e *damagedError) Error() string { return e.err.Error() }
func (e *damagedError) Unwrap() error { return e.err }

// busyTimeout is how long a statement waits for a lock held by another connection (a
// reader checkpointing, or a second copy of the app) before it fails.
const busyTimeout = 5 * time.Second

type options struct {
	maxBatch   int           // operations per transaction; 1 turns group commit off
	window     time.Duration // how long a transaction waits for company; 0: defaultWindow
	batchHook  func(n int)   // called by the writer before each transaction of n operations
	migrations [][]string    // schema steps; nil means the package's own
	keys       KeyStore      // where the key of the upload links is kept; nil: the process's memory
}

// An Option changes how Open opens the journal.
type Option func(*options)

// WithKeyStore keeps the key that seals the upload links in ks (the app: where the
// tokens are). Without it the key lives in the process's memory only, and a journal
// opened again cannot open the links it wrote.
func WithKeyStore(ks KeyStore) Option { return func(o *options) { o.keys = ks } }

// Open opens the journal at path, making it (and its folder, mode 0700) when missing, and
// brings its schema up to date.
//
// It returns one of:
//   - (j, nil): the journal, as it was left.
//   - (j, *MovedAsideError): the file was damaged and was moved aside; j is a new, empty
//     journal and works normally. Show the error to the user, then carry on with j.
//   - (nil, err): the journal cannot be used and nothing was moved: it cannot be read or
//     written (permissions, a path through a regular file, a directory in its place, an
//     I/O error, a lock held too long), or it was made by a newer version of the app
//     (errors.Is(err, ErrNewerVersion)). The message names the file.
func Open(ctx context.Context, path string, opt ...Option) (*Journal, error) {
	var opts options
	for _, o := range opt {
		o(&opts)
	}
	return open(ctx, path, opts)
}

func open(ctx context.Context, path string, opts options) (*Journal, error) {
	if opts.maxBatch <= 0 {
		opts.maxBatch = defaultMaxBatch
	}
	if opts.window <= 0 {
		opts.window = defaultWindow
	}
	if opts.migrations == nil {
		opts.migrations = migrations
	}
	if opts.keys == nil {
		opts.keys = &memoryKey{}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	j, err := openFile(ctx, abs, opts)
	var damaged *damagedError
	if !errors.As(err, &damaged) {
		if err != nil {
			return nil, err
		}
		if j.fresh {
			// A journal made anew beside a record of uploads: the old one was deleted.
			if _, err := j.importLedger(ctx); err != nil {
				_ = j.Close()
				return nil, err
			}
		} else if err := j.seedLedger(ctx); err != nil {
			_ = j.Close()
			return nil, err
		}
		return j, nil
	}
	now := time.Now()
	movedTo, mvErr := moveAside(abs, now)
	if mvErr != nil {
		return nil, fmt.Errorf("journal: the upload history %s is damaged (%v) and could not be moved aside: %w",
			abs, damaged.err, mvErr)
	}
	j, err = openFile(ctx, abs, opts)
	if err != nil {
		return nil, fmt.Errorf("journal: the upload history %s was damaged and was moved to %s, but a new one could not be made: %w",
			abs, movedTo, err)
	}
	recovered, err := j.importLedger(ctx)
	if err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("journal: the upload history %s was damaged and was moved to %s, but the record of uploads could not be read back: %w",
			abs, movedTo, err)
	}
	if err := addDamage(abs, Damage{At: now, MovedTo: movedTo, Cause: damaged.err.Error(), Recovered: recovered}); err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("journal: writing the notice of the damaged upload history: %w", err)
	}
	return j, &MovedAsideError{Path: abs, MovedTo: movedTo, Cause: damaged.err, Recovered: recovered}
}

// openFile opens path; an error is a *damagedError when the file should be moved aside.
func openFile(ctx context.Context, path string, opts options) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: cannot make the folder of the upload history %s: %w", path, pathErr(err))
	}
	// Made here rather than by SQLite so that it (and the -wal and -shm files SQLite makes
	// with the same mode) is private: it lists the user's file names. Opening it for
	// writing first also tells a file we may not touch from a damaged one.
	fi, statErr := os.Stat(path)
	fresh := errors.Is(statErr, fs.ErrNotExist) || (statErr == nil && fi.Size() == 0)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: cannot open the upload history %s (left as it is): %w", path, pathErr(err))
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("journal: %s: %w", path, pathErr(err))
	}

	known := len(opts.migrations)
	err = checkReadOnly(ctx, path, known)
	recheck := errors.Is(err, errNeedsWriter)
	if err != nil && !recheck {
		return nil, err
	}

	wdb, err := sql.Open("sqlite", dsn(path, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
			"foreign_keys(1)",
			// FULL: the WAL is synced at every commit, so a reboot loses nothing that was
			// acknowledged; a lost "asset created" would mean a duplicate asset.
			"synchronous(FULL)",
		},
		// The writer takes the write lock at BEGIN rather than at its first write.
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)

	if recheck {
		err = check(ctx, wdb, path, known)
	}
	if err == nil {
		err = prepare(ctx, wdb, path, opts.migrations)
	}
	if err != nil {
		_ = wdb.Close()
		return nil, err
	}
	if fresh && len(opts.migrations) >= notesVersion {
		// Made by this version: no link was ever kept in the clear.
		if _, err := wdb.ExecContext(ctx, `DELETE FROM notes WHERE name = 'links_in_clear'`); err != nil {
			_ = wdb.Close()
			return nil, classify(path, "notes", err)
		}
	}
	st, err := prepareStatements(ctx, wdb)
	if err != nil {
		_ = wdb.Close()
		return nil, classify(path, "statements", err)
	}

	rdb, err := sql.Open("sqlite", dsn(path, url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "query_only(1)"},
	}))
	if err != nil {
		_ = errors.Join(st.close(), wdb.Close())
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)

	led, err := openLedger(filepath.Dir(path))
	if err != nil {
		_ = errors.Join(st.close(), wdb.Close(), rdb.Close())
		return nil, err
	}
	j := &Journal{
		ledger:    led,
		fresh:     fresh,
		path:      path,
		wdb:       wdb,
		rdb:       rdb,
		st:        st,
		ops:       make(chan *op, opts.maxBatch),
		stopped:   make(chan struct{}),
		maxBatch:  opts.maxBatch,
		window:    opts.window,
		batchHook: opts.batchHook,
		links:     &sealer{store: opts.keys},
	}
	go j.writer()
	return j, nil
}

// OpenReadOnly opens the journal at path for reading only, while another process owns
// it (its lock is held): Load and Uploaded work, every write returns ErrReadOnly. Nothing
// is checked, migrated or moved aside; a journal this version cannot read (damaged,
// newer) is an error.
func OpenReadOnly(ctx context.Context, path string) (*Journal, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("journal: cannot open the upload history %s: %w", abs, pathErr(err))
	}
	rdb, err := sql.Open("sqlite", dsn(abs, url.Values{
		"mode":    {"ro"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "query_only(1)"},
	}))
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", abs, err)
	}
	rdb.SetMaxOpenConns(2)
	var version int
	if err := rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("journal: the upload history %s cannot be read: %w", abs, err)
	}
	if version != len(migrations) {
		_ = rdb.Close()
		if version > len(migrations) {
			return nil, newerVersion(abs, version, len(migrations))
		}
		return nil, fmt.Errorf("journal: the upload history %s is from an older version (schema %d); the running app updates it", abs, version)
	}
	// A reader has no key: it shows how many parts an asset has, never its links.
	j := &Journal{path: abs, rdb: rdb, readOnly: true, stopped: make(chan struct{}), links: &sealer{store: &memoryKey{}}}
	close(j.stopped)
	return j, nil
}

// errNeedsWriter: the read-only check could not read the file because something must be
// written first (a hot rollback journal to roll back, a WAL index that cannot be rebuilt
// read-only); the check runs again on the writer's connection.
var errNeedsWriter = errors.New("journal: the check needs a writable connection")

// checkReadOnly runs check through a read-only connection, so that a damaged file keeps
// its bytes: a read-write connection closing on a database with a -wal file would
// checkpoint that WAL into the main file and delete it.
func checkReadOnly(ctx context.Context, path string, known int) error {
	db, err := sql.Open("sqlite", dsn(path, url.Values{
		"mode":    {"ro"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())},
	}))
	if err != nil {
		return fmt.Errorf("journal: %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	err = check(ctx, db, path, known)
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_READONLY {
		return errNeedsWriter
	}
	return err
}

// check runs PRAGMA quick_check and reads the schema version.
func check(ctx context.Context, db *sql.DB, path string, known int) error {
	problems, err := quickCheck(ctx, db)
	if err != nil {
		return classify(path, "integrity check", err)
	}
	if len(problems) > 0 {
		msg := strings.ReplaceAll(strings.Join(problems, "\n"), "\n", "; ")
		return &damagedError{fmt.Errorf("integrity check: %s", msg)}
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return classify(path, "schema version", err)
	}
	if version > known {
		return newerVersion(path, version, known)
	}
	return nil
}

// prepare turns on WAL and migrates the schema, on the writer's connection.
func prepare(ctx context.Context, db *sql.DB, path string, steps [][]string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return classify(path, "journal mode", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal: the upload history %s cannot use write-ahead logging (journal mode %q); is its folder on a network drive?", path, mode)
	}
	if err := migrate(ctx, db, path, steps); err != nil {
		var newer *newerVersionError
		if errors.As(err, &newer) {
			return err
		}
		if full := diskFull(filepath.Dir(path), err); full != err {
			return fmt.Errorf("journal: the upload history %s cannot be updated (left as it is): %w", path, full)
		}
		return classify(path, "schema migration", err)
	}
	return nil
}

// classify makes err a *damagedError when it says the file's bytes are bad, and otherwise
// an error saying that the file cannot be read and was left as it is.
func classify(path, what string, err error) error {
	err = fmt.Errorf("%s: %w", what, err)
	if isDamage(err) {
		return &damagedError{err}
	}
	return fmt.Errorf("journal: the upload history %s cannot be read (left as it is): %w", path, err)
}

// quickCheck runs PRAGMA quick_check (the integrity check without the index contents,
// fast enough for every start) and returns the problems it found, at most a few.
func quickCheck(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	return problems, rows.Err()
}

// isDamage reports whether err says the file's bytes are bad. Errors about reaching the
// file (permissions, locks, I/O errors, an interrupted statement) are not: the file may
// be fine, and moving it would lose a good history.
func isDamage(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return true
	}
	return e.Code() == sqlite3.SQLITE_IOERR_SHORT_READ
}

// moveAside renames path and its companion files to path.corrupt-<UTC time>, keeping the
// names SQLite expects (X-wal next to X), so the damaged copy can still be examined.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	to := base
	for i := 2; exists(to) || exists(to+"-wal"); i++ {
		to = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	// A -wal or -journal left beside the new, empty database would be replayed into it.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Rename(path+suffix, to+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return to, err
		}
	}
	return to, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// pathErr drops the path from an *fs.PathError whose message would repeat it.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dsn is a "file:" URI for path (which is absolute), with every byte that could end or
// change the path escaped, so that names with '?', '#' or '%' (or bytes that are not
// UTF-8) open the right file.
func dsn(path string, params url.Values) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows volume: file:/C:/...
	}
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '/', c == '-', c == '_', c == '.', c == '~', c == ':':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	b.WriteByte('?')
	b.WriteString(params.Encode())
	return b.String()
}
