package format

import (
	"strings"
	"testing"
)

// A bandwidth limit is read as people write it: bytes with a capital B, bits with a
// small b, decimal and binary multiples, "/s" or "ps", with or without a space.
func TestParseBandwidth(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"0", 0}, {" 0 ", 0}, {"0MB/s", 0}, {"none", 0}, {"Unlimited", 0},
		{"5MB/s", 5_000_000}, {"5 MB/s", 5_000_000}, {"5MB", 5_000_000}, {"5MBps", 5_000_000},
		{"40Mbit/s", 5_000_000}, {"40Mbps", 5_000_000}, {"40 Mb/s", 5_000_000}, {"40mbit/s", 5_000_000},
		{"500KB/s", 500_000}, {"500kB/s", 500_000}, {"800Kbit/s", 100_000}, {"800kbps", 100_000},
		{"1.5MiB/s", 3 << 19}, {"64KiB/s", 64 << 10}, {"1GiB/s", 1 << 30}, {"1GB/s", 1_000_000_000},
		{"1Gbit/s", 125_000_000}, {"1234567B/s", 1234567}, {".5MB/s", 500_000}, {"2.MB/s", 2_000_000},
		{"0.5Kbit/s", 63}, // 62.5 bytes, rounded
	}
	for _, c := range cases {
		got, err := ParseBandwidth(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// What is not a rate is refused with a sentence that shows how to write one; nothing is
// guessed (a bare number, "mb", a negative).
func TestParseBandwidthRefuses(t *testing.T) {
	for _, in := range []string{
		"", "fast", "5", "1.5", "-1MB/s", "-0", "5 mb/s", "5MiBit/s", "5 M B/s", "5MB/h", "5MB/s/s",
		"1e6B/s", "0x10MB/s", "NaN", "Inf", "InfMB/s", "5,5MB/s", "1_000KB/s", "MB/s", "1bit/s",
		"2000000TB/s", "9999999999GB/s",
	} {
		n, err := ParseBandwidth(in)
		if err == nil {
			t.Errorf("ParseBandwidth(%q) = %d, want an error", in, n)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "5MB/s") || strings.Contains(msg, "\n") {
			t.Errorf("ParseBandwidth(%q): %q does not show in one line how a rate is written", in, msg)
		}
	}
}

// A limit is written exactly, in the unit that needs the fewest digits, and reads back
// as the same number of bytes.
func TestBandwidthRoundTrips(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{
		{0, "0"}, {-5, "0"}, {5_000_000, "5MB/s"}, {3 << 19, "1.5MiB/s"}, {500_000, "500KB/s"},
		{64 << 10, "64KiB/s"}, {1 << 20, "1MiB/s"}, {1_000_000, "1MB/s"}, {1_500_000, "1.5MB/s"},
		{125_000_000, "125MB/s"}, {1 << 30, "1GiB/s"}, {2_000_000_000, "2GB/s"}, {1536, "1.5KiB/s"},
		{1234567, "1234567B/s"}, {999, "999B/s"}, {1, "1B/s"},
	}
	for _, c := range cases {
		got := Bandwidth(c.n)
		if got != c.want {
			t.Errorf("Bandwidth(%d) = %q, want %q", c.n, got, c.want)
		}
		back, err := ParseBandwidth(got)
		if err != nil || back != max(c.n, 0) {
			t.Errorf("ParseBandwidth(Bandwidth(%d) = %q) = %d, %v", c.n, got, back, err)
		}
	}
}

// Suggestions catch the usual typos and leave alone what is far from every choice.
func TestNearest(t *testing.T) {
	commands := []string{"pair", "upload", "status", "unpair", "settings", "sim"}
	keys := []string{"parallel-files", "parallel-chunks", "bandwidth", "offset-from-now", "notifications", "api"}
	cases := []struct {
		word    string
		choices []string
		want    string
	}{
		{"uplaod", commands, "upload"}, {"upload", commands, "upload"}, {"UPLOAD", commands, "upload"},
		{"statsu", commands, "status"}, {"setting", commands, "settings"}, {"pari", commands, "pair"},
		{"clip.mov", commands, ""}, {"x", commands, ""}, {"", commands, ""}, {"watch", commands, ""},
		{"bandwdith", keys, "bandwidth"}, {"paralel-files", keys, "parallel-files"},
		{"chunks", keys, "parallel-chunks"}, {"offset", keys, "offset-from-now"},
		{"parallel", keys, ""}, // two keys contain it: neither is suggested
		{"sett", []string{"set", "reset"}, "set"}, {"rest", []string{"set", "reset"}, "reset"},
	}
	for _, c := range cases {
		if got := Nearest(c.word, c.choices); got != c.want {
			t.Errorf("Nearest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}
