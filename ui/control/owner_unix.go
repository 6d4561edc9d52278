//go:build unix

package control

import (
	"fmt"
	"os"
	"syscall"
)

// owner refuses a file that is not this user's.
func owner(fi os.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to another user", fi.Name())
	}
	return nil
}
