// Package cleanlocale keeps Fyne from logging "Error parsing user locale C" at start-up
// on systems whose locale is C.UTF-8 (common on servers and containers): Fyne reads the
// locale in a package init, and "C" is not a language. When the locale is C or POSIX,
// LANGUAGE (which only picks translations) is set to English. Import it for its side
// effect; Go initialises it before Fyne's lang package (see the test).
package cleanlocale

import (
	"os"
	"strings"
)

func init() {
	Apply()
}

// Apply sets LANGUAGE=en when the effective locale names no language.
func Apply() {
	locale := ""
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = os.Getenv(env); locale != "" {
			break
		}
	}
	base, _, _ := strings.Cut(locale, ".")
	if (base == "C" || base == "POSIX") && os.Getenv("LANGUAGE") == "" {
		_ = os.Setenv("LANGUAGE", "en")
	}
}
