package mhl

import (
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// schemaOrder is the order the schema's HashType sequence puts the hash formats in; a
// manifest listing them in another order does not validate.
var schemaOrder = []hashes.Format{hashes.C4, hashes.MD5, hashes.SHA1, hashes.XXH128, hashes.XXH3, hashes.XXH64}

// manifest is what a new generation's file holds.
type manifest struct {
	creator    Creator
	ignore     []string
	entries    []Entry
	references []Reference
}

// writeManifest writes m as ASC MHL XML, indented as the histories of testdata/reference
// are. The caller has checked every value (checkEntry, Creator.prepare); the writer only
// escapes.
func writeManifest(w io.Writer, m manifest) error {
	b := &xmlWriter{w: bufio.NewWriter(w)}
	b.raw(xml.Header)
	b.raw(`<hashlist version="` + version + `" xmlns="` + manifestNS + `">` + "\n")
	b.creatorInfo(m.creator)
	b.processInfo(m.creator.Process, m.ignore)
	if len(m.entries) > 0 {
		b.open(1, "hashes")
		for _, e := range m.entries {
			b.hash(e)
		}
		b.close(1, "hashes")
	}
	if len(m.references) > 0 {
		b.open(1, "references")
		for _, r := range m.references {
			b.open(2, "hashlistreference")
			b.element(3, "path", "", r.Path)
			b.element(3, "c4", "", r.C4)
			b.close(2, "hashlistreference")
		}
		b.close(1, "references")
	}
	b.raw("</hashlist>\n")
	return b.w.Flush()
}

// xmlWriter writes indented elements; bufio.Writer keeps the first write error and
// reports it from Flush.
type xmlWriter struct{ w *bufio.Writer }

func (b *xmlWriter) raw(s string) { b.w.WriteString(s) }

func (b *xmlWriter) indent(depth int) { b.w.WriteString(strings.Repeat("  ", depth)) }

func (b *xmlWriter) open(depth int, name string) {
	b.indent(depth)
	b.raw("<" + name + ">\n")
}

func (b *xmlWriter) close(depth int, name string) {
	b.indent(depth)
	b.raw("</" + name + ">\n")
}

// element writes <name attrs>text</name> on a line; attrs is already escaped.
func (b *xmlWriter) element(depth int, name, attrs, text string) {
	b.indent(depth)
	b.raw("<" + name + attrs + ">" + escape(text) + "</" + name + ">\n")
}

func (b *xmlWriter) creatorInfo(c Creator) {
	b.open(1, "creatorinfo")
	b.element(2, "creationdate", "", c.Created.Format(dateLayout))
	b.element(2, "hostname", "", c.Hostname)
	b.element(2, "tool", attrs("version", c.ToolVersion), c.Tool)
	for _, a := range c.Authors {
		b.element(2, "author", attrs("email", a.Email, "phone", a.Phone, "role", a.Role), a.Name)
	}
	if c.Location != "" {
		b.element(2, "location", "", c.Location)
	}
	if c.Comment != "" {
		b.element(2, "comment", "", c.Comment)
	}
	b.close(1, "creatorinfo")
}

func (b *xmlWriter) processInfo(p Process, ignore []string) {
	b.open(1, "processinfo")
	b.element(2, "process", "", string(p))
	if len(ignore) > 0 {
		b.open(2, "ignore")
		for _, pattern := range ignore {
			b.element(3, "pattern", "", pattern)
		}
		b.close(2, "ignore")
	}
	b.close(1, "processinfo")
}

func (b *xmlWriter) hash(e Entry) {
	b.open(2, "hash")
	pathAttrs := attrs("size", strconv.FormatInt(e.Size, 10))
	if !e.ModTime.IsZero() {
		pathAttrs += attrs("lastmodificationdate", e.ModTime.Format(dateLayout))
	}
	b.element(3, "path", pathAttrs, e.Path)
	for _, f := range schemaOrder {
		for _, h := range e.Hashes {
			if h.Format != f {
				continue
			}
			hashAttrs := attrs("action", string(h.Action))
			if !h.Date.IsZero() {
				hashAttrs += attrs("hashdate", h.Date.Format(hashDateLayout))
			}
			b.element(3, string(f), hashAttrs, h.Value)
		}
	}
	if e.PreviousPath != "" {
		b.element(3, "previousPath", "", e.PreviousPath)
	}
	b.close(2, "hash")
}

// attrs writes name="value" pairs, leaving out those with an empty value.
func attrs(pairs ...string) string {
	var s strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			s.WriteString(" " + pairs[i] + `="` + attrEscaper.Replace(pairs[i+1]) + `"`)
		}
	}
	return s.String()
}

// The escapers for text and attribute values. Every string written has been checked to
// hold only characters XML can carry; these keep it as it is through a parser: "\r" would
// otherwise read as a line end, and white space in an attribute as a space.
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\r", "&#xD;", "\n", "&#xA;", "\t", "&#x9;")
)

func escape(s string) string { return textEscaper.Replace(s) }
