#!/usr/bin/env bash
# Runs every test with the race detector, inside a private D-Bus session that has an
# unlocked gnome-keyring (a real Secret Service) and a virtual X display (Xvfb) for the
# window tests. Both are required here, so the tests that need them fail rather than
# skip if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/keyring.sh
in_private_session C2C_TEST_SESSION scripts/test.sh "$@"

# Fyne logs an error for a C or POSIX locale (C.UTF-8 on most servers); LANGUAGE picks
# only the translation, and needs no generated locale.
export LANGUAGE=en

# A login keyring (password c2c-test), unlocked, on this session's bus only.
xvfb_pid=""
cleanup() {
	if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
	stop_private_keyring
}
trap cleanup EXIT
private_keyring c2c-test
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

# Arguments go to go test; with a package among them, just that.
for a in "$@"; do
	if [[ $a == ./* ]]; then
		# Not exec: the EXIT trap must stop Xvfb and the keyring afterwards.
		go test -race -count=1 -timeout 25m "$@"
		exit
	fi
done
# Every package: the window's packages measure time and memory (10,000 files painted,
# the presenter's share of the UI goroutine, the window's peak RSS), so they run after
# the others and one at a time, not beside a field trial on the same two cores.
measured=(./ui/desktop ./e2e/window)
mapfile -t others < <(go list ./... | grep -v -e '/ui/desktop$' -e '/e2e/window$')
go test -race -count=1 -timeout 25m "$@" "${others[@]}"
go test -race -count=1 -timeout 15m -p 1 "$@" "${measured[@]}"
# The budgets that hold only without the race detector (it multiplies memory and slows
# the window and the fast links several times over), so that CI checks them too: the
# window's RSS with 10,000 files and the CI-sized field trial's goodput, built without
# -race, one at a time after everything else.
go test -count=1 -timeout 15m "$@" -run '^TestTenThousandFilesMemory$' ./ui/desktop
go test -count=1 -timeout 15m "$@" -run '^TestFieldTrial$' ./e2e/field
