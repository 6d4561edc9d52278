package journal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rawExec runs statements on the database file without the journal.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func userVersion(t *testing.T, j *Journal) int {
	t.Helper()
	var v int
	if err := j.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrationFromEmpty(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	if v := userVersion(t, j); v != len(migrations) {
		t.Errorf("user_version = %d, want %d", v, len(migrations))
	}
	var tables []string
	rows, err := j.rdb.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if strings.Join(tables, ",") != "chunks,files,notes" {
		t.Errorf("tables = %v, want chunks, files, notes", tables)
	}
	if recs := loadT(t, j); len(recs) != 0 {
		t.Errorf("a new journal has %d files", len(recs))
	}
}

func TestMigrationsApplyOnlyNewSteps(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	f := insertT(t, j, queuedFile(1))[0]
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	v2 := append(append([][]string(nil), migrations...), []string{
		`ALTER TABLE files ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'`,
		`CREATE INDEX files_state ON files (state)`,
	})
	j = openT(t, path, options{migrations: v2})
	if v := userVersion(t, j); v != len(v2) {
		t.Errorf("user_version = %d, want %d", v, len(v2))
	}
	var note string
	if err := j.rdb.QueryRow(`SELECT note FROM files WHERE id = ?`, int64(f.ID)).Scan(&note); err != nil || note != "v2" {
		t.Errorf("migrated column = %q, %v", note, err)
	}
	sameFile(t, loadT(t, j)[0].File, f)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Opening again runs nothing twice (ADD COLUMN would fail).
	j = openT(t, path, options{migrations: v2})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// This version's code now meets a file of the next version.
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNewerVersion) {
		t.Errorf("v1 code opening a v2 journal: %v, want ErrNewerVersion", err)
	}
}

func TestMigrationThatFailsLeavesTheFileAsItWas(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	insertT(t, j, queuedFile(1))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	bad := append(append([][]string(nil), migrations...), []string{
		`ALTER TABLE files ADD COLUMN note TEXT`,
		`THIS IS NOT SQL`,
	})
	if j, err := open(context.Background(), path, options{migrations: bad}); err == nil {
		j.Close()
		t.Fatal("a failing migration was accepted")
	}
	j = openT(t, path, options{})
	if v := userVersion(t, j); v != len(migrations) {
		t.Errorf("user_version after a failed migration = %d, want %d", v, len(migrations))
	}
	if _, err := j.rdb.Exec(`SELECT note FROM files`); err == nil {
		t.Error("half a migration was kept")
	}
}

func TestNewerVersionIsRefusedAndLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	j := openT(t, path, options{})
	insertT(t, j, queuedFile(1))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, "PRAGMA user_version = 99")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	j, err = Open(context.Background(), path)
	if j != nil {
		j.Close()
		t.Fatal("a journal from a newer version was opened")
	}
	if !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("err = %v, want ErrNewerVersion", err)
	}
	var moved *MovedAsideError
	if errors.As(err, &moved) {
		t.Fatalf("a newer journal was moved aside: %v", err)
	}
	for _, want := range []string{"made by a newer version of C2C Uploader", path, "99"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the newer journal was changed")
	}
	assertNothingMovedAside(t, dir)
}

func assertNothingMovedAside(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".corrupt-") {
			t.Errorf("%s was moved aside", e.Name())
		}
	}
}

// The list is found through the index files_listed, a batch's cleared files through
// files_cleared and the batches with cleared files still to receipt through
// files_unreceipted: a journal keeps every file ever uploaded, and reading the rows of all of
// them made every start and command slower as months of them piled up.
func TestTheListAndTheClearedFilesAreFoundByTheirIndexes(t *testing.T) {
	j := openT(t, tempJournal(t), options{})
	for _, c := range []struct {
		query string
		args  []any
		index string
	}{
		{selectFilesSQL, nil, "files_listed"},
		{countFilesSQL, nil, "files_listed"},
		{clearedSQL + "?, ?)", []any{1, 2}, "files_cleared"},
		{unreceiptedClearedSQL, nil, "files_unreceipted"},
	} {
		q, index := c.query, c.index
		rows, err := j.rdb.Query("EXPLAIN QUERY PLAN "+q, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, "INDEX "+index) }) {
			t.Errorf("%s is planned as %q, want it to use %s", q, plan, index)
		}
	}
}
