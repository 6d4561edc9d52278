//go:build linux || darwin

package api

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// notSentLowWater bounds how much of a chunk may wait unsent in the kernel's socket
// buffer. Without it the kernel accepts megabytes at once, and progress counted as the
// transport writes would run ahead of the network; with it, a write returns only as the
// network takes the bytes, while the congestion window (bytes in flight) is untouched,
// so throughput is not capped.
const notSentLowWater = 128 << 10

func limitUnsent(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, notSentLowWater)
	})
	if err != nil {
		return err
	}
	// An old kernel without the option still uploads; progress is then less exact.
	_ = serr
	return nil
}
