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
# make screenshots; rpm, desktop-file-utils, appstream and Wine to check the packages,
# shellcheck for the scripts).
BUILD_PACKAGES := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PACKAGES := xvfb xauth imagemagick dbus dbus-x11 gnome-keyring libsecret-tools curl jq time tmux xdotool \
	libxml2-utils rpm desktop-file-utils appstream shellcheck wine wine64
# One recipe at a time, even under make -j: the packaging targets share the checkout (fyne
# writes into it and restores FyneApp.toml), and test needs deps before lint.
.NOTPARALLEL:

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-build build run demo sim test lint clean screenshots

all: build

# apt-install installs the Debian packages given in $(1) that are missing.
define apt-install
	@command -v apt-get >/dev/null || exit 0; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
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

## lint: gofmt, go vet, staticcheck and shellcheck (the scripts) must all be clean
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:" $$unformatted; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags bench_nohash ./core/hashes/ # the build make bench measures hashing against
	"$(GOBIN)/staticcheck" ./...
	shellcheck -x scripts/*.sh scripts/lib/*.sh packaging/linux/*.sh

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
# (C2C_CLIENT_SECRET), never from the repository; recipes read it from their environment
# ($$C2C_CLIENT_SECRET, so make never expands or echoes it).

FYNE         := $(GOBIN)/fyne
FYNE_VERSION := v1.7.4
NFPM         := $(GOBIN)/nfpm
NFPM_VERSION := v2.48.0
VERSION      := $(shell sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
DIST         := dist
PREFIX       ?= /usr/local
APP_ID       := io.github.c2cuploader.C2CUploader
MAINTAINER   ?= C2C Uploader <c2c-uploader@users.noreply.github.com>
# Packages are reproducible: every time stamp in them is the last commit's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1)
export SOURCE_DATE_EPOCH
# The release binary for Linux, and the folder it is packaged from: the tar.xz's content,
# and the source of the .deb and .rpm (packaging/linux/nfpm.yaml). Both sit in folders of
# their own, so that dist/c2c-uploader* names the packages alone (the workflow uploads that).
RELEASE_BIN  := $(DIST)/release/c2c-uploader
LINUX_TREE   := $(DIST)/linux/c2c-uploader-$(VERSION)
# The hicolor sizes are the icons there are (packaging/linux/icons/SIZE.png).
ICON_SIZES   := $(sort $(basename $(notdir $(wildcard packaging/linux/icons/*.png))))
# The packages whose tests run on every desktop's native runner (make test-core); the rest
# need Linux (mounts, D-Bus, Xvfb). scripts/package-check.sh vets them for Windows and macOS.
PORTABLE_PACKAGES := ./core ./core/api ./core/auth ./core/conn ./core/format ./core/hashes \
	./core/mhl ./core/redact ./core/report ./core/retry ./core/schedule ./core/upload \
	./core/verify ./store/lock ./store/settings ./c2csim ./internal/atomicfile
ifeq ($(OS),Windows_NT)
WINDOWS_CC :=
else
WINDOWS_CC := CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++
endif

.PHONY: deps-package package package-linux linux-tree package-windows package-windows-exe \
	build-release install uninstall checksums test-core test-core-vet

# fyne-package runs `fyne package $(1)` with environment $(2). fyne bumps the Build number
# in FyneApp.toml after every package; the file is put back as it was, so that packaging
# never leaves the checkout modified (raise Build by hand for a release).
define fyne-package
	@cp FyneApp.toml $(DIST)/.FyneApp.toml.kept
	@echo "fyne package $(1)"
	@GOFLAGS="-ldflags=-X=main.clientSecret=$$C2C_CLIENT_SECRET" $(2) "$(FYNE)" package $(1); status=$$?; \
		mv -f $(DIST)/.FyneApp.toml.kept FyneApp.toml; exit $$status
endef

# secret-note says so when a release build carries no client secret: such a build pairs
# only where C2C_CLIENT_SECRET or the data folder's client_secret gives it one (fine for
# trying a package, not for a release).
define secret-note
	@[ -n "$$C2C_CLIENT_SECRET" ] || echo "note: C2C_CLIENT_SECRET is not set: this build carries no client secret"
endef

## deps-package: the fyne CLI, nfpm and the Windows cross-compiler
deps-package: deps-build
	$(call apt-install,gcc-mingw-w64-x86-64 xz-utils)
	@[ -x "$(FYNE)" ] && "$(FYNE)" version 2>/dev/null | grep -q "$(FYNE_VERSION)" || \
		GOFLAGS= $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)
	@[ -x "$(NFPM)" ] && "$(NFPM)" --version 2>/dev/null | grep -q "$(NFPM_VERSION:v%=%)" || \
		GOFLAGS= $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

## package: every Linux and Windows artefact in dist/, and dist/SHA256SUMS
package: package-linux package-windows
	@$(MAKE) --no-print-directory checksums

## package-linux: dist/c2c-uploader-VERSION-linux-amd64.tar.xz, the .deb and the .rpm, all
## three from one binary and one folder
package-linux: linux-tree deps-package
	tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner --mode=go-w,go+rX \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-C $(dir $(LINUX_TREE)) -cf - c2c-uploader-$(VERSION) | xz -T1 -9 >$(DIST)/c2c-uploader-$(VERSION)-linux-amd64.tar.xz
	@glibc=$$(objdump -T $(LINUX_TREE)/bin/c2c-uploader | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1); \
		[ -n "$$glibc" ] || { echo "cannot tell which glibc $(RELEASE_BIN) needs (objdump -T)"; exit 1; }; \
		echo "the binary needs glibc $$glibc or later"; \
		sed -e 's|@TREE@|$(LINUX_TREE)|g' -e "s|@GLIBC@|$$glibc|g" packaging/linux/nfpm.yaml >$(DIST)/nfpm.yaml
	@for p in deb rpm; do \
		VERSION=$(VERSION) MAINTAINER="$(MAINTAINER)" \
			"$(NFPM)" package --config $(DIST)/nfpm.yaml --packager $$p --target $(DIST)/ || exit 1; \
	done

## linux-tree: dist/linux/c2c-uploader-VERSION/, the installable folder (bin/, share/, Makefile)
linux-tree: build-release
	rm -rf $(LINUX_TREE)
	install -Dm755 $(RELEASE_BIN) $(LINUX_TREE)/bin/c2c-uploader
	install -Dm644 packaging/linux/install.mk $(LINUX_TREE)/Makefile
	install -Dm644 packaging/linux/$(APP_ID).desktop $(LINUX_TREE)/share/applications/$(APP_ID).desktop
	@mkdir -p $(LINUX_TREE)/share/metainfo
	sed -e 's|@VERSION@|$(VERSION)|' -e "s|@DATE@|$$(date -u -d @$(SOURCE_DATE_EPOCH) +%F)|" \
		packaging/linux/$(APP_ID).metainfo.xml >$(LINUX_TREE)/share/metainfo/$(APP_ID).metainfo.xml
	install -Dm644 assets/icon.svg $(LINUX_TREE)/share/icons/hicolor/scalable/apps/$(APP_ID).svg
	@for s in $(ICON_SIZES); do \
		install -Dm644 packaging/linux/icons/$$s.png $(LINUX_TREE)/share/icons/hicolor/$${s}x$${s}/apps/$(APP_ID).png || exit 1; \
	done
	chmod -R u+rwX,go+rX,go-w $(LINUX_TREE)
	find $(LINUX_TREE) -exec touch -h -d @$(SOURCE_DATE_EPOCH) {} +

## build-release: dist/release/c2c-uploader as released (release tags, trimmed paths, the
## client secret from C2C_CLIENT_SECRET)
build-release: deps-build
	$(secret-note)
	@mkdir -p $(dir $(RELEASE_BIN))
	@echo "go build -trimpath -tags release -o $(RELEASE_BIN)"
	@GOFLAGS= $(GO) build -trimpath -tags release,migrated_fynedo \
		-ldflags "-s -w -X main.clientSecret=$$C2C_CLIENT_SECRET" -o $(RELEASE_BIN) .

## package-windows: dist/c2c-uploader-VERSION-windows-amd64.exe and .msi (signed when
## WINDOWS_SIGN_PFX is set: packaging/windows/msi.mk)
package-windows: package-windows-exe
	@$(MAKE) --no-print-directory package-msi

## package-windows-exe: dist/c2c-uploader-VERSION-windows-amd64.exe (GUI subsystem, icon
## and version resource embedded)
package-windows-exe: deps-package
	$(secret-note)
	@mkdir -p $(DIST)
	$(call fyne-package,--os windows --release,$(WINDOWS_CC) GOARCH=amd64)
	mv "C2C Uploader.exe" $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.exe
	@echo "built $(DIST)/c2c-uploader-$(VERSION)-windows-amd64.exe"

## checksums: dist/SHA256SUMS over this version's artefacts in dist/
checksums:
	@cd $(DIST) && shopt -s nullglob && \
		files=(c2c-uploader[-_]$(VERSION)[-_.]*) && \
		[ $${#files[@]} -gt 0 ] || { echo "dist/ holds no package of version $(VERSION): run make package first"; exit 1; }; \
		sha256sum "$${files[@]}" >SHA256SUMS && echo "wrote $(DIST)/SHA256SUMS:" && cat SHA256SUMS

## test-core: vet and test the portable packages (what the Windows and macOS runners run)
test-core: test-core-vet
	$(GO) test -count=1 $(PORTABLE_PACKAGES)

## test-core-vet: vet the portable packages and their tests; with GOOS=windows or darwin in
## the environment (and CGO_ENABLED=0), for those systems from here
test-core-vet:
	$(GO) vet $(PORTABLE_PACKAGES)

## install: install on this Linux machine under PREFIX (default /usr/local)
install: linux-tree
	$(MAKE) -C $(LINUX_TREE) install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

## uninstall: remove what install put there
uninstall:
	$(MAKE) -f packaging/linux/install.mk uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

include packaging/windows/msi.mk packaging/macos/macos.mk
