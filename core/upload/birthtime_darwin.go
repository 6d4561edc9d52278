package upload

import (
	"time"

	"golang.org/x/sys/unix"
)

// birthTime is the file's creation time as APFS/HFS+ keep it; zero when unknown.
func birthTime(path string) time.Time {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return time.Time{}
	}
	return time.Unix(st.Btim.Sec, st.Btim.Nsec)
}
