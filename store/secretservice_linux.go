package store

import (
	"context"
	"errors"

	"github.com/c2c-uploader/c2c-uploader/internal/sessionbus"
)

// secretServiceName is the bus name a Secret Service (gnome-keyring, KeePassXC...) owns.
const secretServiceName = "org.freedesktop.secrets"

// checkSecretService makes sure a Secret Service is running on an existing session bus
// before go-keyring is asked anything. go-keyring's D-Bus library would otherwise start a
// session bus of its own (dbus-launch) when there is none, and the bus would start a
// keyring daemon by D-Bus activation when none runs: both outlive the command that
// started them. Here nothing is started: no bus, or no owner of the name, is a missing
// keychain.
func checkSecretService(ctx context.Context) error {
	conn, err := sessionbus.Open(ctx)
	if err != nil {
		return &KeychainError{Op: "reach the keychain", Problem: KeychainMissing, Err: err}
	}
	defer conn.Close()
	var owned bool
	call := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretServiceName)
	if err := call.Store(&owned); err != nil {
		return &KeychainError{Op: "reach the keychain", Problem: KeychainMissing, Err: err}
	}
	if !owned {
		return &KeychainError{Op: "reach the keychain", Problem: KeychainMissing,
			Err: errors.New("no program serves " + secretServiceName + " on the session bus")}
	}
	return nil
}
