package format

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// rateUnits are the units a bandwidth limit may be written in, in bytes: decimal and
// binary multiples of bytes, and bits as network people write them. A capital B is a
// byte and a small b a bit, as on every speed test; "mb" is refused rather than guessed.
var rateUnits = map[string]float64{
	"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
	"b": 1.0 / 8, "bit": 1.0 / 8,
	"kb": 1e3 / 8, "Kb": 1e3 / 8, "kbit": 1e3 / 8, "Kbit": 1e3 / 8,
	"Mb": 1e6 / 8, "Mbit": 1e6 / 8, "mbit": 1e6 / 8,
	"Gb": 1e9 / 8, "Gbit": 1e9 / 8, "gbit": 1e9 / 8,
}

// shownRateUnits are the units Bandwidth writes, largest first.
var shownRateUnits = []string{"GB", "GiB", "MB", "MiB", "KB", "KiB"}

// maxBandwidth is far beyond any link (1 PB/s); above it a typo is more likely than a
// wish, and the product with a unit stays well inside an int64.
const maxBandwidth = 1e15

var rateSyntax = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*?)(/s|ps)?$`)

// errRateSyntax is the one explanation of how a rate is written.
var errRateSyntax = errors.New("write a rate like 5MB/s, 40Mbit/s, 500KB/s or 1.5MiB/s, or 0 for no limit")

// ParseBandwidth reads a bandwidth limit as people write it: 5MB/s, 40Mbit/s, 500KB/s,
// 1.5MiB/s, 100 Mbps; 0 (or none) for no limit. It returns bytes per second. A number
// without a unit other than 0 is refused: MB/s and Mbit/s differ by eight times.
func ParseBandwidth(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "none", "unlimited", "off":
		return 0, nil
	}
	m := rateSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, errRateSyntax
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, errRateSyntax
	}
	unit := m[2]
	if unit == "" {
		if n == 0 {
			return 0, nil
		}
		return 0, errors.New("say the unit: " + strings.TrimPrefix(errRateSyntax.Error(), "write "))
	}
	factor, ok := rateUnits[unit]
	if !ok {
		return 0, errRateSyntax
	}
	bytes := n * factor
	switch {
	case bytes > maxBandwidth:
		return 0, errors.New("that is more than any network carries; " + errRateSyntax.Error())
	case n > 0 && bytes < 1:
		return 0, errors.New("that is less than a byte a second; " + errRateSyntax.Error())
	}
	return int64(math.Round(bytes)), nil
}

// Bandwidth writes a limit in bytes per second the way ParseBandwidth reads it, in the
// unit that shows it exactly in the fewest digits (the larger unit on a tie): 5MB/s,
// 1.5MiB/s, 64KiB/s, 500KB/s; "0" for no limit; B/s when no unit shows it exactly.
func Bandwidth(n int64) string {
	if n <= 0 {
		return "0"
	}
	best := strconv.FormatInt(n, 10) + "B/s"
	bestDigits := len(best) - len("B/s")
	for _, u := range shownRateUnits {
		size := rateUnits[u]
		if float64(n) < size {
			continue
		}
		for d := 0; d <= 3; d++ {
			text := strconv.FormatFloat(float64(n)/size, 'f', d, 64)
			if v, _ := strconv.ParseFloat(text, 64); int64(math.Round(v*size)) != n {
				continue
			}
			if digits := len(strings.Replace(text, ".", "", 1)); digits < bestDigits {
				best, bestDigits = text+u+"/s", digits
			}
			break
		}
	}
	return best
}
