package desktop

import (
	"os"

	"github.com/godbus/dbus/v5"

	"github.com/c2c-uploader/c2c-uploader/internal/nodbuslaunch"
)

// trayAvailable tells whether the tray can be shown: on Linux it is a D-Bus service
// (StatusNotifierItem), so it needs a session bus that answers. Without one Fyne's tray
// library fails to start and then dereferences what it never made when the app quits (a
// panic at every quit of a window started outside a desktop session,
// TestWindowWithoutASessionBusQuitsCleanly).
func trayAvailable() bool {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == nodbuslaunch.Disabled {
		return false
	}
	conn, err := dbus.Dial(addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	return conn.Auth(nil) == nil && conn.Hello() == nil
}
