package desktop

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Options are what main tells the window.
type Options struct {
	Version string
	// Paths given on the command line ("Open with"): queued like a drop.
	Paths []string
	// Demo adds an "Approve in simulator" button to the pairing view.
	Demo        bool
	ApproveDemo func(userCode string) error
	// APIURL is the API in use, shown in the settings.
	APIURL string
	// OnQuit is called when the user quits (after a confirmation if uploads are running).
	OnQuit func()
	// Notices are warnings shown once the window is up, until the person says they have
	// read them (AcknowledgeNotices): a damaged upload history, an API setting that
	// gave way to the pairing.
	Notices            []string
	AcknowledgeNotices func() error
	// DataDir is the data folder; LogDir and LogFile where the log is written (the Help
	// menu opens them and reads the log's end for the diagnostics).
	DataDir, LogDir, LogFile string
	// ReportsDir is where batches' receipts are written (the reports and hash lists the
	// menu opens).
	ReportsDir string
	// TokenStore says where the pairing is kept ("keychain" or "file").
	TokenStore string
	// NeedPassphrase: the pairing is in a token file whose passphrase the window must
	// ask for (UnlockTokens) before it is paired.
	NeedPassphrase bool
	UnlockTokens   func(ctx context.Context, passphrase string) error
	// KeepInTokenFile moves the pairing into a token file with that passphrase, for a
	// computer without a keychain (nil: not offered).
	KeepInTokenFile func(ctx context.Context, passphrase string) error
	// Settings are the settings the window starts with: the data folder's, with this
	// run's flags over them (the service runs with them already); zero: the defaults.
	Settings core.Settings
	// SettingsStore is where the settings dialog saves: the data folder's, which the
	// headless commands read too (nil: saved nowhere).
	SettingsStore core.SettingsStore
	// SettingsProblems are told once the window is up: a damaged settings file, a value
	// not understood, an API setting that gave way to the pairing.
	SettingsProblems []string
}

// UI is the window and everything in it.
type UI struct {
	app  fyne.App
	win  fyne.Window
	svc  Service
	opts Options
	p    *presenter
	m    *model
	ctx  context.Context

	pairing  *pairingView
	queue    *queueView
	banner   *banner
	totals   *totalsBar
	alerts   *alertCenter
	settings core.Settings // as the dialog last saved them; the engine's own in svc
	watch    *watchView
	cards    *cardsView
	startAll *widget.Button // shown while files wait on hold
	tray     *tray
	tips     *tooltips
	// compact is the list's row density: one line per file instead of two (the
	// person's choice, kept in the app's preferences).
	compact bool

	mainView       fyne.CanvasObject
	showingPairing bool // true while the pairing view is up
	// awaitingPassphrase: the pairing is locked in a token file; no new pairing starts
	// by itself meanwhile.
	awaitingPassphrase bool
	userPaired         bool // the user asked to (re)pair: keep the pairing view until it ends
	lastTitle          string
	openURL            func(*url.URL) error // the app's OpenURL; a test's stand-in
	quitWhenDone       bool                 // the person chose to quit once the queue has nothing left to do
}

// New builds the window for svc. Start makes it live.
func New(a fyne.App, svc Service, opts Options) *UI {
	u := &UI{app: a, svc: svc, opts: opts, m: newModel(), p: newPresenter(svc)}
	u.p.ui = u
	u.p.apply = u.apply
	u.p.tick = u.tick
	u.settings = opts.Settings
	if u.settings == (core.Settings{}) {
		u.settings = core.DefaultSettings()
	}
	u.m.runOrder = u.settings.Order
	u.watch = newWatchView(u)
	u.cards = newCardsView(u)
	u.win = a.NewWindow("C2C Uploader")
	u.win.Resize(fyne.NewSize(880, 620))
	u.tips = newTooltips()
	u.openURL = a.OpenURL
	if runtime.GOOS == "darwin" {
		// A Mac has a menu bar of its own; elsewhere the toolbar's button holds the menu,
		// which would otherwise take a line of the window.
		u.win.SetMainMenu(fyne.NewMainMenu(u.helpMenu()))
	}
	u.compact = a.Preferences().Bool(prefCompactRows)
	u.applyLook()
	u.alerts = newAlertCenter(u)
	u.banner = newBanner(u)
	u.totals = newTotalsBar(u)
	u.queue = newQueueView(u)
	u.pairing = newPairingView(u)
	u.mainView = container.NewStack(container.NewBorder(
		container.NewVBox(u.banner.object(), u.toolbar()),
		u.totals.object(), nil, nil, u.queue.object()), u.tips.layer)
	u.win.SetContent(u.mainView)
	u.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { u.addURIs(uris) })
	u.addShortcuts()
	u.win.SetCloseIntercept(u.requestQuit)
	u.tray = newTray(u)
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Start subscribes to the service and queues the command-line paths. Call it once,
// before ShowAndRun or in a test.
func (u *UI) Start(ctx context.Context) {
	u.ctx = ctx
	for _, p := range u.opts.SettingsProblems {
		u.alerts.info("Settings", p)
	}
	if u.opts.NeedPassphrase && u.opts.UnlockTokens != nil {
		u.askUnlock("")
	}
	u.p.start(ctx)
	for _, n := range u.opts.Notices {
		u.alerts.notice(n)
	}
	if len(u.opts.Paths) > 0 {
		u.add(u.opts.Paths)
	}
}

// Open brings the window to the front and queues paths as if they were dropped on it:
// the app was started again ("Open with", a second launch) while this window runs. Any
// goroutine may call it.
func (u *UI) Open(paths []string) {
	fyne.Do(func() {
		u.win.Show()
		u.win.RequestFocus()
		if len(paths) > 0 {
			u.add(paths)
		}
	})
}

// Wait returns once the goroutines that Start began (event loop, command queue, a
// pairing under way) have ended, which they do when Start's context is cancelled. After
// it, nothing of the service reaches the window any more.
func (u *UI) Wait() { u.p.wg.Wait() }

// apply takes a batch of events (on Fyne's goroutine).
func (u *UI) apply(evs []core.Event) {
	layoutDirty := false
	var changed []core.FileID // files whose rows may need redrawing (each once: events coalesce)
	for _, ev := range evs {
		switch ev.Type {
		case core.EventAuth:
			u.m.auth = *ev.Auth
			layoutDirty = true
		case core.EventConnection:
			u.m.conn = *ev.Connection
		case core.EventPairing:
			u.m.pairing = *ev.Pairing
			u.pairing.update(u.m.pairing)
			layoutDirty = true
		case core.EventFile:
			if ev.File.State == core.Uploading || ev.File.State == core.Done {
				u.m.channelPaused = false
			}
			if !u.m.setFile(*ev.File) {
				changed = append(changed, ev.File.ID)
			}
		case core.EventRemoved:
			u.m.removeFile(ev.Removed)
		case core.EventTotals:
			if ev.Totals.Skipped == 0 && u.m.totals.Skipped > 0 {
				u.m.channelPaused = false // the refused files were cleared or sent again
			}
			u.m.totals = *ev.Totals
		case core.EventFinished:
			u.finished(*ev.Finished)
		case core.EventReceipts:
			u.receiptsWritten(*ev.Receipts)
		case core.EventWatch:
			u.watch.told(*ev.Watch)
		case core.EventCard:
			u.cards.told(*ev.Card)
		case core.EventAlert:
			if ev.Alert.Kind == core.AlertChannelPaused {
				u.m.channelPaused = true
			}
			u.alerts.raise(*ev.Alert)
		}
	}
	if u.m.arrange() {
		u.queue.refresh()
	} else {
		u.queue.refreshRows(changed)
	}
	if layoutDirty {
		u.layout()
	}
	u.banner.update()
	u.totals.update()
	u.updateStartAll()
	u.tray.update()
	u.updateTitle()
}

// updateStartAll shows Start all while files wait on hold, with how many.
func (u *UI) updateStartAll() {
	if u.startAll == nil {
		return
	}
	if n := u.m.totals.OnHold; n > 0 {
		u.startAll.SetText(fmt.Sprintf("Start all (%d on hold)", n))
		u.startAll.Show()
		return
	}
	u.startAll.Hide()
}

// tick moves the countdowns once a second.
func (u *UI) tick() {
	u.pairing.tick()
	u.banner.update()
}

// layout shows the pairing view while the app is not paired (or the user asked to
// reconnect), the queue otherwise.
func (u *UI) layout() {
	st := u.m.auth.State
	// A pairing the user asked for keeps its view while it runs, even if the app is
	// (still, or again) paired: its code is being polled for.
	pairing := st == core.Unpaired || (u.userPaired && (st != core.Paired || u.pairingRunning()))
	if u.userPaired && st == core.Paired && u.m.pairing.State == core.PairPaired {
		u.userPaired = false
		pairing = false
	}
	if pairing && !u.showingPairing {
		u.showingPairing = true
		u.win.SetContent(u.pairing.object())
		if st == core.Unpaired && !u.pairingRunning() && !u.awaitingPassphrase {
			u.startPairing()
		}
	} else if !pairing && u.showingPairing {
		u.showingPairing = false
		u.win.SetContent(u.mainView)
	}
}

func (u *UI) pairingRunning() bool {
	switch u.m.pairing.State {
	case core.PairRequesting, core.PairPending, core.PairApproved:
		return true
	}
	return false
}

// startPairing asks for a code and shows the pairing view; used at first start and by
// the Reconnect button (the queue is kept).
func (u *UI) startPairing() {
	u.userPaired = true
	u.m.pairing = core.Pairing{State: core.PairRequesting, Message: "Asking the server for a pairing code…"}
	u.pairing.update(u.m.pairing)
	if !u.showingPairing {
		u.showingPairing = true
		u.win.SetContent(u.pairing.object())
	}
	u.p.background(u.ctx, func(ctx context.Context) {
		err := u.svc.Pair(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			fyne.Do(func() { u.layout() })
		}
	})
}

// cancelPairing stops a pairing; back to the queue if the app is still paired.
func (u *UI) cancelPairing() {
	u.svc.CancelPairing()
	u.userPaired = false
	if u.m.auth.State != core.Unpaired {
		u.showingPairing = false
		u.win.SetContent(u.mainView)
	}
}

func (u *UI) addURIs(uris []fyne.URI) {
	paths := make([]string, 0, len(uris))
	for _, uri := range uris {
		if uri.Scheme() == "file" {
			paths = append(paths, uri.Path())
		}
	}
	if len(paths) > 0 {
		u.add(paths)
	}
}

// add queues paths off Fyne's goroutine (a folder can hold thousands of files) and tells
// what was not queued, and why.
func (u *UI) add(paths []string) { u.addPaths(paths, false, false) }

// addCard queues a card the person chose to upload from its offer, which said already
// how many of its files were uploaded before: only other rejections are told.
func (u *UI) addCard(path string) { u.addPaths([]string{path}, false, true) }

func (u *UI) addPaths(paths []string, force, knownSaid bool) {
	u.p.do("The files could not be queued", func(ctx context.Context) error {
		res, err := u.svc.Add(ctx, paths, core.AddOptions{Force: force})
		if err != nil {
			return err
		}
		rejected := res.Rejected
		if knownSaid {
			rejected = slices.DeleteFunc(slices.Clone(rejected), func(r core.Rejection) bool {
				return r.AlreadyUploaded() || r.Existing != 0
			})
		}
		if len(rejected) > 0 {
			fyne.Do(func() { u.showRejected(rejected) })
		}
		return nil
	})
}

// showRejected tells what was not queued: files uploaded already (a card put back after
// more shooting) are not an error, and can be sent again on purpose; the others say why.
func (u *UI) showRejected(rs []core.Rejection) {
	var uploaded, other []core.Rejection
	for _, r := range rs {
		switch {
		case r.LeftOut:
		case r.AlreadyUploaded():
			uploaded = append(uploaded, r)
		default:
			other = append(other, r)
		}
	}
	if groups := core.LeftOut(rs); len(groups) > 0 {
		n := 0
		var b strings.Builder
		for _, g := range groups {
			n += len(g.Paths)
			fmt.Fprintf(&b, "• %s — %s\n", format.Count(len(g.Paths), "file"), g.Reason)
		}
		b.WriteString("Change the filter in Settings to add them.")
		u.alerts.info(format.Counted(n, "file was left out", "files were left out"), b.String())
	}
	if len(other) > 0 {
		u.alerts.info(format.Counted(len(other), "item was not added", "items were not added"), listRejected(other))
	}
	if len(uploaded) == 0 {
		return
	}
	paths := make([]string, len(uploaded))
	for i, r := range uploaded {
		paths[i] = r.Path
	}
	title := format.Counted(len(uploaded), "file was uploaded already", "files were uploaded already")
	again := "Upload them again"
	if len(uploaded) == 1 {
		again = "Upload it again"
	}
	u.alerts.ask(title, describeUploaded(uploaded), again, func() { u.addPaths(paths, true, false) })
}

// describeUploaded says where and when files added again went, a line per project, and
// names a few: a card put back holds hundreds.
func describeUploaded(rs []core.Rejection) string {
	type span struct {
		n           int
		first, last time.Time
	}
	var order []string
	by := map[string]*span{}
	for _, r := range rs {
		sp := by[r.UploadedTo]
		if sp == nil {
			sp = &span{first: r.UploadedAt, last: r.UploadedAt}
			by[r.UploadedTo] = sp
			order = append(order, r.UploadedTo)
		}
		sp.n++
		if r.UploadedAt.Before(sp.first) {
			sp.first = r.UploadedAt
		}
		if r.UploadedAt.After(sp.last) {
			sp.last = r.UploadedAt
		}
	}
	var b strings.Builder
	b.WriteString("Nothing was sent again.\n")
	for _, p := range order {
		sp := by[p]
		where := "uploaded"
		if p != "" {
			where = "in “" + p + "”, uploaded"
		}
		when := sp.first.Local().Format("2 Jan 2006 15:04")
		if last := sp.last.Local().Format("15:04"); !sp.last.Equal(sp.first) && last != sp.first.Local().Format("15:04") {
			when += "–" + last
		}
		fmt.Fprintf(&b, "\n%s %s %s", format.Count(sp.n, "file"), where, when)
	}
	names := make([]string, 0, 6)
	for i, r := range rs {
		if i == 6 {
			names = append(names, fmt.Sprintf("…and %d more", len(rs)-i))
			break
		}
		names = append(names, filepath.Base(r.Path))
	}
	b.WriteString("\n\n" + strings.Join(names, ", "))
	return b.String()
}

func listRejected(rs []core.Rejection) string {
	var b strings.Builder
	for i, r := range rs {
		if i == 12 {
			fmt.Fprintf(&b, "…and %d more.\n", len(rs)-i)
			break
		}
		fmt.Fprintf(&b, "• %s — %s\n", shortPath(r.Path), r.Reason)
	}
	return strings.TrimSpace(b.String())
}

// showError tells the user that something they asked for failed.
func (u *UI) showError(what string, err error) {
	u.alerts.info(what, core.UserText(err))
}

func (u *UI) finished(t core.Totals) {
	if u.settings.Notifications {
		u.app.SendNotification(fyne.NewNotification("Uploads finished", outcome(t)))
	}
	if u.quitWhenDone {
		u.quit()
	}
}

func (u *UI) updateTitle() {
	t := u.m.totals
	title := "C2C Uploader"
	if t.FilesRemaining > 0 && t.BytesTotal > 0 {
		title = fmt.Sprintf("C2C Uploader — %d%% · %d to go", t.BytesAcked*100/t.BytesTotal, t.FilesRemaining)
		if u.quitWhenDone {
			title += " · quits when done"
		}
	}
	if title != u.lastTitle {
		u.lastTitle = title
		u.win.SetTitle(title)
	}
}

// requestQuit asks before quitting while files are uploading; they resume next time.
func (u *UI) requestQuit() {
	if u.m.totals.Active == 0 {
		u.quit()
		return
	}
	u.showQuitChoices()
}

// showQuitChoices asks how to quit while files are uploading: now (they resume at the
// next start), once the queue is done, or not at all — with the window hidden in the
// tray, where there is one.
func (u *UI) showQuitChoices() {
	resume := "they resume where they"
	if u.m.totals.FilesRemaining == 1 {
		resume = "it resumes where it"
	}
	msg := widget.NewLabel(fmt.Sprintf("%s still to upload (%s left). If you quit now, %s stopped the next time the app starts.",
		format.Count(u.m.totals.FilesRemaining, "file"), format.Bytes(u.m.totals.BytesRemaining), resume))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	choice := func(label string, act func()) *widget.Button {
		return widget.NewButton(label, func() { d.Hide(); act() })
	}
	keep := choice("Keep uploading", func() {})
	whenDone := choice("Quit when done", func() { u.quitWhenDone = true; u.updateTitle() })
	now := choice("Quit now", u.quit)
	now.Importance = widget.DangerImportance
	buttons := []fyne.CanvasObject{keep, whenDone, now}
	if u.tray.app != nil {
		buttons = append([]fyne.CanvasObject{choice("Upload in the tray", u.win.Hide)}, buttons...)
	}
	content := container.NewVBox(container.NewGridWrap(fyne.NewSize(520, msg.MinSize().Height*2), msg), container.NewCenter(container.NewHBox(buttons...)))
	d = dialog.NewCustomWithoutButtons("Quit while uploading?", content, u.win)
	d.Show()
}

// Quit quits now, without asking (the system asked: a signal); safe from any goroutine.
func (u *UI) Quit() { fyne.Do(u.quit) }

func (u *UI) quit() {
	if u.opts.OnQuit != nil {
		u.opts.OnQuit()
	}
	u.app.Quit()
}

func shortPath(p string) string {
	const keep = 60
	r := []rune(p)
	if len(r) <= keep {
		return p
	}
	return "…" + string(r[len(r)-keep+1:])
}
