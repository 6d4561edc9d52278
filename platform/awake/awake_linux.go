package awake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// system asks logind, then the desktop, over D-Bus. It keeps nothing between holds: each
// hold is an inhibitor of its own (logind's, a file descriptor held until closed; the
// desktop's, a cookie or a handle on a connection kept open until released).
type system struct{}

// The inhibitors, as their services name them.
const (
	logindName    = "org.freedesktop.login1"
	logindPath    = "/org/freedesktop/login1"
	logindInhibit = "org.freedesktop.login1.Manager.Inhibit"

	portalName    = "org.freedesktop.portal.Desktop"
	portalPath    = "/org/freedesktop/portal/desktop"
	portalInhibit = "org.freedesktop.portal.Inhibit.Inhibit"
	portalClose   = "org.freedesktop.portal.Request.Close"

	gnomeName      = "org.gnome.SessionManager"
	gnomePath      = "/org/gnome/SessionManager"
	gnomeInhibit   = "org.gnome.SessionManager.Inhibit"
	gnomeUninhibit = "org.gnome.SessionManager.Uninhibit"

	screenSaverName      = "org.freedesktop.ScreenSaver"
	screenSaverPath      = "/org/freedesktop/ScreenSaver"
	screenSaverInhibit   = "org.freedesktop.ScreenSaver.Inhibit"
	screenSaverUninhibit = "org.freedesktop.ScreenSaver.UnInhibit"
)

// What logind is asked to hold off: suspending (by the person's idle settings or the
// lid, unless the desktop overrides it) and the idle action; in block mode, until the file
// descriptor it returns is closed.
const (
	logindWhat = "sleep:idle"
	logindMode = "block"
	// The portal's and GNOME's flags: 4 suspend, 8 idle.
	inhibitSuspendIdle = uint32(4 | 8)
)

// defaultSystemBus is the system bus's address when DBUS_SYSTEM_BUS_ADDRESS is unset.
const defaultSystemBus = "unix:path=/run/dbus/system_bus_socket"

func (system) hold(o Options, reason string) (func(), error) {
	var errs []error
	release, err := holdLogind(o, reason)
	if err == nil {
		return release, nil
	}
	errs = append(errs, fmt.Errorf("systemd-logind: %w", err))
	release, err = holdSession(o, reason)
	if err == nil {
		return release, nil
	}
	errs = append(errs, err)
	return nil, errors.Join(errs...)
}

// holdLogind takes logind's inhibitor on the system bus: a file descriptor, which holds
// it until closed (by release, or by the kernel when the process ends). The connection
// is not needed after the call.
func holdLogind(o Options, reason string) (func(), error) {
	addr := o.SystemBus
	if addr == "" {
		addr = os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	}
	if addr == "" {
		addr = defaultSystemBus
	}
	conn, err := dial(addr, o.Timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	if !conn.SupportsUnixFDs() {
		return nil, errors.New("the system bus cannot pass file descriptors")
	}
	var fd dbus.UnixFD
	call := conn.Object(logindName, logindPath).CallWithContext(ctx, logindInhibit, dbus.FlagNoAutoStart,
		logindWhat, o.Who, reason, logindMode)
	if err := call.Store(&fd); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "logind inhibitor")
	if f == nil {
		return nil, fmt.Errorf("logind returned no file descriptor (%d)", fd)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = f.Close() }) }, nil
}

// holdSession asks the desktop on the session bus: the XDG portal (inside a sandbox too),
// then GNOME's session manager (both hold off suspending and idling), then
// org.freedesktop.ScreenSaver (idling: KDE, Xfce and others). Each holds while this
// connection stays open, so the connection is kept until release.
func holdSession(o Options, reason string) (func(), error) {
	addr := o.SessionBus
	if addr == "" {
		addr = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	}
	if addr == "" || strings.HasPrefix(addr, "autolaunch:") {
		return nil, errors.New("no D-Bus session bus")
	}
	conn, err := dial(addr, o.Timeout)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, h := range []struct {
		name string
		hold func(ctx context.Context, conn *dbus.Conn, o Options, reason string) (func(context.Context), error)
	}{
		{"the desktop portal", holdPortal},
		{"the GNOME session manager", holdGnome},
		{"the screen saver", holdScreenSaver},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
		unhold, err := h.hold(ctx, conn, o, reason)
		cancel()
		if err == nil {
			var once sync.Once
			return func() {
				once.Do(func() {
					ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
					defer cancel()
					unhold(ctx)
					_ = conn.Close() // the inhibitor goes with the connection anyway
				})
			}, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", h.name, err))
	}
	_ = conn.Close()
	return nil, errors.Join(errs...)
}

func holdPortal(ctx context.Context, conn *dbus.Conn, _ Options, reason string) (func(context.Context), error) {
	var handle dbus.ObjectPath
	call := conn.Object(portalName, portalPath).CallWithContext(ctx, portalInhibit, dbus.FlagNoAutoStart,
		"", inhibitSuspendIdle, map[string]dbus.Variant{"reason": dbus.MakeVariant(reason)})
	if err := call.Store(&handle); err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		_ = conn.Object(portalName, handle).CallWithContext(ctx, portalClose, dbus.FlagNoAutoStart).Err
	}, nil
}

func holdGnome(ctx context.Context, conn *dbus.Conn, o Options, reason string) (func(context.Context), error) {
	app := o.AppID
	if app == "" {
		app = o.Who
	}
	var cookie uint32
	obj := conn.Object(gnomeName, gnomePath)
	if err := obj.CallWithContext(ctx, gnomeInhibit, dbus.FlagNoAutoStart, app, uint32(0), reason, inhibitSuspendIdle).Store(&cookie); err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		_ = obj.CallWithContext(ctx, gnomeUninhibit, dbus.FlagNoAutoStart, cookie).Err
	}, nil
}

func holdScreenSaver(ctx context.Context, conn *dbus.Conn, o Options, reason string) (func(context.Context), error) {
	var cookie uint32
	obj := conn.Object(screenSaverName, screenSaverPath)
	if err := obj.CallWithContext(ctx, screenSaverInhibit, dbus.FlagNoAutoStart, o.Who, reason).Store(&cookie); err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		_ = obj.CallWithContext(ctx, screenSaverUninhibit, dbus.FlagNoAutoStart, cookie).Err
	}, nil
}

// dial connects to the bus at addr and says hello within timeout; it starts nothing (no
// autolaunch). The connection lives until closed: the desktop's inhibitors last as long
// as it does.
func dial(addr string, timeout time.Duration) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr)
	if err != nil {
		return nil, err
	}
	// A bus that does not answer is given up: closing the connection ends the wait.
	hung := time.AfterFunc(timeout, func() { _ = conn.Close() })
	err = conn.Auth(nil)
	if err == nil {
		err = conn.Hello()
	}
	if !hung.Stop() && err == nil {
		err = fmt.Errorf("the bus did not answer within %s", timeout)
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
