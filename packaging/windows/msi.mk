# The Windows installer: dist/c2c-uploader-VERSION-windows-amd64.msi, built with wixl from
# packaging/windows/c2c-uploader.wxs around the .exe that package-windows built. The main
# Makefile includes this file and defines VERSION, DIST, SUDO and apt-install. VERSION and
# DIST can be set on the command line, e.g. make package-msi DIST=/tmp/out VERSION=0.1.1
# (the .exe is then DIST/c2c-uploader-0.1.1-windows-amd64.exe).
#
# Runs on Debian (the tools come from apt) and under MSYS2 on Windows (no apt: install
# mingw-w64-x86_64-msitools, mingw-w64-x86_64-osslsigncode and mingw-w64-x86_64-imagemagick
# first).
#
# Signing, optional: with WINDOWS_SIGN_PFX (a .pfx file) and WINDOWS_SIGN_PASSWORD (its
# password) set, in the environment or on the command line, the .exe is signed before it
# goes into the installer (dist's .exe is replaced by the signed one, so that both release
# files are signed) and the .msi after it is built, with osslsigncode; with
# WINDOWS_SIGN_TIMESTAMP_URL set too, the signatures are timestamped by that RFC 3161 server,
# so that they stay valid after the certificate expires.

MSI_WXS   := packaging/windows/c2c-uploader.wxs
MSI_EXE    = $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.exe
MSI        = $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.msi
# The staging folder wixl runs in: it holds the files the .wxs names (wixl looks files up by
# relative names only).
MSI_STAGE  = $(DIST)/msi-stage
MSI_TOOLS := wixl msiinfo osslsigncode
# ImageMagick 7 (MSYS2) is `magick`; Debian's ImageMagick 6 is `convert`.
MSI_MAGICK = $(shell command -v magick >/dev/null 2>&1 && echo magick || echo convert)
MSI_SIGN_NAME := C2C Uploader
MSI_SIGN_URL  := https://github.com/c2c-uploader/c2c-uploader

.PHONY: deps-msi package-msi

## deps-msi: wixl, msitools, osslsigncode and ImageMagick (apt-install does nothing where
## there is no apt-get, as under MSYS2)
deps-msi:
	$(call apt-install,wixl msitools osslsigncode imagemagick)
	@for t in $(MSI_TOOLS) $(MSI_MAGICK); do \
		command -v $$t >/dev/null 2>&1 || { echo "$$t is missing: install msitools (wixl, msiinfo), osslsigncode and ImageMagick"; exit 1; }; \
	done

# msi-sign signs the file $(1) into $(2) when WINDOWS_SIGN_PFX is set. The password goes to
# osslsigncode in a file that only this user can read, not on its command line where other
# processes could see it.
define msi-sign
	pass="$(MSI_STAGE)/sign-password"; \
	( umask 077; printf '%s' "$$WINDOWS_SIGN_PASSWORD" >"$$pass" ); \
	ts=(); [ -z "$$WINDOWS_SIGN_TIMESTAMP_URL" ] || ts=(-ts "$$WINDOWS_SIGN_TIMESTAMP_URL"); \
	status=0; rm -f "$(2)"; \
	osslsigncode sign -pkcs12 "$$WINDOWS_SIGN_PFX" -readpass "$$pass" -h sha256 \
		-n "$(MSI_SIGN_NAME)" -i "$(MSI_SIGN_URL)" "$${ts[@]}" -in "$(1)" -out "$(2)" \
		>"$(MSI_STAGE)/sign.log" 2>&1 || status=$$?; \
	rm -f "$$pass"; \
	[ $$status = 0 ] || { cat "$(MSI_STAGE)/sign.log"; echo "signing $(1) failed"; exit 1; }
endef

## package-msi: dist/c2c-uploader-VERSION-windows-amd64.msi from the .exe of package-windows
## (per-user install, Start menu shortcut, "Open with" for media files; signed when
## WINDOWS_SIGN_PFX is set)
package-msi: deps-msi
	@set -eo pipefail; \
	[ -f "$(MSI_EXE)" ] || { echo "$(MSI_EXE) is missing: make package-windows builds it"; exit 1; }; \
	IFS=. read -r major minor build <<<"$(VERSION)"; \
	[[ "$(VERSION)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$$ ]] && [ "$$major" -le 255 ] && [ "$$minor" -le 255 ] && [ "$$build" -le 65535 ] || \
		{ echo "the installer needs a version of three numbers up to 255.255.65535 (Windows Installer's form), not '$(VERSION)'"; exit 1; }; \
	export WINDOWS_SIGN_PFX="$(WINDOWS_SIGN_PFX)" WINDOWS_SIGN_TIMESTAMP_URL="$(WINDOWS_SIGN_TIMESTAMP_URL)"; \
	if [ -n "$$WINDOWS_SIGN_PFX" ]; then \
		[ -f "$$WINDOWS_SIGN_PFX" ] || { echo "WINDOWS_SIGN_PFX is set, but $$WINDOWS_SIGN_PFX is not a file"; exit 1; }; \
		[ -n "$${WINDOWS_SIGN_PASSWORD:-}" ] || { echo "WINDOWS_SIGN_PFX is set, but WINDOWS_SIGN_PASSWORD is not"; exit 1; }; \
	fi; \
	rm -rf "$(MSI_STAGE)"; mkdir -p "$(MSI_STAGE)"; \
	if [ -n "$$WINDOWS_SIGN_PFX" ]; then \
		$(call msi-sign,$(MSI_EXE),$(MSI_STAGE)/c2c-uploader.exe); \
		cp "$(MSI_STAGE)/c2c-uploader.exe" "$(MSI_EXE)"; \
		echo "signed $(MSI_EXE)"; \
	else \
		echo "not signed: WINDOWS_SIGN_PFX is not set"; \
		cp "$(MSI_EXE)" "$(MSI_STAGE)/c2c-uploader.exe"; \
	fi; \
	$(MSI_MAGICK) assets/icon.png -define icon:auto-resize=256,128,64,48,32,24,16 "$(MSI_STAGE)/c2c-uploader.ico"; \
	exts=$$(sed -n 's/^<?define OpenWithExtensions = "\(.*\)" ?>$$/\1/p' $(MSI_WXS)); \
	[ -n "$$exts" ] || { echo "$(MSI_WXS) has no OpenWithExtensions define"; exit 1; }; \
	{ \
		echo '<?xml version="1.0" encoding="utf-8"?>'; \
		echo '<!-- Written by packaging/windows/msi.mk from OpenWithExtensions in c2c-uploader.wxs. -->'; \
		echo '<Include>'; \
		for e in $$exts; do \
			printf '  <RegistryValue Root="HKCU" Key="Software\\Classes\\.%s\\OpenWithProgids" Name="$$(var.ProgId)" Value="C2C Uploader" Type="string" />\n' "$$e"; \
			printf '  <RegistryValue Root="HKCU" Key="Software\\Classes\\Applications\\c2c-uploader.exe\\SupportedTypes" Name=".%s" Value="C2C Uploader" Type="string" />\n' "$$e"; \
		done; \
		echo '</Include>'; \
	} >"$(MSI_STAGE)/open-with.wxi"; \
	wxs="$(abspath $(MSI_WXS))"; \
	( cd "$(MSI_STAGE)" && wixl --arch x64 --define Version=$(VERSION) --output c2c-uploader.msi "$$wxs" ) \
		2>"$(MSI_STAGE)/wixl.log" || { cat "$(MSI_STAGE)/wixl.log"; echo "wixl failed"; exit 1; }; \
	grep -v 'builder.vala:[0-9]*: unimplemented' "$(MSI_STAGE)/wixl.log" >&2 || true; \
	if [ -n "$$WINDOWS_SIGN_PFX" ]; then \
		$(call msi-sign,$(MSI_STAGE)/c2c-uploader.msi,$(MSI)); \
		echo "signed $(MSI)"; \
	else \
		mv "$(MSI_STAGE)/c2c-uploader.msi" "$(MSI)"; \
	fi; \
	rm -rf "$(MSI_STAGE)"; \
	echo "built $(MSI)"
