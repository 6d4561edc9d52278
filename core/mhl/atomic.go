package mhl

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeAtomic writes the file at p through write: into a temporary file beside it, synced,
// then renamed over p, so that p is either what it was or complete. With replace false an
// existing p is left alone and the error wraps fs.ErrExist. The temporary file's name
// starts with a dot and ends in .tmp, so no reader takes it for a manifest or the chain.
func writeAtomic(p string, replace bool, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(p)
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if !replace {
		if _, statErr := os.Lstat(p); statErr == nil {
			return fmt.Errorf("%s: %w", p, fs.ErrExist)
		}
	}
	if err = os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the system allows syncing a folder; where
// it does not (Windows), the rename stands unsynced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
