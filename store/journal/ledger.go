package journal

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// LedgerName is the record of finished uploads, beside the journal: one JSON object per
// line, appended (and synced) before the journal commits a file as done, never
// rewritten. It is the second record the issue of a damaged journal asks for: when the
// journal is lost, the files it names are still known to be uploaded and are not sent
// again. A person can read it too.
const LedgerName = "uploads.jsonl"

// LedgerEntry is one finished upload.
type LedgerEntry struct {
	// Path is the file's path when it is valid UTF-8; PathBytes holds it otherwise
	// (base64 in JSON), so that any name round-trips.
	Path        string    `json:"path,omitempty"`
	PathBytes   []byte    `json:"path_bytes,omitempty"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ModTimeNS   int64     `json:"mtime_ns"`
	Fingerprint string    `json:"fingerprint"`
	Filetype    string    `json:"filetype,omitempty"`
	ProjectID   string    `json:"project_id,omitempty"`
	ProjectName string    `json:"project_name,omitempty"`
	AssetID     string    `json:"asset_id"`
	Done        time.Time `json:"done"`
}

func ledgerEntry(f *upload.File) ([]byte, error) {
	mtime, err := toNS(f.ModTime)
	if err != nil {
		return nil, err
	}
	e := LedgerEntry{Name: f.Name, Size: f.Size, ModTimeNS: mtime, Fingerprint: f.Fingerprint,
		Filetype: f.Filetype, ProjectID: f.ProjectID, ProjectName: f.ProjectName, AssetID: f.AssetID,
		Done: f.DoneAt.UTC()}
	if utf8.ValidString(f.Path) {
		e.Path = f.Path
	} else {
		e.PathBytes = []byte(f.Path)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// path is the file's path, whichever way it was written.
func (e *LedgerEntry) path() string {
	if e.PathBytes != nil {
		return string(e.PathBytes)
	}
	return e.Path
}

// ledgerSync is how often the record of uploads is synced to disk. Lines are written
// before the journal commits (so a line is never missing for a committed file while the
// system runs), but synced in the background: an fsync per commit cost small files a
// quarter of their rate, and the record is only read after the journal, which is synced
// at every commit, was damaged. What a power cut could take from it is the last second.
const ledgerSync = time.Second

// ledger appends to the record of uploads; only the writer goroutine writes to it.
type ledger struct {
	path  string
	f     *os.File
	empty bool // nothing was ever recorded
	// cut is set when the file may end in the middle of a line (a write cut by a crash
	// or a full disk): the next write starts on a new line, so only the cut line is lost.
	cut bool

	dirty   atomic.Bool           // written since the last sync
	syncErr atomic.Pointer[error] // the last background sync's failure, told at the next append
	stop    chan struct{}
	synced  chan struct{} // closed when the syncer has stopped
}

func openLedger(dir string) (*ledger, error) {
	path := filepath.Join(dir, LedgerName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: opening the record of uploads %s: %w", path, err)
	}
	l := &ledger{path: path, f: f, stop: make(chan struct{}), synced: make(chan struct{})}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: the record of uploads %s: %w", path, err)
	}
	l.empty = fi.Size() == 0
	if !l.empty {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err != nil || last[0] != '\n' {
			l.cut = true
		}
	}
	go l.syncer()
	return l, nil
}

// append writes lines: one write for a whole batch; the syncer makes them durable.
func (l *ledger) append(lines []byte) error {
	if err := l.syncErr.Swap(nil); err != nil {
		return fmt.Errorf("journal: syncing the record of uploads: %w", *err)
	}
	if l.cut {
		lines = append([]byte{'\n'}, lines...)
	}
	if _, err := l.f.Write(lines); err != nil {
		l.cut = true
		return fmt.Errorf("journal: writing the record of uploads: %w", err)
	}
	l.cut = false
	l.empty = false
	l.dirty.Store(true)
	return nil
}

// syncer syncs what was appended, every ledgerSync, until close.
func (l *ledger) syncer() {
	defer close(l.synced)
	tick := time.NewTicker(ledgerSync)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.sync()
		}
	}
}

func (l *ledger) sync() error {
	if !l.dirty.Swap(false) {
		return nil
	}
	err := l.f.Sync()
	if err != nil {
		l.dirty.Store(true)
		l.syncErr.Store(&err)
	}
	return err
}

func (l *ledger) close() error {
	close(l.stop)
	<-l.synced
	return errors.Join(l.sync(), l.f.Close())
}

// seedLedger starts an empty record of uploads with the finished files the journal
// already holds (a journal from before the record existed, or a record deleted by hand).
func (j *Journal) seedLedger(ctx context.Context) error {
	if !j.ledger.empty {
		return nil
	}
	rows, err := j.rdb.QueryContext(ctx, "SELECT "+selectColumns+" FROM files WHERE state = 'done' ORDER BY id")
	if err != nil {
		return fmt.Errorf("journal: reading finished uploads: %w", err)
	}
	var lines []byte
	for rows.Next() {
		f, _, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("journal: reading finished uploads: %w", err)
		}
		if line, err := ledgerEntry(&f); err == nil {
			lines = append(lines, line...)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("journal: reading finished uploads: %w", err)
	}
	if len(lines) == 0 {
		return nil
	}
	return j.doLogged(ctx, lines, func(context.Context, *sql.Tx) error { return nil })
}

// ReadLedger reads the record of uploads in dir. A line that cannot be read (the end of
// a write cut by a crash) is skipped.
func ReadLedger(dir string) ([]LedgerEntry, error) {
	f, err := os.Open(filepath.Join(dir, LedgerName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []LedgerEntry
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var e LedgerEntry
			if json.Unmarshal(line, &e) == nil && e.path() != "" {
				out = append(out, e)
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// importLedger writes the uploads the record names into a journal that was just made
// (the old one was damaged and moved aside, or deleted), as hidden finished files: not in
// the queue, but known to be uploaded. It returns how many it wrote.
func (j *Journal) importLedger(ctx context.Context) (int, error) {
	entries, err := ReadLedger(j.dir())
	if err != nil {
		return 0, fmt.Errorf("journal: reading the record of uploads: %w", err)
	}
	if len(entries) == 0 {
		return 0, nil
	}
	n := 0
	err = j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		for i := range entries {
			e := &entries[i]
			var exists int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE state = 'done' AND path = ? AND size = ? AND mtime_ns = ? AND asset_id = ?`,
				[]byte(e.path()), e.Size, e.ModTimeNS, e.AssetID).Scan(&exists)
			if err != nil {
				return err
			}
			if exists > 0 {
				continue
			}
			f := upload.File{Path: e.path(), Name: e.Name, Size: e.Size, ModTime: fromNS(e.ModTimeNS),
				Fingerprint: e.Fingerprint, Filetype: e.Filetype, ProjectID: e.ProjectID, ProjectName: e.ProjectName,
				AssetID: e.AssetID, State: upload.Done, DoneAt: e.Done, AddedAt: e.Done, UpdatedAt: e.Done}
			args, _, err := j.fileArgs(ctx, &f)
			if err != nil {
				continue
			}
			res, err := execStmt(ctx, tx, j.st.insertFile, args...)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := execStmt(ctx, tx, j.st.hideFile, id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
