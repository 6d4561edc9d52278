package media

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// FilterSpec is which files of a card are queued, as the settings and the flags write it
// (README, "What goes first"): Only, categories separated by commas ("" for all);
// Include and Exclude, glob patterns separated by commas, matched against the path below
// the folder the person named, with slashes, whatever the case. A pattern without a
// slash matches a name at any depth ("*.tmp"); with one, the whole path ("Proxy/**");
// ** crosses folders. A file is queued when its category is one of Only, it matches an
// Include pattern (if there are any), and no Exclude pattern.
type FilterSpec struct {
	Only    string
	Include string
	Exclude string
}

// Filter is a FilterSpec read.
type Filter struct {
	only             []Category
	include, exclude []string // lower case
}

// Parse reads the spec; the error says which part is wrong and why, in words that
// follow "cannot be …".
func (s FilterSpec) Parse() (Filter, error) {
	var f Filter
	var err error
	if f.only, err = ParseList(s.Only); err != nil {
		return Filter{}, fmt.Errorf("only: %w", err)
	}
	if f.include, err = parsePatterns(s.Include); err != nil {
		return Filter{}, fmt.Errorf("include: %w", err)
	}
	if f.exclude, err = parsePatterns(s.Exclude); err != nil {
		return Filter{}, fmt.Errorf("exclude: %w", err)
	}
	return f, nil
}

// TidyPatterns checks glob patterns separated by commas and writes them back tidied
// (trimmed, the empty ones left out), as a setting keeps them.
func TidyPatterns(s string) (string, error) {
	if _, err := parsePatterns(s); err != nil {
		return "", err
	}
	return strings.Join(splitList(s), ","), nil
}

func parsePatterns(s string) ([]string, error) {
	var out []string
	for _, p := range splitList(s) {
		p = strings.ToLower(strings.ReplaceAll(p, `\`, "/"))
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("%q is not a valid pattern: a [ or { is not closed (patterns are separated by commas: write *.tmp,*.bak, not *.{tmp,bak})", p)
		}
		out = append(out, strings.TrimPrefix(p, "/"))
	}
	return out, nil
}

// Empty reports whether the filter takes every file.
func (f Filter) Empty() bool { return len(f.only) == 0 && len(f.include) == 0 && len(f.exclude) == 0 }

// LeftOut is why a file is not queued ("" when it is): rel is its path below the folder
// named (its name, when the file itself was named), with slashes; c its category.
func (f Filter) LeftOut(rel string, c Category) string {
	// The pattern that names a file says most: it goes first.
	lower := strings.ToLower(rel)
	if p := matchAny(f.exclude, lower); p != "" {
		return "excluded by " + p
	}
	if len(f.include) > 0 && matchAny(f.include, lower) == "" {
		return "matches no include pattern (" + strings.Join(f.include, ", ") + ")"
	}
	if len(f.only) > 0 && !contains(f.only, c) {
		return fmt.Sprintf("not %s (only %s)", describeList(f.only), Join(f.only))
	}
	return ""
}

func matchAny(patterns []string, rel string) string {
	base := path.Base(rel)
	for _, p := range patterns {
		target := rel
		if !strings.Contains(p, "/") {
			target = base
		}
		if ok, _ := doublestar.Match(p, target); ok {
			return p
		}
	}
	return ""
}

// describeList is "sound or proxies".
func describeList(cs []Category) string {
	n := names(cs)
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// Below is path relative to root, with slashes, as filters and receipts name a file of a
// folder added: its name when it is root itself or not below it.
func Below(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return filepath.Base(path)
	}
	return filepath.ToSlash(rel)
}

// Within tells whether path is dir or inside it.
func Within(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}
