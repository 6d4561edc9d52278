package docscheck

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// outside are citations of what a reader of the repository cannot open: the project's
// planning notes and tracker, kept elsewhere. A comment states the fact itself, or cites
// README.md, a file under docs/, or the test that pins the behaviour.
var outside = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`\b(?:c2c-api|error-handling|design|style)\.md\b`), "a document outside the repository"},
	{regexp.MustCompile(`\b[Ii]ssues? #?[0-9]`), "an issue number: say what the code or test pins instead"},
}

// mdFile is a Markdown file named in a comment; it must be in the repository.
var mdFile = regexp.MustCompile(`[\w./-]*\w\.md\b`)

// section is a citation of a numbered section of a document under docs/:
// "docs/error-policy.md §8", "docs/api-notes.md §2.3-2.5".
var section = regexp.MustCompile(`(docs/[\w-]+\.md)\s+§(\d+(?:\.\d+)*)(?:-§?(\d+(?:\.\d+)*))?`)

// heading is a numbered Markdown heading: "## 8. Offline…", "### 2.3 Asking for a code".
var heading = regexp.MustCompile(`(?m)^#+\s+(\d+(?:\.\d+)*)\.?\s`)

// TestCommentsCiteOnlyTheRepository reads every comment of every Go file, shell script
// and Makefile in the module and lists those that cite a document the repository does
// not hold, an issue number, or a section of a document under docs/ that has no such
// numbered heading.
func TestCommentsCiteOnlyTheRepository(t *testing.T) {
	root := moduleRoot(t)
	mds := markdownFiles(t, root)
	var offenders []string
	walk(t, root, func(path, rel string) {
		var blocks []block
		switch {
		case strings.HasSuffix(path, ".go"):
			blocks = goComments(t, path)
		case strings.HasSuffix(path, ".sh"), filepath.Base(path) == "Makefile", strings.HasSuffix(path, ".mk"):
			blocks = hashComments(t, path)
		default:
			return
		}
		for _, b := range blocks {
			reported := map[int]bool{} // ends of the matches already listed
			for _, o := range outside {
				for _, m := range o.re.FindAllStringIndex(b.text, -1) {
					offenders = append(offenders, b.where(rel, m[0])+": "+o.why+": "+b.excerpt(m[0], m[1]))
					reported[m[1]] = true
				}
			}
			for _, m := range mdFile.FindAllStringIndex(b.text, -1) {
				if name := b.text[m[0]:m[1]]; !reported[m[1]] && !mds.holds(root, filepath.Dir(path), name) {
					offenders = append(offenders, b.where(rel, m[0])+": "+name+" is not in the repository: "+b.excerpt(m[0], m[1]))
				}
			}
			for _, m := range section.FindAllStringSubmatchIndex(b.text, -1) {
				doc := b.text[m[2]:m[3]]
				for _, g := range [][2]int{{m[4], m[5]}, {m[6], m[7]}} {
					if g[0] < 0 {
						continue
					}
					if n := b.text[g[0]:g[1]]; !hasSection(t, root, doc, n) {
						offenders = append(offenders, b.where(rel, m[0])+": "+doc+" has no section "+n+": "+b.excerpt(m[0], m[1]))
					}
				}
			}
		}
	})
	if len(offenders) > 0 {
		slices.Sort(offenders)
		t.Errorf("%d comments cite what the repository does not hold; state the fact, or cite README.md, docs/, or the test that pins it:\n%s",
			len(offenders), strings.Join(offenders, "\n"))
	}
}

// testName is a test named in Markdown: `TestPolicyRows/§4_503_Unavailable`, `FuzzDecode`.
var testName = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z0-9_]\\w*)(/[^`]+)?`")

// docsNamingTests are the documents whose test names must exist.
var docsNamingTests = []string{"docs/error-policy.md", "docs/api-notes.md"}

// TestDocumentedTestsExist checks every test the documents name: the function must be
// declared in a _test.go file of the module. For a subtest (`TestX/name`), a file that
// declares TestX must hold the name as a string literal, or the literal start of a name
// it builds (see subtestIn).
func TestDocumentedTestsExist(t *testing.T) {
	root := moduleRoot(t)
	funcs := testFuncs(t, root)
	for _, doc := range docsNamingTests {
		data, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range testName.FindAllStringSubmatch(string(data), -1) {
			name, sub := m[1], strings.TrimPrefix(m[2], "/")
			if seen[m[0]] {
				continue
			}
			seen[m[0]] = true
			files := funcs[name]
			if len(files) == 0 {
				t.Errorf("%s names %s, but no _test.go file declares func %s", doc, m[0], name)
				continue
			}
			if sub != "" && !subtestIn(t, files, strings.SplitN(sub, "/", 2)[0]) {
				t.Errorf("%s names %s, but no file declaring %s has a subtest of that name", doc, m[0], name)
			}
		}
		if len(seen) == 0 {
			t.Errorf("%s names no test at all", doc)
		}
	}
}

// TestErrorPolicyRowsHaveProof checks that every row of every table of
// docs/error-policy.md whose last column is "Proved by" names a test or says **gap**.
func TestErrorPolicyRowsHaveProof(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "error-policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	proof, rows := false, 0
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "|") {
			proof = false
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		last := strings.TrimSpace(cells[len(cells)-1])
		switch {
		case last == "Proved by":
			proof = true
		case !proof, strings.HasPrefix(last, "---"):
		case !testName.MatchString(last) && !strings.Contains(last, "**gap**"):
			t.Errorf("docs/error-policy.md:%d: a row that names no test and is not marked **gap**: %s", i+1, line)
		default:
			rows++
		}
	}
	if rows < 50 {
		t.Errorf("only %d rows with proof found in docs/error-policy.md: was the Proved by column renamed?", rows)
	}
}

// moduleRoot is the folder that holds go.mod, two above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// walk calls fn for every file of the module, skipping hidden folders (.git), testdata
// and build output.
func walk(t *testing.T, root string, fn func(path, rel string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "dist" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		fn(path, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mdSet is the Markdown files of the module, by path from the root.
type mdSet map[string]bool

func markdownFiles(t *testing.T, root string) mdSet {
	s := mdSet{}
	walk(t, root, func(_, rel string) {
		if strings.HasSuffix(rel, ".md") {
			s[rel] = true
		}
	})
	return s
}

// holds reports whether name, as written in a comment of a file in dir, is one of the
// module's Markdown files: a path from the root or from dir, or a file name the module
// has somewhere ("field-trial.md").
func (s mdSet) holds(root, dir, name string) bool {
	if s[strings.TrimPrefix(name, "./")] {
		return true
	}
	if rel, err := filepath.Rel(root, filepath.Join(dir, name)); err == nil && s[filepath.ToSlash(rel)] {
		return true
	}
	if !strings.Contains(name, "/") {
		for p := range s {
			if filepath.Base(p) == name {
				return true
			}
		}
	}
	return false
}

// hasSection reports whether the document has a heading numbered n.
func hasSection(t *testing.T, root, doc, n string) bool {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(doc)))
	if err != nil {
		return false
	}
	for _, m := range heading.FindAllStringSubmatch(string(data), -1) {
		if m[1] == n {
			return true
		}
	}
	return false
}

// block is a run of comment lines read as one text, so that a citation broken across
// two lines is still found.
type block struct {
	text  string
	lines []int // lines[i] is the file line of text from starts[i]
	start []int
}

func (b *block) add(line int, text string) {
	if b.text != "" {
		b.text += " "
	}
	b.lines = append(b.lines, line)
	b.start = append(b.start, len(b.text))
	b.text += strings.TrimSpace(text)
}

// where is "file:line" for the offset off of the block's text.
func (b *block) where(rel string, off int) string {
	i := 0
	for i+1 < len(b.start) && b.start[i+1] <= off {
		i++
	}
	return rel + ":" + strconv.Itoa(b.lines[i])
}

// excerpt is the match with some context, on one line.
func (b *block) excerpt(from, to int) string {
	from, to = max(0, from-40), min(len(b.text), to+40)
	for from > 0 && !utf8.RuneStart(b.text[from]) {
		from--
	}
	for to < len(b.text) && !utf8.RuneStart(b.text[to]) {
		to++
	}
	return "…" + b.text[from:to] + "…"
}

// goComments returns the comments of a Go file, consecutive // lines joined.
func goComments(t *testing.T, path string) []block {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	file := fset.AddFile(path, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	var blocks []block
	last := -2
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			last = -2
			continue
		}
		line := fset.Position(pos).Line
		if line != last+1 || len(blocks) == 0 {
			blocks = append(blocks, block{})
		}
		b := &blocks[len(blocks)-1]
		if strings.HasPrefix(lit, "//") {
			b.add(line, strings.TrimPrefix(lit, "//"))
			last = line
			continue
		}
		for i, l := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(lit, "/*"), "*/"), "\n") {
			b.add(line+i, l)
			last = line + i
		}
	}
	return blocks
}

// hashComments returns the # comment lines of a shell script or Makefile, consecutive
// lines joined.
func hashComments(t *testing.T, path string) []block {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	last := -2
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "#!") {
			continue
		}
		if i != last+1 || len(blocks) == 0 {
			blocks = append(blocks, block{})
		}
		blocks[len(blocks)-1].add(i+1, strings.TrimLeft(trimmed, "#"))
		last = i
	}
	return blocks
}

// testFuncs maps each Test, Fuzz and Benchmark function of the module's _test.go files
// to the files that declare it.
func testFuncs(t *testing.T, root string) map[string][]string {
	funcs := map[string][]string{}
	walk(t, root, func(path, rel string) {
		if !strings.HasSuffix(path, "_test.go") {
			return
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && testName.MatchString("`"+fn.Name.Name+"`") {
				funcs[fn.Name.Name] = append(funcs[fn.Name.Name], path)
			}
		}
	})
	return funcs
}

// subtestIn reports whether one of files has the subtest name: as a string literal
// (spaces in t.Run names become underscores), or, for a name the test builds from a
// literal prefix and values ("§4_" + "503" + "_" + "Unavailable"), as a literal prefix
// ending in "_" followed by words that each occur in the file.
func subtestIn(t *testing.T, files []string, name string) bool {
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		if strings.Contains(src, `"`+name+`"`) || strings.Contains(src, `"`+strings.ReplaceAll(name, "_", " ")+`"`) {
			return true
		}
		words := strings.Split(name, "_")
		for i := 1; i < len(words); i++ {
			prefix := strings.Join(words[:i], "_") + "_"
			rest := words[i:]
			if strings.Contains(src, `"`+prefix+`"`) && !slices.ContainsFunc(rest, func(w string) bool { return !strings.Contains(src, w) }) {
				return true
			}
		}
	}
	return false
}
