package journal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openDamaged opens a journal expected to be moved aside and returns the error.
func openDamaged(t *testing.T, path string) *MovedAsideError {
	t.Helper()
	j, err := Open(context.Background(), path)
	var moved *MovedAsideError
	if !errors.As(err, &moved) {
		if j != nil {
			j.Close()
		}
		t.Fatalf("Open of a damaged journal: %v, want *MovedAsideError", err)
	}
	if j == nil {
		t.Fatal("Open returned a MovedAsideError without a journal")
	}
	t.Cleanup(func() { _ = j.Close() })
	t.Log(moved)
	if moved.Path != path || !strings.HasPrefix(moved.MovedTo, path+".corrupt-") || moved.Cause == nil {
		t.Errorf("MovedAsideError = %+v", moved)
	}
	for _, want := range []string{path, moved.MovedTo, "damaged"} {
		if !strings.Contains(moved.Error(), want) {
			t.Errorf("message %q does not say %q", moved, want)
		}
	}
	// The new journal works and starts empty.
	if recs := loadT(t, j); len(recs) != 0 {
		t.Errorf("the new journal has %d files", len(recs))
	}
	insertT(t, j, queuedFile(1))
	return moved
}

func TestGarbageFileIsMovedAside(t *testing.T) {
	path := tempJournal(t)
	garbage := bytes.Repeat([]byte("this is not a database, just bytes\x00\xff"), 500)
	wal := bytes.Repeat([]byte("a wal that is not one"), 100)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}
	moved := openDamaged(t, path)
	if !strings.Contains(moved.Error(), "not a database") {
		t.Errorf("cause does not say what was wrong: %v", moved)
	}
	assertFile(t, moved.MovedTo, garbage)
	assertFile(t, moved.MovedTo+"-wal", wal)
}

func TestTruncatedDatabaseIsMovedAside(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	for i := range 20 {
		insertT(t, j, manyFiles(i*50, 50)...)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) < 64*1024 {
		t.Fatalf("the test database is only %d bytes", len(full))
	}
	cut := full[:len(full)/2+100] // in the middle of a page
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	moved := openDamaged(t, path)
	assertFile(t, moved.MovedTo, cut)
}

func TestCorruptPageIsMovedAside(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	for i := range 10 {
		insertT(t, j, manyFiles(i*50, 50)...)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over the second and third pages (the header and page size stay valid).
	for i := 4096; i < 3*4096 && i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	moved := openDamaged(t, path)
	assertFile(t, moved.MovedTo, b)
}

func TestMoveAsideNamesDoNotCollide(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	var got []string
	for i := range 3 {
		if err := os.WriteFile(path, []byte{byte(i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		to, err := moveAside(path, now)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(to))
		assertFile(t, to, []byte{byte(i)})
	}
	want := []string{"journal.db.corrupt-20250304T040607Z", "journal.db.corrupt-20250304T040607Z-2", "journal.db.corrupt-20250304T040607Z-3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names = %v, want %v", got, want)
	}
}

// A path that cannot be reached (here: through a regular file, ENOTDIR) is reported, and
// nothing is moved or made.
func TestUnreachablePathIsNotMoved(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, []byte("a regular file"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "journal.db")
	j, err := Open(context.Background(), path)
	if j != nil {
		j.Close()
		t.Fatal("opened a journal under a regular file")
	}
	var moved *MovedAsideError
	if err == nil || errors.As(err, &moved) {
		t.Fatalf("err = %v, want a plain error", err)
	}
	if !errors.Is(err, syscall.ENOTDIR) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want ENOTDIR naming %s", err, path)
	}
	assertFile(t, file, []byte("a regular file"))
	assertNothingMovedAside(t, dir)
}

func TestDirectoryInPlaceOfTheJournalIsNotMoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := Open(context.Background(), path)
	if j != nil {
		j.Close()
		t.Fatal("opened a directory as a journal")
	}
	var moved *MovedAsideError
	if err == nil || errors.As(err, &moved) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a plain error naming %s", err, path)
	}
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		t.Errorf("the directory was touched: %v", err)
	}
	assertNothingMovedAside(t, dir)
}

// checkDenied opens a journal the process may not read or write and expects a plain
// error that names it and says permission denied.
func checkDenied(t *testing.T, path string) {
	t.Helper()
	j, err := Open(context.Background(), path)
	if j != nil {
		j.Close()
		t.Fatal("opened a journal without permission")
	}
	var moved *MovedAsideError
	if err == nil || errors.As(err, &moved) {
		t.Fatalf("err = %v, want a plain error", err)
	}
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want permission denied naming %s", err, path)
	}
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the %d expected", path, len(got), len(want))
	}
}

// A hot rollback journal (left by a crash in the middle of a commit while the file was
// not in WAL mode) cannot be rolled back by the read-only check; the writer rolls it back
// and checks again, and the file is neither refused nor moved.
func TestHotRollbackJournalIsRolledBack(t *testing.T) {
	path := tempJournal(t)
	j := openT(t, path, options{})
	want := insertT(t, j, manyFiles(0, 20)...)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, "PRAGMA journal_mode = DELETE")

	// The crash: the new pages are in the database, and the journal of the old pages,
	// complete and synced, is still beside it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE files SET name = 'half-written'`); err != nil {
		t.Fatal(err)
	}
	journal, err := os.ReadFile(path + "-journal")
	if err != nil {
		t.Fatal(err)
	}
	// SQLite writes the header's magic number and record count (-1: as many as the file
	// holds) when it syncs the journal at commit.
	copy(journal, []byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 0xff, 0xff, 0xff, 0xff})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crashed := filepath.Join(dir, "journal.db")
	if err := os.WriteFile(crashed, committed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashed+"-journal", journal, 0o600); err != nil {
		t.Fatal(err)
	}

	got := loadT(t, openT(t, crashed, options{}))
	if len(got) != len(want) {
		t.Fatalf("%d files after the rollback, want %d", len(got), len(want))
	}
	for i := range got {
		sameFile(t, got[i].File, want[i]) // the half-written names are rolled back
	}
	assertNothingMovedAside(t, dir)
}
