package desktop

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Quitting while files upload offers to quit now, to quit once the queue is done, or to
// keep uploading: it was Yes or No only. "Quit when done" leaves the window up (its
// title says so) and quits when the last file has ended.
func TestQuitWhenDone(t *testing.T) {
	var quits atomic.Int32
	d := newDesk(t, deskConfig{paired: true, run: true, settings: upload.Settings{ParallelFiles: 1, ParallelChunks: 1},
		opts: Options{OnQuit: func() { quits.Add(1) }}})
	if _, err := d.sim.AddFault(c2csim.Fault{Path: "/s3/*", Bandwidth: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	p := d.writeFile("A004_C001.mov", 1<<20)
	if _, err := d.svc.Add(context.Background(), []string{p}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	d.eventually("the file is uploading", func() bool { return d.ui.m.totals.Active > 0 })
	onUI(func() {
		d.ui.requestQuit()
		dlg := d.overlays()[len(d.overlays())-1]
		for _, label := range []string{"Keep uploading", "Quit now", "Quit when done"} {
			if findButton(dlg, label) == nil {
				t.Errorf("no %q among the choices", label)
			}
		}
		test.Tap(findButton(dlg, "Quit when done"))
		if n := quits.Load(); n != 0 {
			t.Errorf("quit %d times at once, want when done", n)
		}
		if title := d.win.Title(); !strings.Contains(title, "quits when done") {
			t.Errorf("the title is %q, want it to say the app quits when done", title)
		}
	})
	d.eventually("the app quits once the file is done", func() bool { return quits.Load() == 1 })
}
