#!/usr/bin/env bash
# Installs the Windows installer as an editor would, with Windows Installer's own engine as
# Wine implements it (msiexec in a scratch Wine prefix, no window):
#   1. install: the program under LocalAppData\Programs\C2C Uploader (nothing in Program
#      Files), the Start menu shortcut, "Open with" for every extension, the product listed
#      with its name and version;
#   2. upgrade: the next version's installer replaces this one in place (one product left);
#   3. downgrade: this version's installer is refused while the next one is installed;
#   4. uninstall: no file, shortcut or registry key of the app is left.
# The .exe itself cannot run under Debian 12's Wine 8: Go's Windows runtime needs
# bcryptprimitives.dll (ProcessPrng), which Wine added later. scripts/pecheck checks it.
# Usage: scripts/msi-install-check.sh VERSION (after make package-windows)
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:?usage: scripts/msi-install-check.sh VERSION}"
exe="dist/c2c-uploader-$version-windows-amd64.exe"
msi="dist/c2c-uploader-$version-windows-amd64.msi"
extensions=$(sed -n 's/^<?define OpenWithExtensions = "\(.*\)" ?>$/\1/p' packaging/windows/c2c-uploader.wxs)

fail() {
	echo "msi-install-check: $*"
	exit 1
}
for tool in wine wineboot winepath msiinfo; do
	command -v "$tool" >/dev/null || fail "$tool is missing (Debian packages wine64 and msitools)."
done
[ -f "$msi" ] || fail "$msi is missing: make package-windows builds it."
[ -n "$extensions" ] || fail "packaging/windows/c2c-uploader.wxs defines no OpenWithExtensions."

tmp=$(mktemp -d)
cleanup() {
	WINEPREFIX="$tmp/prefix" wineserver -k 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# A prefix of its own, no Mono or Gecko to offer, no Wine chatter, no display needed.
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
wineboot -i >"$tmp/wineboot.log" 2>&1 || { cat "$tmp/wineboot.log"; fail "wineboot could not make a Wine prefix."; }

user_dir=$(find "$WINEPREFIX/drive_c/users" -mindepth 1 -maxdepth 1 -type d ! -name Public | head -1)
program="$user_dir/AppData/Local/Programs/C2C Uploader/c2c-uploader.exe"
shortcut="$user_dir/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/C2C Uploader.lnk"

# msiexec MSI-OR-PRODUCT ARGS...: runs Windows Installer quietly, logging to $tmp/msi.log.
msiexec() {
	local log
	log=$(winepath -w "$tmp/msi.log")
	wine msiexec "$@" /qn /l*v "$log"
}
product_code() {
	msiinfo export "$1" Property | tr -d '\r' | awk -F'\t' '$1 == "ProductCode" { print $2 }'
}
# reg KEY [VALUE]: prints the key's values and fails when the key is absent; with VALUE,
# prints that value's data ("" names the key's default value), nothing when absent.
reg() {
	if [ $# = 2 ]; then
		local which=(/v "$2") name=$2
		[ -n "$2" ] || { which=(/ve); name='(Default)'; }
		{ wine reg query "$1" "${which[@]}" 2>/dev/null || true; } | tr -d '\r' |
			awk -v v="$name" '$1 == v { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'
	else
		wine reg query "$1" 2>/dev/null | tr -d '\r'
	fi
}
# installed_products: the product codes listed for removal (Wine lists even per-user
# products under HKLM; Windows under HKCU), one per line.
installed_products() {
	for hive in HKCU HKLM; do
		reg "$hive\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall" | grep -o '{[0-9A-F-]*}$' || true
	done | sort -u
}

echo "== install $version"
msiexec /i "$(winepath -w "$msi")" || fail "msiexec /i $msi failed (exit $?)."
[ -f "$program" ] || fail "the program is not at LocalAppData\\Programs\\C2C Uploader\\c2c-uploader.exe."
cmp -s "$program" "$exe" || fail "the installed program differs from $exe."
[ -f "$shortcut" ] || fail "the Start menu has no C2C Uploader shortcut."
if find "$WINEPREFIX/drive_c/Program Files" "$WINEPREFIX/drive_c/Program Files (x86)" -iname '*c2c*' 2>/dev/null | grep -q .; then
	fail "a per-user install wrote into Program Files."
fi
command=$(reg 'HKCU\Software\Classes\C2CUploader.Media\shell\open\command' '')
[[ "$command" == *'\AppData\Local\Programs\C2C Uploader\c2c-uploader.exe" "%1"' ]] ||
	fail "Open with runs '$command', not the installed program."
for ext in $extensions; do
	reg "HKCU\\Software\\Classes\\.$ext\\OpenWithProgids" | grep -q 'C2CUploader.Media' ||
		fail ".$ext does not offer C2C Uploader under Open with."
done
first=$(product_code "$msi")
[ "$(installed_products)" = "$first" ] || fail "the installed products are '$(installed_products)', not $first."
for hive in HKCU HKLM; do
	name=$(reg "$hive\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$first" DisplayName)
	[ -z "$name" ] || break
done
shown=$(reg "$hive\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$first" DisplayVersion)
if [ "$name" != "C2C Uploader" ] || [ "$shown" != "$version" ]; then
	fail "the installed product is listed as '$name' '$shown', not 'C2C Uploader' '$version'."
fi
echo "installed for this user, Start menu shortcut, Open with for $(wc -w <<<"$extensions") extensions, listed as C2C Uploader $version"

echo "== upgrade to the next version"
next="${version%.*}.$((${version##*.} + 1))"
mkdir "$tmp/next"
cp "$exe" "$tmp/next/c2c-uploader-$next-windows-amd64.exe"
make -s package-msi DIST="$tmp/next" VERSION="$next" >"$tmp/next.log" 2>&1 ||
	{ cat "$tmp/next.log"; fail "building the $next installer failed."; }
next_msi="$tmp/next/c2c-uploader-$next-windows-amd64.msi"
msiexec /i "$(winepath -w "$next_msi")" || fail "installing $next over $version failed (exit $?)."
second=$(product_code "$next_msi")
[ "$(installed_products)" = "$second" ] ||
	fail "after the upgrade the installed products are '$(installed_products)', not $second alone."
[ -f "$program" ] || fail "the upgrade removed the program."
echo "$next replaced $version in place"

echo "== downgrade refused"
if msiexec /i "$(winepath -w "$msi")"; then
	fail "installing $version over $next was not refused."
fi
[ "$(installed_products)" = "$second" ] || fail "the refused downgrade changed the installed products."
# Refused for the right reason: the newer product found, the launch condition not met.
tr -d '\0\r' <"$tmp/msi.log" >"$tmp/msi.txt"
grep -q "WIX_DOWNGRADE_DETECTED = $second" "$tmp/msi.txt" ||
	fail "installing $version over $next failed without finding $next installed (see msiexec's log)."
if grep -q 'LaunchConditions. Return value 1' "$tmp/msi.txt"; then
	fail "installing $version over $next failed, but not on the downgrade's launch condition."
fi
echo "$version over $next: refused, $next still installed"

echo "== uninstall"
msiexec /x "$second" || fail "msiexec /x failed (exit $?)."
[ -z "$(installed_products)" ] || fail "after uninstalling, products are still listed: $(installed_products)."
left=$(find "$user_dir" -iname '*c2c*' 2>/dev/null || true)
[ -z "$left" ] || fail "uninstalling left $left"
for key in 'HKCU\Software\Classes\C2CUploader.Media' 'HKCU\Software\Classes\Applications\c2c-uploader.exe'; do
	if reg "$key" >/dev/null; then fail "uninstalling left the registry key $key."; fi
done
for ext in $extensions; do
	if reg "HKCU\\Software\\Classes\\.$ext\\OpenWithProgids" | grep -q 'C2CUploader.Media'; then
		fail "uninstalling left .$ext's Open with entry."
	fi
done
echo "uninstalled: no file, shortcut or registry entry left"
echo "msi install check: passed"
