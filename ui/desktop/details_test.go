package desktop

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// A finished row opens the file's record: where it came from, the project and asset it
// went to and when, and a button that copies the asset id.
func TestAFileShowsItsRecord(t *testing.T) {
	d := newDesk(t, deskConfig{paired: true, run: true})
	p := d.writeFile("A003_C007.mov", 300<<10)
	if _, err := d.svc.Add(context.Background(), []string{p}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	var v core.FileView
	d.eventually("the file is done", func() bool {
		r := rows(d.win.Content())["A003_C007.mov"]
		if r == nil || r.v.State != core.Done {
			return false
		}
		v = r.v
		return true
	})
	assets := d.sim.Assets()
	if len(assets) != 1 || v.AssetID != assets[0].ID {
		t.Fatalf("the row's asset is %q, the simulator has %+v", v.AssetID, assets)
	}
	onUI(func() {
		r := rows(d.win.Content())["A003_C007.mov"]
		test.Tap(r.details)
		var shown []string
		for _, o := range d.overlays() {
			for _, c := range visibleObjects(o) {
				if l, ok := c.(*widget.Label); ok {
					shown = append(shown, l.Text)
				}
			}
		}
		text := strings.Join(shown, "\n")
		for _, want := range []string{v.AssetID, "Desk Tests", filepath.Dir(p), "300.0 KiB"} {
			if !strings.Contains(text, want) {
				t.Errorf("the record does not show %q:\n%s", want, text)
			}
		}
		copyID := findButton(d.overlays()[len(d.overlays())-1], "Copy asset ID")
		if copyID == nil {
			t.Fatal("no Copy asset ID button")
		}
		test.Tap(copyID)
		if got := d.app.Clipboard().Content(); got != v.AssetID {
			t.Errorf("the clipboard holds %q, want the asset id %q", got, v.AssetID)
		}
	})
}
