package hashes_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// Known answers: "media-hash-list" as the ASC MHL reference tool's tests hash it, and the
// empty input as each algorithm's own authors publish it.
var vectors = []struct {
	input string
	want  map[hashes.Format]string
}{
	{"media-hash-list", map[hashes.Format]string{
		hashes.MD5:    "9db0fc9f30f5ee70041a7538809e2858",
		hashes.SHA1:   "7b57673ac5633937a55b59009ad0c57ee08188b7",
		hashes.XXH64:  "584b2ea1974f2b7c",
		hashes.XXH3:   "6d4cbd75905c81aa",
		hashes.XXH128: "61a67c014f703a456ee7a776fd8c06bd",
		hashes.C4:     "c456LycWwpMMS7VDZEKvYv2L1uJS6s4qAFnaJdnQiy5JVbBFZMA8aLDS6SPaJjLqxXH4qZdnbuktopMt9frtC2qL1R",
	}},
	{"", map[hashes.Format]string{
		hashes.MD5:    "d41d8cd98f00b204e9800998ecf8427e",
		hashes.SHA1:   "da39a3ee5e6b4b0d3255bfef95601890afd80709",
		hashes.XXH64:  "ef46db3751d8e999",
		hashes.XXH3:   "2d06800538d394c2",
		hashes.XXH128: "99aa06d3014798d86001c324468d497f",
		hashes.C4:     "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75GEmTc1sFT",
	}},
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range vectors {
		for f, want := range v.want {
			if got := f.Of([]byte(v.input)); got != want {
				t.Errorf("%s(%q) = %s, want %s", f, v.input, got, want)
			}
			if !f.Valid(want) {
				t.Errorf("%s does not take its own hash %s as valid", f, want)
			}
		}
	}
}

// A Set fed in pieces gives every format the hash of the whole.
func TestSetHashesEveryFormatInOnePass(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14+3) // past every block size
	s := hashes.NewSet(hashes.C4, hashes.XXH64, hashes.MD5, hashes.XXH64, "crc99")
	for p := data; len(p) > 0; {
		n := min(len(p), 4093)
		s.Write(p[:n])
		p = p[n:]
	}
	sums := s.Sums()
	if len(sums) != 3 || sums[0].Format != hashes.XXH64 || sums[1].Format != hashes.MD5 || sums[2].Format != hashes.C4 {
		t.Fatalf("sums = %v, want xxh64, md5, c4 once each", sums)
	}
	for _, sum := range sums {
		if want := sum.Format.Of(data); sum.Value != want {
			t.Errorf("%s in pieces = %s, whole = %s", sum.Format, sum.Value, want)
		}
	}
	back := hashes.ParseSums(sums.String())
	if back.String() != sums.String() || back.Get(hashes.MD5) != sums.Get(hashes.MD5) {
		t.Errorf("ParseSums(%q) = %v", sums.String(), back)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := hashes.Parse("crc32"); err == nil || !strings.Contains(err.Error(), "xxh64") {
		t.Errorf("Parse(crc32) = %v, want an error naming the formats", err)
	}
	if f, err := hashes.Parse(" MD5 "); err != nil || f != hashes.MD5 {
		t.Errorf("Parse(MD5) = %v, %v", f, err)
	}
	for _, bad := range []struct {
		f hashes.Format
		v string
	}{
		{hashes.XXH64, "584b2ea1974f2b7"}, {hashes.XXH64, "584b2ea1974f2b7g"},
		{hashes.MD5, "584b2ea1974f2b7c"}, {hashes.C4, "c456Ly"},
		{hashes.C4, "c4" + strings.Repeat("0", 88)}, {"crc32", "00000000"},
	} {
		if bad.f.Valid(bad.v) {
			t.Errorf("%s takes %q as a valid hash", bad.f, bad.v)
		}
	}
	if got := hashes.ParseSums("xxh64:584b2ea1974f2b7c md5:zz crc32:1 junk"); got.String() != "xxh64:584b2ea1974f2b7c" {
		t.Errorf("ParseSums kept %v", got)
	}
	if !hashes.XXH64.Equal("584B2EA1974F2B7C", "584b2ea1974f2b7c") || hashes.C4.Equal("c4A", "c4a") {
		t.Error("Equal: hexadecimal is compared in any case, C4 IDs exactly")
	}
}

func TestPickPrefersTheFormatsGivenThenTheFastest(t *testing.T) {
	ss := hashes.Sums{{Format: hashes.MD5, Value: "9db0fc9f30f5ee70041a7538809e2858"}, {Format: hashes.C4, Value: "c4x"}, {Format: hashes.SHA1, Value: "7b57673ac5633937a55b59009ad0c57ee08188b7"}}
	if got := ss.Pick(hashes.SHA1); got.Format != hashes.SHA1 {
		t.Errorf("Pick(sha1) = %v", got)
	}
	if got := ss.Pick(hashes.XXH64); got.Format != hashes.MD5 {
		t.Errorf("Pick(xxh64) without one = %v, want md5, the fastest there", got)
	}
	if got := (hashes.Sums{}).Pick(); got.Format != "" {
		t.Errorf("Pick of nothing = %v", got)
	}
}

// A copied state goes on as the original would: the copy and the source, fed the same
// rest, give the hash of the whole input, and the source is not disturbed by the copy.
func TestCopyStateGoesOnFromWhereTheSourceWas(t *testing.T) {
	input := bytes.Repeat([]byte("media-hash-list "), 1000) // longer than any block
	for _, f := range hashes.Formats {
		src := f.New()
		src.Write(input[:777])
		dst := f.New()
		dst.Write([]byte("something else")) // overwritten
		hashes.CopyState(dst, src)
		dst.Write(input[777:])
		src.Write(input[777:])
		want := f.Of(input)
		if got := f.Encode(dst.Sum(nil)); got != want {
			t.Errorf("%s: the copy gives %s, want %s", f, got, want)
		}
		if got := f.Encode(src.Sum(nil)); got != want {
			t.Errorf("%s: the source gives %s after the copy, want %s", f, got, want)
		}
	}
}
