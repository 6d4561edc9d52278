package retry

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

func fixed(r float64) func() float64 { return func() float64 { return r } }

func seconds(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func TestDelayIsTheContractBackoff(t *testing.T) {
	cases := []struct {
		name string
		rand float64
		want []time.Duration
	}{
		{"no_jitter", 0, seconds(0.5, 1, 2, 4, 8, 16, 32, 32, 32)},
		{"most_jitter", 0.999, seconds(0.74975, 1.4995, 2.999, 5.998, 11.996, 23.992, 47.984, 47.984, 47.984)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{Rand: fixed(tc.rand)}
			var got []time.Duration
			for attempt := range len(tc.want) {
				got = append(got, p.Delay(attempt, nil))
				if b := p.Backoff(attempt); b != got[attempt] {
					t.Errorf("Backoff(%d) = %v, Delay = %v", attempt, b, got[attempt])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestDelayEdges(t *testing.T) {
	p := Policy{Rand: fixed(0)}
	if got := p.Delay(-3, nil); got != 500*time.Millisecond {
		t.Errorf("negative attempt: %v", got)
	}
	if got := p.Delay(1000, nil); got != 32*time.Second {
		t.Errorf("huge attempt: %v", got)
	}
	capped := Policy{Rand: fixed(0), MaxDelay: 3 * time.Second}
	if got := capped.Delay(5, nil); got != 3*time.Second {
		t.Errorf("MaxDelay: %v", got)
	}
	for range 1000 { // the real random source stays in [base, 1.5 base]
		if d := (Policy{}).Delay(2, nil); d < 2*time.Second || d > 3*time.Second {
			t.Fatalf("jitter out of range: %v", d)
		}
	}
}

func TestDelayRetryAfterWinsWhenLonger(t *testing.T) {
	p := Policy{Rand: fixed(0)}
	h := http.Header{}
	h.Set("Retry-After", "10")
	slow := api.Decode("GET /health", 429, h, nil, false)
	if got := p.Delay(0, slow); got != 10*time.Second {
		t.Errorf("longer Retry-After: %v", got)
	}
	if got := p.Delay(6, slow); got != 32*time.Second {
		t.Errorf("shorter Retry-After: %v", got)
	}
}

func TestAttemptsByClass(t *testing.T) {
	var p Policy
	for c, want := range map[api.RetryClass]int{api.RetryYes: 8, api.RetryOnce: 2, api.RetryNo: 1, 0: 2} {
		if got := p.attempts(c); got != want {
			t.Errorf("%s: %d, want %d", c, got, want)
		}
	}
	custom := Policy{Attempts: map[api.RetryClass]int{api.RetryYes: 3}}
	if custom.attempts(api.RetryYes) != 3 || custom.attempts(api.RetryOnce) != 2 {
		t.Error("a partial Attempts map must keep the other defaults")
	}
}
