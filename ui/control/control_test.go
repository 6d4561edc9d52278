package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// fakeService stands in for the window's core.Service: it records what it was asked and
// publishes what the test tells it to through a feed.
type fakeService struct {
	mu       sync.Mutex
	feeds    []*core.Subscription
	added    [][]string
	retried  []core.Selector
	redirect []core.Selector
	anyway   []core.Selector
	moved    []string
	holds    []bool
	started  []core.Selector
	files    []core.FileView
	status   core.AuthStatus
}

func (f *fakeService) Subscribe() *core.Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := core.NewFeed()
	st := f.status
	s.Push(core.Event{Type: core.EventAuth, Auth: &st})
	f.feeds = append(f.feeds, s)
	return s
}

func (f *fakeService) publish(ev core.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.feeds {
		s.Push(ev)
	}
}

func (f *fakeService) Add(_ context.Context, paths []string, opts core.AddOptions) (core.AddResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, paths)
	f.holds = append(f.holds, opts.Hold)
	if strings.HasSuffix(paths[0], "refused") {
		return core.AddResult{}, errors.New("the disk holding /data is full (0 B free)")
	}
	v := core.FileView{ID: core.FileID(len(f.files) + 1), Path: paths[0], Name: filepath.Base(paths[0]), State: core.Queued, Size: 10}
	f.files = append(f.files, v)
	return core.AddResult{Added: []core.FileView{v}, Rejected: []core.Rejection{{Path: "/x/old.mov", Reason: "already in “P”", UploadedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), UploadedTo: "P"}}}, nil
}

func (f *fakeService) Retry(_ context.Context, sel core.Selector) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, sel)
	return nil
}

func (f *fakeService) Resume(context.Context, core.Selector) error { return nil }

func (f *fakeService) Start(_ context.Context, sel core.Selector) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, sel)
	return nil
}

func (f *fakeService) Redirect(_ context.Context, sel core.Selector) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirect = append(f.redirect, sel)
	return nil
}

func (f *fakeService) UploadAnyway(_ context.Context, sel core.Selector) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.anyway = append(f.anyway, sel)
	return nil
}

func (f *fakeService) Move(_ context.Context, sel core.Selector, to core.Place) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(sel.IDs, 404) {
		return fmt.Errorf("file 404: %w", core.ErrUnknownFile)
	}
	f.moved = append(f.moved, fmt.Sprintf("%v %s", sel.IDs, to))
	return nil
}

func (f *fakeService) Snapshot() ([]core.FileView, core.Totals) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]core.FileView(nil), f.files...), core.Totals{Files: len(f.files)}
}

func (f *fakeService) AuthStatus() core.AuthStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// listen listens on a socket in a temporary folder.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	addr, err := Address(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln, addr
}

// serve runs a server for svc on a socket in a temporary folder and dials it.
func serve(t *testing.T, svc core.Queue, open func([]string)) *Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, addr := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(ctx, ln, svc, ServerOptions{Version: "9.9.9", Open: open})
	}()
	c, err := Dial(ctx, addr, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		<-done
	})
	return c
}

// The client carries out upload's calls in the holder and brings back its answers and
// its events, typed as this process's own.
func TestClientCallsTheHolder(t *testing.T) {
	svc := &fakeService{status: core.AuthStatus{State: core.Paired, ProjectName: "P", ProjectID: "p1",
		CauseKind: "UnauthorizedClient"}}
	c := serve(t, svc, nil)
	if c.Version() != "9.9.9" {
		t.Errorf("the holder's version is %q", c.Version())
	}
	sub := c.Subscribe()
	ctx := t.Context()
	res, err := c.Add(ctx, []string{"/cards/A001/clip.mov"}, core.AddOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || res.Added[0].Name != "clip.mov" || len(res.Rejected) != 1 || !res.Rejected[0].AlreadyUploaded() || res.Rejected[0].UploadedTo != "P" {
		t.Fatalf("Add brought back %+v", res)
	}
	if _, err := c.Add(ctx, []string{"/cards/refused"}, core.AddOptions{}); err == nil || !strings.Contains(err.Error(), "disk holding /data is full") {
		t.Errorf("an Add the holder refused: %v, want its error", err)
	}
	if err := c.Retry(ctx, core.One(7)); err != nil {
		t.Fatal(err)
	}
	if err := c.Redirect(ctx, core.All); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadAnyway(ctx, core.Some(3, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(ctx, []string{"/cards/A002"}, core.AddOptions{Hold: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, core.All); err != nil {
		t.Fatal(err)
	}
	if err := c.Move(ctx, core.Some(5, 6), core.Bottom); err != nil {
		t.Fatal(err)
	}
	if err := c.Move(ctx, core.Some(404), core.Top); err == nil || !strings.Contains(err.Error(), core.ErrUnknownFile.Error()) {
		t.Errorf("a Move the holder refused: %v, want its error", err)
	}
	if st := c.AuthStatus(); st.State != core.Paired || st.ProjectName != "P" {
		t.Errorf("AuthStatus %+v, want the holder's pairing", st)
	}
	files, totals := c.Snapshot()
	if len(files) != 2 || totals.Files != 2 || files[0].Path != "/cards/A001/clip.mov" {
		t.Errorf("Snapshot %+v %+v", files, totals)
	}
	svc.mu.Lock()
	if len(svc.added) != 3 || !reflect.DeepEqual(svc.holds, []bool{false, false, true}) || len(svc.started) != 1 || !svc.started[0].All || svc.added[0][0] != "/cards/A001/clip.mov" || len(svc.retried) != 1 || !reflect.DeepEqual(svc.retried[0], core.One(7)) ||
		len(svc.redirect) != 1 || !svc.redirect[0].All || len(svc.anyway) != 1 || !reflect.DeepEqual(svc.anyway[0], core.Some(3, 4)) ||
		!reflect.DeepEqual(svc.moved, []string{"[5 6] bottom"}) {
		t.Errorf("the holder was asked %+v / %+v / %+v / %+v / %+v", svc.added, svc.retried, svc.redirect, svc.anyway, svc.moved)
	}
	svc.mu.Unlock()

	done := core.FileView{ID: 1, Path: "/cards/A001/clip.mov", State: core.Done, Project: "P", DoneAt: time.Now()}
	svc.publish(core.Event{Type: core.EventFile, File: &done})
	svc.publish(core.Event{Type: core.EventAlert, Alert: &core.Alert{Kind: core.AlertDiskFull, Message: "the disk is full"}})
	var got []core.Event
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case <-sub.Ready():
			got = append(got, sub.Drain()...)
		case <-deadline:
			t.Fatalf("events received: %+v", got)
		}
	}
	if got[0].Type != core.EventAuth || got[0].Auth.ProjectName != "P" || got[0].Auth.CauseKind != "UnauthorizedClient" ||
		got[1].Type != core.EventFile || got[1].File.State != core.Done || got[1].File.Project != "P" ||
		got[2].Type != core.EventAlert || got[2].Alert.Kind != core.AlertDiskFull {
		t.Errorf("events %+v", got)
	}
}

// Opening the app again hands the paths to the window's Open.
func TestOpenReachesTheWindow(t *testing.T) {
	opened := make(chan []string, 1)
	c := serve(t, &fakeService{}, func(paths []string) { opened <- paths })
	if err := c.Open(t.Context(), []string{"/media/card/clip.mov"}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-opened:
		if len(p) != 1 || p[0] != "/media/card/clip.mov" {
			t.Errorf("the window was given %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the window was not asked to open")
	}
}

// A holder that went away ends the client's calls with an error instead of a wait.
func TestAClosedHolderEndsTheCalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, addr := listen(t)
	done := make(chan struct{})
	go func() { defer close(done); Serve(ctx, ln, &fakeService{}, ServerOptions{}) }()
	c, err := Dial(t.Context(), addr, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	<-done
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not notice the holder went away")
	}
	if err := c.Retry(t.Context(), core.All); err == nil {
		t.Error("a call after the holder went away succeeded")
	}
	if _, err := Dial(t.Context(), addr, "1.0.0"); err == nil {
		t.Error("dialling a holder that went away succeeded")
	}
}

// A data folder whose path is too long for a socket gets one in a private folder.
func TestAddressOfALongDataFolder(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	addr, err := Address(long)
	if err != nil {
		t.Fatal(err)
	}
	if len(addr) > maxSocketPath || strings.HasPrefix(addr, long) {
		t.Errorf("address %q for %s", addr, long)
	}
	again, _ := Address(long)
	if again != addr {
		t.Errorf("the address is not stable: %q then %q", addr, again)
	}
}
