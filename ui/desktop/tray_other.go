//go:build !linux

package desktop

// trayAvailable: the platform's tray needs nothing more.
func trayAvailable() bool { return true }
