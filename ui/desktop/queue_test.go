package desktop

import (
	"context"
	"github.com/c2c-uploader/c2c-uploader/core"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// rowNames is the names of the rows on screen, sorted.
func (d *desk) rowNames() []string {
	var names []string
	for n := range rows(d.win.Content()) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dialogText is every text of the dialogs in the overlay stack.
func (d *desk) dialogText() string {
	var all []string
	for _, o := range d.overlays() {
		all = append(all, texts(o)...)
	}
	return strings.Join(all, "\n")
}

// Dropping files and a folder on the window queues them: a row per file, with its name;
// dropping one of them again is refused, and one info dialog says which and why.
func TestDropAddsFilesAndFolders(t *testing.T) {
	// Not running: the files stay queued, as they would while waiting for a connection.
	d := newDesk(t, deskConfig{paired: true})
	loose := d.writeFile("A001_C002.mov", 3000)
	d.writeFile("card/B001.wav", 2000)
	d.writeFile("card/C001.jpg", 1000)
	d.writeFile("card/sub/notes.txt", 10)
	folder := filepath.Join(d.media, "card")

	d.eventually("the empty queue invites a drop", func() bool {
		return d.showsQueue() && hasText(d.win.Content(), "Drop camera media here")
	})
	web, err := storage.ParseURI("https://example.com/not-a-file.mov")
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() {
		// What the window's OnDropped hands over (Fyne's test window cannot drop).
		d.ui.addURIs([]fyne.URI{
			storage.NewFileURI(loose), storage.NewFileURI(folder),
			web, // not a local file: ignored
		})
	})
	want := []string{"A001_C002.mov", "B001.wav", "C001.jpg", "notes.txt"}
	d.eventually("a row per dropped file", func() bool {
		return strings.Join(d.rowNames(), ",") == strings.Join(want, ",")
	})
	onUI(func() {
		// One drop, one batch: its header and a row per file.
		if n := d.ui.queue.list.Length(); n != len(want)+1 {
			t.Errorf("the list has %d rows, want %d", n, len(want)+1)
		}
		if d.ui.queue.empty.Visible() {
			t.Error("the drop zone still shows over a full list")
		}
		r := rows(d.win.Content())["A001_C002.mov"]
		if r.v.Size != 3000 || !strings.HasPrefix(r.detail.Text, "Original · "+format.Bytes(3000)) {
			t.Errorf("row of A001_C002.mov: size %d, detail %q", r.v.Size, r.detail.Text)
		}
		if r.state.Text != "Queued" && r.state.Text != "Waiting" {
			t.Errorf("a new file is %q", r.state.Text)
		}
		if n := len(d.overlays()); n != 0 {
			t.Errorf("%d dialogs after a clean drop: %s", n, d.dialogText())
		}
	})

	// The same file again: refused as a duplicate, and said so once.
	onUI(func() { d.ui.addURIs([]fyne.URI{storage.NewFileURI(loose)}) })
	d.eventually("the refusal is shown", func() bool { return d.ui.alerts.Showing() == "info" })
	onUI(func() {
		if n := len(d.overlays()); n != 1 {
			t.Errorf("%d overlays, want the one info dialog", n)
		}
		txt := d.dialogText()
		if !strings.Contains(txt, "1 item was not added") || !strings.Contains(txt, "A001_C002.mov") {
			t.Errorf("the dialog says %q", txt)
		}
		if n := d.ui.queue.list.Length(); n != len(want)+1 {
			t.Errorf("the duplicate was listed: %d rows", n)
		}
	})
}

// A slow network: a row's bar fills step by step while the totals count the files to go,
// and the footer says "All done" at the end.
func TestProgressMovesTheBar(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true,
		settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 2}})
	if _, err := d.sim.AddFault(c2csim.Fault{Path: "/s3/*", Bandwidth: 96 << 10}); err != nil {
		t.Fatal(err)
	}
	big := d.writeFile("A002_C001.mov", 1<<20)
	small := d.writeFile("A002_C002.mov", 100<<10)
	ctx, cancel := context.WithTimeout(context.Background(), deskWaitLong)
	defer cancel()
	if _, err := d.svc.Add(ctx, []string{big, small}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	var seen []float64
	var sawToGo bool
	deadline := time.Now().Add(deskWaitLong)
	for {
		var val float64
		var state, totals, title string
		onUI(func() {
			if r := rows(d.win.Content())["A002_C001.mov"]; r != nil {
				val, state = r.progress.value, r.state.Text
				// The bar shows what the service last said of the file: solid what S3
				// acknowledged, lighter up to what was sent.
				if v := d.ui.m.files[r.v.ID]; v == nil || v.Size == 0 ||
					(v.State != core.Done && (val != float64(v.BytesAcked)/float64(v.Size) || r.progress.pending != float64(v.BytesDone)/float64(v.Size))) {
					t.Errorf("the bar is at %v (%v with what is in flight), the file at %+v", val, r.progress.pending, v)
				}
			}
			totals, title = d.ui.totals.text.Text, d.win.Title()
		})
		if len(seen) == 0 || val != seen[len(seen)-1] {
			seen = append(seen, val)
		}
		if strings.Contains(totals, "2 files to go") || strings.Contains(totals, "1 file to go") {
			sawToGo = true
			if !strings.Contains(title, "to go") {
				t.Errorf("while uploading the title is %q", title)
			}
		}
		if state == "Done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file never finished; bar values %v, state %q", seen, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var between int
	for i, v := range seen {
		// Progress never steps back: a chunk's bytes stay counted from the moment S3
		// took them until the journal has them (core/upload attemptBytes, markDone).
		if i > 0 && v < seen[i-1] {
			t.Errorf("the bar went back: %v", seen)
		}
		if v > 0 && v < 1 {
			between++
		}
	}
	if between < 3 {
		t.Errorf("the bar jumped instead of moving: values %v", seen)
	}
	if seen[len(seen)-1] != 1 {
		t.Errorf("a done file's bar is at %v", seen[len(seen)-1])
	}
	if !sawToGo {
		t.Error("the totals never said how many files were to go")
	}
	d.eventually("the footer says all done", func() bool {
		return strings.HasPrefix(d.ui.totals.text.Text, "All done: 2 uploaded")
	})
	onUI(func() {
		if d.win.Title() != "C2C Uploader" {
			t.Errorf("title %q when all is done", d.win.Title())
		}
		if v := d.ui.totals.progress.value; v != 1 {
			t.Errorf("the footer bar is at %v", v)
		}
		if !d.ui.totals.pauseAll.Disabled() {
			t.Error("Pause all is enabled with nothing to do")
		}
	})
	t.Logf("bar values of the 1 MiB file: %v", seen)
}
