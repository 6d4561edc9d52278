# C2C Uploader. `make demo` runs the app against its built-in simulator; `make test` runs
# every check on a fresh Debian machine (it installs what is missing first).

SHELL      := /bin/bash
BIN        := bin/c2c-uploader
GO         ?= go
GOBIN      := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
# Debian packages: C headers Fyne needs, then what the tests need (a virtual X server,
# D-Bus and gnome-keyring for a real Secret Service, ImageMagick for screenshots).
APT_PACKAGES := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth imagemagick dbus dbus-x11 \
	gnome-keyring libsecret-tools curl jq
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run demo sim test lint fmt clean

all: build

## deps: install the Debian packages, Go modules and tools that are missing
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@$(GO) mod download
	@[ -x "$(GOBIN)/staticcheck" ] && "$(GOBIN)/staticcheck" -version | grep -q "$(STATICCHECK_VERSION:v%=%)" || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## build: the c2c-uploader binary in bin/
build:
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
