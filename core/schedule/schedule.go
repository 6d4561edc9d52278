// Package schedule is the bandwidth schedule: limits by time of day and day of the week
// (2 MB/s from 08:00 to 19:00 on weekdays, while the production office shares the line),
// with the fixed limit outside them (README, "Bandwidth schedule").
package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Period is a limit on some days between two times of day, in local time. A period whose
// end is before its start runs past midnight into the next day.
type Period struct {
	Days       [7]bool // by time.Weekday
	Start, End int     // minutes after midnight
	Limit      int64   // bytes per second; 0: no limit
}

// Schedule is the periods of a schedule, none overlapping.
type Schedule struct{ periods []Period }

// Empty reports whether the schedule has no period.
func (s Schedule) Empty() bool { return len(s.periods) == 0 }

// Parse reads periods separated by semicolons, each DAYS START-END RATE:
//
//	weekdays 08:00-19:00 2MB/s; sat,sun 10:00-16:00 5MB/s; daily 22:00-06:00 0
//
// DAYS is daily, weekdays, weekends, a day (mon … sun), a range (mon-fri) or a list of
// those separated by commas; RATE is a rate as people write it, 0 for no limit. minRate
// is the lowest limit the engine takes. An empty string is no schedule. The error says
// what is wrong in words that follow "cannot be …".
func Parse(s string, minRate int64) (Schedule, error) {
	var out Schedule
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := parsePeriod(part, minRate)
		if err != nil {
			return Schedule{}, fmt.Errorf("%q: %w; write periods like “weekdays 08:00-19:00 2MB/s”, separated by semicolons", part, err)
		}
		for _, q := range out.periods {
			if overlap(p, q) {
				return Schedule{}, fmt.Errorf("%q overlaps %q: a time can have one limit", part, q.String())
			}
		}
		out.periods = append(out.periods, p)
	}
	return out, nil
}

func parsePeriod(s string, minRate int64) (Period, error) {
	fields := strings.Fields(s)
	if len(fields) != 3 {
		return Period{}, fmt.Errorf("a period is days, times and a rate")
	}
	var p Period
	var err error
	if p.Days, err = parseDays(fields[0]); err != nil {
		return Period{}, err
	}
	from, to, ok := strings.Cut(fields[1], "-")
	if !ok {
		return Period{}, fmt.Errorf("%q is not a time span like 08:00-19:00", fields[1])
	}
	if p.Start, err = parseClock(from); err != nil {
		return Period{}, err
	}
	if p.End, err = parseClock(to); err != nil {
		return Period{}, err
	}
	if p.Start == p.End {
		return Period{}, fmt.Errorf("%s starts and ends at the same time", fields[1])
	}
	if p.Limit, err = format.ParseBandwidth(fields[2]); err != nil {
		return Period{}, err
	}
	if p.Limit > 0 && p.Limit < minRate {
		return Period{}, fmt.Errorf("%s is below %s, the lowest limit", fields[2], format.Bandwidth(minRate))
	}
	return p, nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	for _, word := range strings.Split(strings.ToLower(s), ",") {
		switch word {
		case "daily":
			days = [7]bool{true, true, true, true, true, true, true}
			continue
		case "weekdays":
			for d := time.Monday; d <= time.Friday; d++ {
				days[d] = true
			}
			continue
		case "weekends":
			days[time.Saturday], days[time.Sunday] = true, true
			continue
		}
		from, to, isRange := strings.Cut(word, "-")
		a, b := slices.Index(dayNames, from), slices.Index(dayNames, to)
		if !isRange {
			b = a
		}
		if a < 0 || b < 0 {
			return days, fmt.Errorf("%q is not days (daily, weekdays, weekends, mon … sun, mon-fri)", word)
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time of day like 08:00", s)
	}
	return hh*60 + mm, nil
}

// minutes are the minutes of the week a period covers, as [from, to) spans (Sunday
// 00:00 is 0); one past midnight wraps into the next day, and Saturday's into Sunday.
func (p Period) minutes() [][2]int {
	const day, week = 24 * 60, 7 * 24 * 60
	var out [][2]int
	for d, on := range p.Days {
		if !on {
			continue
		}
		from, to := d*day+p.Start, d*day+p.End
		if p.End < p.Start {
			to += day
		}
		if to > week {
			out = append(out, [2]int{from, week}, [2]int{0, to - week})
			continue
		}
		out = append(out, [2]int{from, to})
	}
	return out
}

func overlap(a, b Period) bool {
	for _, x := range a.minutes() {
		for _, y := range b.minutes() {
			if x[0] < y[1] && y[0] < x[1] {
				return true
			}
		}
	}
	return false
}

// At is the limit at t (base outside every period) and when it next changes: the next
// start or end of a period after t, on the wall clock of t's location (zero without a
// schedule).
func (s Schedule) At(t time.Time, base int64) (limit int64, until time.Time) {
	const week = 7 * 24 * 60
	// Minutes of the week on the wall clock, as the periods are written.
	now := int(t.Weekday())*24*60 + t.Hour()*60 + t.Minute()
	sunday := time.Date(t.Year(), t.Month(), t.Day()-int(t.Weekday()), 0, 0, 0, 0, t.Location())
	limit = base
	for _, p := range s.periods {
		for _, span := range p.minutes() {
			if span[0] <= now && now < span[1] {
				limit = p.Limit
			}
			for _, edge := range span {
				// This week's edge or next week's: the first after t. An edge in a
				// wall-clock hour that a change of summer time skips or repeats may land
				// before t; then next week's is taken, never a time already past (which
				// would wake the engine again and again).
				for _, m := range []int{edge, edge + week} {
					at := time.Date(sunday.Year(), sunday.Month(), sunday.Day(), m/60, m%60, 0, 0, t.Location())
					if at.After(t) && (until.IsZero() || at.Before(until)) {
						until = at
					}
				}
			}
		}
	}
	return limit, until
}

// String writes the schedule as Parse reads it, tidied ("" for none).
func (s Schedule) String() string {
	parts := make([]string, len(s.periods))
	for i, p := range s.periods {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// String writes a period as Parse reads it.
func (p Period) String() string {
	days := []string{}
	switch p.Days {
	case [7]bool{true, true, true, true, true, true, true}:
		days = append(days, "daily")
	case [7]bool{false, true, true, true, true, true, false}:
		days = append(days, "weekdays")
	case [7]bool{true, false, false, false, false, false, true}:
		days = append(days, "weekends")
	default:
		for d, on := range p.Days {
			if on {
				days = append(days, dayNames[d])
			}
		}
	}
	rate := "0"
	if p.Limit > 0 {
		rate = format.Bandwidth(p.Limit)
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d %s", strings.Join(days, ","), p.Start/60, p.Start%60, p.End/60, p.End%60, rate)
}
