# shellcheck shell=bash
# Sourced by the scripts that need a Secret Service of their own (test.sh, field.sh,
# bench.sh, package-check.sh), from the repository's root:
#
#   source scripts/lib/keyring.sh
#   in_private_session C2C_X_SESSION scripts/x.sh "$@"   # re-runs the script in its own bus
#   private_keyring PASSWORD                             # an unlocked keyring on that bus
#   trap 'stop_private_keyring' EXIT                     # or call it from the exit trap
#
# Each script gets a D-Bus session of its own and a gnome-keyring with a private HOME, so a
# developer's keyring is never touched and nothing outlives the script. Without a bus of
# its own, the D-Bus library under go-keyring autolaunches a session bus (dbus-launch) that
# outlives the script, and D-Bus activation starts a keyring daemon on it that does too.

# in_private_session VAR SCRIPT ARGS...: unless VAR is set, runs SCRIPT again inside
# dbus-run-session with VAR=1, and does not return.
in_private_session() {
	local var=$1
	shift
	if [ -z "${!var:-}" ]; then
		export "$var=1"
		exec dbus-run-session -- "$@"
	fi
}

# private_keyring PASSWORD: a login keyring with that password, unlocked, serving
# org.freedesktop.secrets on this session's bus, under a private HOME. Go's caches stay
# where they are (they default to paths under HOME).
private_keyring() {
	GOPATH=$(go env GOPATH) GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE)
	export GOPATH GOCACHE GOMODCACHE
	keyring_home=$(mktemp -d)
	export HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/.local/share" XDG_CONFIG_HOME="$keyring_home/.config"
	eval "$(printf '%s' "$1" | gnome-keyring-daemon --unlock --components=secrets)"
	export GNOME_KEYRING_CONTROL
}

# stop_private_keyring: stops this session's keyring daemon, found as the process that owns
# the Secret Service name on this bus (never by a process name), and removes its HOME.
stop_private_keyring() {
	local pid
	pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
		awk '/uint32/ {print $2}') || true
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
	fi
	if [ -n "${keyring_home:-}" ]; then
		rm -rf "$keyring_home"
	fi
}
