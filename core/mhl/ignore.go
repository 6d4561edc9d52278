package mhl

import (
	"path"
	"slices"
	"strings"
)

// defaultIgnore is the ignore list every history starts from: the specification ignores
// all files named .DS_Store and all folders named ascmhl, and the histories in
// testdata/reference write that list as these three patterns.
var defaultIgnore = []string{".DS_Store", "ascmhl", "ascmhl/"}

// ignoreRule is one ignore pattern, read as one line of a .gitignore file (the ASC MHL
// specification, Appendix C).
type ignoreRule struct {
	parts    []string // the pattern split at "/"; one part when it has no slash inside
	anchored bool     // matched from the root; otherwise its one part matches a name at any depth
	dirOnly  bool     // the pattern ended with "/": it matches folders only
	negate   bool     // the pattern began with "!": it brings back what an earlier one ignored
}

// parseIgnore reads a pattern; ok is false for a blank line or a comment, which match
// nothing.
func parseIgnore(p string) (r ignoreRule, ok bool) {
	for strings.HasSuffix(p, " ") && !strings.HasSuffix(p, `\ `) {
		p = p[:len(p)-1]
	}
	if p == "" || strings.HasPrefix(p, "#") {
		return r, false
	}
	if rest, found := strings.CutPrefix(p, "!"); found {
		r.negate, p = true, rest
	}
	if rest, found := strings.CutSuffix(p, "/"); found {
		r.dirOnly, p = true, rest
	}
	if p == "" {
		return r, false
	}
	r.anchored = strings.Contains(p, "/")
	p = strings.TrimPrefix(p, "/")
	for _, part := range strings.Split(p, "/") {
		// path.Match writes a negated class "[^…]"; gitignore also accepts "[!…]".
		if strings.Contains(part, "[!") {
			part = strings.ReplaceAll(part, "[!", "[^")
		}
		r.parts = append(r.parts, part)
	}
	return r, true
}

// ignoreList is a history's ignore patterns, in order: a later pattern overrides an
// earlier one.
type ignoreList []ignoreRule

func newIgnoreList(patterns []string) ignoreList {
	var l ignoreList
	for _, p := range patterns {
		if r, ok := parseIgnore(p); ok {
			l = append(l, r)
		}
	}
	return l
}

// ignores tells whether the file at rel is ignored: itself, or because a folder above it
// is (a file in an ignored folder cannot be brought back).
func (l ignoreList) ignores(rel string) bool {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		if l.decide(parts[:i], true) {
			return true
		}
	}
	return l.decide(parts, false)
}

// decide applies the rules in order to the path made of parts.
func (l ignoreList) decide(parts []string, isDir bool) bool {
	ignored := false
	for _, r := range l {
		if r.dirOnly && !isDir {
			continue
		}
		if r.matches(parts) {
			ignored = !r.negate
		}
	}
	return ignored
}

func (r ignoreRule) matches(parts []string) bool {
	if !r.anchored {
		return globPart(r.parts[0], parts[len(parts)-1])
	}
	return globParts(r.parts, parts)
}

// globParts matches a pattern's parts against a path's: "**" stands for any number of
// folders, and for at least one name when it ends the pattern ("abc/**" is what is
// inside abc, not abc itself).
func globParts(pattern, parts []string) bool {
	if len(pattern) == 0 {
		return len(parts) == 0
	}
	if pattern[0] == "**" {
		if len(pattern) == 1 {
			return len(parts) > 0
		}
		for i := range len(parts) + 1 {
			if globParts(pattern[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	return len(parts) > 0 && globPart(pattern[0], parts[0]) && globParts(pattern[1:], parts[1:])
}

// globPart matches one name: "*", "?", "[a-z]" and backslash escapes, as path.Match does;
// a malformed pattern matches nothing.
func globPart(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return ok && err == nil
}

// mergeIgnore is the patterns a new generation records: the defaults, then every pattern
// an earlier generation recorded, each once: under ASC MHL the list only ever grows.
func mergeIgnore(gens []Generation) []string {
	out := slices.Clone(defaultIgnore)
	for _, g := range gens {
		for _, p := range g.Ignore {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
