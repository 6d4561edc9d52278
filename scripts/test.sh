#!/usr/bin/env bash
# Runs every test with the race detector, inside a private D-Bus session that has an
# unlocked gnome-keyring (a real Secret Service) and a virtual X display (Xvfb) for the
# window tests. Both are required here, so the tests that need them fail rather than
# skip if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${C2C_TEST_SESSION:-}" ]; then
	export C2C_TEST_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi

# Fyne logs an error for a C or POSIX locale (C.UTF-8 on most servers); LANGUAGE picks
# only the translation, and needs no generated locale.
export LANGUAGE=en

# A login keyring (password c2c-test), unlocked, serving org.freedesktop.secrets on
# this session's bus only. HOME is private so a developer's own keyring is never touched.
# Go's caches stay where they are (they default to paths under HOME).
export GOPATH="$(go env GOPATH)" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)"
test_home=$(mktemp -d)
xvfb_pid=""
cleanup() {
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
	# Only this session's keyring daemon: it is the one whose HOME is ours.
	for pid in $(pgrep -u "$(id -u)" gnome-keyring-d 2>/dev/null); do
		if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "HOME=$test_home"; then
			kill "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$test_home"
}
trap cleanup EXIT
export HOME="$test_home" XDG_DATA_HOME="$test_home/.local/share" XDG_CONFIG_HOME="$test_home/.config"
eval "$(printf 'c2c-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
export C2C_REQUIRE_KEYRING=1

# A virtual display for the window tests.
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do
	[ -e "/tmp/.X11-unix/X${display#:}" ] && break
	sleep 0.1
done
export DISPLAY="$display" C2C_REQUIRE_DISPLAY=1

# Arguments go to go test; without a package among them, every package is tested.
pkgs=(./...)
for a in "$@"; do [[ $a == ./* ]] && pkgs=(); done
go test -race -count=1 -timeout 25m "$@" "${pkgs[@]}"
