package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// defaultMaxBatch bounds how many operations share one transaction, so that one commit
// (and the callers waiting on it) does not grow without limit under a flood of writes.
const defaultMaxBatch = 256

// defaultWindow is how long the writer holds a batch open for other operations when its
// first one found nothing else waiting. A commit is an fsync plus SQLite's work around
// it, and it was most of the journal's CPU: uploading 3,000 files of 1 MiB took about
// 3,600 commits when each write that found the writer idle went alone, and about 1,300
// with this window (counted by the journal's commit counter in a build that printed it;
// BenchmarkChunkDoneParallel shows the cost of a commit). A millisecond is nothing
// beside a request to the API. Writes that queue while a commit runs form the next batch
// at once, and a batch that fills does not wait.
const defaultWindow = time.Millisecond

// An op is one caller's write. run may be called more than once (see commit), each time in
// a fresh transaction after the previous one was rolled back, so it must not rely on
// anything from an earlier run.
type op struct {
	run  func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered: the writer never waits for a caller
	// ledger, when set, is appended to the record of uploads before the transaction.
	ledger []byte
}

// do hands run to the writer and waits until its transaction is committed (or failed).
//
// Cancellation: if ctx ends before the writer has accepted the operation, nothing is
// written and ctx's error is returned. Once accepted, the operation belongs to its batch:
// it is committed (or fails) whether or not the caller still waits, because aborting it
// would abort the writes of every other caller in the batch. A caller whose ctx ends
// while it waits gets an error wrapping ctx's error and cannot tell whether the write
// happened; Load tells.
func (j *Journal) do(ctx context.Context, run func(ctx context.Context, tx *sql.Tx) error) error {
	return j.doLogged(ctx, nil, run)
}

// doLogged is do with a line for the record of uploads, written (and synced) before the
// transaction: a file is never done in the journal without being in the record. A write
// that fails because the disk is full returns a *DiskFullError.
func (j *Journal) doLogged(ctx context.Context, ledger []byte, run func(ctx context.Context, tx *sql.Tx) error) error {
	return diskFull(j.dir(), j.hand(ctx, &op{run: run, ledger: ledger, done: make(chan error, 1)}))
}

func (j *Journal) hand(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.mu.RLock()
	if j.closed {
		j.mu.RUnlock()
		return ErrClosed
	}
	if j.readOnly {
		j.mu.RUnlock()
		return ErrReadOnly
	}
	select {
	case j.ops <- o:
		j.mu.RUnlock()
	case <-ctx.Done():
		j.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("journal: stopped waiting for a write already handed to the writer, which still applies it: %w", ctx.Err())
	}
}

// writer is the one goroutine that writes. It takes every operation waiting (up to
// maxBatch) — and, when the first found none beside it, those arriving within the window
// — runs them in one transaction, commits once, and answers each caller. While it
// commits, new operations queue up in ops and form the next batch, so the number of
// fsyncs follows the disk's speed, not the number of writes.
func (j *Journal) writer() {
	defer close(j.stopped)
	batch := make([]*op, 0, j.maxBatch)
	window := time.NewTimer(j.window)
	window.Stop()
	for o := range j.ops {
		batch = append(batch[:0], o)
		open := j.takeWaiting(&batch) && len(batch) == 1
		if open {
			window.Reset(j.window)
		}
	gather:
		for open && len(batch) < j.maxBatch {
			select {
			case o, ok := <-j.ops:
				if !ok {
					break gather // closing: what was handed over is committed now
				}
				batch = append(batch, o)
			case <-window.C:
				break gather
			}
		}
		window.Stop()
		j.commit(batch)
		clear(batch)
	}
}

// takeWaiting adds the operations already waiting to batch, up to maxBatch; false once
// ops is closed.
func (j *Journal) takeWaiting(batch *[]*op) bool {
	for len(*batch) < j.maxBatch {
		select {
		case o, ok := <-j.ops:
			if !ok {
				return false
			}
			*batch = append(*batch, o)
		default:
			return true
		}
	}
	return true
}

// commit runs batch and answers every caller; only the callers whose operation failed get
// an error.
//
// The batch first runs as plain statements in one transaction. If an operation fails, that
// transaction is rolled back (nothing was committed) and the batch runs again with each
// operation inside its own SAVEPOINT, so the failing one is undone alone. If even that
// transaction breaks (SQLite rolls a whole transaction back on a full disk or an I/O
// error), each operation runs in a transaction of its own. An error at BEGIN or COMMIT
// goes to every caller of the batch: none of its writes is known to be on disk.
func (j *Journal) commit(batch []*op) {
	if j.batchHook != nil {
		j.batchHook(len(batch))
	}
	if batch = j.writeLedger(batch); len(batch) == 0 {
		return
	}
	if len(batch) == 1 {
		batch[0].done <- j.runAlone(batch[0])
		return
	}
	errs, err := j.runBatch(batch, false)
	var failed *opFailedError
	if errors.As(err, &failed) {
		errs, err = j.runBatch(batch, true)
	}
	var broken *brokenTxError
	if errors.As(err, &broken) {
		for _, o := range batch {
			o.done <- j.runAlone(o)
		}
		return
	}
	for i, o := range batch {
		if err != nil {
			o.done <- err
		} else {
			o.done <- errs[i]
		}
	}
}

// The writer's statements do not use any caller's context: a caller that stops waiting
// must not abort a batch others are in.

// runAlone runs one operation in its own transaction.
func (j *Journal) runAlone(o *op) error {
	ctx := context.Background()
	tx, err := j.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: begin: %w", err)
	}
	if err := o.run(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal: commit: %w", err)
	}
	j.commits.Add(1)
	return nil
}

// opFailedError: an operation of a batch run without savepoints failed; nothing was
// committed.
type opFailedError struct{ err error }

func (e *opFailedError) Error() string { return e.err.Error() }

// brokenTxError: the savepoints of a batch stopped working; nothing was committed.
type brokenTxError struct{ err error }

func (e *brokenTxError) Error() string { return e.err.Error() }

// runBatch runs batch in one transaction and returns each operation's error, or the error
// that made the whole transaction fail. Without savepoints, the first failing operation
// fails it with an *opFailedError; with them, each failure is undone alone and reported in
// the slice, and a savepoint that cannot be undone fails it with a *brokenTxError.
func (j *Journal) runBatch(batch []*op, savepoints bool) ([]error, error) {
	ctx := context.Background()
	tx, err := j.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	errs := make([]error, len(batch))
	for i, o := range batch {
		if !savepoints {
			if err := o.run(ctx, tx); err != nil {
				_ = tx.Rollback()
				return nil, &opFailedError{err}
			}
			continue
		}
		if _, err := execStmt(ctx, tx, j.st.savepoint); err != nil {
			_ = tx.Rollback()
			return nil, &brokenTxError{fmt.Errorf("journal: savepoint: %w", err)}
		}
		if errs[i] = o.run(ctx, tx); errs[i] != nil {
			if _, err := execStmt(ctx, tx, j.st.rollbackTo); err != nil {
				_ = tx.Rollback()
				return nil, &brokenTxError{fmt.Errorf("journal: rollback to savepoint: %w (after %w)", err, errs[i])}
			}
		}
		if _, err := execStmt(ctx, tx, j.st.release); err != nil {
			_ = tx.Rollback()
			return nil, &brokenTxError{fmt.Errorf("journal: release savepoint: %w", err)}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("journal: commit: %w", err)
	}
	j.commits.Add(1)
	return errs, nil
}

// writeLedger appends the batch's lines to the record of uploads in one write and one
// fsync. If that fails, the operations that carried a line fail with it (and are not
// run); the others are returned to run.
func (j *Journal) writeLedger(batch []*op) []*op {
	var lines []byte
	for _, o := range batch {
		lines = append(lines, o.ledger...)
	}
	if len(lines) == 0 {
		return batch
	}
	err := j.ledger.append(lines)
	if err == nil {
		return batch
	}
	rest := batch[:0:0]
	for _, o := range batch {
		if o.ledger != nil {
			o.done <- err
		} else {
			rest = append(rest, o)
		}
	}
	return rest
}
