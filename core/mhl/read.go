package mhl

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// The elements of a manifest that are read whole. Tags carry no namespace so that they
// match whatever prefix a writer chose; the root element's namespace is checked once.
type (
	xmlCreatorInfo struct {
		CreationDate string `xml:"creationdate"`
		Hostname     string `xml:"hostname"`
		Tool         struct {
			Name    string `xml:",chardata"`
			Version string `xml:"version,attr"`
		} `xml:"tool"`
		Location string `xml:"location"`
		Comment  string `xml:"comment"`
	}
	xmlProcessInfo struct {
		Process string   `xml:"process"`
		Ignore  []string `xml:"ignore>pattern"`
	}
	// xmlHash is a <hash> or <directoryhash>: its path, then every other child (the hash
	// formats, previousPath, metadata, content and structure) to be told apart by name.
	xmlHash struct {
		Path struct {
			Value    string `xml:",chardata"`
			Size     string `xml:"size,attr"`
			Modified string `xml:"lastmodificationdate,attr"`
		} `xml:"path"`
		Children []xmlChild `xml:",any"`
	}
	xmlChild struct {
		XMLName  xml.Name
		Action   string `xml:"action,attr"`
		HashDate string `xml:"hashdate,attr"`
		Value    string `xml:",chardata"`
	}
	xmlReference struct {
		Path string `xml:"path"`
		C4   string `xml:"c4"`
	}
)

// manifestReader reads one manifest as a stream, so that a manifest of thousands of files
// never sits in memory as a tree: one <hash> element at a time.
type manifestReader struct {
	dec   *xml.Decoder
	gen   *Generation
	notes *notes
}

// readManifest reads the manifest in r into gen. Problems with parts of it go to n and
// leave the rest readable; the error is for a manifest that cannot be used at all (not
// well-formed XML, cut short, or not an ASC MHL v2.0 manifest).
func readManifest(r io.Reader, gen *Generation, n *notes) error {
	m := &manifestReader{dec: xml.NewDecoder(r), gen: gen, notes: n}
	if err := m.root(); err != nil {
		return err
	}
	gen.index(n)
	return nil
}

func (m *manifestReader) root() error {
	start, err := m.firstElement()
	if err != nil {
		return err
	}
	if start.Name.Local != "hashlist" {
		return fmt.Errorf("its root element is <%s>, not <hashlist>", start.Name.Local)
	}
	if v := attr(start, "version"); v != version {
		return fmt.Errorf("its version is %q, not %q", v, version)
	}
	if start.Name.Space != manifestNS {
		m.notes.add("is not in the namespace %s; it was read all the same", manifestNS)
	}
	seen := map[string]bool{}
	err = m.children(func(el xml.StartElement) error {
		seen[el.Name.Local] = true
		switch el.Name.Local {
		case "creatorinfo":
			return m.creatorInfo(el)
		case "processinfo":
			return m.processInfo(el)
		case "hashes":
			return m.children(m.hash)
		case "references":
			return m.children(m.reference)
		}
		return m.dec.Skip()
	})
	if err != nil {
		return err
	}
	for _, required := range []string{"creatorinfo", "processinfo"} {
		if !seen[required] {
			m.notes.add("has no <%s>", required)
		}
	}
	return endOfDocument(m.dec)
}

// firstElement returns the root element, past the XML declaration and comments.
func (m *manifestReader) firstElement() (xml.StartElement, error) {
	for {
		tok, err := m.dec.Token()
		if err != nil {
			return xml.StartElement{}, unexpectedEOF(err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			return start, nil
		}
	}
}

// children calls each for every child element of the element just opened, until its end.
// each must consume the child whole (decode it or skip it).
func (m *manifestReader) children(each func(xml.StartElement) error) error {
	for {
		tok, err := m.dec.Token()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := each(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// endOfDocument checks that nothing but comments and white space follows the root element.
func endOfDocument(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			return errors.New("it has a second root element")
		}
	}
}

// unexpectedEOF turns the end of the input inside the document into the syntax error it
// is: a manifest cut short.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("it ends before its root element does")
	}
	return err
}

func (m *manifestReader) creatorInfo(el xml.StartElement) error {
	var ci xmlCreatorInfo
	if err := m.dec.DecodeElement(&ci, &el); err != nil {
		return err
	}
	g := m.gen
	g.Hostname, g.Tool, g.ToolVersion = ci.Hostname, ci.Tool.Name, ci.Tool.Version
	g.Location, g.Comment = ci.Location, ci.Comment
	created, err := parseDate(ci.CreationDate)
	if err != nil {
		m.notes.add("has a creation date that is not a date (%q)", ci.CreationDate)
	}
	g.Created = created
	return nil
}

func (m *manifestReader) processInfo(el xml.StartElement) error {
	var pi xmlProcessInfo
	if err := m.dec.DecodeElement(&pi, &el); err != nil {
		return err
	}
	m.gen.Process = Process(strings.TrimSpace(pi.Process))
	if !m.gen.Process.valid() {
		m.notes.add("names a process ASC MHL does not know (%q)", pi.Process)
	}
	m.gen.Ignore = pi.Ignore
	return nil
}

// hash reads one child of <hashes>: a file's record becomes an Entry; of a folder's record
// only a rename is kept, for Newest to follow.
func (m *manifestReader) hash(el xml.StartElement) error {
	if el.Name.Local != "hash" && el.Name.Local != "directoryhash" {
		m.notes.add("has a <%s> among its hashes, which is not an ASC MHL element; it was skipped", el.Name.Local)
		return m.dec.Skip()
	}
	var h xmlHash
	if err := m.dec.DecodeElement(&h, &el); err != nil {
		return err
	}
	if el.Name.Local == "directoryhash" {
		m.folder(h)
		return nil
	}
	if err := checkRel(h.Path.Value); err != nil {
		m.notes.add("has a record whose path is not usable (%v); it was skipped", err)
		return nil
	}
	e := Entry{Path: h.Path.Value}
	m.pathAttributes(&e, h)
	tried := 0
	for _, c := range h.Children {
		if m.fileChild(&e, c) {
			tried++
		}
	}
	if len(e.Hashes) == 0 {
		if tried == 0 {
			m.notes.add("has a file record without a hash; it was skipped")
		}
		return nil // otherwise each hash's problem is noted already
	}
	m.gen.Entries = append(m.gen.Entries, e)
	return nil
}

func (m *manifestReader) pathAttributes(e *Entry, h xmlHash) {
	if h.Path.Size != "" {
		size, err := strconv.ParseInt(strings.TrimSpace(h.Path.Size), 10, 64)
		if err != nil || size < 0 {
			m.notes.add("has a size that is not a number of bytes (%q)", h.Path.Size)
		} else {
			e.Size = size
		}
	}
	if h.Path.Modified != "" {
		t, err := parseDate(h.Path.Modified)
		if err != nil {
			m.notes.add("has a modification date that is not a date (%q)", h.Path.Modified)
		}
		e.ModTime = t
	}
}

// fileChild reads one child of a file's record into e; it tells whether the child was
// meant as a hash, usable or not.
func (m *manifestReader) fileChild(e *Entry, c xmlChild) bool {
	name := c.XMLName.Local
	switch name {
	case "previousPath":
		if err := checkRel(c.Value); err != nil {
			m.notes.add("has a previous path that is not usable (%v); it was skipped", err)
			return false
		}
		e.PreviousPath = c.Value
		return false
	case "metadata":
		return false
	}
	f := hashes.Format(name)
	if !slices.Contains(hashes.Formats, f) {
		m.notes.add("has a <%s> hash, a format ASC MHL does not know; it was skipped", name)
		return true
	}
	value := strings.TrimSpace(c.Value)
	if !f.Valid(value) {
		m.notes.add("has a %s value that is not a valid %s hash (%q); it was skipped", f, f, value)
		return true
	}
	action := Action(strings.TrimSpace(c.Action))
	switch {
	case c.Action == "":
		m.notes.add("has a %s hash without the action the specification requires; it was used as not failed", f)
	case !action.valid():
		m.notes.add("has a %s hash whose action %q is none of original, verified and failed; it was skipped", f, c.Action)
		return true
	}
	for _, h := range e.Hashes {
		if h.Format == f {
			m.notes.add("lists %s twice for one file; the second was skipped", f)
			return true
		}
	}
	h := Hash{Format: f, Value: value, Action: action}
	if c.HashDate != "" {
		t, err := parseDate(c.HashDate)
		if err != nil {
			m.notes.add("has a hash date that is not a date (%q)", c.HashDate)
		}
		h.Date = t
	}
	e.Hashes = append(e.Hashes, h)
	return true
}

// folder keeps what a folder's record says about a rename: files below the folder had
// their records under the previous path before this generation.
func (m *manifestReader) folder(h xmlHash) {
	path := strings.TrimSuffix(h.Path.Value, "/")
	if path == "." {
		return // the root folder, as some writers record it
	}
	if err := checkRel(path); err != nil {
		m.notes.add("has a record whose path is not usable (%v); it was skipped", err)
		return
	}
	for _, c := range h.Children {
		if c.XMLName.Local != "previousPath" {
			continue
		}
		prev := strings.TrimSuffix(c.Value, "/")
		if err := checkRel(prev); err != nil {
			m.notes.add("has a previous path that is not usable (%v); it was skipped", err)
			return
		}
		g := m.gen
		if g.folderMoves == nil {
			g.folderMoves = map[string]string{}
		}
		g.folderMoves[path] = prev
	}
}

func (m *manifestReader) reference(el xml.StartElement) error {
	if el.Name.Local != "hashlistreference" {
		return m.dec.Skip()
	}
	var r xmlReference
	if err := m.dec.DecodeElement(&r, &el); err != nil {
		return err
	}
	ref := Reference{Path: r.Path, C4: strings.TrimSpace(r.C4)}
	if err := checkRel(ref.Path); err != nil {
		m.notes.add("has a reference whose path is not usable (%v); it was skipped", err)
		return nil
	}
	m.gen.References = append(m.gen.References, ref)
	return nil
}

// index builds the look-ups Newest uses: entries by path, and the paths renamed away.
func (g *Generation) index(n *notes) {
	g.byPath = make(map[string]int, len(g.Entries))
	kept := g.Entries[:0]
	for _, e := range g.Entries {
		if _, dup := g.byPath[e.Path]; dup {
			n.add("lists %q twice; the second record was skipped", e.Path)
			continue
		}
		g.byPath[e.Path] = len(kept)
		kept = append(kept, e)
		if e.PreviousPath != "" && e.PreviousPath != e.Path {
			g.markMoved(e.PreviousPath)
		}
	}
	clear(g.Entries[len(kept):])
	g.Entries = kept
	for _, prev := range g.folderMoves {
		g.markMoved(prev)
	}
}

func (g *Generation) markMoved(prev string) {
	if g.movedAway == nil {
		g.movedAway = map[string]bool{}
	}
	g.movedAway[prev] = true
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
