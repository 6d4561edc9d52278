package desktop

// The harness of the window's tests: the real window (desktop.New) on Fyne's test app,
// driven by a real core.Service against an in-process simulator, with a real SQLite
// journal in the test's temp dir and an in-memory token store.
//
// Fyne's test driver runs fyne.Do on the calling goroutine, so the presenter's event
// loop, its command queue and the test itself would all touch widgets at once. The
// test app here hands out a driver that runs every fyne.Do[AndWait] under one lock,
// which is what the real driver's single UI goroutine guarantees; the tests read and
// poke widgets through onUI, under the same lock. That keeps the tests -race clean
// without changing how the window itself calls Fyne.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/core/retry"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// deskWaitLong bounds every wait for something that should happen within seconds: a
// guard against a hang (the race detector on two shared cores is slow), never a
// performance bound.
const deskWaitLong = 20 * time.Second

// threadErrorText is what Fyne logs when its thread rules are broken.
const threadErrorText = "Error in Fyne call thread"

// fyneLog keeps what Fyne (and anything else) wrote through the log package.
var fyneLog = &e2etest.Buffer{}

// TestMain runs the tests with Fyne's thread checks on (no migrated_fynedo tag; the test
// app declares no migration) and fails the run if Fyne complained about a thread.
func TestMain(m *testing.M) {
	log.SetOutput(io.MultiWriter(os.Stderr, fyneLog))
	code := m.Run()
	if manyDir != "" {
		_ = os.RemoveAll(manyDir)
	}
	if strings.Contains(fyneLog.String(), threadErrorText) {
		fmt.Fprintf(os.Stderr, "FAIL: the log shows %q\n", threadErrorText)
		code = 1
	}
	os.Exit(code)
}

// serialApp is Fyne's test app with a driver whose fyne.Do runs under one lock.
type serialApp struct {
	fyne.App
	drv *serialDriver
}

func (a *serialApp) Driver() fyne.Driver { return a.drv }

type serialDriver struct {
	fyne.Driver
	mu    sync.Mutex
	owner atomic.Uint64 // the goroutine holding mu, to let it nest
}

func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	id := goroutineNum()
	if d.owner.Load() == id {
		f()
		return
	}
	d.mu.Lock()
	d.owner.Store(id)
	defer func() {
		d.owner.Store(0)
		d.mu.Unlock()
	}()
	d.Driver.DoFromGoroutine(f, wait)
}

func goroutineNum() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	var id uint64
	for _, c := range bytes.TrimPrefix(buf[:n], []byte("goroutine ")) {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// newSerialApp makes the test app current for the length of the test.
func newSerialApp(t testing.TB) fyne.App {
	base := test.NewTempApp(t)
	// The window uses bold monospace for the pairing code, which Fyne's test theme lacks.
	base.Settings().SetTheme(theme.DefaultTheme())
	a := &serialApp{App: base, drv: &serialDriver{Driver: base.Driver()}}
	fyne.SetCurrentApp(a)
	return a
}

// onUI runs f as the window's goroutine would (under the driver's lock).
func onUI(f func()) { fyne.DoAndWait(f) }

// uiValue reads something on the window's goroutine.
func uiValue[T any](f func() T) T {
	var v T
	onUI(func() { v = f() })
	return v
}

// deskConfig is what a test chooses about its window.
type deskConfig struct {
	sim      c2csim.Options
	opts     Options
	settings upload.Settings // zero: the defaults
	paired   bool            // pair the service before the window starts
	run      bool            // run the service (connection monitor, engine)
	noStart  bool            // build the window but do not Start it
}

// desk is one window under test with everything behind it.
type desk struct {
	t      testing.TB
	sim    *c2csim.Sim
	svc    *core.Service
	ui     *UI
	app    fyne.App
	win    fyne.Window
	media  string // a folder for the test's files
	ctx    context.Context
	cancel context.CancelFunc
	// close stops the window's goroutines and the service and closes the journal; it
	// runs at the end of the test, or earlier (it may run twice).
	close func()
}

func newDesk(t testing.TB, cfg deskConfig) *desk {
	t.Helper()
	if cfg.sim.PartSize == 0 {
		cfg.sim.PartSize = 64 << 10
	}
	if cfg.sim.MinPartSize == 0 {
		cfg.sim.MinPartSize = 16 << 10
	}
	if cfg.sim.PollInterval == 0 {
		cfg.sim.PollInterval = 100 * time.Millisecond
	}
	if cfg.settings == (upload.Settings{}) {
		cfg.settings = upload.DefaultSettings()
	}
	d := &desk{t: t, sim: c2csim.Start(t, cfg.sim), media: t.TempDir()}
	j, err := journal.Open(context.Background(), filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatalf("opening the journal: %v", err)
	}
	d.svc, err = core.New(core.Config{
		APIURL:        d.sim.URL(),
		ClientVersion: "1.0.0-test",
		Credentials:   api.Credentials{ClientID: fmt.Sprintf("desktop-test-%d", time.Now().UnixNano()), ClientSecret: c2csim.DemoClientSecret},
		Tokens:        &authtest.MemoryStore{},
		Journal:       j,
		Settings:      core.DefaultSettings().WithUpload(cfg.settings),
		// The real clock (the pairing poll keeps the simulator's pace), short backoffs.
		Policy:    retry.Policy{MaxDelay: 200 * time.Millisecond},
		Upload:    core.UploadTuning{SettleTime: 200 * time.Millisecond, ProgressInterval: 50 * time.Millisecond},
		Heartbeat: time.Hour,
	})
	if err != nil {
		_ = j.Close()
		t.Fatalf("core.New: %v", err)
	}
	if _, err := d.svc.Load(context.Background()); err != nil {
		_ = j.Close()
		t.Fatalf("Load: %v", err)
	}
	if cfg.paired {
		d.pairService()
	}
	d.app = newSerialApp(t)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.close = func() {
		d.cancel()
		d.ui.Wait()
		_ = j.Close()
	}
	t.Cleanup(func() { d.close() })
	onUI(func() {
		d.ui = New(d.app, d.svc, cfg.opts)
		d.win = d.ui.Window()
	})
	if !cfg.noStart {
		onUI(func() { d.ui.Start(d.ctx) })
	}
	if cfg.run {
		if err := d.svc.Run(d.ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	return d
}

// pairService pairs the service the way the CLI would, before the window exists.
func (d *desk) pairService() {
	d.t.Helper()
	coretest.Pair(d.t, d.svc, d.sim, "Desk Tests", deskWaitLong)
}

// eventually polls cond on the window's goroutine until it holds.
func (d *desk) eventually(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(deskWaitLong)
	for !uiValue(cond) {
		if time.Now().After(deadline) {
			onUI(func() {
				d.t.Logf("window content %T, pairing %+v, auth %+v; texts %q",
					d.win.Content(), d.ui.m.pairing, d.ui.m.auth, texts(d.win.Content()))
			})
			d.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled waits until the presenter applied the service's first events (a paired
// desk's banner names the project): events a test injects after that are not
// overwritten by them.
func (d *desk) settled() {
	d.t.Helper()
	d.eventually("the window shows the queue of the paired app", func() bool {
		return d.showsQueue() && d.ui.banner.text.Text == "Connected to “Desk Tests”"
	})
}

// apply hands events to the window as the presenter would.
func (d *desk) apply(evs ...core.Event) { onUI(func() { d.ui.apply(evs) }) }

// writeFile makes a file of n pseudo-random bytes in the test's media folder.
func (d *desk) writeFile(rel string, n int) string {
	d.t.Helper()
	p := filepath.Join(d.media, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		d.t.Fatal(err)
	}
	b := make([]byte, n)
	seed := uint32(len(rel)*7919 + n)
	for i := range b {
		seed = seed*1664525 + 1013904223
		b[i] = byte(seed >> 24)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// dialogs is what the overlay stack holds (popups, dialogs) — on the window's goroutine.
func (d *desk) overlays() []fyne.CanvasObject {
	return d.win.Canvas().Overlays().List()
}

// visibleObjects walks what is shown under o (hidden branches skipped).
func visibleObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *widget.Label, *widget.Button, *widget.Hyperlink, *widget.RichText:
			// Leaves here: their insides repeat their text.
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// texts is every visible text under o: labels, canvas texts, buttons, hyperlinks, entries.
func texts(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range visibleObjects(o) {
		switch x := c.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		case *widget.Hyperlink:
			out = append(out, x.Text)
		case *widget.RichText:
			out = append(out, x.String())
		}
	}
	return out
}

// hasText tells whether some visible text under o contains s.
func hasText(o fyne.CanvasObject, s string) bool {
	for _, x := range texts(o) {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// findButton is the visible button under o whose text is label.
func findButton(o fyne.CanvasObject, label string) *widget.Button {
	for _, c := range visibleObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	return nil
}

// findCheck is the visible check box under o whose text is label.
func findCheck(o fyne.CanvasObject, label string) *widget.Check {
	for _, c := range visibleObjects(o) {
		if b, ok := c.(*widget.Check); ok && b.Text == label {
			return b
		}
	}
	return nil
}

// findSelect is the visible select under o showing selected.
func findSelect(o fyne.CanvasObject, selected string) *widget.Select {
	for _, c := range visibleObjects(o) {
		if b, ok := c.(*widget.Select); ok && b.Selected == selected {
			return b
		}
	}
	return nil
}

// rows is the queue's rows on screen, by file name.
func rows(o fyne.CanvasObject) map[string]*queueRow {
	out := map[string]*queueRow{}
	for _, c := range visibleObjects(o) {
		if r, ok := c.(*queueRow); ok && r.v.Name != "" {
			out[r.v.Name] = r
		}
	}
	return out
}
