// Package journal keeps the upload queue in SQLite so that it survives a crash, a kill or a
// reboot: every file, its current asset and which of its chunks are finished. It implements
// upload.Journal.
//
// Writes go through one goroutine that commits them in groups (writer.go): a write returns
// only once its transaction is committed and synced to disk, so the engine may announce a
// state change as soon as the call returns, and small writes made at the same time share
// one fsync (a write that finds the writer idle waits up to a millisecond for company).
// Reads use their own connections; WAL lets them run beside the writer.
package journal

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

var _ upload.Journal = (*Journal)(nil)

var (
	// ErrClosed is returned by every call made after Close.
	ErrClosed = errors.New("journal: closed")
	// ErrNotFound: no file with that id is in the journal.
	ErrNotFound = errors.New("journal: no such file")
	// ErrNoChunk: the file's current asset has no chunk with that index, typically because
	// the asset was replaced (StartAsset) after the chunk was sent.
	ErrNoChunk = errors.New("journal: no such chunk in the file's current asset")
	// ErrNewerVersion: the database's schema is newer than this code knows. The file is
	// left as it is.
	ErrNewerVersion = errors.New("made by a newer version of C2C Uploader")
	// ErrReadOnly: a write to a journal opened with OpenReadOnly.
	ErrReadOnly = errors.New("journal: opened for reading only (another process owns it)")
)

// Journal is the upload journal in one SQLite file. Its methods are safe for concurrent
// use.
type Journal struct {
	path string
	wdb  *sql.DB // one connection, used only by the writer goroutine once Open returns
	rdb  *sql.DB // read-only connections for Load
	st   *statements

	// mu guards closed and sends on ops, so that Close can close ops while no one sends.
	mu      sync.RWMutex
	closed  bool
	ops     chan *op
	stopped chan struct{} // closed when the writer has answered its last operation

	maxBatch  int
	window    time.Duration
	batchHook func(n int)
	commits   atomic.Int64 // transactions the writer committed

	ledger   *ledger // the record of finished uploads; used by the writer only
	links    *sealer // seals and opens the upload links (links.go)
	fresh    bool    // the file was made (or was empty) when it was opened
	readOnly bool    // OpenReadOnly: no writer
}

// Path is the database file.
func (j *Journal) Path() string { return j.path }

// Close commits every write already handed to the writer, then closes the database.
// Writes and loads that start after Close return ErrClosed. Closing twice is harmless.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	if j.readOnly {
		j.mu.Unlock()
		return j.rdb.Close()
	}
	close(j.ops)
	j.mu.Unlock()
	<-j.stopped
	return errors.Join(j.rdb.Close(), j.st.close(), j.wdb.Close(), j.ledger.close())
}

// Load returns every file, oldest (lowest id) first, each with its finished chunks in
// ascending order. It reads one consistent snapshot. Times come back in UTC.
func (j *Journal) Load(ctx context.Context) ([]upload.Record, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, ErrClosed
	}
	tx, err := j.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("journal: load: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo

	// Sized first: a journal holds every file ever finished, and growing the slice of
	// records copies them over and over (BenchmarkLoadTenThousand).
	var n int
	if err := tx.QueryRowContext(ctx, countFilesSQL).Scan(&n); err != nil {
		return nil, fmt.Errorf("journal: load files: %w", err)
	}
	rows, err := tx.QueryContext(ctx, selectFilesSQL)
	if err != nil {
		return nil, fmt.Errorf("journal: load files: %w", err)
	}
	recs := make([]upload.Record, 0, n)
	index := make(map[upload.FileID]int, n)
	for rows.Next() {
		f, sealed, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("journal: load files: %w", err)
		}
		j.openLinks(ctx, &f, sealed)
		index[f.ID] = len(recs)
		recs = append(recs, upload.Record{File: f})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("journal: load files: %w", err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT file_id, idx, hash FROM chunks WHERE done = 1 ORDER BY file_id, idx`)
	if err != nil {
		return nil, fmt.Errorf("journal: load chunks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id upload.FileID
		var idx int
		var hash string
		if err := rows.Scan(&id, &idx, &hash); err != nil {
			return nil, fmt.Errorf("journal: load chunks: %w", err)
		}
		if i, ok := index[id]; ok {
			recs[i].DoneChunks = append(recs[i].DoneChunks, idx)
			recs[i].PartHashes = append(recs[i].PartHashes, hash)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: load chunks: %w", err)
	}
	return recs, nil
}

// Insert adds files and returns copies with the ids the journal gave them, in the same
// order. The files are added together or not at all. A file must not have an id yet.
func (j *Journal) Insert(ctx context.Context, files []upload.File) ([]upload.File, error) {
	if len(files) == 0 {
		return nil, nil
	}
	args := make([][]any, len(files))
	for i := range files {
		f := &files[i]
		if f.ID != 0 {
			return nil, fmt.Errorf("journal: insert %q: it already has id %d", f.Path, f.ID)
		}
		if f.Path == "" {
			return nil, errors.New("journal: insert: a file without a path")
		}
		a, keepLinks, err := j.fileArgs(ctx, f)
		if err == nil && keepLinks {
			err = errors.New("its upload links are unknown")
		}
		if err != nil {
			return nil, fmt.Errorf("journal: insert %q: %w", f.Path, err)
		}
		args[i] = a
	}
	out := slices.Clone(files)
	err := j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, a := range args {
			res, err := execStmt(ctx, tx, j.st.insertFile, a...)
			if err != nil {
				return fmt.Errorf("journal: insert %q: %w", out[i].Path, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("journal: insert %q: %w", out[i].Path, err)
			}
			out[i].ID = upload.FileID(id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update writes a file's row (every field but the id) and marks parts of its current
// asset finished with their hashes, in one transaction; other chunks are left as they
// are. It returns an error wrapping ErrNotFound when the file is not in the journal, and
// one wrapping ErrNoChunk (writing nothing) when a chunk does not exist.
func (j *Journal) Update(ctx context.Context, f upload.File, parts ...upload.Part) error {
	a, keepLinks, err := j.fileArgs(ctx, &f)
	if err != nil {
		return fmt.Errorf("journal: update file %d: %w", f.ID, err)
	}
	a = append(a, int64(f.ID))
	var line []byte
	if f.State == upload.Done {
		if line, err = ledgerEntry(&f); err != nil {
			return fmt.Errorf("journal: update file %d: %w", f.ID, err)
		}
	}
	return j.doLogged(ctx, line, func(ctx context.Context, tx *sql.Tx) error {
		if err := j.updateFile(ctx, tx, f.ID, a, keepLinks); err != nil {
			return err
		}
		for _, p := range parts {
			if err := j.markChunk(ctx, tx, f.ID, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateFiles writes the rows of files (every field but the id) in one transaction;
// their chunks are left as they are. It returns an error wrapping ErrNotFound, writing
// nothing, when one of them is not in the journal.
func (j *Journal) UpdateFiles(ctx context.Context, files []upload.File) error {
	if len(files) == 0 {
		return nil
	}
	args := make([][]any, len(files))
	keepLinks := make([]bool, len(files))
	var lines []byte
	for i := range files {
		a, keep, err := j.fileArgs(ctx, &files[i])
		if err != nil {
			return fmt.Errorf("journal: update file %d: %w", files[i].ID, err)
		}
		args[i], keepLinks[i] = append(a, int64(files[i].ID)), keep
		if files[i].State == upload.Done {
			line, err := ledgerEntry(&files[i])
			if err != nil {
				return fmt.Errorf("journal: update file %d: %w", files[i].ID, err)
			}
			lines = append(lines, line...)
		}
	}
	return j.doLogged(ctx, lines, func(ctx context.Context, tx *sql.Tx) error {
		for i := range files {
			if err := j.updateFile(ctx, tx, files[i].ID, args[i], keepLinks[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reorder writes where the person moved files in the queue (upload.File.Rank), in one
// transaction. Files no longer in the journal are passed over: a file removed while the
// move was on its way has no place left to keep.
func (j *Journal) Reorder(ctx context.Context, ranks map[upload.FileID]int64) error {
	if len(ranks) == 0 {
		return nil
	}
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for id, rank := range ranks {
			if _, err := tx.ExecContext(ctx, "UPDATE files SET queue_rank = ? WHERE id = ?", rank, int64(id)); err != nil {
				return fmt.Errorf("journal: reorder file %d: %w", id, err)
			}
		}
		return nil
	})
}

// ReceiptsUnder returns, for each path at or below path (a file, or a folder), the newest
// finished upload of it that was hashed (hidden ones included): what verify compares the
// files on disk with.
func (j *Journal) ReceiptsUnder(ctx context.Context, path string) ([]upload.File, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, ErrClosed
	}
	// The folder's paths sort between "dir/" and "dir0" ('0' follows the separator):
	// a range the files_uploaded index answers.
	dir := strings.TrimSuffix(path, string(filepath.Separator)) + string(filepath.Separator)
	upper := strings.TrimSuffix(dir, string(filepath.Separator)) + string(rune(filepath.Separator+1))
	rows, err := j.rdb.QueryContext(ctx, "SELECT "+selectColumns+" FROM files"+
		" WHERE state = 'done' AND hashes != '' AND (path = ? OR (path >= ? AND path < ?)) ORDER BY done_ns, id",
		[]byte(path), []byte(dir), []byte(upper))
	if err != nil {
		return nil, fmt.Errorf("journal: receipts: %w", err)
	}
	defer rows.Close()
	newest := map[string]int{}
	var out []upload.File
	for rows.Next() {
		f, _, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("journal: receipts: %w", err)
		}
		f.UploadURLs = nil // not needed, and sealed
		if i, ok := newest[f.Path]; ok {
			out[i] = f
			continue
		}
		newest[f.Path] = len(out)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: receipts: %w", err)
	}
	return out, nil
}

// Receipted records when files were written into their batch's receipts, in one
// transaction; files no longer in the journal are passed over.
func (j *Journal) Receipted(ctx context.Context, ids []upload.FileID, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	ns, err := toNS(at)
	if err != nil {
		return fmt.Errorf("journal: receipted: %w", err)
	}
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "UPDATE files SET receipted_ns = ? WHERE id = ?", ns, int64(id)); err != nil {
				return fmt.Errorf("journal: receipted file %d: %w", id, err)
			}
		}
		return nil
	})
}

// StartAsset writes the file's row with its new asset and replaces its chunks with
// len(f.UploadURLs) unfinished ones sized by f.ChunkRange, in one transaction. The chunks
// must cover the whole file, but for a real-time asset (f.Realtime), whose parts are
// registered as the file grows (AddParts).
func (j *Journal) StartAsset(ctx context.Context, f upload.File) error {
	a, keepLinks, err := j.fileArgs(ctx, &f)
	if err == nil && keepLinks {
		err = errors.New("its upload links are unknown")
	}
	if err != nil {
		return fmt.Errorf("journal: start asset of file %d: %w", f.ID, err)
	}
	a = append(a, int64(f.ID))
	n := f.ChunkCount()
	if !f.Realtime && !covers(n, f.ChunkSize, f.Size) {
		return fmt.Errorf("journal: start asset of file %d: %d chunks of %d bytes do not cover its %d bytes",
			f.ID, n, f.ChunkSize, f.Size)
	}
	sizes := make([]int64, n)
	for i := range sizes {
		_, sizes[i] = f.ChunkRange(i)
	}
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := j.updateFile(ctx, tx, f.ID, a, false); err != nil {
			return err
		}
		if _, err := execStmt(ctx, tx, j.st.deleteChunks, int64(f.ID)); err != nil {
			return fmt.Errorf("journal: start asset of file %d: %w", f.ID, err)
		}
		stmt := tx.StmtContext(ctx, j.st.insertChunk)
		for i, size := range sizes {
			if _, err := stmt.ExecContext(ctx, int64(f.ID), i, size); err != nil {
				return fmt.Errorf("journal: start asset of file %d: chunk %d: %w", f.ID, i, err)
			}
		}
		return nil
	})
}

// AddParts writes the row of a file uploaded as it is written (f.Realtime) with the
// links of every part registered so far, and adds unfinished chunks for those from
// index from on, sized by f.ChunkRange, in one transaction: the parts the API has just
// registered. It returns an error wrapping ErrNoChunk, writing nothing, when from is not
// the number of chunks the asset has.
func (j *Journal) AddParts(ctx context.Context, f upload.File, from int) error {
	a, keepLinks, err := j.fileArgs(ctx, &f)
	if err == nil && (keepLinks || !f.Realtime) {
		err = errors.New("not a real-time upload with known links")
	}
	if err != nil {
		return fmt.Errorf("journal: add parts of file %d: %w", f.ID, err)
	}
	a = append(a, int64(f.ID))
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var have int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM chunks WHERE file_id = ?", int64(f.ID)).Scan(&have); err != nil {
			return fmt.Errorf("journal: add parts of file %d: %w", f.ID, err)
		}
		if have != from {
			return fmt.Errorf("journal: add parts of file %d: it has %d, not %d: %w", f.ID, have, from, ErrNoChunk)
		}
		if err := j.updateFile(ctx, tx, f.ID, a, false); err != nil {
			return err
		}
		stmt := tx.StmtContext(ctx, j.st.insertChunk)
		for i := from; i < f.ChunkCount(); i++ {
			_, size := f.ChunkRange(i)
			if _, err := stmt.ExecContext(ctx, int64(f.ID), i, size); err != nil {
				return fmt.Errorf("journal: add parts of file %d: part %d: %w", f.ID, i, err)
			}
		}
		return nil
	})
}

// ChunkDone marks a part of the file's current asset finished, with the hash of the bytes
// it sent. Marking it twice is harmless. It returns an error wrapping ErrNoChunk when
// the current asset has no such chunk (or the file is gone).
func (j *Journal) ChunkDone(ctx context.Context, id upload.FileID, p upload.Part) error {
	if p.Index < 0 {
		return fmt.Errorf("journal: file %d chunk %d: %w", id, p.Index, ErrNoChunk)
	}
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return j.markChunk(ctx, tx, id, p)
	})
}

func (j *Journal) markChunk(ctx context.Context, tx *sql.Tx, id upload.FileID, p upload.Part) error {
	if p.Index < 0 {
		return fmt.Errorf("journal: file %d chunk %d: %w", id, p.Index, ErrNoChunk)
	}
	res, err := execStmt(ctx, tx, j.st.doneChunk, p.Hash, int64(id), p.Index)
	if err != nil {
		return fmt.Errorf("journal: file %d chunk %d: %w", id, p.Index, err)
	}
	return affected(res, fmt.Errorf("journal: file %d chunk %d: %w", id, p.Index, ErrNoChunk))
}

// Remove deletes a file and its chunks. It returns an error wrapping ErrNotFound when the
// file is not in the journal.
func (j *Journal) Remove(ctx context.Context, id upload.FileID) error {
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error { return j.removeFile(ctx, tx, id) })
}

func (j *Journal) removeFile(ctx context.Context, tx *sql.Tx, id upload.FileID) error {
	res, err := execStmt(ctx, tx, j.st.removeFile, int64(id))
	if err != nil {
		return fmt.Errorf("journal: remove file %d: %w", id, err)
	}
	return affected(res, fmt.Errorf("journal: remove file %d: %w", id, ErrNotFound))
}

// Hide takes a file out of the queue (Load no longer returns it) and drops its chunks,
// but keeps its row: for a finished file, the record that it was uploaded. It returns an
// error wrapping ErrNotFound when the file is not in the journal.
func (j *Journal) Hide(ctx context.Context, id upload.FileID) error {
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error { return j.hideFile(ctx, tx, id) })
}

func (j *Journal) hideFile(ctx context.Context, tx *sql.Tx, id upload.FileID) error {
	res, err := execStmt(ctx, tx, j.st.hideFile, int64(id))
	if err != nil {
		return fmt.Errorf("journal: hide file %d: %w", id, err)
	}
	if err := affected(res, fmt.Errorf("journal: hide file %d: %w", id, ErrNotFound)); err != nil {
		return err
	}
	if _, err := execStmt(ctx, tx, j.st.deleteChunks, int64(id)); err != nil {
		return fmt.Errorf("journal: hide file %d: %w", id, err)
	}
	return nil
}

// Forget takes files out of the queue in one transaction: the hidden ones keep their
// rows (Hide), the removed ones are deleted (Remove). It returns an error wrapping
// ErrNotFound, writing nothing, when one of them is not in the journal.
func (j *Journal) Forget(ctx context.Context, hide, remove []upload.FileID) error {
	if len(hide)+len(remove) == 0 {
		return nil
	}
	return j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range hide {
			if err := j.hideFile(ctx, tx, id); err != nil {
				return err
			}
		}
		for _, id := range remove {
			if err := j.removeFile(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Uploaded returns, for each file, the newest finished upload with the same path, size,
// mtime and fingerprint (hidden or not), or a File with ID 0. A card of thousands of
// files is looked up a few hundred paths per query.
func (j *Journal) Uploaded(ctx context.Context, files []upload.File) ([]upload.File, error) {
	out := make([]upload.File, len(files))
	byPath := map[string][]int{}
	var paths []any
	for i := range files {
		if _, seen := byPath[files[i].Path]; !seen {
			paths = append(paths, []byte(files[i].Path))
		}
		byPath[files[i].Path] = append(byPath[files[i].Path], i)
	}
	err := j.filesIn(ctx, "uploaded", uploadedSQL, paths, func(f upload.File) {
		for _, i := range byPath[f.Path] {
			want := &files[i]
			if f.Size != want.Size || !f.ModTime.Equal(want.ModTime) || f.Fingerprint != want.Fingerprint {
				continue
			}
			if cur := out[i]; cur.ID == 0 || f.DoneAt.After(cur.DoneAt) || (f.DoneAt.Equal(cur.DoneAt) && f.ID > cur.ID) {
				out[i] = f
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cleared returns the files cleared from the list (hidden) that were added at the
// given times, oldest first: a batch's receipts, written again when a file of it arrives
// later, still name them.
func (j *Journal) Cleared(ctx context.Context, added []time.Time) ([]upload.File, error) {
	times := make([]any, len(added))
	for i, at := range added {
		times[i] = at.UnixNano()
	}
	var out []upload.File
	if err := j.filesIn(ctx, "cleared", clearedSQL, times, func(f upload.File) { out = append(out, f) }); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b upload.File) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// UnreceiptedCleared returns the times the batches were added (oldest first) that have
// a file cleared from the list and not written into their receipts since it was done: a
// batch whose receipts could not be written, then cleared, is still written at the next
// start.
func (j *Journal) UnreceiptedCleared(ctx context.Context) ([]time.Time, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, ErrClosed
	}
	rows, err := j.rdb.QueryContext(ctx, unreceiptedClearedSQL+" ORDER BY added_ns")
	if err != nil {
		return nil, fmt.Errorf("journal: unreceipted: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var ns int64
		if err := rows.Scan(&ns); err != nil {
			return nil, fmt.Errorf("journal: unreceipted: %w", err)
		}
		out = append(out, time.Unix(0, ns))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: unreceipted: %w", err)
	}
	return out, nil
}

// filesIn reads, in one read-only transaction, the files a query finds for each of
// args, and hands each to take. The query selects selectColumns and ends in "IN (": a
// few hundred args go per query (a card of thousands of files is looked up at once).
// what names the call in errors.
func (j *Journal) filesIn(ctx context.Context, what, query string, args []any, take func(upload.File)) error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	if len(args) == 0 {
		return nil
	}
	tx, err := j.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("journal: %s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo
	const perQuery = 500
	for start := 0; start < len(args); start += perQuery {
		batch := args[start:min(start+perQuery, len(args))]
		rows, err := tx.QueryContext(ctx, query+strings.TrimSuffix(strings.Repeat("?, ", len(batch)), ", ")+")", batch...)
		if err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
		for rows.Next() {
			f, _, err := scanFile(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("journal: %s: %w", what, err)
			}
			take(f)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
	}
	return nil
}

// covers reports whether n chunks of size bytes (the last one shorter) hold total bytes.
// An empty file's one chunk has size 0.
func covers(n int, size, total int64) bool {
	switch {
	case size < 0:
		return false
	case total == 0:
		return true
	case size == 0:
		return false
	}
	return (total-1)/size < int64(n)
}

func (j *Journal) updateFile(ctx context.Context, tx *sql.Tx, id upload.FileID, args []any, keepLinks bool) error {
	stmt := j.st.updateFile
	if keepLinks {
		stmt = j.st.updateFileKeepLinks
	}
	res, err := execStmt(ctx, tx, stmt, args...)
	if err != nil {
		return fmt.Errorf("journal: update file %d: %w", id, err)
	}
	return affected(res, fmt.Errorf("journal: update file %d: %w", id, ErrNotFound))
}

// affected returns notFound when the statement changed no row.
func affected(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// stats is what the tests and benchmarks read: transactions committed so far.
func (j *Journal) stats() int64 { return j.commits.Load() }
