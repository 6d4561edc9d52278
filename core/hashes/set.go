package hashes

import (
	"hash"
	"slices"
	"strings"
)

// Set computes several formats in one pass: every byte written goes to each of them.
type Set struct {
	formats []Format
	hashers []hash.Hash
}

// NewSet returns a Set of the formats, each once, in the order of Formats; unknown ones
// are left out.
func NewSet(formats ...Format) *Set {
	s := &Set{}
	for _, f := range Formats {
		if slices.Contains(formats, f) {
			s.formats = append(s.formats, f)
			s.hashers = append(s.hashers, f.New())
		}
	}
	return s
}

// Write hashes p in every format; it never fails.
func (s *Set) Write(p []byte) (int, error) {
	for _, h := range s.hashers {
		h.Write(p)
	}
	return len(p), nil
}

// Sums is the hashes of what was written, one per format.
func (s *Set) Sums() Sums {
	out := make(Sums, len(s.formats))
	for i, f := range s.formats {
		out[i] = Sum{f, f.Encode(s.hashers[i].Sum(nil))}
	}
	return out
}

// Sum is one encoded hash and its format.
type Sum struct {
	Format Format
	Value  string
}

func (s Sum) String() string { return string(s.Format) + ":" + s.Value }

// Sums is a file's hashes, one per format.
type Sums []Sum

// Get returns the hash in format f, "" when there is none.
func (ss Sums) Get(f Format) string {
	for _, s := range ss {
		if s.Format == f {
			return s.Value
		}
	}
	return ""
}

// Pick is the hash to compare with: the first in a format of prefer, else the first in
// Formats' order (the fastest to compute); blank when there is none.
func (ss Sums) Pick(prefer ...Format) Sum {
	for _, f := range slices.Concat(prefer, Formats) {
		if v := ss.Get(f); v != "" {
			return Sum{Format: f, Value: v}
		}
	}
	return Sum{}
}

// String writes the sums as "xxh64:… md5:…", the form ParseSums reads.
func (ss Sums) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

// ParseSums reads what String wrote; parts it cannot read are left out.
func ParseSums(s string) Sums {
	var out Sums
	for part := range strings.FieldsSeq(s) {
		name, value, ok := strings.Cut(part, ":")
		f, err := Parse(name)
		if ok && err == nil && f.Valid(value) {
			out = append(out, Sum{f, value})
		}
	}
	return out
}
