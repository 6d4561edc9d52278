package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrLeavesAsItWas(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list.xml")
	if err := WriteBytes(p, 0o644, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(p, 0o600, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Fatalf("the file holds %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	boom := errors.New("the writer failed")
	if err := Write(p, 0o644, true, func(w io.Writer) error { _, _ = w.Write([]byte("half")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Errorf("a failed write left %q", b)
	}
	if err := WriteBytes(p, 0o644, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, 0o644, false, func(io.Writer) error { return nil }); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Write without replace over a file = %v, want fs.ErrExist", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the file (no temporary left)", len(entries))
	}
}
