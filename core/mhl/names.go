package mhl

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// manifestName is a generation's file name as the specification names it:
// <number>_<folder name>_<YYYY-MM-DD>_<HHMMSS>Z.mhl, the number four digits or more and
// the date and time those of the operation's start in UTC, e.g.
// 0002_A002R2EC_2020-01-17_143000Z.mhl.
func manifestName(number int, root string, created time.Time) string {
	return fmt.Sprintf("%04d_%s_%sZ%s", number, filepath.Base(root),
		created.UTC().Format("2006-01-02_150405"), Extension)
}

// numberedName matches the part of a manifest's name before ".mhl": its sequence number,
// then anything. The number is taken from the name, which the chain file must agree with.
var numberedName = regexp.MustCompile(`^(\d{4,})(?:_(.+))?$`)

// manifestNumber returns the sequence number a manifest's file name starts with; ok is
// false for a name that is not a manifest's.
func manifestNumber(name string) (n int, ok bool) {
	base, isMHL := strings.CutSuffix(name, Extension)
	if !isMHL || strings.HasPrefix(name, "._") {
		// "._" files are the resource forks macOS leaves on FAT and exFAT volumes.
		return 0, false
	}
	m := numberedName.FindStringSubmatch(base)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// isManifestName tells whether a file in the ascmhl folder is meant as a manifest, even
// one whose name breaks the pattern.
func isManifestName(name string) bool {
	return strings.HasSuffix(name, Extension) && !strings.HasPrefix(name, "._")
}

// Dates are written as in the histories of testdata/reference: with the numeric offset of
// their location ("+00:00" for UTC), seconds for the creation and modification dates and
// the fraction of a second too for hash dates.
const (
	dateLayout     = "2006-01-02T15:04:05-07:00"
	hashDateLayout = "2006-01-02T15:04:05.999999-07:00"
)

// parseDate reads an xsd:dateTime: with or without a fraction of a second, with "Z", an
// offset or, read as local time, no zone at all.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.Local)
}

// checkRel tells what is wrong with a relative path as a manifest records it ("/" between
// its parts, none of them empty, "." or ".."), or nil.
func checkRel(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("the path is empty")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q is not relative", p)
	}
	for part := range strings.SplitSeq(p, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("%q is not the most direct relative path (it has an empty, \".\" or \"..\" part)", p)
		}
	}
	return checkText(p)
}

// isXMLChar tells whether r may appear in an XML 1.0 document (its Char production).
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// within returns rel relative to the folder dir (both relative to one root), and whether
// rel lies below dir at all.
func within(rel, dir string) (string, bool) {
	return strings.CutPrefix(rel, dir+"/")
}
