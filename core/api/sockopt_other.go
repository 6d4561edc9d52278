//go:build !linux && !darwin

package api

import "syscall"

// limitUnsent is a no-op where TCP_NOTSENT_LOWAT does not exist: progress there may run
// ahead of the network by the socket buffer's size.
func limitUnsent(_, _ string, _ syscall.RawConn) error { return nil }
