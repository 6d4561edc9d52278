package headless

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// pairedWithACard pairs an installation and makes an empty card with Sound and Proxy
// folders.
func pairedWithACard(t *testing.T) (context.Context, *e2etest.Env, string) {
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Dailies", nil)
	card := filepath.Join(t.TempDir(), "A001")
	for _, dir := range []string{"Sound", "Proxy"} {
		if err := os.MkdirAll(filepath.Join(card, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, e, card
}

// What goes first, through the real binary: `upload --hold` adds a card without creating
// anything; `status` lists it in the order it will run, each file with its category;
// `move` puts an original at the top (a wrong id changes nothing); `start all` sends the
// card, and the simulator sees the assets created in that order.
func TestHoldStatusMoveStart(t *testing.T) {
	t.Parallel()
	ctx, e, card := pairedWithACard(t)
	writeFile(t, card, "A001C001.mov", 400_000)
	writeFile(t, card, "A001C002.mov", 400_000)
	writeFile(t, filepath.Join(card, "Sound"), "T001.WAV", 60_000)
	writeFile(t, filepath.Join(card, "Proxy"), "A001C001.mov", 20_000)
	writeFile(t, card, "A001.cdl", 300)

	held := run(ctx, t, e, nil, "upload", "--hold", card)
	expectCode(t, "upload --hold", held, 0)
	expectContains(t, "upload --hold", held.Stderr, "5 files are on hold", "start all")
	if as, err := e.Sim.Admin.Assets(ctx); err != nil || len(as) != 0 {
		t.Fatalf("upload --hold created %d assets (%v), want none", len(as), err)
	}

	type row struct{ name, category, state string }
	status := func() ([]row, map[string]int64) {
		r := run(ctx, t, e, nil, "status", "--json")
		expectCode(t, "status --json", r, 0)
		var rows []row
		ids := map[string]int64{}
		for _, ev := range ofType(jsonLines(t, "status --json", r.Stdout), "file") {
			cat, _ := ev["category"].(string)
			rows = append(rows, row{ev["name"].(string), cat, ev["state"].(string)})
			ids[cat+"/"+ev["name"].(string)] = int64(ev["id"].(float64))
		}
		return rows, ids
	}
	rows, ids := status()
	want := []row{
		{"T001.WAV", "sound", "on-hold"}, {"A001C001.mov", "proxies", "on-hold"}, {"A001.cdl", "sidecars", "on-hold"},
		{"A001C001.mov", "originals", "on-hold"}, {"A001C002.mov", "originals", "on-hold"},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("status lists\n%v\nwant\n%v", rows, want)
	}

	bad := run(ctx, t, e, nil, "move", "999", "top")
	expectCode(t, "move 999 top", bad, 1)
	expectContains(t, "move 999 top", bad.Stderr, "no file 999", "nothing was moved")
	typo := run(ctx, t, e, nil, "move", "3", "up")
	expectCode(t, "move 3 up", typo, 2)
	if again, _ := status(); !slices.Equal(again, want) {
		t.Fatalf("a refused move changed the order:\n%v", again)
	}
	moved := run(ctx, t, e, nil, "move", strconv.FormatInt(ids["originals/A001C002.mov"], 10), "top")
	expectCode(t, "move top", moved, 0)
	expectContains(t, "move top", moved.Stderr, "Moved A001C002.mov to the top")
	rows, _ = status()
	if rows[0] != (row{"A001C002.mov", "originals", "on-hold"}) {
		t.Fatalf("after move top, status lists %v first", rows[0])
	}

	// One request at a time, so the simulator sees the order itself.
	started := run(ctx, t, e, nil, "start", "--parallel-files", "1", "--parallel-chunks", "1", "all")
	expectCode(t, "start all", started, 0)
	expectContains(t, "start all", started.Stderr, "Started 5 files", "5 arrived")
	as, err := e.Sim.Admin.Assets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(as, func(a, b c2csim.AssetInfo) int { return a.InsertedAt.Compare(b.InsertedAt) })
	var order []string
	for _, a := range as {
		order = append(order, a.Name)
	}
	if wantOrder := []string{"A001C002.mov", "T001.WAV", "A001C001.mov", "A001.cdl", "A001C001.mov"}; !slices.Equal(order, wantOrder) {
		t.Errorf("the simulator made the assets in the order %q, want %q", order, wantOrder)
	}
	for _, a := range as {
		if !a.Complete {
			t.Errorf("%s is %s, not complete", a.Name, a.State)
		}
	}
	done := run(ctx, t, e, nil, "move", strconv.FormatInt(ids["originals/A001C002.mov"], 10), "bottom")
	expectCode(t, "move of a file done", done, 1)
	expectContains(t, "move of a file done", done.Stderr, "is done already", "nothing was moved")
}

// `upload --only sound,proxies --exclude GLOB --exclude GLOB`: the files left out never
// reach the simulator and are listed once, grouped with the reason; leaving files out is
// what was asked, so the run succeeds.
func TestUploadOnlyAndExclude(t *testing.T) {
	t.Parallel()
	ctx, e, card := pairedWithACard(t)
	for i := range 3 {
		writeFile(t, card, "A001C00"+strconv.Itoa(i+1)+".mov", 200_000)
	}
	_, wav := writeFile(t, filepath.Join(card, "Sound"), "T001.WAV", 50_000)
	_, proxy := writeFile(t, filepath.Join(card, "Proxy"), "A001C001.mov", 10_000)
	writeFile(t, filepath.Join(card, "Sound"), "T001.tmp", 100)
	writeFile(t, card, "render.TMP", 100)

	r := run(ctx, t, e, nil, "upload", "--only", "sound,proxies", "--exclude", "*.tmp", "--exclude", "Sound/*.bak", card)
	expectCode(t, "upload --only", r, 0)
	expectContains(t, "upload --only", r.Stderr,
		"left out: 2 files, excluded by *.tmp", "left out: 3 files, not sound or proxies (only sound,proxies)", "2 arrived")
	expectArrived(ctx, t, e, map[string]string{"T001.WAV": wav, "A001C001.mov": proxy})
	if as, err := e.Sim.Admin.Assets(ctx); err != nil || len(as) != 2 {
		t.Errorf("the simulator has %d assets (%v), want the 2 taken", len(as), err)
	}

	bad := run(ctx, t, e, nil, "upload", "--only", "soud", card)
	expectCode(t, "upload --only soud", bad, 2)
	expectContains(t, "upload --only soud", bad.Stderr, "did you mean sound?")
	// A flag taken for the value of the one before it is a mistake, not a pattern.
	swallowed := run(ctx, t, e, nil, "upload", "--exclude", "--hold", card)
	expectCode(t, "upload --exclude --hold", swallowed, 2)
	expectContains(t, "upload --exclude --hold", swallowed.Stderr, "give --exclude a value right after it")

	// Everything left out: nothing to do, and the result counts them.
	none := run(ctx, t, e, nil, "upload", "--only", "stills", "--json", card)
	expectCode(t, "upload --only stills", none, 0)
	expectContains(t, "upload --only stills", none.Stderr, "Nothing to upload: the filter left out every file.")
	results := ofType(jsonLines(t, "upload --only stills --json", none.Stdout), "result")
	if len(results) != 1 || results[0]["left_out"] != float64(7) || results[0]["arrived"] != float64(0) {
		t.Errorf("the result event says %v, want 7 left out", results)
	}
}

// A card added on hold, then named again by `upload`: the files in the queue on hold are
// started by it, as new ones would be, and arrive (it once waited for them forever).
func TestUploadStartsFilesOnHoldItNames(t *testing.T) {
	t.Parallel()
	ctx, e, card := pairedWithACard(t)
	_, sum := writeFile(t, card, "A001C001.mov", 100_000)
	held := run(ctx, t, e, nil, "upload", "--hold", card)
	expectCode(t, "upload --hold", held, 0)
	again := run(ctx, t, e, nil, "upload", "--hold", card)
	expectCode(t, "upload --hold again", again, 0)
	expectContains(t, "upload --hold again", again.Stderr, "Nothing new to add: 1 file is in the queue already")
	r := run(within(ctx, t, 2*time.Minute), t, e, nil, "upload", card)
	expectCode(t, "upload of files on hold", r, 0)
	expectContains(t, "upload of files on hold", r.Stderr, "1 arrived")
	expectArrived(ctx, t, e, map[string]string{"A001C001.mov": sum})
}
