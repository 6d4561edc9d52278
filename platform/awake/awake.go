// Package awake keeps the computer from sleeping while files upload: core.Awake for each
// system. On Linux it asks systemd-logind for a sleep and idle inhibitor over the system
// D-Bus (shown with its reason in the desktop's power dialog and `systemd-inhibit
// --list`), else the desktop's inhibitor on the session bus (the XDG portal, GNOME's
// session manager, org.freedesktop.ScreenSaver); on Windows, SetThreadExecutionState; on
// macOS it says it cannot yet (awake_darwin.go names the IOKit assertion it would take).
// It never starts a bus or a service by D-Bus activation. The caller decides when to
// hold (core.Service); an error only means the computer may sleep.
package awake

import (
	"errors"
	"time"
)

// Options say who asks and, for tests, where.
type Options struct {
	// Who is the program's name, shown beside the reason ("C2C Uploader").
	Who string
	// AppID is the program's application id (the desktop file's name without .desktop),
	// which GNOME's session manager shows its icon and name by.
	AppID string
	// SystemBus and SessionBus are D-Bus addresses (Linux). "": the system bus
	// (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket) and the session bus
	// (DBUS_SESSION_BUS_ADDRESS; none when it is unset or autolaunch:, so that none is
	// started). Tests point them at a bus of their own.
	SystemBus, SessionBus string
	// Timeout bounds each call to a bus; zero: DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds each call to a bus: a bus that hangs costs this much once per
// inhibitor tried, never an upload.
const DefaultTimeout = 5 * time.Second

// Inhibitor keeps the computer awake (core.Awake). Its zero value is not usable: New.
type Inhibitor struct {
	opts Options
	sys  system // per system: awake_linux.go, awake_windows.go, awake_darwin.go
}

// New is an inhibitor with those options.
func New(o Options) *Inhibitor {
	if o.Who == "" {
		o.Who = "C2C Uploader"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Inhibitor{opts: o}
}

// Hold keeps the computer awake until release is called, with reason shown where the
// system lists what keeps it awake. Holds may overlap: the computer may sleep once every
// one has been released. release may be called more than once.
func (in *Inhibitor) Hold(reason string) (release func(), err error) {
	return in.sys.hold(in.opts, reason)
}

// ErrUnsupported: this system has no way here to keep the computer awake.
var ErrUnsupported = errors.New("keeping the computer awake is not supported on this system yet")
