# ---- macOS: make package-macos ---------------------------------------------------------
# Included from the Makefile. The app links Cocoa and OpenGL through cgo, and only Apple's
# tools sign, notarise and make disk images, so the .dmg is built on a Mac (a developer's,
# or the macOS runner in .github/workflows/release.yml); Linux has no cross-build for it.
# Written for the GNU make 3.81 that Apple ships, as well as make 4.
#
# Signing and notarisation are read from the environment, each step running only when its
# variables are set:
#   MACOS_SIGN_IDENTITY    a "Developer ID Application: …" identity in the keychain
#   MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID, MACOS_NOTARY_PASSWORD (an app-specific
#                          password) for Apple's notary service
# MACOS_ARCH (default: Go's GOARCH, arm64 or amd64) picks the architecture to build.

.PHONY: package-macos

# Expanded when used (=, ?=), so that other targets never run `go env` for them.
MACOS_ARCH  ?= $(shell $(GO) env GOARCH)
MACOS_APP    = C2C Uploader.app
MACOS_STAGE  = $(DIST)/macos-$(MACOS_ARCH)
MACOS_DMG    = $(DIST)/c2c-uploader-$(VERSION)-macos-$(MACOS_ARCH).dmg

## package-macos: dist/c2c-uploader-VERSION-macos-ARCH.dmg (the .app and an Applications
## link), signed and notarised when the MACOS_* variables are set; on a Mac only
package-macos:
	@[ "$$(uname -s)" = Darwin ] || \
		{ echo "package-macos needs a Mac: Apple's toolchain (hdiutil, codesign) builds the .app and .dmg"; exit 1; }
# deps-package would also install the fyne CLI, but it starts with apt, which a Mac lacks.
	@[ -x "$(FYNE)" ] && "$(FYNE)" version 2>/dev/null | grep -q "$(FYNE_VERSION)" || \
		GOFLAGS= $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)
	@mkdir -p $(DIST)
# fyne writes into an existing .app, where an earlier build's signature would survive.
	rm -rf "$(MACOS_APP)" "$(MACOS_STAGE)" "$(MACOS_DMG)"
	$(call fyne-package,--os darwin --release,GOARCH=$(MACOS_ARCH))
	mkdir -p "$(MACOS_STAGE)"
	mv "$(MACOS_APP)" "$(MACOS_STAGE)/"
	ln -s /Applications "$(MACOS_STAGE)/Applications"
# The bundle holds a single executable, so signing the bundle signs it: no --deep, which
# Apple advises against. The hardened runtime and a timestamp are what notarisation requires.
	@if [ -n "$$MACOS_SIGN_IDENTITY" ]; then \
		echo "signing $(MACOS_APP) as $$MACOS_SIGN_IDENTITY"; \
		codesign --force --options runtime --timestamp --sign "$$MACOS_SIGN_IDENTITY" \
			"$(MACOS_STAGE)/$(MACOS_APP)" && \
		codesign --verify --strict --deep --verbose=2 "$(MACOS_STAGE)/$(MACOS_APP)"; \
	else \
		echo "not signed: MACOS_SIGN_IDENTITY is not set"; \
	fi
# hdiutil now and then fails with "Resource busy" while the system scans the new image
# (actions/runner-images#7522): a few tries, then its own error.
	@for try in 1 2 3 4; do \
		hdiutil create -volname "C2C Uploader" -srcfolder "$(MACOS_STAGE)" -fs HFS+ -format UDZO \
			-ov "$(MACOS_DMG)" && break; \
		[ "$$try" = 4 ] && exit 1; \
		echo "hdiutil create failed, trying again in 10 s"; sleep 10; \
	done
	@if [ -n "$$MACOS_SIGN_IDENTITY" ]; then \
		codesign --force --timestamp --sign "$$MACOS_SIGN_IDENTITY" "$(MACOS_DMG)" && \
		codesign --verify --strict --verbose=2 "$(MACOS_DMG)"; \
	fi
# notarytool exits 0 whatever Apple decided, so the status is read from its output, and
# Apple's log is printed when it is not Accepted. A .dmg that was to be notarised and is
# not is removed, so that it cannot pass for a release. (notary is a bash array: the
# Makefile's SHELL is bash.)
	@notary=(--apple-id "$$MACOS_NOTARY_APPLE_ID" --team-id "$$MACOS_NOTARY_TEAM_ID" --password "$$MACOS_NOTARY_PASSWORD"); \
	if [ -z "$$MACOS_NOTARY_APPLE_ID" ] || [ -z "$$MACOS_NOTARY_TEAM_ID" ] || [ -z "$$MACOS_NOTARY_PASSWORD" ]; then \
		echo "not notarised: MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID and MACOS_NOTARY_PASSWORD are not all set"; \
	elif [ -z "$$MACOS_SIGN_IDENTITY" ]; then \
		echo "not notarised: Apple notarises signed apps only, and MACOS_SIGN_IDENTITY is not set"; \
	else \
		out=$$(xcrun notarytool submit "$(MACOS_DMG)" "$${notary[@]}" --wait); echo "$$out"; \
		if ! echo "$$out" | grep -q 'status: Accepted'; then \
			id=$$(echo "$$out" | sed -n 's/^ *id: //p' | head -1); \
			[ -n "$$id" ] && xcrun notarytool log "$$id" "$${notary[@]}"; \
			rm -f "$(MACOS_DMG)"; echo "Apple did not notarise $(MACOS_DMG): its log above says why"; exit 1; \
		fi; \
		xcrun stapler staple "$(MACOS_DMG)" && xcrun stapler validate "$(MACOS_DMG)" || \
			{ rm -f "$(MACOS_DMG)"; echo "stapling the notarisation ticket to $(MACOS_DMG) failed"; exit 1; }; \
	fi
	rm -rf "$(MACOS_STAGE)"
	@echo "built $(MACOS_DMG)"
