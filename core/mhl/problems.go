package mhl

import (
	"fmt"
	"strings"
)

// notes gathers the problems met in one file. A manifest can list thousands of files, so
// the same problem met again is counted rather than repeated: the person reads one
// sentence with "(120 times)" instead of 120 sentences.
type notes struct {
	file  string
	order []string
	count map[string]int
}

func newNotes(file string) *notes { return &notes{file: file, count: map[string]int{}} }

// add notes a problem: what the file has or is, as the rest of a sentence whose subject is
// the file ("has a <crc32> hash, a format ASC MHL does not know; it was skipped").
func (n *notes) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n.count[msg] == 0 {
		n.order = append(n.order, msg)
	}
	n.count[msg]++
}

func (n *notes) problems() []Problem {
	out := make([]Problem, 0, len(n.order))
	for _, msg := range n.order {
		text := n.file + " " + strings.TrimSuffix(msg, ".")
		if c := n.count[msg]; c > 1 {
			text += fmt.Sprintf(" (%d times)", c)
		}
		out = append(out, Problem{File: n.file, Text: text + "."})
	}
	return out
}

// problem is a single problem with a file.
func problem(file, format string, args ...any) Problem {
	n := newNotes(file)
	n.add(format, args...)
	return n.problems()[0]
}
