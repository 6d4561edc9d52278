package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the test, whatever the machine has
)

const mb = 1_000_000

// at is a local time on the weekday of the week of 7 Dec 2026 (a Monday).
func at(day time.Weekday, hh, mm int) time.Time {
	return time.Date(2026, 12, 6+int(day), hh, mm, 0, 0, time.Local)
}

func TestScheduleAt(t *testing.T) {
	s, err := Parse("weekdays 08:00-19:00 2MB/s; sat,sun 10:00-16:00 5MB/s; fri 22:00-06:00 1MB/s", 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t     time.Time
		limit int64
		until time.Time
	}{
		{at(time.Monday, 7, 59), 0, at(time.Monday, 8, 0)},
		{at(time.Monday, 8, 0), 2 * mb, at(time.Monday, 19, 0)},
		{at(time.Wednesday, 18, 59), 2 * mb, at(time.Wednesday, 19, 0)},
		{at(time.Wednesday, 19, 0), 0, at(time.Thursday, 8, 0)},
		{at(time.Friday, 23, 30), 1 * mb, at(time.Saturday, 6, 0)}, // past midnight
		{at(time.Saturday, 5, 0), 1 * mb, at(time.Saturday, 6, 0)},
		{at(time.Saturday, 12, 0), 5 * mb, at(time.Saturday, 16, 0)},
		{at(time.Sunday, 16, 0), 0, at(time.Monday, 8, 0)},
	} {
		limit, until := s.At(tc.t, 0)
		if limit != tc.limit || !until.Equal(tc.until) {
			t.Errorf("at %s: %d until %s, want %d until %s", tc.t.Format("Mon 15:04"), limit, until.Format("Mon 15:04"), tc.limit, tc.until.Format("Mon 15:04"))
		}
	}
	// Outside the periods the fixed limit holds.
	if limit, _ := s.At(at(time.Tuesday, 3, 0), 40*mb); limit != 40*mb {
		t.Errorf("outside the periods: %d, want the fixed limit", limit)
	}
	if limit, until := (Schedule{}).At(at(time.Tuesday, 3, 0), 7); limit != 7 || !until.IsZero() {
		t.Errorf("no schedule: %d until %s", limit, until)
	}
	// Saturday night into Sunday morning wraps the week.
	wrap, err := Parse("sat 22:00-02:00 1MB/s", 0)
	if err != nil {
		t.Fatal(err)
	}
	if limit, until := wrap.At(at(time.Sunday, 1, 0), 0); limit != mb || !until.Equal(at(time.Sunday, 2, 0)) {
		t.Errorf("Sunday 01:00: %d until %s", limit, until)
	}
}

func TestScheduleBadInput(t *testing.T) {
	for in, want := range map[string]string{
		"weekdays 08:00-19:00":                              "a period is days, times and a rate",
		"workdays 08:00-19:00 2MB/s":                        "is not days",
		"mon 8-19 2MB/s":                                    `"8" is not a time of day`,
		"mon 08:00 2MB/s":                                   "is not a time span",
		"mon 08:00-25:00 2MB/s":                             `"25:00" is not a time of day`,
		"mon 08:00-08:00 2MB/s":                             "starts and ends at the same time",
		"mon 08:00-19:00 fast":                              "fast",
		"mon 08:00-19:00 10KB/s":                            "below",
		"weekdays 08:00-19:00 2MB/s; mon 18:00-20:00 1MB/s": "overlaps",
		"sun 23:00-01:00 1MB/s; mon 00:30-02:00 2MB/s":      "overlaps",
	} {
		if _, err := Parse(in, 64<<10); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", in, err, want)
		}
	}
	if s, err := Parse(" ; ", 0); err != nil || !s.Empty() {
		t.Errorf("blank: %v", err)
	}
}

// A schedule written back reads the same.
func TestScheduleString(t *testing.T) {
	in := "Weekdays 08:00-19:00 2MB/s;sat,SUN 10:00-16:00 40Mbit/s; mon,wed 22:00-06:00 0"
	s, err := Parse(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "weekdays 08:00-19:00 2MB/s; weekends 10:00-16:00 5MB/s; mon,wed 22:00-06:00 0"
	if got := s.String(); got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	again, err := Parse(s.String(), 0)
	if err != nil || again.String() != want {
		t.Fatalf("read back: %q, %v", again.String(), err)
	}
}

// Around the changes of summer time the next change is always after now: a time in the
// hour a clock skips or repeats must not be handed back as the next edge, or the engine
// would wake without end (America/New_York: 8 Mar 2026 02:00 → 03:00, 1 Nov 2026 02:00 →
// 01:00).
func TestScheduleAcrossSummerTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec string
		now  time.Time
	}{
		{"daily 02:30-03:30 1MB/s", time.Date(2026, 3, 8, 1, 45, 0, 0, ny)},
		{"daily 01:45-05:00 1MB/s", time.Date(2026, 11, 1, 1, 30, 0, 0, ny).Add(time.Hour)}, // 01:30 the second time
		{"daily 01:45-05:00 1MB/s", time.Date(2026, 11, 1, 1, 30, 0, 0, ny)},
	} {
		s, err := Parse(tc.spec, 0)
		if err != nil {
			t.Fatal(err)
		}
		for step := range 6 * 60 { // every minute of six hours
			now := tc.now.Add(time.Duration(step) * time.Minute)
			if _, until := s.At(now, 0); !until.After(now) {
				t.Fatalf("%s at %s: next change at %s, not after now", tc.spec, now, until)
			}
		}
	}
}
