#!/usr/bin/env bash
# Runs the whole test suite with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
# Fyne complains about the "C" locale; give it a real one.
export LANG=en_US.UTF-8
unset LC_ALL LC_MESSAGES
go test -race -count=1 -timeout 20m ./...
