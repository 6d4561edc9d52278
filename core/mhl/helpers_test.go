package mhl_test

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

// validate checks file against one of the published schemas vendored in testdata/xsd
// (ASCMHL.xsd for manifests, ASCMHLDirectory.xsd for chain files) with xmllint.
func validate(t *testing.T, schema, file string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is not on PATH (%v): install libxml2-utils (apt-get install libxml2-utils); "+
			"the ASC MHL files written here must be checked against the schemas", err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", filepath.Join("testdata", "xsd", schema), file).CombinedOutput()
	if err != nil {
		t.Errorf("%s does not validate against %s: %v\n%s", file, schema, err, out)
	}
}

func validateManifest(t *testing.T, file string) { t.Helper(); validate(t, "ASCMHL.xsd", file) }
func validateChain(t *testing.T, file string)    { t.Helper(); validate(t, "ASCMHLDirectory.xsd", file) }

// rec is one <hash> element, written by hand as the specification shows it. Each hash is
// "format action value".
func rec(path string, size int, hs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    <hash>\n      <path size=\"%d\" lastmodificationdate=\"2020-01-15T13:00:00+00:00\">%s</path>\n", size, path)
	for _, h := range hs {
		f := strings.Fields(h)
		fmt.Fprintf(&b, "      <%s action=\"%s\" hashdate=\"2020-01-16T09:15:00+00:00\">%s</%s>\n", f[0], f[1], f[2], f[0])
	}
	b.WriteString("    </hash>\n")
	return b.String()
}

// renamed is rec with a previousPath element.
func renamed(path, previous string, hs ...string) string {
	r := rec(path, 5, hs...)
	return strings.Replace(r, "    </hash>\n", "      <previousPath>"+previous+"</previousPath>\n    </hash>\n", 1)
}

// manifestXML is a whole manifest holding records (<hash> and <directoryhash> elements)
// and extra elements after <hashes> (such as <references>).
func manifestXML(created string, records []string, extra ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <creatorinfo>
    <creationdate>` + created + `</creationdate>
    <hostname>dit-cart.local</hostname>
    <tool version="0.9">hand-written</tool>
    <author email="dit@example.com" role="DIT">Dana Dit</author>
    <location>Munich, Germany</location>
  </creatorinfo>
  <processinfo>
    <process>in-place</process>
    <ignore>
      <pattern>.DS_Store</pattern>
      <pattern>ascmhl</pattern>
      <pattern>ascmhl/</pattern>
    </ignore>
  </processinfo>
  <hashes>
` + strings.Join(records, "") + `  </hashes>
` + strings.Join(extra, "") + `</hashlist>
`
}

// gen is a manifest file to write: its name in the ascmhl folder and its text.
type gen struct{ name, text string }

// writeHistory writes gens into root/ascmhl and a chain file listing them, numbered from
// 1 in the order given, each with the C4 ID of its bytes; every file written is checked
// against the schemas first, so that the tests read only what the specification allows.
func writeHistory(t *testing.T, root string, gens ...gen) {
	t.Helper()
	folder := filepath.Join(root, mhl.Folder)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	var chain []chainRow
	for i, g := range gens {
		p := filepath.Join(folder, g.name)
		writeFile(t, p, g.text)
		validateManifest(t, p)
		chain = append(chain, chainRow{i + 1, g.name, hashes.C4.Of([]byte(g.text))})
	}
	writeChainFile(t, folder, chain)
}

type chainRow struct {
	Number int
	File   string
	C4     string
}

func writeChainFile(t *testing.T, folder string, rows []chainRow) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0">` + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  <hashlist sequencenr=\"%d\">\n    <path>%s</path>\n    <c4>%s</c4>\n  </hashlist>\n", r.Number, r.File, r.C4)
	}
	b.WriteString("</ascmhldirectory>\n")
	p := filepath.Join(folder, mhl.ChainFile)
	writeFile(t, p, b.String())
	validateChain(t, p)
}

// readChainFile reads a chain file with encoding/xml alone, not with the package under
// test.
func readChainFile(t *testing.T, folder string) []chainRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(folder, mhl.ChainFile))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Hashlists []struct {
			Number int    `xml:"sequencenr,attr"`
			Path   string `xml:"path"`
			C4     string `xml:"c4"`
		} `xml:"hashlist"`
	}
	if err := xml.Unmarshal(b, &c); err != nil {
		t.Fatalf("chain file: %v", err)
	}
	rows := make([]chainRow, len(c.Hashlists))
	for i, h := range c.Hashlists {
		rows[i] = chainRow{h.Number, h.Path, h.C4}
	}
	return rows
}

// checkChainMatchesFiles checks that the chain in folder lists every manifest there, with
// the C4 ID of its bytes, numbered 1, 2, 3… as the specification requires.
func checkChainMatchesFiles(t *testing.T, folder string) {
	t.Helper()
	validateChain(t, filepath.Join(folder, mhl.ChainFile))
	rows := readChainFile(t, folder)
	manifests, _ := filepath.Glob(filepath.Join(folder, "*.mhl"))
	if len(rows) != len(manifests) {
		t.Errorf("the chain lists %d manifests, the folder holds %d", len(rows), len(manifests))
	}
	for i, r := range rows {
		if r.Number != i+1 {
			t.Errorf("chain entry %d has sequence number %d", i+1, r.Number)
		}
		b, err := os.ReadFile(filepath.Join(folder, r.File))
		if err != nil {
			t.Errorf("chain entry %d: %v", r.Number, err)
			continue
		}
		if want := hashes.C4.Of(b); r.C4 != want {
			t.Errorf("chain records %s for %s; the C4 ID of its bytes is %s", r.C4, r.File, want)
		}
	}
}

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, root string) *mhl.History {
	t.Helper()
	h, err := mhl.Open(root)
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
	}
	return h
}

// noProblems fails the test with every problem the history and its nested ones have.
func noProblems(t *testing.T, h *mhl.History) {
	t.Helper()
	for _, p := range h.AllProblems() {
		t.Errorf("unexpected problem: %s", p)
	}
}

// wantNewest checks what Newest answers for rel: want is "format:value …", "" for no
// answer.
func wantNewest(t *testing.T, h *mhl.History, rel, want string) {
	t.Helper()
	sums, ok := h.Newest(rel)
	if got := sums.String(); got != want || ok != (want != "") {
		t.Errorf("Newest(%q) = %q, %v; want %q", rel, got, ok, want)
	}
}

// copyTree copies the folder src to dst, for tests that change a vendored history.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Hash values of made-up media, computed so that every one is a real hash of its format.
func xxh64(s string) string { return "xxh64:" + hashes.XXH64.Of([]byte(s)) }
func md5(s string) string   { return "md5:" + hashes.MD5.Of([]byte(s)) }

// h is a hash argument for rec: "xxh64:…" with an action.
func h(sum, action string) string {
	f, v, _ := strings.Cut(sum, ":")
	return f + " " + action + " " + v
}
