package upload

import (
	"os"
	"syscall"
	"time"
)

// birthTime is the file's creation time as NTFS keeps it; zero when unknown.
func birthTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		return time.Unix(0, d.CreationTime.Nanoseconds())
	}
	return time.Time{}
}
