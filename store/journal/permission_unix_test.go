//go:build unix

package journal

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// deniedEnv tells a copy of this test binary, run as an unprivileged user, which journal
// to try.
const deniedEnv = "JOURNAL_TEST_DENIED_PATH"

// A journal the user may not open (EACCES) is reported by name and left alone: it is not
// damaged, and moving it would lose a good history. Root reads and writes any file whatever
// its mode, so when the tests run as root the check runs in a copy of this test binary
// started as the unprivileged user "nobody" (65534); a journal made by root with mode 0600
// is then really out of reach, as it would be for a user whose data folder belongs to
// someone else.
func TestPermissionDeniedIsNotMovedAside(t *testing.T) {
	if path := os.Getenv(deniedEnv); path != "" {
		checkDenied(t, path) // the child
		return
	}

	dir, err := os.MkdirTemp("", "journal-denied-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the child may look in, not write
		t.Fatal(err)
	}
	path := filepath.Join(dir, "journal.db")
	j := openT(t, path, options{})
	insertT(t, j, queuedFile(1))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		checkDenied(t, path)
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		runAsNobody(t, dir, path)
	}
	assertFile(t, path, before)
	assertNothingMovedAside(t, dir)
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the folder, want only the journal and the record of uploads", len(entries))
	}
}

func runAsNobody(t *testing.T, dir, path string) {
	t.Helper()
	// The test binary sits in a folder only root may enter: run a copy from a folder
	// nobody can reach (but not write).
	binDir, err := os.MkdirTemp("", "journal-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "journal.test")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestPermissionDeniedIsNotMovedAside$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), deniedEnv+"="+path, "TMPDIR="+binDir, "HOME="+binDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot start a process as an unprivileged user here (%v); root would read any file", err)
	}
	if err != nil {
		t.Fatalf("the check as nobody failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestPermissionDeniedIsNotMovedAside") {
		t.Fatalf("the check as nobody did not run:\n%s", out)
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
