package desktop

import (
	"context"
	"time"

	"github.com/c2c-uploader/c2c-uploader/internal/sessionbus"
)

// trayAvailable tells whether the tray can be shown: on Linux it is a D-Bus service
// (StatusNotifierItem), so it needs a session bus that answers. Without one Fyne's tray
// library fails to start and then dereferences what it never made when the app quits (a
// panic at every quit of a window started outside a desktop session,
// TestWindowWithoutASessionBusQuitsCleanly).
func trayAvailable() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sessionbus.Open(ctx)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
