// Package atomicfile writes a file whole or not at all: into a temporary file beside it,
// synced, then renamed over it (the folder synced after where the system allows), so a
// reader sees the file as it was or complete, and a crash leaves no half of it.
package atomicfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes the file at path through write, with perm. With replace false an existing
// file is left alone and the error wraps fs.ErrExist. The temporary file's name starts
// with a dot and ends in .tmp, so no reader of the folder takes it for the file, and it
// is removed when anything fails.
func Write(path string, perm fs.FileMode, replace bool, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if !replace {
		if _, statErr := os.Lstat(path); statErr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// WriteBytes is Write of data, replacing the file.
func WriteBytes(path string, perm fs.FileMode, data []byte) error {
	return Write(path, perm, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir makes a rename in dir durable where the system can sync a folder; where it
// cannot (Windows), the rename stands unsynced and the file itself was synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
