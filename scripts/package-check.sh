#!/usr/bin/env bash
# Builds the release packages (make package) and checks them as editors get them:
#   - the tar.xz, .deb and .rpm hold the same files; the .deb installs with dpkg on this
#     machine, its binary runs (--version, a headless status against the simulator), its
#     desktop entry and AppStream metadata validate, its dependencies cover the libraries
#     the binary links, and dpkg -r leaves nothing behind; the .rpm installs into a scratch
#     root and runs there; the tar.xz installs and uninstalls with its own Makefile;
#   - the Windows .exe is a GUI executable with the icon and version (scripts/pecheck);
#     the .msi's tables and signing (scripts/msi-check.sh), and its install, upgrade,
#     refused downgrade and uninstall through Wine's msiexec (scripts/msi-install-check.sh);
#   - SHA256SUMS matches the files; the release workflow passes actionlint and calls only
#     make targets that exist (scripts/workflow-check.sh); the portable packages' tests
#     build for Windows and macOS (what the workflow's native runners run);
#   - two builds of the last commit, in other folders, with another umask and time zone,
#     give byte-identical Linux packages.
# Installing the .deb needs root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

# The packaged binary reads its pairing from the keychain: a private D-Bus session and
# keyring, so that nothing it starts outlives this script.
# shellcheck source=scripts/lib/keyring.sh
source scripts/lib/keyring.sh
in_private_session C2C_PACKAGE_SESSION scripts/package-check.sh "$@"

fail() {
	echo "package check: $*" >&2
	exit 1
}

version=$(sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
app_id=io.github.c2cuploader.C2CUploader
deb="dist/c2c-uploader_${version}-1_amd64.deb"
rpm="dist/c2c-uploader-${version}-1.x86_64.rpm"
tarball="dist/c2c-uploader-${version}-linux-amd64.tar.xz"
exe="dist/c2c-uploader-${version}-windows-amd64.exe"
msi="dist/c2c-uploader-${version}-windows-amd64.msi"

sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || fail "installing the .deb needs root: run as root or install sudo"
	sudo=sudo
fi
# The check installs and removes the package: never over an editor's own installation.
if dpkg-query -W -f='${Status}' c2c-uploader 2>/dev/null | grep -q 'install ok installed'; then
	fail "c2c-uploader is installed on this machine; remove it first (dpkg -r c2c-uploader), the check installs and removes its own"
fi

# A stand-in secret: release builds take the real one from the environment.
export C2C_CLIENT_SECRET="${C2C_CLIENT_SECRET:-package-check-not-a-real-secret}"
make package

tmp=$(mktemp -d)
sim_pid=""
deb_installed=""
cleanup() {
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
	if [ -n "$deb_installed" ]; then $sudo dpkg -r c2c-uploader >/dev/null 2>&1 || true; fi
	stop_private_keyring
	rm -rf "$tmp"
}
trap cleanup EXIT
private_keyring c2c-package-check

# run_status BIN: the binary serves the simulator and reports status against it.
run_status() {
	local bin=$1 port status
	port=$((20000 + RANDOM % 20000))
	"$bin" sim --addr "127.0.0.1:$port" --quiet >"$tmp/sim.out" 2>&1 &
	sim_pid=$!
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
	status=$(C2C_API_URL="http://127.0.0.1:$port" C2C_DATA_DIR="$tmp/data" C2C_KEYRING_SERVICE=c2c-package-check \
		"$bin" status --json)
	kill "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=""
	echo "$status" | jq -s -e 'map(select(.type == "connection"))[0].state == "online"' >/dev/null ||
		fail "$bin: status is not online: $status"
	echo "$status" | jq -s -e 'map(select(.type == "auth"))[0].state == "unpaired"' >/dev/null ||
		fail "$bin: status does not report the pairing: $status"
}

# check_version BIN: --version says FyneApp.toml's version.
check_version() {
	local got
	got=$("$1" --version)
	[ "$got" = "$version" ] || fail "$1 --version says '$got', FyneApp.toml says '$version'"
}

echo "== Checksums"
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not match the files"
for f in "$tarball" "$deb" "$rpm" "$exe" "$msi"; do
	grep -q " ${f#dist/}\$" dist/SHA256SUMS || fail "dist/SHA256SUMS does not list ${f#dist/}"
done
echo "SHA256SUMS lists and matches $(wc -l <dist/SHA256SUMS) files"

echo "== The three Linux packages hold the same files"
tar -tJf "$tarball" | grep -v '/$' | sed "s|^c2c-uploader-$version/||" | grep -vx Makefile |
	sed 's|^|/usr/|' | sort >"$tmp/tar.files"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort >"$tmp/deb.files"
rpm -qpl "$rpm" | sort >"$tmp/rpm.files"
diff -u "$tmp/deb.files" "$tmp/tar.files" || fail "the tar.xz and the .deb hold different files"
diff -u "$tmp/deb.files" "$tmp/rpm.files" || fail "the .rpm and the .deb hold different files"
for f in /usr/bin/c2c-uploader "/usr/share/applications/$app_id.desktop" "/usr/share/metainfo/$app_id.metainfo.xml" \
	"/usr/share/icons/hicolor/scalable/apps/$app_id.svg" "/usr/share/icons/hicolor/48x48/apps/$app_id.png"; do
	grep -qx "$f" "$tmp/deb.files" || fail "the packages lack $f"
done
echo "$(wc -l <"$tmp/deb.files") files in each"

echo "== .deb: dependencies cover the libraries the binary links"
dpkg-deb -x "$deb" "$tmp/deb-root"
depends=$(dpkg-deb -f "$deb" Depends)
for soname in $(objdump -p "$tmp/deb-root/usr/bin/c2c-uploader" | awk '/NEEDED/ {print $2}'); do
	owner=$(dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1) ||
		fail "no Debian package on this machine provides $soname, which the binary links"
	[[ ", $depends," == *", $owner,"* || ", $depends" == *", $owner ("* ]] ||
		fail "the binary links $soname (package $owner), which Depends lacks: $depends"
	echo "$soname: $owner"
done
# The newest glibc symbol version the binary uses is the floor both packages declare.
glibc=$(objdump -T "$tmp/deb-root/usr/bin/c2c-uploader" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
[[ ", $depends," == *", libc6 (>= $glibc),"* ]] || fail "the binary needs glibc $glibc, Depends says: $depends"
rpm -qpR "$rpm" >"$tmp/rpm.requires"
grep -qx "libc.so.6(GLIBC_$glibc)(64bit)" "$tmp/rpm.requires" || fail "the .rpm does not require glibc $glibc, which the binary needs"
echo "glibc $glibc or later, in both"
for soname in $(objdump -p "$tmp/deb-root/usr/bin/c2c-uploader" | awk '/NEEDED/ {print $2}'); do
	grep -qx "$soname()(64bit)" "$tmp/rpm.requires" || fail "the .rpm does not require $soname, which the binary links"
done

echo "== .deb: installed with dpkg, run, validated, removed"
# Everything under the system's folders before, to compare with what dpkg -r leaves.
snapshot() { find /usr /etc /opt -xdev -path /usr/lib/go -prune -o -print 2>/dev/null | sort; }
snapshot >"$tmp/before"
deb_installed=1
$sudo dpkg -i "$deb" >"$tmp/dpkg.out" 2>&1 || { cat "$tmp/dpkg.out"; fail "dpkg -i $deb failed"; }
dpkg -L c2c-uploader >"$tmp/installed"
check_version /usr/bin/c2c-uploader
run_status /usr/bin/c2c-uploader
desktop-file-validate "/usr/share/applications/$app_id.desktop" || fail "the installed desktop entry does not validate"
appstreamcli validate --no-net "/usr/share/metainfo/$app_id.metainfo.xml" >"$tmp/appstream.out" 2>&1 ||
	{ cat "$tmp/appstream.out"; fail "the installed AppStream metadata does not validate"; }
grep -q '^MimeType=.*video/quicktime' "/usr/share/applications/$app_id.desktop" ||
	fail "the desktop entry does not offer to open QuickTime files"
grep -q "<release version=\"$version\" date=\"[0-9-]*\"/>" "/usr/share/metainfo/$app_id.metainfo.xml" ||
	fail "the AppStream metadata does not name release $version"
echo "installed: /usr/bin/c2c-uploader --version $version; status online, unpaired; desktop entry and metainfo valid"
# An update: the next version's .deb (the same files, packaged by the same config) installs
# over this one and owns the same files.
next="${version%.*}.$((${version##*.} + 1))"
mkdir "$tmp/next"
VERSION="$next" MAINTAINER=package-check "$(go env GOPATH)/bin/nfpm" package --config dist/nfpm.yaml \
	--packager deb --target "$tmp/next/" >/dev/null
$sudo dpkg -i "$tmp/next/c2c-uploader_${next}-1_amd64.deb" >"$tmp/dpkg.out" 2>&1 ||
	{ cat "$tmp/dpkg.out"; fail "dpkg -i of the next version over $version failed"; }
[ "$(dpkg-query -W -f='${Version}' c2c-uploader)" = "${next}-1" ] || fail "the update did not install ${next}-1"
dpkg -L c2c-uploader | diff -q - "$tmp/installed" >/dev/null || fail "the update owns other files than $version did"
[ -x /usr/bin/c2c-uploader ] || fail "the update removed /usr/bin/c2c-uploader"
echo "updated: ${next}-1 installed over ${version}-1"
$sudo dpkg -r c2c-uploader >"$tmp/dpkg.out" 2>&1 || { cat "$tmp/dpkg.out"; fail "dpkg -r c2c-uploader failed"; }
deb_installed=""
while read -r f; do
	[ -d "$f" ] || [ ! -e "$f" ] || fail "dpkg -r left $f behind"
done <"$tmp/installed"
# Besides the package's files, only the caches its scripts refresh may have changed.
snapshot >"$tmp/after"
left=$(comm -13 "$tmp/before" "$tmp/after" | grep -v -e '/mimeinfo\.cache$' -e '/icon-theme\.cache$' || true)
[ -z "$left" ] || fail "after dpkg -r these are new on the system: $left"
echo "removed: nothing left behind"

echo "== .rpm: installed into a scratch root"
rpmroot="$tmp/rpm-root"
mkdir -p "$rpmroot"
rpm --root "$rpmroot" --initdb
rpm --root "$rpmroot" -i --nodeps --noscripts "$rpm" 2>"$tmp/rpm.err" || { cat "$tmp/rpm.err"; fail "rpm -i into $rpmroot failed"; }
rpm --root "$rpmroot" -V --nodeps c2c-uploader || fail "rpm -V finds the installed files changed"
check_version "$rpmroot/usr/bin/c2c-uploader"
echo "rpm: installed into a scratch root, verified, --version $version"

echo "== tar.xz: its Makefile installs and uninstalls"
tar -xJf "$tarball" -C "$tmp"
make -s -C "$tmp/c2c-uploader-$version" install DESTDIR="$tmp/tar-root" PREFIX=/usr/local >/dev/null
check_version "$tmp/tar-root/usr/local/bin/c2c-uploader"
# Outside /usr the menu entry names the program by its full path (not on every PATH).
entry="$tmp/tar-root/usr/local/share/applications/$app_id.desktop"
grep -qx 'Exec="/usr/local/bin/c2c-uploader" %F' "$entry" || fail "the tar.xz's menu entry runs $(grep '^Exec=' "$entry")"
desktop-file-validate "$entry" || fail "the tar.xz's installed desktop entry does not validate"
run_status "$tmp/tar-root/usr/local/bin/c2c-uploader"
make -s -C "$tmp/c2c-uploader-$version" uninstall DESTDIR="$tmp/tar-root" PREFIX=/usr/local >/dev/null
left=$(find "$tmp/tar-root" -type f ! -name '*.cache')
[ -z "$left" ] || fail "make uninstall left $left"
# The repository's own make install and make uninstall run the same file.
make -s install DESTDIR="$tmp/repo-root" PREFIX=/usr >/dev/null
check_version "$tmp/repo-root/usr/bin/c2c-uploader"
make -s uninstall DESTDIR="$tmp/repo-root" PREFIX=/usr >/dev/null
left=$(find "$tmp/repo-root" -type f ! -name '*.cache')
[ -z "$left" ] || fail "make uninstall from the repository left $left"
echo "tar.xz: installed, ran, uninstalled; make install and uninstall from the repository too"

echo "== Windows"
go run ./scripts/pecheck "$exe"
./scripts/msi-check.sh "$version"
./scripts/msi-install-check.sh "$version"

echo "== Release workflow"
./scripts/workflow-check.sh
echo "== The portable packages' tests build for Windows and macOS"
GOOS=windows CGO_ENABLED=0 make -s test-core-vet
GOOS=darwin CGO_ENABLED=0 make -s test-core-vet
echo "vet: windows, darwin clean"

echo "== Reproducible: the last commit built twice elsewhere"
# Another folder, umask and time zone each; the Go build cache is shared, as on a builder.
build_at() { # FOLDER UMASK TZ
	git clone -q . "$tmp/repro/$1"
	(cd "$tmp/repro/$1" && umask "$2" && TZ=$3 make -s package-linux >"$tmp/repro.log" 2>&1) ||
		{ cat "$tmp/repro.log"; fail "building the last commit in $tmp/repro/$1 failed"; }
}
build_at a 0022 UTC
build_at other/place/b 0077 Pacific/Auckland
for f in "$deb" "$rpm" "$tarball"; do
	one="$tmp/repro/a/$f" two="$tmp/repro/other/place/b/$f"
	cmp -s "$one" "$two" || fail "two builds of the last commit give different $(basename "$f"): $(sha256sum "$one" "$two")"
	echo "$(basename "$f"): identical ($(sha256sum "$one" | cut -c1-16)…)"
done
echo "package check: passed"
