package mhl

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// chainEntry is one <hashlist> of the chain file: a manifest of the history, by sequence
// number and file name, with the C4 ID of its bytes.
type chainEntry struct {
	Number int
	File   string
	C4     string
}

type xmlChain struct {
	XMLName   xml.Name
	Hashlists []struct {
		Number   string     `xml:"sequencenr,attr"`
		Path     string     `xml:"path"`
		Children []xmlChild `xml:",any"`
	} `xml:"hashlist"`
}

// readChain reads a chain file. The error is for a chain that cannot be read at all;
// entries it cannot use are left out and noted in n.
func readChain(r io.Reader, n *notes) ([]chainEntry, error) {
	dec := xml.NewDecoder(r)
	var c xmlChain
	if err := dec.Decode(&c); err != nil {
		return nil, unexpectedEOF(err)
	}
	if c.XMLName.Local != "ascmhldirectory" {
		return nil, fmt.Errorf("its root element is <%s>, not <ascmhldirectory>", c.XMLName.Local)
	}
	if c.XMLName.Space != chainNS {
		n.add("is not in the namespace %s; it was read all the same", chainNS)
	}
	if err := endOfDocument(dec); err != nil {
		return nil, err
	}
	entries := make([]chainEntry, 0, len(c.Hashlists))
	numbers := map[int]bool{}
	for _, h := range c.Hashlists {
		e := chainEntry{File: strings.TrimSpace(h.Path)}
		number, err := strconv.Atoi(strings.TrimSpace(h.Number))
		if err != nil || number < 1 {
			n.add("has an entry for %q whose sequence number %q is not a positive whole number; it was skipped", e.File, h.Number)
			continue
		}
		e.Number = number
		for _, child := range h.Children {
			switch child.XMLName.Local {
			case "c4":
				e.C4 = strings.TrimSpace(child.Value)
			default:
				n.add("records generation %d with a <%s> element, not the C4 ID ASC MHL uses; it was skipped", number, child.XMLName.Local)
			}
		}
		switch {
		case e.File == "" || strings.ContainsAny(e.File, `/\`):
			n.add("has an entry, generation %d, that names no file of the ascmhl folder (%q); it was skipped", number, h.Path)
		case !hashes.C4.Valid(e.C4):
			n.add("records generation %d (%s) without a valid C4 ID; the entry was skipped", number, e.File)
		case numbers[number]:
			n.add("lists generation %d more than once; the entry for %s was skipped", number, e.File)
		default:
			numbers[number] = true
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// writeChain writes a chain file listing entries, in their order.
func writeChain(w io.Writer, entries []chainEntry) error {
	b := bufio.NewWriter(w)
	b.WriteString(xml.Header)
	b.WriteString(`<ascmhldirectory xmlns="` + chainNS + `">` + "\n")
	for _, e := range entries {
		fmt.Fprintf(b, "  <hashlist sequencenr=\"%d\">\n", e.Number)
		b.WriteString("    <path>" + escape(e.File) + "</path>\n")
		b.WriteString("    <c4>" + escape(e.C4) + "</c4>\n")
		b.WriteString("  </hashlist>\n")
	}
	b.WriteString("</ascmhldirectory>\n")
	return b.Flush()
}
