# C2C Uploader. `make demo` runs the app against its built-in simulator; `make test` runs
# every check on a fresh Debian machine (it installs what is missing first).

SHELL      := /bin/bash
BIN        := bin/c2c-uploader
GO         ?= go
GOBIN      := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
# Debian packages: the C headers Fyne needs to build the window, then what the tests need
# (a virtual X server, D-Bus and gnome-keyring for a real Secret Service, ImageMagick for
# screenshots, curl and jq for the benchmark baseline).
BUILD_PACKAGES := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PACKAGES := xvfb xauth imagemagick dbus dbus-x11 gnome-keyring libsecret-tools curl jq
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-build build run demo sim test lint clean

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

## deps: everything the tests need too (packages, modules, staticcheck)
deps: deps-build
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

## test: everything CI checks, on a fresh machine too
test: deps lint
	./scripts/test.sh

clean:
	rm -rf bin
