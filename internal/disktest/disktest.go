//go:build linux

// Package disktest gives tests a disk of their own that they can fill up: a small tmpfs,
// mounted for the test (root only; CI runs as root). Imported only by tests.
package disktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// notTested starts the message of a skip, loud enough not to pass for a pass.
const notTested = "THE FULL-DISK BEHAVIOUR WAS NOT TESTED"

// Small mounts a tmpfs of size bytes and returns its folder; it is unmounted when the
// test ends. Without root, or where mounting is not allowed, the test is skipped with a
// message that says so.
func Small(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("%s: mounting a small tmpfs needs root (CI runs these tests as root)", notTested)
	}
	dir, out, err := mountTmpfs(t, size)
	if err != nil {
		t.Skipf("%s: mount -t tmpfs failed (no CAP_SYS_ADMIN here?): %v: %s", notTested, err, out)
	}
	return dir
}

// mountTmpfs mounts a tmpfs of size bytes on a temporary folder of the test's, unmounted
// when the test ends; it returns the folder, or mount's output and error.
func mountTmpfs(t testing.TB, size int64) (dir string, out []byte, err error) {
	t.Helper()
	dir = t.TempDir()
	out, err = exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		return "", out, err
	}
	// Registered after TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount -l %s: %v: %s", dir, err, out)
		}
	})
	return dir, nil, nil
}

// Fill writes a file in dir until the disk has no room left, and returns its path.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err = f.Write(buf); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}
	return path
}
