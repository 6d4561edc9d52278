package mhl

import "testing"

// The ignore patterns read as lines of a .gitignore file, with the examples of the ASC MHL
// specification's Appendix C.
func TestIgnorePatterns(t *testing.T) {
	cases := []struct {
		patterns []string
		path     string
		want     bool
	}{
		{defaultIgnore, ".DS_Store", true},
		{defaultIgnore, "Clips/.DS_Store", true},
		{defaultIgnore, "ascmhl/0001_A002R2EC_2020-01-16_091500Z.mhl", true},
		{defaultIgnore, "A002R2EC/ascmhl/ascmhl_chain.xml", true},
		{defaultIgnore, "Clips/A002C006.mov", false},
		{defaultIgnore, "Clips/ascmhl.txt", false},

		{[]string{"*.RMD"}, "A001_C001.RDC/A001_C001.RMD", true},
		{[]string{"*.RMD"}, "A001_C001.RDC/A001_C001.R3D", false},
		{[]string{"frotz/"}, "a/frotz/x.mov", true},   // a folder at any depth
		{[]string{"frotz/"}, "a/frotz", false},        // a file of that name is not a folder
		{[]string{"doc/frotz/"}, "doc/frotz/x", true}, // a slash inside: from the root
		{[]string{"doc/frotz/"}, "a/doc/frotz/x", false},
		{[]string{"/tmp"}, "tmp", true},
		{[]string{"/tmp"}, "a/tmp", false},
		{[]string{"**/foo"}, "a/b/foo", true},
		{[]string{"**/foo"}, "foo", true},
		{[]string{"**/foo/bar"}, "x/foo/bar", true},
		{[]string{"**/foo/bar"}, "x/foo/y/bar", false},
		{[]string{"abc/**"}, "abc/x/y", true},
		{[]string{"abc/**"}, "abc", false},
		{[]string{"a/**/b"}, "a/b", true},
		{[]string{"a/**/b"}, "a/x/y/b", true},
		{[]string{"a/**/b"}, "a/x/c", false},
		{[]string{"clip?.mov"}, "clip1.mov", true},
		{[]string{"clip[0-4].mov"}, "clip7.mov", false},
		{[]string{"clip[!0-4].mov"}, "clip7.mov", true},
		{[]string{"*.log", "!keep.log"}, "keep.log", false},
		{[]string{"*.log", "!keep.log"}, "drop.log", true},
		{[]string{"logs/", "!logs/keep.log"}, "logs/keep.log", true}, // no bringing back from an ignored folder
		{[]string{`\!important!.txt`}, "!important!.txt", true},
		{[]string{"# a comment", ""}, "# a comment", false},
		{[]string{"trailing.txt   "}, "trailing.txt", true},
		{[]string{"[bad"}, "[bad", false},
	}
	for _, c := range cases {
		if got := newIgnoreList(c.patterns).ignores(c.path); got != c.want {
			t.Errorf("%q ignores %q = %v, want %v", c.patterns, c.path, got, c.want)
		}
	}
}

func TestMergeIgnoreOnlyGrows(t *testing.T) {
	got := mergeIgnore([]Generation{{Ignore: []string{".DS_Store", "ascmhl", "*.RMD"}}, {Ignore: []string{"*.tmp", "*.RMD"}}})
	want := []string{".DS_Store", "ascmhl", "ascmhl/", "*.RMD", "*.tmp"}
	if len(got) != len(want) {
		t.Fatalf("mergeIgnore = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("mergeIgnore = %q, want %q", got, want)
		}
	}
}

func TestManifestNames(t *testing.T) {
	for name, want := range map[string]int{
		"0001_A002R2EC_2020-01-16_091500Z.mhl":   1,
		"12345_Card_2020-01-16_091500Z.mhl":      12345,
		"0002.mhl":                               2,
		"001_A.mhl":                              0,
		"._0001_A002R2EC_2020-01-16_091500Z.mhl": 0,
		"0001_A002R2EC.mhl.tmp":                  0,
	} {
		n, ok := manifestNumber(name)
		if n != want || ok != (want != 0) {
			t.Errorf("manifestNumber(%q) = %d, %v; want %d", name, n, ok, want)
		}
	}
}
