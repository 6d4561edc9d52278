//go:build unix

package media

import (
	"os"
	"path/filepath"
	"syscall"
)

// volumeRoot is the top folder of the file system path is on (its mount point); ok is
// false for the system's own (mounted at /) and when it cannot be told.
func volumeRoot(path string) (string, bool) {
	dir, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	dev, ok := deviceOf(dir)
	if !ok {
		return "", false
	}
	for {
		up := parentDir(dir)
		if up == "" {
			return "", false // the system's disk
		}
		if d, ok := deviceOf(up); !ok || d != dev {
			return dir, true
		}
		dir = up
	}
}

func deviceOf(path string) (uint64, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true //nolint:unconvert // Dev is uint32 on some systems
}
