# C2C Uploader. `make demo` runs the app against its built-in simulator; `make test` runs
# every check on a fresh Debian machine (it installs what is missing first).

SHELL      := /bin/bash
BIN        := bin/c2c-uploader
GO         ?= go
GOBIN      := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
# Debian packages: the C headers Fyne needs to build the window, then what the tests need
# (a virtual X server, D-Bus and gnome-keyring for a real Secret Service, ImageMagick for
# screenshots, curl and jq for README's walk-through, time for the benchmark's CPU and RSS,
# tmux for the terminal test, xdotool to size the window and press its buttons for
# make screenshots).
BUILD_PACKAGES := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PACKAGES := xvfb xauth imagemagick dbus dbus-x11 gnome-keyring libsecret-tools curl jq time tmux xdotool \
	libxml2-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-build build run demo sim test lint clean screenshots

all: build

# apt-install installs the Debian packages given in $(1) that are missing.
define apt-install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

## deps-build: the Debian packages and Go modules needed to build the app
deps-build:
	$(call apt-install,$(BUILD_PACKAGES))
	@$(GO) mod download

## deps: everything the tests need too (packages, modules, staticcheck, the packaging tools)
deps: deps-build deps-package
	$(call apt-install,$(TEST_PACKAGES))
	@[ -x "$(GOBIN)/staticcheck" ] && "$(GOBIN)/staticcheck" -version | grep -q "$(STATICCHECK_VERSION:v%=%)" || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## build: the c2c-uploader binary in bin/
build: deps-build
	$(GO) build -trimpath -o $(BIN) .

## run: the app
run: build
	./$(BIN)

## demo: the app against the simulator built into it, with its own data and keychain entry
demo: build
	./$(BIN) --demo

## sim: the simulator alone on http://127.0.0.1:8080 (admin API under /_sim/)
sim: build
	./$(BIN) sim --addr 127.0.0.1:8080

## lint: gofmt, go vet and staticcheck must all be clean
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:" $$unformatted; exit 1; fi
	$(GO) vet ./...
	"$(GOBIN)/staticcheck" ./...

## test: everything CI checks, on a fresh machine too: lint, the test suite, the packages
test: deps lint
	./scripts/test.sh
	./scripts/package-check.sh

## screenshots: the real window under Xvfb with a day's card of 200 files mid-upload,
## filtered on "Needs attention", at 1280 x 800 and 800 x 600, into docs/screenshots
screenshots: deps
	C2C_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots ./scripts/test.sh -tags screenshots -run '^TestScreenshotsOfADayOfCards$$' -v ./e2e/window

## bench: upload throughput and CPU per GB against a plain Go client on loopback, peak RSS;
## exits 1 when a target is missed (README, make bench)
.PHONY: bench
bench: deps build
	BENCH_BIN=$(BIN) ./scripts/bench.sh

## field: the full field trial, a shooting day on emulated bad networks; it
## rewrites the results in docs/field-trial.md. Network namespaces need root.
.PHONY: field
field: deps
	./scripts/field.sh

clean:
	rm -rf bin

# ---- packaging -------------------------------------------------------------------------
# Release builds take the client secret from the environment at build time
# (C2C_CLIENT_SECRET), never from the repository.

FYNE         := $(GOBIN)/fyne
FYNE_VERSION := v1.7.4
VERSION      := $(shell sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
DIST         := dist
PREFIX       ?= /usr/local
APP_ID       := io.github.c2cuploader.C2CUploader
RELEASE_GOFLAGS = -ldflags=-X=main.clientSecret=$(C2C_CLIENT_SECRET)

.PHONY: deps-package package package-linux package-windows build-release install uninstall

# fyne-package runs `fyne package $(1)` with environment $(2). fyne bumps the Build number
# in FyneApp.toml after every package; the file is put back as it was, so that packaging
# never leaves the checkout modified (raise Build by hand for a release).
define fyne-package
	@cp FyneApp.toml $(DIST)/.FyneApp.toml.kept
	GOFLAGS="$(RELEASE_GOFLAGS)" $(2) "$(FYNE)" package $(1); status=$$?; \
		mv -f $(DIST)/.FyneApp.toml.kept FyneApp.toml; exit $$status
endef

## deps-package: the fyne CLI and the Windows cross-compiler (about 540 MB)
deps-package: deps-build
	$(call apt-install,gcc-mingw-w64-x86-64 xz-utils)
	@[ -x "$(FYNE)" ] && "$(FYNE)" version 2>/dev/null | grep -q "$(FYNE_VERSION)" || \
		GOFLAGS= $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)

## package: the Linux package and the Windows .exe in dist/
package: package-linux package-windows

## package-linux: dist/c2c-uploader-VERSION-linux-amd64.tar.xz (binary, .desktop entry, icon)
package-linux: deps-package
	@mkdir -p $(DIST)
	$(call fyne-package,--os linux --release)
	mv "C2C Uploader.tar.xz" $(DIST)/c2c-uploader-$(VERSION)-linux-amd64.tar.xz
	@echo "built $(DIST)/c2c-uploader-$(VERSION)-linux-amd64.tar.xz"

## package-windows: dist/c2c-uploader-VERSION-windows-amd64.exe (GUI subsystem, icon embedded)
package-windows: deps-package
	@mkdir -p $(DIST)
	$(call fyne-package,--os windows --release,CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ GOARCH=amd64)
	mv "C2C Uploader.exe" $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.exe
	@echo "built $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.exe"

## build-release: bin/c2c-uploader as released (release tags, trimmed paths, the client
## secret from C2C_CLIENT_SECRET)
build-release: deps-build
	$(GO) build -trimpath -tags release,migrated_fynedo \
		-ldflags "-s -w -X main.clientSecret=$(C2C_CLIENT_SECRET)" -o $(BIN) .

## install: install on this Linux machine under PREFIX (default /usr/local)
install: build-release
	install -Dm755 $(BIN) $(DESTDIR)$(PREFIX)/bin/c2c-uploader
	install -Dm644 packaging/linux/$(APP_ID).desktop $(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop
	install -Dm644 assets/icon.svg $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/$(APP_ID).svg
	for s in 16 24 32 48 64 128 256 512; do \
		install -Dm644 packaging/linux/icons/$${s}.png $(DESTDIR)$(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/$(APP_ID).png; \
	done
	-gtk-update-icon-cache -q -t $(DESTDIR)$(PREFIX)/share/icons/hicolor 2>/dev/null || true
	-update-desktop-database -q $(DESTDIR)$(PREFIX)/share/applications 2>/dev/null || true

## uninstall: remove what install put there
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/c2c-uploader $(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop \
		$(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/$(APP_ID).svg
	for s in 16 24 32 48 64 128 256 512; do \
		rm -f $(DESTDIR)$(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/$(APP_ID).png; \
	done
	-gtk-update-icon-cache -q -t $(DESTDIR)$(PREFIX)/share/icons/hicolor 2>/dev/null || true
