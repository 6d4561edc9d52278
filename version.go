package main

import (
	_ "embed"
	"regexp"
)

// FyneApp.toml is the one source of the app's version: `fyne package` reads it, and the
// binary embeds it so that --version, the About box and x-client-version agree.
//
//go:embed FyneApp.toml
var fyneAppTOML string

var versionLine = regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`)

func appVersion() string {
	m := versionLine.FindStringSubmatch(fyneAppTOML)
	if m == nil {
		panic("FyneApp.toml has no Version")
	}
	return m[1]
}
