package journal

import (
	"context"
	"database/sql"
	"errors"
)

// statements are the writer's SQL, prepared once on its connection: parsing a statement
// costs more than running it, and the writer runs the same few all day.
type statements struct {
	insertFile, updateFile, removeFile   *sql.Stmt
	updateFileKeepLinks                  *sql.Stmt
	hideFile                             *sql.Stmt
	deleteChunks, insertChunk, doneChunk *sql.Stmt
	savepoint, rollbackTo, release       *sql.Stmt
}

func prepareStatements(ctx context.Context, db *sql.DB) (*statements, error) {
	var st statements
	for _, s := range []struct {
		to    **sql.Stmt
		query string
	}{
		{&st.insertFile, insertFileSQL},
		{&st.updateFile, updateFileSQL},
		{&st.updateFileKeepLinks, updateFileKeepLinksSQL},
		{&st.removeFile, `DELETE FROM files WHERE id = ?`},
		{&st.hideFile, `UPDATE files SET hidden = 1 WHERE id = ?`},
		{&st.deleteChunks, `DELETE FROM chunks WHERE file_id = ?`},
		{&st.insertChunk, `INSERT INTO chunks (file_id, idx, size, done) VALUES (?, ?, ?, 0)`},
		{&st.doneChunk, `UPDATE chunks SET done = 1, hash = ? WHERE file_id = ? AND idx = ?`},
		{&st.savepoint, `SAVEPOINT op`},
		{&st.rollbackTo, `ROLLBACK TO op`},
		{&st.release, `RELEASE op`},
	} {
		stmt, err := db.PrepareContext(ctx, s.query)
		if err != nil {
			return nil, errors.Join(err, st.close())
		}
		*s.to = stmt
	}
	return &st, nil
}

func (st *statements) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.insertFile, st.updateFile, st.updateFileKeepLinks, st.removeFile, st.hideFile, st.deleteChunks,
		st.insertChunk, st.doneChunk, st.savepoint, st.rollbackTo, st.release} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// execStmt runs a prepared statement inside tx (on the same connection, so without preparing
// it again).
func execStmt(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, args ...any) (sql.Result, error) {
	return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
}
