package format

import (
	"strings"
	"testing"
	"time"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB",
		3 << 30: "3.0 GiB", 5 << 40: "5.0 TiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRateAndDurations(t *testing.T) {
	cases := []struct{ got, want string }{
		{Rate(0), "—"}, {Rate(2 << 20), "2.0 MiB/s"},
		{Duration(0), "—"}, {Duration(44600 * time.Millisecond), "45 s"},
		{Duration(300 * time.Millisecond), "1 s"}, {Duration(59600 * time.Millisecond), "1 min 00 s"},
		{Duration(185 * time.Second), "3 min 05 s"}, {Duration(130 * time.Minute), "2 h 10 min"},
		{Countdown(119600 * time.Millisecond), "2:00"}, {Countdown(-time.Second), "0:00"}, {Countdown(65 * time.Second), "1:05"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 files", 1: "1 file", 2: "2 files", 10000: "10000 files"} {
		if got := Count(n, "file"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// A long clip name is shortened in the middle: its reel and clip at the start and its
// take, version and extension at the end are what tell clips apart.
func TestShortenMiddle(t *testing.T) {
	const name = "A001C003_250101_R1AB_v003_approved_by_DOP.mov"
	got := ShortenMiddle(name, 20)
	if n := len([]rune(got)); n != 20 || !strings.HasPrefix(got, "A001C003") || !strings.HasSuffix(got, "DOP.mov") {
		t.Errorf("shortened to %q (%d runes), want 20 runes keeping %q and %q", got, n, "A001C003", "DOP.mov")
	}
	if got := ShortenMiddle("A001.mov", 20); got != "A001.mov" {
		t.Errorf("a short name became %q", got)
	}
	if got := ShortenEnd("Offline: waiting for the network", 10); got != "Offline: …" {
		t.Errorf("shortened at the end to %q", got)
	}
}
