package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema, one entry per version: migrations[i] takes a database from
// version i to i+1. The version is PRAGMA user_version. Append; never edit a step that
// has shipped.
var migrations = [][]string{
	// 1: files and the chunks of each file's current asset. Times are UTC nanoseconds since
	// 1970 (0 = none); path holds the exact bytes of the name, which need not be UTF-8;
	// upload_urls is a JSON array. AUTOINCREMENT: an id is never given again, so a late
	// ChunkDone for a removed file cannot mark a chunk of a newer one.
	{
		`CREATE TABLE files (
			id                INTEGER PRIMARY KEY AUTOINCREMENT,
			path              BLOB    NOT NULL,
			name              TEXT    NOT NULL DEFAULT '',
			size              INTEGER NOT NULL DEFAULT 0,
			mtime_ns          INTEGER NOT NULL DEFAULT 0,
			fingerprint       TEXT    NOT NULL DEFAULT '',
			filetype          TEXT    NOT NULL DEFAULT '',
			media_created_ns  INTEGER NOT NULL DEFAULT 0,
			state             TEXT    NOT NULL DEFAULT '',
			asset_id          TEXT    NOT NULL DEFAULT '',
			upload_urls       TEXT    NOT NULL DEFAULT '[]',
			urls_fetched_ns   INTEGER NOT NULL DEFAULT 0,
			chunk_size        INTEGER NOT NULL DEFAULT 0,
			error_kind        TEXT    NOT NULL DEFAULT '',
			error_message     TEXT    NOT NULL DEFAULT '',
			request_id        TEXT    NOT NULL DEFAULT '',
			server_request_id TEXT    NOT NULL DEFAULT '',
			attempts          INTEGER NOT NULL DEFAULT 0,
			next_attempt_ns   INTEGER NOT NULL DEFAULT 0,
			added_ns          INTEGER NOT NULL DEFAULT 0,
			updated_ns        INTEGER NOT NULL DEFAULT 0,
			done_ns           INTEGER NOT NULL DEFAULT 0
		) STRICT`,
		// Clustered by (file_id, idx): a file's chunks sit together, which is how they
		// are replaced, marked, loaded and cascaded away.
		`CREATE TABLE chunks (
			file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
			idx     INTEGER NOT NULL,
			size    INTEGER NOT NULL,
			done    INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
			PRIMARY KEY (file_id, idx)
		) STRICT, WITHOUT ROWID`,
	},
	// 2: a file's destination (the project it is meant for), and hidden: cleared from the
	// list but kept, because its row is the record that it was uploaded. The index finds
	// a finished upload of the same content when a file is queued again.
	{
		`ALTER TABLE files ADD COLUMN project_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN project_name TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1))`,
		`CREATE INDEX files_uploaded ON files (path, size, mtime_ns) WHERE state = 'done'`,
	},
	// 3: dated on arrival: the person chose to send a file refused for a channel pause as
	// new media, filed by when it arrives (offset 0) rather than when it was shot.
	{
		`ALTER TABLE files ADD COLUMN dated_on_arrival INTEGER NOT NULL DEFAULT 0 CHECK (dated_on_arrival IN (0, 1))`,
	},
	// 4: notes about the file itself. links_in_clear: versions before 4 kept upload links
	// in the clear, in rows and in the free space of pages; SealLinks removes the note
	// once they are sealed and the file rewritten. A journal made at this version never
	// held any (Open removes the note).
	{
		`CREATE TABLE notes (name TEXT PRIMARY KEY) STRICT`,
		`INSERT INTO notes (name) VALUES ('links_in_clear')`,
	},
	// 5: what goes first. category is what the file is (core/media), decided when it was
	// queued ('' for files queued before: the engine decides when it reads them);
	// queue_rank is where the person moved it: below 0 to the top (the lowest first), above
	// 0 to the bottom, 0 where its category puts it.
	{
		`ALTER TABLE files ADD COLUMN category TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN queue_rank INTEGER NOT NULL DEFAULT 0`,
	},
	// 6: receipts. root is the folder the file was added with (its batch's); hashes
	// are those of the bytes sent ("xxh64:… md5:…", core/hashes), in hash_formats;
	// hash_list is the folder of the ASC MHL history that covers the file and
	// offload_hash the hash it gives the file; receipted_ns is when the file was last
	// written into its batch's receipts (only Receipted writes it), started_ns when its
	// first asset was made. A chunk's hash is
	// that of the bytes its PUT sent.
	{
		`ALTER TABLE files ADD COLUMN root BLOB NOT NULL DEFAULT x''`,
		`ALTER TABLE files ADD COLUMN hash_formats TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN hashes TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN hash_list BLOB NOT NULL DEFAULT x''`,
		`ALTER TABLE files ADD COLUMN offload_hash TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE files ADD COLUMN receipted_ns INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE files ADD COLUMN started_ns INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE chunks ADD COLUMN hash TEXT NOT NULL DEFAULT ''`,
	},
	// 7: clips uploaded while they are recorded. realtime: the file is uploaded as it
	// is written, its asset a real-time one whose chunks are the parts registered so
	// far (AddParts), each chunk_size bytes but the final one.
	{
		`ALTER TABLE files ADD COLUMN realtime INTEGER NOT NULL DEFAULT 0 CHECK (realtime IN (0, 1))`,
	},
	// 8: the files in the list, found without reading the rows of those cleared from it
	// (hidden): every start and command reads the list (Load), and a journal keeps every
	// file ever uploaded. And the cleared files of a batch, which its receipts name
	// (Cleared), and those whose receipts are due (UnreceiptedCleared), found without
	// reading the rest.
	{
		`CREATE INDEX files_listed ON files (id) WHERE hidden = 0`,
		`CREATE INDEX files_cleared ON files (added_ns) WHERE hidden = 1`,
		`CREATE INDEX files_unreceipted ON files (added_ns) WHERE ` + unreceiptedCleared,
	},
}

// notesVersion is the schema version that made the notes table.
const notesVersion = 4

type newerVersionError struct {
	path          string
	version, know int
}

func newerVersion(path string, version, know int) error {
	return &newerVersionError{path: path, version: version, know: know}
}

func (e *newerVersionError) Error() string {
	return fmt.Sprintf("journal: the upload history %s was %s (schema version %d; this version reads up to %d); update the app",
		e.path, ErrNewerVersion, e.version, e.know)
}

func (e *newerVersionError) Is(target error) bool { return target == ErrNewerVersion }

// migrate brings the schema to len(steps) in one transaction: the database is either
// fully migrated or left as it was.
func migrate(ctx context.Context, db *sql.DB, path string, steps [][]string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op

	// Read again inside the write transaction: another process may have migrated since.
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(steps) {
		return newerVersion(path, version, len(steps))
	}
	if version == len(steps) {
		return nil
	}
	for v := version; v < len(steps); v++ {
		for _, s := range steps[v] {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("to version %d: %w", v+1, err)
			}
		}
	}
	// PRAGMA takes no parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(steps))); err != nil {
		return err
	}
	return tx.Commit()
}
