package headless

import (
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestToCurrentProjectSendsOnlyTheFilesNamed: two cards were queued for a first project;
// the computer is then paired with a second. `upload --to-current-project CARD1` sends
// card 1 there, and only card 1: card 2, also held, waits for its own decision (the flag
// used to move every held file of the queue).
func TestToCurrentProjectSendsOnlyTheFilesNamed(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "First Card Project", nil)

	card1, card2 := t.TempDir(), t.TempDir()
	writeFile(t, card1, "A001_C001.mov", 40<<10)
	writeFile(t, card1, "A001_C002.mov", 30<<10)
	writeFile(t, card2, "B001_C001.mov", 20<<10)
	// Queued for the first project, while it cannot be reached.
	if err := e.Sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	up := start(ctx, t, e, nil, "upload", card1, card2)
	waitFor(ctx, t, "the files queued", func() (bool, error) {
		return strings.Contains(up.stderr.String(), "Uploading 3 files"), nil
	})
	up.interrupt()
	expectCode(t, "upload interrupted while offline", up.wait(ctx), 130)
	if err := e.Sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	expectCode(t, "unpair", run(ctx, t, e, nil, "unpair"), 0)
	pair(ctx, t, e, "Second Card Project", nil)

	r := run(ctx, t, e, nil, "upload", "--to-current-project", card1)
	expectCode(t, "upload --to-current-project of card 1", r, 1)
	expectContains(t, "upload's stderr", r.Stderr, "2 arrived in “Second Card Project”", "1 file is held for another project")
	assets := assetsByName(ctx, t, e)
	for _, name := range []string{"A001_C001.mov", "A001_C002.mov"} {
		if as := assets[name]; len(as) != 1 || !as[0].Complete || as[0].Project != "Second Card Project" {
			t.Errorf("%s: %+v, want one complete asset in the second project", name, as)
		}
	}
	if as := assets["B001_C001.mov"]; len(as) != 0 {
		t.Errorf("card 2 was sent without being named: %+v", as)
	}
	st := run(ctx, t, e, nil, "status")
	expectContains(t, "status", st.Stdout, "1 held for another project", "B001_C001.mov")
}
