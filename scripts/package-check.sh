#!/usr/bin/env bash
# Builds the release packages (make package) and checks them as an editor would get them:
# the Linux package unpacked into a temporary prefix runs (--version, and a headless
# status against the simulator), and the Windows .exe is a GUI executable with the icon.
set -euo pipefail
cd "$(dirname "$0")/.."

# The packaged binary reads its pairing from the keychain: a private D-Bus session and
# keyring, so that nothing it starts outlives this script.
source scripts/lib/keyring.sh
in_private_session C2C_PACKAGE_SESSION scripts/package-check.sh "$@"

version=$(sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
# A stand-in secret: release builds take the real one from the environment.
export C2C_CLIENT_SECRET="${C2C_CLIENT_SECRET:-package-check-not-a-real-secret}"
make package

tmp=$(mktemp -d)
sim_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	stop_private_keyring
	rm -rf "$tmp"
}
trap cleanup EXIT
private_keyring c2c-package-check

echo "== Linux package"
tar -xJf "dist/c2c-uploader-$version-linux-amd64.tar.xz" -C "$tmp"
root="$tmp/c2c-uploader"
bin="$root/usr/local/bin/c2c-uploader"
for f in "$bin" "$root/usr/local/share/applications/io.github.c2cuploader.C2CUploader.desktop" \
	"$root/usr/local/share/pixmaps/io.github.c2cuploader.C2CUploader.png"; do
	[ -e "$f" ] || { echo "missing from the package: ${f#"$root"/}"; exit 1; }
done
grep -qx 'Exec=c2c-uploader %F' "$root/usr/local/share/applications/io.github.c2cuploader.C2CUploader.desktop" ||
	{ echo "the .desktop entry does not open files with c2c-uploader %F"; exit 1; }
got=$("$bin" --version)
[ "$got" = "$version" ] || { echo "packaged --version says '$got', FyneApp.toml says '$version'"; exit 1; }
echo "packaged binary: --version $got"

# The packaged binary serves the simulator and reports status against it.
port=$((20000 + RANDOM % 20000))
"$bin" sim --addr "127.0.0.1:$port" --quiet >"$tmp/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
status=$(C2C_API_URL="http://127.0.0.1:$port" C2C_DATA_DIR="$tmp/data" C2C_KEYRING_SERVICE=c2c-package-check \
	"$bin" status --json)
echo "$status" | jq -s -e 'map(select(.type == "connection"))[0].state == "online"' >/dev/null ||
	{ echo "packaged status is not online:"; echo "$status"; exit 1; }
echo "$status" | jq -s -e 'map(select(.type == "auth"))[0].state == "unpaired"' >/dev/null ||
	{ echo "packaged status does not report the pairing:"; echo "$status"; exit 1; }
echo "packaged binary: status against the simulator: online, unpaired"

echo "== Windows executable"
go run ./scripts/pecheck "dist/c2c-uploader-$version-windows-amd64.exe"
echo "package check: passed"
