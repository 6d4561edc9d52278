package headless

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// TestDemoStatusLeavesTheOpenDemoAlone: `--demo status` beside a demo run that holds the
// data folder reads it, as status does beside any holder. It used to start the demo's
// fresh start anyway — deleting the holder's journal, record of uploads and pairing —
// and then fail to open the journal it had just deleted.
func TestDemoStatusLeavesTheOpenDemoAlone(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	holder := start(ctx, t, e, nil, "--demo", "pair")
	waitFor(ctx, t, "the demo's pairing code", func() (bool, error) {
		return shownCode.MatchString(holder.stderr.String()), nil
	})
	journal := filepath.Join(e.DataDir, "journal.db")
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("the demo run has no journal: %v", err)
	}
	st := run(ctx, t, e, nil, "--demo", "status")
	expectCode(t, "--demo status beside the demo", st, 0)
	if _, err := os.Stat(journal); err != nil {
		t.Errorf("--demo status deleted the holder's journal: %v", err)
	}
	if strings.Contains(st.Stderr, "cannot open") {
		t.Errorf("--demo status: %s", st.Stderr)
	}
	select {
	case <-holder.done:
		t.Errorf("the demo run ended while status ran: %+v", holder.res)
	default:
	}
	holder.interrupt()
	holder.wait(ctx)
}

// TestDemoUploadPairsAndUploads: `--demo upload DIR` pairs with the demo's simulator and
// uploads, in one run. It paired, then stopped with "the service is already running"
// (exit 1): the pairing had started the connection, and the upload started it again.
func TestDemoUploadPairsAndUploads(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	dir := t.TempDir()
	writeFile(t, dir, "A001.mov", 200<<10)
	writeFile(t, dir, "A001.wav", 20<<10)
	r := run(ctx, t, e, nil, "--demo", "upload", dir)
	expectCode(t, "--demo upload", r, 0)
	expectContains(t, "--demo upload", r.Stderr, "Paired with the project “Demo Project”.", "2 arrived in “Demo Project”.")
}
