package report

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// readPage writes b and parses its HTML as a browser would, after checking that every
// element is closed where it should be.
func readPage(t *testing.T, b Batch) (*html.Node, []byte) {
	t.Helper()
	p, err := Write(t.TempDir(), b)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p.HTML)
	if err != nil {
		t.Fatal(err)
	}
	checkNesting(t, data)
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc, data
}

// voidElements have no end tag.
var voidElements = []string{"meta", "br", "link", "img", "hr", "input", "col", "wbr"}

// checkNesting is stricter than a browser: every start tag has its end tag, in order, and
// the document is one html element after the doctype.
func checkNesting(t *testing.T, data []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(data))
	var open []string
	doctype, roots := false, 0
	for {
		tt := z.Next()
		tok := z.Token()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatalf("the page does not tokenize: %v", z.Err())
			}
			if len(open) > 0 {
				t.Errorf("elements left open at the end: %v", open)
			}
			if !doctype || roots != 1 {
				t.Errorf("doctype %v, %d root elements; want a doctype and one html element", doctype, roots)
			}
			return
		case html.DoctypeToken:
			doctype = tok.Data == "html"
		case html.StartTagToken:
			if len(open) == 0 {
				roots++
			}
			if !slices.Contains(voidElements, tok.Data) {
				open = append(open, tok.Data)
			}
		case html.SelfClosingTagToken:
			if !slices.Contains(voidElements, tok.Data) {
				t.Errorf("<%s/> is not a void element", tok.Data)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("</%s> closes nothing open (open: %v)", tok.Data, open)
			}
			open = open[:len(open)-1]
		}
	}
}

// find is every element under n that match says yes to, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is what a person reads in n.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func byID(doc *html.Node, id string) *html.Node {
	nodes := find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(nodes) != 1 {
		return nil
	}
	return nodes[0]
}

// rowsOf is the body rows of the table in the section with the id.
func rowsOf(t *testing.T, doc *html.Node, section string) []*html.Node {
	t.Helper()
	s := byID(doc, section)
	if s == nil {
		t.Fatalf("no section %q", section)
	}
	return find(s, func(n *html.Node) bool { return n.DataAtom == atom.Tr && n.Parent.DataAtom == atom.Tbody })
}

// cells is the text of a row's cells.
func cells(row *html.Node) []string {
	var out []string
	for c := range row.ChildNodes() {
		if c.DataAtom == atom.Td {
			out = append(out, text(c))
		}
	}
	return out
}

func TestHTMLEscapesNames(t *testing.T) {
	doc, data := readPage(t, awkwardBatch())
	if scripts := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Script }); len(scripts) > 0 {
		t.Fatalf("the page has %d script elements: a file name ran as markup", len(scripts))
	}
	if bytes.Contains(data, []byte("<script")) {
		t.Error("the page holds <script unescaped")
	}
	named := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Td && text(n) == scriptName })
	if len(named) != 1 {
		t.Errorf("the file %q is shown as text in %d cells of the full list, want 1", scriptName, len(named))
	}
	title := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title })
	if len(title) != 1 || !strings.Contains(text(title[0]), awkwardBatch().ID) {
		t.Error("the page's title does not name the batch")
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	doc, data := readPage(t, awkwardBatch())
	outside := find(doc, func(n *html.Node) bool {
		return attr(n, "src") != "" || attr(n, "href") != "" ||
			slices.Contains([]atom.Atom{atom.Link, atom.Img, atom.Script, atom.Iframe, atom.Object, atom.Embed}, n.DataAtom)
	})
	if len(outside) > 0 {
		t.Errorf("the page loads %d things from elsewhere: <%s>", len(outside), outside[0].Data)
	}
	for _, s := range []string{"url(", "@import", "http:", "https:"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the page holds %q", s)
		}
	}
	styles := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Style })
	if len(styles) != 1 || !strings.Contains(text(styles[0]), "@media print") || !strings.Contains(text(styles[0]), "@page") {
		t.Error("the page has no print styles of its own")
	}
}

func TestHTMLNeedsAttentionComesFirst(t *testing.T) {
	b := awkwardBatch()
	doc, data := readPage(t, b)
	var got []string
	for _, row := range rowsOf(t, doc, "attention") {
		c := cells(row)
		got = append(got, b.Files[placeOf(t, c[0])].Name)
		if c[len(c)-1] == "" {
			t.Errorf("%q needs attention and gives no reason", c[1])
		}
	}
	want := []string{"-minus.wav", "@at.wav", "Ünïcødé 日本語 🎬.mxf", scriptName, "+plus.wav", "\ttab.wav"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("needs attention lists %q, want %q", got, want)
	}
	// The differing hash explains itself with both hashes when the engine gave no reason.
	differs := cells(rowsOf(t, doc, "attention")[0])
	if reason := differs[len(differs)-1]; !strings.Contains(reason, "0123456789abcdef") || !strings.Contains(reason, b.Files[6].Hashes[0].Value) {
		t.Errorf("the differing file's reason is %q, want both hashes", reason)
	}
	attention, files := bytes.Index(data, []byte(`id="attention"`)), bytes.Index(data, []byte(`id="files"`))
	if attention < 0 || files < attention {
		t.Errorf("needs attention at %d, the full list at %d: want it first", attention, files)
	}
	all := rowsOf(t, doc, "files")
	if len(all) != len(b.Files) {
		t.Fatalf("the full list has %d rows, want %d", len(all), len(b.Files))
	}
	for i, row := range all {
		f := b.Files[i]
		c := cells(row)
		wantCells := []string{strconv.Itoa(i + 1), f.Name, f.RelPath}
		if !slices.Equal(c[:3], wantCells) || !strings.Contains(c[4], f.Hashes.Get("xxh64")) || c[6] != f.State {
			t.Errorf("full list row %d = %q, want %q, its hash and state %s", i, c, wantCells, f.State)
		}
	}
	if c := cells(all[0]); c[3] != "24.0 MiB" || c[5] != "matches" {
		t.Errorf("size and verdict in words = %q, %q", c[3], c[5])
	}
	if c := cells(all[6]); c[5] != "DIFFERS" || attr(all[6], "class") != "flagged" {
		t.Errorf("the differing file is shown %q, class %q", c[5], attr(all[6], "class"))
	}
}

func placeOf(t *testing.T, cell string) int {
	t.Helper()
	n := 0
	for _, r := range cell {
		if r < '0' || r > '9' {
			t.Fatalf("place %q is no number", cell)
		}
		n = n*10 + int(r-'0')
	}
	return n - 1
}

// totalsOf is the page's totals by name, with thousands separators taken out.
func totalsOf(doc *html.Node) map[string]string {
	out := map[string]string{}
	for _, n := range find(doc, func(n *html.Node) bool { return attr(n, "data-total") != "" }) {
		out[attr(n, "data-total")] = strings.ReplaceAll(text(n), ",", "")
	}
	return out
}

func TestHTMLTotalsMatchTheInput(t *testing.T) {
	b := awkwardBatch()
	doc, _ := readPage(t, b)
	got := totalsOf(doc)
	var bytesTotal int64
	for _, f := range b.Files {
		bytesTotal += f.Size
	}
	want := map[string]string{"bytes": strconv.FormatInt(bytesTotal, 10), "size": "177.0 MiB"}
	for k, v := range awkwardTotals {
		want[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("total %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("totals %v, want %v", got, want)
	}
	facts := text(byID(doc, "batch"))
	for _, s := range []string{b.Project, b.ProjectID, b.Device, b.App, b.Folder, b.HashList, b.HashListNote,
		"Thu 3 Dec 2026, 14:15:30 (UTC+01:00)", "Thu 3 Dec 2026, 15:15:30 (UTC+01:00)"} {
		if !strings.Contains(facts, s) {
			t.Errorf("the top of the page does not say %q:\n%s", s, facts)
		}
	}
	if h := text(find(byID(doc, "attention"), func(n *html.Node) bool { return n.DataAtom == atom.H2 })[0]); h != "Needs attention: 6 files" {
		t.Errorf("attention heading = %q", h)
	}
}

func TestHTMLOfNoFiles(t *testing.T) {
	b := awkwardBatch()
	b.Files, b.HashList, b.HashListNote, b.Project = nil, "", "", ""
	doc, _ := readPage(t, b)
	for k, v := range totalsOf(doc) {
		if v != "0" && k != "size" {
			t.Errorf("total %s = %q for no files", k, v)
		}
	}
	if rows := rowsOf(t, doc, "attention"); len(rows) != 0 {
		t.Errorf("%d files need attention in an empty batch", len(rows))
	}
	if s := text(byID(doc, "attention")); !strings.Contains(s, "no files") {
		t.Errorf("an empty batch says %q", s)
	}
	facts := text(byID(doc, "batch"))
	if !strings.Contains(facts, "none written") || !strings.Contains(facts, "not known") {
		t.Errorf("no hash list and no project are not said:\n%s", facts)
	}
}

func TestHTMLOfABigCard(t *testing.T) {
	b := bigBatch(2000)
	doc, data := readPage(t, b)
	if rows := rowsOf(t, doc, "files"); len(rows) != 2000 {
		t.Errorf("the full list has %d rows, want 2,000", len(rows))
	}
	if rows := rowsOf(t, doc, "attention"); len(rows) != 21 {
		t.Errorf("%d files need attention, want the 21 failed", len(rows))
	}
	if got := totalsOf(doc); got["files"] != "2000" || got["failed"] != "21" || got["done"] != "1979" {
		t.Errorf("totals = %v", got)
	}
	if !bytes.Contains(data, []byte("thead")) || !bytes.Contains(data, []byte("break-inside: avoid")) {
		t.Error("a long list would not print with its header on every page and whole rows")
	}
}
