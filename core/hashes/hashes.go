// Package hashes is the hash formats a receipt can carry: the six of ASC MHL (xxh64, the
// default, xxh3, xxh128, md5, sha1, c4), written as ASC MHL writes them, and a Set that
// computes several of them in one pass over the bytes.
package hashes

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"
)

// Format is a hash format, named as ASC MHL names it (its element in a hash list).
type Format string

const (
	XXH64  Format = "xxh64"
	XXH3   Format = "xxh3"
	XXH128 Format = "xxh128"
	MD5    Format = "md5"
	SHA1   Format = "sha1"
	C4     Format = "c4"
)

// Default is the format every uploaded file is hashed in unless the settings name another.
const Default = XXH64

// Formats lists every format, fastest first: the order a file's hashes are written in.
var Formats = []Format{XXH64, XXH3, XXH128, MD5, SHA1, C4}

// Parse reads a format's name, in any case.
func Parse(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("%q is not a hash format this app knows (it knows %s)", s, Names())
}

// Names is the formats' names, for messages and help.
func Names() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// hasher returns a hasher of the format; nil for a format this package does not know.
// New gives it (new.go), or a stand-in in the build that measures what hashing costs
// (new_nohash.go).
func (f Format) hasher() hash.Hash {
	switch f {
	case XXH64:
		return xxhash.New()
	case XXH3:
		return xxh3.New()
	case XXH128:
		return xxh128{xxh3.New128()}
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case C4:
		return sha512.New()
	}
	return nil
}

// Encode writes a digest of the format as ASC MHL does: lower-case hexadecimal, and for
// c4 the C4 ID (base 58, 90 characters starting "c4").
func (f Format) Encode(sum []byte) string {
	if f == C4 {
		return c4ID(sum)
	}
	return hex.EncodeToString(sum)
}

// Of hashes b in the format and encodes it; "" for a format this package does not know.
func (f Format) Of(b []byte) string {
	h := f.New()
	if h == nil {
		return ""
	}
	h.Write(b)
	return f.Encode(h.Sum(nil))
}

// Valid tells whether v has the shape of a hash of the format (length and alphabet); a
// value that does not can be no hash of anything.
func (f Format) Valid(v string) bool {
	switch f {
	case C4:
		return len(v) == c4Length && strings.HasPrefix(v, "c4") &&
			strings.Trim(v[2:], c4Alphabet) == ""
	case XXH64, XXH3:
		return isHex(v, 16)
	case XXH128, MD5:
		return isHex(v, 32)
	case SHA1:
		return isHex(v, 40)
	}
	return false
}

func isHex(v string, n int) bool {
	if len(v) != n {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// Equal compares two encoded hashes of the format: hexadecimal in any case, C4 IDs exactly.
func (f Format) Equal(a, b string) bool {
	if f == C4 {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// CopyState makes dst hash what src has hashed so far, so that both go on from there; both
// made by the same format's New. It panics on hashers of two formats or of none of
// this package's, a programming error.
func CopyState(dst, src hash.Hash) {
	switch d := dst.(type) {
	case *xxh3.Hasher:
		*d = *src.(*xxh3.Hasher) // its state is its value
		return
	case xxh128:
		*d.Hasher128 = *src.(xxh128).Hasher128
		return
	}
	state, err := src.(encoding.BinaryMarshaler).MarshalBinary()
	if err == nil {
		err = dst.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
	}
	if err != nil {
		panic("hashes: a hash's state cannot be copied: " + err.Error())
	}
}

// xxh128 gives the 128-bit XXH3 as hash.Hash with its digest in big-endian order, the
// order its hexadecimal form is written in.
type xxh128 struct{ *xxh3.Hasher128 }

func (h xxh128) Sum(b []byte) []byte {
	d := h.Sum128().Bytes()
	return append(b, d[:]...)
}

const (
	c4Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	c4Length   = 90
)

// c4ID encodes a SHA-512 digest as a C4 ID: the digest as a base-58 number in the C4
// alphabet, padded with its zero ("1") to 88 digits, after "c4".
func c4ID(sum []byte) string {
	n := new(big.Int).SetBytes(sum)
	base, mod := big.NewInt(58), new(big.Int)
	out := make([]byte, c4Length)
	for i := c4Length - 1; i >= 2; i-- {
		n.DivMod(n, base, mod)
		out[i] = c4Alphabet[mod.Int64()]
	}
	out[0], out[1] = 'c', '4'
	return string(out)
}
