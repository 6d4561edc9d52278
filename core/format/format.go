// Package format writes sizes, rates and durations the way the front ends show them, so
// that the window and the command line say the same thing the same way.
package format

import (
	"fmt"
	"time"
)

// Bytes formats a size in binary units: 512 B, 3.4 MiB, 1.2 GiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// Rate formats bytes per second; "—" when nothing moves.
func Rate(r float64) string {
	if r < 1 {
		return "—"
	}
	return Bytes(int64(r)) + "/s"
}

// Duration formats a time left: 45 s, 3 min 05 s, 2 h 10 min; "—" when unknown.
func Duration(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	// Rounded to the second shown, and never "0 s" for something still to do.
	d = max(d.Round(time.Second), time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

// Countdown formats a short wait as m:ss.
func Countdown(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Count says how many of a thing there are: "1 file", "3 files". noun is the singular
// and takes an "s" in the plural.
func Count(n int, noun string) string {
	return Counted(n, noun, noun+"s")
}

// Counted is Count with the plural given: "1 file was", "3 files were".
func Counted(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}

// ShortenMiddle shortens s to n runes by taking out its middle: a clip's name starts
// with its reel and clip and ends with its take, version and extension, all of which
// tell clips apart.
func ShortenMiddle(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

// ShortenEnd shortens s to n runes, ending with "…".
func ShortenEnd(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 1 {
		return s
	}
	return string(r[:n-1]) + "…"
}
