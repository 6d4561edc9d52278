package upload

import (
	"time"

	"golang.org/x/sys/unix"
)

// birthTime is when the file came into being on this disk, where the file system keeps
// it (statx STATX_BTIME); zero when unknown.
func birthTime(path string) time.Time {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &st); err != nil {
		return time.Time{}
	}
	if st.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}
	}
	return time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
}
