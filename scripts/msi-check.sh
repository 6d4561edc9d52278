#!/usr/bin/env bash
# Checks the Windows installer as make package-msi built it:
#   dist/c2c-uploader-VERSION-windows-amd64.msi around dist/c2c-uploader-VERSION-windows-amd64.exe
# Usage: scripts/msi-check.sh VERSION
#
# 1. The tables, read with msiinfo: the version, the fixed UpgradeCode and the major
#    upgrade, a per-user install (no ALLUSERS, no elevation, HKCU only, under
#    LocalAppData\Programs\C2C Uploader), the program file, the Start menu shortcut, the
#    Add/Remove Programs icon and the "Open with" entries of every extension.
# 2. A second installer of the next patch version, from the same .exe: same UpgradeCode,
#    new ProductCode, so it upgrades the first in place.
# 3. Signing, with a throwaway self-signed certificate: the .exe and the .msi carry a
#    signature by it, and so does the .exe inside the .msi.
# Needs wixl, msitools, osslsigncode, ImageMagick and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:?usage: scripts/msi-check.sh VERSION}"
wxs=packaging/windows/c2c-uploader.wxs
exe="dist/c2c-uploader-$version-windows-amd64.exe"
msi="dist/c2c-uploader-$version-windows-amd64.msi"
# The same as in c2c-uploader.wxs, where the comment says why it must never change.
upgrade_code='{798E8527-7468-40C0-8E4A-7177E68E45DB}'
progid=C2CUploader.Media
command='"[INSTALLDIR]c2c-uploader.exe" "%1"'

fail() {
	echo "msi-check: $*"
	exit 1
}

for tool in msiinfo msiextract osslsigncode openssl make; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps-msi installs the installer tools)."
done
[ -f "$exe" ] || fail "$exe is missing: make package-windows builds it."
[ -f "$msi" ] || fail "$msi is missing: make package-msi builds it."

tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# table MSI NAME prints the rows of table NAME, tab-separated, without msiinfo's three header
# lines (names, types, keys) and without its carriage returns. msiinfo writes the binary
# columns (the Icon table's icons) as files under a folder named after the table in the
# current directory, so it runs in a scratch folder.
mkdir "$tmp/export"
table() {
	local file=$1
	[[ "$file" = /* ]] || file="$PWD/$file"
	(cd "$tmp/export" && msiinfo export "$file" "$2") | tr -d '\r' | tail -n +4
}

# property MSI NAME prints the value of property NAME (nothing when it is not set).
property() {
	table "$1" Property | awk -F'\t' -v name="$2" '$1 == name { print $2 }'
}

# has_row MSI TABLE COLUMN... succeeds when TABLE has a row whose columns from the second on
# are COLUMN... (the first column is the row's id, which wixl makes up for registry rows).
has_row() {
	local file=$1 name=$2
	shift 2
	local IFS=$'\t'
	table "$file" "$name" | cut -f2- | grep -xF -- "$*" >/dev/null
}

echo "== $msi"
tables=$(msiinfo tables "$msi" | tr -d '\r')
for t in Property Component Directory File Feature FeatureComponents Shortcut Registry Icon \
	Upgrade LaunchCondition RemoveFile Media InstallExecuteSequence; do
	grep -qx "$t" <<<"$tables" || fail "the installer has no $t table."
done

[ "$(property "$msi" ProductName)" = "C2C Uploader" ] || fail "ProductName is not C2C Uploader."
[ "$(property "$msi" Manufacturer)" = "C2C Uploader" ] || fail "Manufacturer is not C2C Uploader."
got=$(property "$msi" ProductVersion)
[ "$got" = "$version" ] || fail "ProductVersion is '$got', not '$version'."
[ "$(property "$msi" UpgradeCode)" = "$upgrade_code" ] ||
	fail "UpgradeCode is not $upgrade_code: the installer would not upgrade older versions."
product_code=$(property "$msi" ProductCode)
[[ "$product_code" =~ ^\{[0-9A-F-]{36}\}$ ]] || fail "ProductCode '$product_code' is not a GUID."

# The major upgrade: older versions are found and removed first, newer ones stop the install.
if table "$msi" Upgrade | awk -F'\t' -v code="$upgrade_code" '$1 != code { found = 1 } END { exit !found }'; then
	fail "an Upgrade row names another upgrade code than $upgrade_code."
fi
has_row "$msi" Upgrade "" "$version" "" 1 "" WIX_UPGRADE_DETECTED ||
	fail "the Upgrade table does not find versions older than $version to replace."
has_row "$msi" Upgrade "$version" "" "" 2 "" WIX_DOWNGRADE_DETECTED ||
	fail "the Upgrade table does not detect a newer version (downgrade)."
table "$msi" LaunchCondition | grep $'^NOT WIX_DOWNGRADE_DETECTED\tA newer version of C2C Uploader is already installed' >/dev/null ||
	fail "no launch condition stops a downgrade with a message."
table "$msi" InstallExecuteSequence | grep $'^RemoveExistingProducts\t' >/dev/null ||
	fail "RemoveExistingProducts is not in InstallExecuteSequence: an upgrade would not remove the old version."

# Per user: no ALLUSERS (so no per-machine install), and bit 8 of the summary information's
# word count ("elevated privileges are not required"), so no UAC prompt.
allusers=$(property "$msi" ALLUSERS)
[ -z "$allusers" ] || fail "ALLUSERS is '$allusers': the installer is not per-user."
word_count=$(msiinfo suminfo "$msi" | tr -d '\r' | sed -n 's/^Source: \([0-9]*\).*/\1/p')
[ -n "$word_count" ] || fail "the summary information has no word count."
((word_count & 8)) || fail "the summary information's word count ($word_count) asks for elevation."
if table "$msi" Registry | awk -F'\t' '$2 != 1 { found = 1 } END { exit !found }'; then
	fail "a registry value is written outside HKEY_CURRENT_USER."
fi

# Where the program goes: LocalAppData\Programs\C2C Uploader\c2c-uploader.exe.
has_row "$msi" Directory LocalAppDataFolder Programs || fail "there is no Programs folder under LocalAppData."
has_row "$msi" Directory UserProgramsFolder "C2C Uploader" || fail "the install folder is not LocalAppData\\Programs\\C2C Uploader."
table "$msi" File | awk -F'\t' '$1 == "C2CUploaderExe" && $2 == "Program" && $3 == "c2c-uploader.exe" { found = 1 } END { exit !found }' ||
	fail "the File table has no c2c-uploader.exe in the Program component."
# Each component is known by a value under HKCU\Software\C2C Uploader (key path, attribute
# 4), as a per-user component should be.
for c in UserProgramsFolder Program OpenWith StartMenuShortcut; do
	row=$(table "$msi" Component | awk -F'\t' -v c="$c" '$1 == c')
	[ -n "$row" ] || fail "the Component table has no $c component."
	attributes=$(cut -f4 <<<"$row")
	key=$(cut -f6 <<<"$row")
	((attributes & 4)) || fail "the $c component's key path is not a registry value."
	table "$msi" Registry | awk -F'\t' -v k="$key" '$1 == k && $2 == 1 && $3 == "Software\\C2C Uploader" { found = 1 } END { exit !found }' ||
		fail "the $c component's key path is not a value under HKCU\\Software\\C2C Uploader."
	table "$msi" FeatureComponents | grep -x "C2CUploader"$'\t'"$c" >/dev/null || fail "the $c component is in no feature."
done
table "$msi" Component | awk -F'\t' '$1 == "Program" && $3 == "INSTALLDIR" { found = 1 } END { exit !found }' ||
	fail "the Program component is not in INSTALLDIR."
msiextract -C "$tmp/extract" "$msi" >/dev/null
cmp -s "$tmp/extract/Programs/C2C Uploader/c2c-uploader.exe" "$exe" ||
	fail "the installer does not install $exe as Programs\\C2C Uploader\\c2c-uploader.exe."

# The Start menu shortcut, and the icon of Add/Remove Programs.
has_row "$msi" Shortcut ProgramMenuFolder "C2C Uploader" StartMenuShortcut "[#C2CUploaderExe]" "" \
	"Upload camera media to a Camera to Cloud project" "" C2CUploader.ico "" "" INSTALLDIR "" "" "" "" ||
	fail "there is no Start menu shortcut C2C Uploader to c2c-uploader.exe with the icon."
[ "$(property "$msi" ARPPRODUCTICON)" = C2CUploader.ico ] || fail "ARPPRODUCTICON is not C2CUploader.ico."
table "$msi" Icon | grep $'^C2CUploader.ico\t' >/dev/null || fail "the Icon table has no C2CUploader.ico."

# "Open with": the ProgId and its command, Applications\c2c-uploader.exe, and per extension
# an OpenWithProgids entry and a SupportedTypes entry, but never the extension's default
# value (which would take over the default program).
has_row "$msi" Registry 1 "Software\\Classes\\$progid\\shell\\open\\command" "" "$command" OpenWith ||
	fail "the ProgId $progid has no open command $command."
has_row "$msi" Registry 1 "Software\\Classes\\Applications\\c2c-uploader.exe\\shell\\open\\command" "" "$command" OpenWith ||
	fail "Applications\\c2c-uploader.exe has no open command $command."
extensions=$(sed -n 's/^<?define OpenWithExtensions = "\(.*\)" ?>$/\1/p' "$wxs")
[ -n "$extensions" ] || fail "$wxs has no OpenWithExtensions define."
n=0
for e in $extensions; do
	has_row "$msi" Registry 1 "Software\\Classes\\.$e\\OpenWithProgids" "$progid" "C2C Uploader" OpenWith ||
		fail ".$e has no OpenWithProgids entry for $progid."
	has_row "$msi" Registry 1 "Software\\Classes\\Applications\\c2c-uploader.exe\\SupportedTypes" ".$e" "C2C Uploader" OpenWith ||
		fail ".$e is not in the SupportedTypes of c2c-uploader.exe."
	n=$((n + 1))
done
if table "$msi" Registry | awk -F'\t' '$3 ~ /^Software\\Classes\\\.[^\\]*$/ { found = 1 } END { exit !found }'; then
	fail "the installer writes an extension's own key, which would take over its default program."
fi
echo "per-user, version $version, upgrade code $upgrade_code, Start menu shortcut, Open with for $n extensions"

echo "== a second installer, next patch version, same .exe"
IFS=. read -r major minor patch <<<"$version"
next="$major.$minor.$((patch + 1))"
mkdir -p "$tmp/next"
cp "$exe" "$tmp/next/c2c-uploader-$next-windows-amd64.exe"
out=$(env -u WINDOWS_SIGN_PFX make -s --no-print-directory package-msi DIST="$tmp/next" VERSION="$next" 2>&1) ||
	{ echo "$out"; fail "make package-msi failed for version $next."; }
grep -qx 'not signed: WINDOWS_SIGN_PFX is not set' <<<"$out" ||
	fail "make package-msi did not say it does not sign without WINDOWS_SIGN_PFX."
next_msi="$tmp/next/c2c-uploader-$next-windows-amd64.msi"
[ "$(property "$next_msi" ProductVersion)" = "$next" ] || fail "the second installer's ProductVersion is not $next."
[ "$(property "$next_msi" UpgradeCode)" = "$upgrade_code" ] || fail "the second installer has another UpgradeCode."
next_code=$(property "$next_msi" ProductCode)
[ "$next_code" != "$product_code" ] || fail "the second installer has the same ProductCode $product_code."
has_row "$next_msi" Upgrade "" "$next" "" 1 "" WIX_UPGRADE_DETECTED ||
	fail "the second installer does not replace versions older than $next."
echo "$next: same upgrade code, product code $next_code (was $product_code)"

echo "== signing with a throwaway certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=C2C Uploader msi-check" \
	-addext extendedKeyUsage=codeSigning -addext keyUsage=digitalSignature \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || fail "openssl could not make a test certificate."
export WINDOWS_SIGN_PASSWORD="msi-check-$RANDOM$RANDOM"
openssl pkcs12 -export -inkey "$tmp/key.pem" -in "$tmp/cert.pem" -out "$tmp/test.pfx" \
	-passout env:WINDOWS_SIGN_PASSWORD || fail "openssl could not make a test .pfx."
mkdir -p "$tmp/signed"
cp "$exe" "$tmp/signed/c2c-uploader-$version-windows-amd64.exe"
out=$(env -u WINDOWS_SIGN_TIMESTAMP_URL make -s --no-print-directory package-msi DIST="$tmp/signed" VERSION="$version" \
	WINDOWS_SIGN_PFX="$tmp/test.pfx" 2>&1) || { echo "$out"; fail "make package-msi failed to sign."; }
signed_exe="$tmp/signed/c2c-uploader-$version-windows-amd64.exe"
signed_msi="$tmp/signed/c2c-uploader-$version-windows-amd64.msi"
msiextract -C "$tmp/signed/extract" "$signed_msi" >/dev/null
# The certificate is self-signed, so it is given as the trusted root: verify then checks the
# signature itself and that the signer is the test certificate.
for f in "$signed_exe" "$signed_msi" "$tmp/signed/extract/Programs/C2C Uploader/c2c-uploader.exe"; do
	result=$(osslsigncode verify -CAfile "$tmp/cert.pem" -in "$f" 2>&1) ||
		{ echo "$result"; fail "osslsigncode finds no valid signature on ${f#"$tmp"/}."; }
	grep -q 'Subject: /CN=C2C Uploader msi-check' <<<"$result" ||
		fail "the signature on ${f#"$tmp"/} is not by the test certificate."
done
echo "the .exe, the .msi and the .exe inside it are signed"
echo "msi check: passed"
