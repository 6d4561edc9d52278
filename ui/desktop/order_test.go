package desktop

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Uploads started by hand, in the window: a drop waits on hold (each row says so and
// its kind, the footer and Start all say how many); a batch lists its files in the order
// they will go, sound first; Upload next on a row and Ctrl+Shift+Down on a picked one
// reorder it; Start all sends them, and the simulator sees them in the order shown.
func TestOnHoldUploadNextAndStartAll(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true,
		settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 1, ManualStart: true}})
	d.settled()
	var paths []string
	for _, name := range []string{"A001/C001.mov", "A001/C002.mov", "A001/C003.mov", "A001/T001.WAV"} {
		paths = append(paths, d.writeFile(name, 3000))
	}
	onUI(func() { d.ui.add(paths[:1]) }) // the drop of a folder, as one batch below
	d.eventually("the first file on hold", func() bool { return len(d.ui.m.files) == 1 })
	onUI(func() { d.ui.add(paths[1:]) })
	d.eventually("every file on hold, and Start all showing", func() bool {
		return len(d.ui.m.files) == 4 && d.ui.startAll.Visible() && d.ui.startAll.Text == "Start all (4 on hold)"
	})
	if got := d.stateOf("C002.mov"); got != core.OnHold {
		t.Fatalf("C002.mov is %s, want on hold", got)
	}
	onUI(func() {
		r := rows(d.win.Content())["T001.WAV"]
		if r.state.Text != "On hold" || !strings.HasPrefix(r.detail.Text, "Sound · ") || r.pause.label != "Start" {
			t.Errorf("the row of T001.WAV says %q / %q, its button %q", r.state.Text, r.detail.Text, r.pause.label)
		}
		if got := d.ui.totals.text.Text; got != "4 files on hold: Start all sends them." {
			t.Errorf("the footer says %q", got)
		}
	})
	// Two batches (two drops): within the second, the sound file goes first.
	if got, want := d.listed(), []string{"C001.mov", "T001.WAV", "C002.mov", "C003.mov"}; !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}

	onUI(func() { test.Tap(rows(d.win.Content())["C003.mov"].next) })
	d.eventually("C003.mov to go first in its batch", func() bool {
		return slices.Equal(d.listed(), []string{"C001.mov", "C003.mov", "T001.WAV", "C002.mov"})
	})
	d.click("C003.mov", 0)
	onUI(func() {
		d.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(shortcutMoveBottom)
	})
	d.eventually("C003.mov to go last", func() bool {
		return slices.Equal(d.listed(), []string{"C001.mov", "T001.WAV", "C002.mov", "C003.mov"})
	})

	onUI(func() { test.Tap(d.ui.startAll) })
	d.eventually("every file uploaded, and Start all gone", func() bool {
		return d.ui.m.totals.Done == 4 && !d.ui.startAll.Visible()
	})
	// The queue as a whole: sound first, then the originals by the time they were shot,
	// C003 last where it was moved.
	assets, err := d.sim.Admin.Assets(d.ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(assets, func(a, b c2csim.AssetInfo) int { return a.InsertedAt.Compare(b.InsertedAt) })
	var order []string
	for _, a := range assets {
		order = append(order, a.Name)
	}
	if want := []string{"T001.WAV", "C001.mov", "C002.mov", "C003.mov"}; !slices.Equal(order, want) {
		t.Errorf("the simulator made %q, want %q", order, want)
	}
}
