// Package nodbuslaunch keeps the app from starting a D-Bus session bus of its own. When a
// process finds no session bus, the D-Bus library under go-keyring and Fyne runs
// dbus-launch, whose bus (and the keyring daemon D-Bus activation then starts on it)
// outlive the process — one more pair after every command on a server. When no session
// bus exists, DBUS_SESSION_BUS_ADDRESS is set to an address that cannot be dialled, so
// every D-Bus user fails at once instead ("no keychain", no desktop notification). Import
// it for its side effect, from main, before anything talks to D-Bus.
package nodbuslaunch

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
)

// Disabled is the address set when there is no session bus: a transport no D-Bus
// library knows.
const Disabled = "disabled:"

func init() { Apply() }

// Apply sets DBUS_SESSION_BUS_ADDRESS, when it is unset, to the user's bus socket where
// systemd puts one, and to Disabled when there is none.
func Apply() {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return
	}
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return
	}
	addr := Disabled
	for _, dir := range []string{os.Getenv("XDG_RUNTIME_DIR"), filepath.Join("/run/user", strconv.Itoa(os.Getuid()))} {
		if dir == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			// The user's bus, where systemd keeps it: what a desktop session would set.
			addr = "unix:path=" + filepath.Join(dir, "bus")
			break
		}
	}
	_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
}
