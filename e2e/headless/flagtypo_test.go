package headless

import (
	"strings"
	"testing"
)

// TestAMistypedFlagNamesTheNearest: one sentence naming the nearest flag, exit 2, instead
// of the flag package's complaint followed by the whole usage.
func TestAMistypedFlagNamesTheNearest(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	r := run(ctx, t, e, nil, "--paralel-files", "3", "upload", t.TempDir())
	expectCode(t, "a mistyped flag", r, 2)
	expectContains(t, "stderr", r.Stderr, "--paralel-files", "did you mean --parallel-files?")
	if strings.Contains(r.Stderr, "Usage:") || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
		t.Errorf("a mistyped flag printed more than one line:\n%s", r.Stderr)
	}
}
