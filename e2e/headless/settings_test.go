package headless

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// receivedRate reads the simulator's timeline of chunk bytes: the bytes received after
// its first slot (a limiter lets its burst through at once) and the time from that slot
// to the end of the last.
func receivedRate(t *testing.T, tl []c2csim.Received) (bytes int64, span time.Duration) {
	t.Helper()
	if len(tl) < 2 {
		t.Fatalf("the simulator received chunk bytes in %d slots of its timeline: too few to judge a rate", len(tl))
	}
	for _, s := range tl[1:] {
		bytes += s.Bytes
	}
	span = tl[len(tl)-1].Time.Sub(tl[0].Time) + 10*time.Millisecond // the last slot lasts 10 ms
	return bytes, span
}

func timelineTotal(tl []c2csim.Received) int64 {
	var n int64
	for _, s := range tl {
		n += s.Bytes
	}
	return n
}

// TestSettingsSetBandwidthIsHonouredByTheNextUpload: `settings set bandwidth` in one
// process limits the next `upload`, as the simulator sees it receive the bytes; a
// --bandwidth flag overrides it for one run without writing it.
func TestSettingsSetBandwidthIsHonouredByTheNextUpload(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Bandwidth Project", nil)

	const limit = 1_000_000    // 1MB/s
	const burst = limit / 10   // what the engine lets through at once at this limit
	const size = 3 * limit / 2 // a second and a half at the limit
	set := run(ctx, t, e, nil, "settings", "set", "bandwidth", "1MB/s")
	expectCode(t, "settings set bandwidth 1MB/s", set, 0)

	path, sum := writeFile(t, t.TempDir(), "limited.mov", size)
	if err := e.Sim.Admin.ClearReceived(ctx); err != nil {
		t.Fatal(err)
	}
	r := run(ctx, t, e, nil, "upload", path)
	expectCode(t, "upload", r, 0)
	expectArrived(ctx, t, e, map[string]string{"limited.mov": sum})
	tl := e.Sim.ReceivedTimeline()
	if got := timelineTotal(tl); got < size {
		t.Fatalf("the timeline holds %d bytes, the file %d", got, size)
	}
	bytes, span := receivedRate(t, tl)
	t.Logf("limited to 1MB/s: %d bytes in %v", bytes, span)
	// At most the limit over the span (a fifth more for slots cut short), plus one burst.
	if most := int64(1.2*limit*span.Seconds()) + burst; bytes > most {
		t.Errorf("the simulator received %d bytes in %v (%.0f bytes/s), more than the 1MB/s set allows (%d)",
			bytes, span, float64(bytes)/span.Seconds(), most)
	}

	// --bandwidth 0 lifts the limit for one run; the saved setting stays.
	path, sum = writeFile(t, t.TempDir(), "unlimited.mov", size)
	if err := e.Sim.Admin.ClearReceived(ctx); err != nil {
		t.Fatal(err)
	}
	r = run(ctx, t, e, nil, "upload", "--bandwidth", "0", path)
	expectCode(t, "upload --bandwidth 0", r, 0)
	expectArrived(ctx, t, e, map[string]string{"unlimited.mov": sum})
	bytes, span = receivedRate(t, e.Sim.ReceivedTimeline())
	t.Logf("unlimited: %d bytes in %v", bytes, span)
	if least := int64(2 * limit * span.Seconds()); bytes < least {
		t.Errorf("with --bandwidth 0 the simulator received %d bytes in %v (%.0f bytes/s): still limited",
			bytes, span, float64(bytes)/span.Seconds())
	}
	list := run(ctx, t, e, nil, "settings", "--json")
	expectCode(t, "settings --json", list, 0)
	found := false
	for _, ev := range ofType(jsonLines(t, "settings --json", list.Stdout), "setting") {
		if ev["key"] == "bandwidth" {
			found = true
			if ev["value"] != "1MB/s" || ev["default"] != "0" || ev["saved"] != true {
				t.Errorf("after upload --bandwidth 0, settings lists bandwidth as %v, want the saved 1MB/s", ev)
			}
		}
	}
	if !found {
		t.Errorf("settings --json lists no bandwidth:\n%s", list.Stdout)
	}
}

// TestSettingsRefusesABadKeyOrValue: a key that is none (with the nearest suggested), a
// value a key does not take, a per-run flag with a bad value: exit 2, one sentence, and
// nothing written.
func TestSettingsRefusesABadKeyOrValue(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	file := filepath.Join(e.DataDir, "settings.json")

	r := run(ctx, t, e, nil, "settings", "set", "bandwdith", "1MB/s")
	expectCode(t, "settings set bandwdith", r, 2)
	expectOneSentence(t, "settings set bandwdith", r)
	expectContains(t, "settings set bandwdith", r.Stderr, `"bandwdith"`, "did you mean bandwidth?", "nothing was changed")
	if _, err := os.Stat(file); err == nil {
		t.Errorf("a bad key wrote %s", file)
	}

	expectCode(t, "settings set parallel-files 3", run(ctx, t, e, nil, "settings", "set", "parallel-files", "3"), 0)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		says []string
	}{
		{[]string{"settings", "set", "bandwidth", "fast"}, []string{`bandwidth cannot be "fast"`, "5MB/s", "nothing was changed"}},
		{[]string{"settings", "set", "bandwidth", "5"}, []string{`bandwidth cannot be "5"`, "unit"}},
		{[]string{"settings", "set", "bandwidth", "10KB/s"}, []string{`bandwidth cannot be "10KB/s"`, "at least 64KiB/s"}},
		{[]string{"settings", "set", "parallel-files", "-1"}, []string{`parallel-files cannot be "-1"`, "from 1 to 16"}},
		{[]string{"settings", "set", "notifications", "loud"}, []string{`notifications cannot be "loud"`, "true or false"}},
		{[]string{"settings", "set", "api", "http://example.com"}, []string{`api cannot be "http://example.com"`}},
		{[]string{"settings", "reset", "colour"}, []string{`"colour"`, "the settings are parallel-files"}},
		{[]string{"settings", "sett", "bandwidth", "1MB/s"}, []string{`"sett"`, "did you mean settings set?"}},
		{[]string{"settings", "set", "bandwidth"}, []string{"settings set KEY VALUE"}},
		{[]string{"upload", "--bandwidth", "fast", "x.mov"}, []string{`--bandwidth cannot be "fast"`}},
		{[]string{"upload", "--parallel-files", "0", "x.mov"}, []string{`--parallel-files cannot be "0"`}},
	} {
		r := run(ctx, t, e, []cmdOpt{noDisplay()}, c.args...)
		what := strings.Join(c.args, " ")
		expectCode(t, what, r, 2)
		expectOneSentence(t, what, r)
		expectContains(t, what, r.Stderr, c.says...)
		if after, err := os.ReadFile(file); err != nil || string(after) != string(before) {
			t.Errorf("%s changed %s (%v):\n%s\nwas:\n%s", what, file, err, after, before)
		}
	}

	list := run(ctx, t, e, nil, "settings")
	expectCode(t, "settings", list, 0)
	expectContains(t, "settings", list.Stdout, "KEY", "DEFAULT", "parallel-files", "bandwidth", "parallel-chunks", "offset-from-now", "notifications", "api")
	for _, line := range strings.Split(list.Stdout, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "parallel-files" && (f[1] != "3" || f[2] != "2") {
			t.Errorf("settings lists %q, want parallel-files at 3 with the default 2", line)
		}
	}
}

// TestDamagedSettingsAreReportedAndReplaced: a settings file that is not settings is
// told on stderr in one sentence, kept beside as settings.json.damaged, and replaced by
// the defaults; the next command says nothing of it.
func TestDamagedSettingsAreReportedAndReplaced(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	file := filepath.Join(e.DataDir, "settings.json")
	damaged := []byte(`{"values": {"bandwidth": "1MB/s"`)
	if err := os.WriteFile(file, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(ctx, t, e, nil, "settings", "--json")
	expectCode(t, "settings over a damaged file", r, 0)
	expectOneSentence(t, "settings over a damaged file", r)
	expectContains(t, "settings over a damaged file", r.Stderr, "warning: ", "was damaged", "back to its default", file+".damaged")
	if kept, err := os.ReadFile(file + ".damaged"); err != nil || string(kept) != string(damaged) {
		t.Errorf("the damaged file was kept as %q (%v), want %q", kept, err, damaged)
	}
	for _, ev := range ofType(jsonLines(t, "settings --json", r.Stdout), "setting") {
		if ev["value"] != ev["default"] {
			t.Errorf("after the damage, %v is not at its default", ev)
		}
	}
	again := run(ctx, t, e, nil, "settings")
	expectCode(t, "settings again", again, 0)
	if strings.Contains(again.Stderr, "damaged") {
		t.Errorf("the damage is told again:\n%s", again.Stderr)
	}
}
