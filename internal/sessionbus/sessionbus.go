// Package sessionbus opens the D-Bus session bus that already exists, or says why there
// is none: it never starts one (no dbus-launch; internal/nodbuslaunch disables it) and
// asks nothing that would start a service by activation. The keychain check and the
// window's tray both need to know that a bus answers before their libraries try.
package sessionbus

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Open connects to the session bus and says hello; the caller closes the connection.
func Open(ctx context.Context) (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("no D-Bus session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("the D-Bus session bus refused us: %w", err)
	}
	if err := conn.Hello(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("the D-Bus session bus refused us: %w", err)
	}
	return conn, nil
}
