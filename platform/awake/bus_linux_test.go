package awake_test

// A D-Bus of the test's own and the fakes that serve on it: logind's Manager (a file
// descriptor per inhibitor, as logind gives), the XDG portal, GNOME's session manager and
// org.freedesktop.ScreenSaver. The test's own dbus-daemon, not the session's: a fake
// there would answer the other packages' tests (the window's) running beside these.

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// privateBus starts a dbus-daemon with the session's configuration on a socket in the
// test's temp dir and returns its address; it is stopped when the test ends.
func privateBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("C2C_REQUIRE_KEYRING") == "1" { // scripts/test.sh promises D-Bus
			t.Fatalf("no dbus-daemon: %v", err)
		}
		t.Skipf("no dbus-daemon to run the fakes on: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--print-address=1", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("dbus-daemon did not start")
	}
	return ""
}

// connect is a connection to the bus at addr that owns name; closed when the test ends.
func connect(t *testing.T, addr, name string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	if name != "" {
		reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
		if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v (%v)", name, reply, err)
		}
	}
	return conn
}

// inhibitor is one Inhibit call a fake took, and when it was let go.
type inhibitor struct {
	Args     []any     // as called
	At       time.Time // when it was taken
	released chan struct{}
	mu       sync.Mutex
	end      time.Time // when it was let go (zero: not yet)
}

func (i *inhibitor) Released() bool {
	select {
	case <-i.released:
		return true
	default:
		return false
	}
}

func (i *inhibitor) ReleasedAt() time.Time {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.end
}

func (i *inhibitor) release() {
	i.mu.Lock()
	i.end = time.Now()
	i.mu.Unlock()
	close(i.released)
}

// record is the inhibitors a fake took, in order.
type record struct {
	mu    sync.Mutex
	taken []*inhibitor
}

func (r *record) add(args ...any) *inhibitor {
	in := &inhibitor{Args: args, At: time.Now(), released: make(chan struct{})}
	r.mu.Lock()
	r.taken = append(r.taken, in)
	r.mu.Unlock()
	return in
}

func (r *record) All() []*inhibitor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*inhibitor(nil), r.taken...)
}

// Held are the inhibitors not let go of.
func (r *record) Held() []*inhibitor {
	var out []*inhibitor
	for _, in := range r.All() {
		if !in.Released() {
			out = append(out, in)
		}
	}
	return out
}

// fakeLogind serves org.freedesktop.login1.Manager.Inhibit on the bus at addr as logind
// does: each call gets the write end of a pipe, and the inhibitor holds until every copy
// of it is closed, which the fake sees as the end of the pipe's read end. It answers the
// calls itself (not through godbus's Export, which sends the answer after the method
// returns) so that it closes its own copy once the answer has gone.
func fakeLogind(t *testing.T, addr string) *record {
	t.Helper()
	conn := connect(t, addr, "org.freedesktop.login1")
	if !conn.SupportsUnixFDs() {
		t.Fatal("the test bus passes no file descriptors")
	}
	rec := &record{}
	calls := make(chan *dbus.Message, 64)
	conn.Eavesdrop(calls)
	go func() {
		for msg := range calls {
			if msg.Type != dbus.TypeMethodCall {
				continue
			}
			path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
			iface, _ := msg.Headers[dbus.FieldInterface].Value().(string)
			member, _ := msg.Headers[dbus.FieldMember].Value().(string)
			reply := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
				dbus.FieldDestination: msg.Headers[dbus.FieldSender],
				dbus.FieldReplySerial: dbus.MakeVariant(msg.Serial()),
			}}
			if path != "/org/freedesktop/login1" || iface != "org.freedesktop.login1.Manager" || member != "Inhibit" || len(msg.Body) != 4 {
				reply.Type = dbus.TypeError
				reply.Headers[dbus.FieldErrorName] = dbus.MakeVariant("org.freedesktop.DBus.Error.UnknownMethod")
				conn.Send(reply, nil)
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				panic(err)
			}
			in := rec.add(msg.Body...)
			reply.Body = []any{dbus.UnixFD(w.Fd())}
			reply.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(reply.Body...))
			conn.Send(reply, nil) // sent when Send returns: the receiver has its own copy
			_ = w.Close()
			go func() {
				var b [1]byte
				_, _ = r.Read(b[:]) // EOF once the client's copy is closed
				_ = r.Close()
				in.release()
			}()
		}
	}()
	return rec
}

// fakeCookies serves an inhibitor that hands out cookies and takes them back (GNOME's
// session manager, org.freedesktop.ScreenSaver).
type fakeCookies struct {
	record
	cookies map[uint32]*inhibitor
	next    uint32
}

func (f *fakeCookies) take(args ...any) uint32 {
	in := f.add(args...)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.cookies[f.next] = in
	return f.next
}

func (f *fakeCookies) giveBack(cookie uint32) *dbus.Error {
	f.mu.Lock()
	in := f.cookies[cookie]
	delete(f.cookies, cookie)
	f.mu.Unlock()
	if in == nil {
		return dbus.MakeFailedError(os.ErrNotExist)
	}
	in.release()
	return nil
}

type gnomeSession struct{ *fakeCookies }

func (g gnomeSession) Inhibit(app string, xid uint32, reason string, flags uint32) (uint32, *dbus.Error) {
	return g.take(app, xid, reason, flags), nil
}

func (g gnomeSession) Uninhibit(cookie uint32) *dbus.Error { return g.giveBack(cookie) }

type screenSaver struct{ *fakeCookies }

func (s screenSaver) Inhibit(app, reason string) (uint32, *dbus.Error) {
	return s.take(app, reason), nil
}

func (s screenSaver) UnInhibit(cookie uint32) *dbus.Error { return s.giveBack(cookie) }

func fakeGnome(t *testing.T, addr string) *fakeCookies {
	f := &fakeCookies{cookies: map[uint32]*inhibitor{}}
	conn := connect(t, addr, "org.gnome.SessionManager")
	if err := conn.Export(gnomeSession{f}, "/org/gnome/SessionManager", "org.gnome.SessionManager"); err != nil {
		t.Fatal(err)
	}
	return f
}

func fakeScreenSaver(t *testing.T, addr string) *fakeCookies {
	f := &fakeCookies{cookies: map[uint32]*inhibitor{}}
	conn := connect(t, addr, "org.freedesktop.ScreenSaver")
	if err := conn.Export(screenSaver{f}, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"); err != nil {
		t.Fatal(err)
	}
	return f
}

// portal serves org.freedesktop.portal.Inhibit: each inhibitor is a Request object,
// closed to let go.
type portal struct {
	record
	conn *dbus.Conn
	n    int
}

type portalRequest struct{ in *inhibitor }

func (r portalRequest) Close() *dbus.Error {
	if !r.in.Released() {
		r.in.release()
	}
	return nil
}

func (p *portal) Inhibit(window string, flags uint32, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	reason, _ := options["reason"].Value().(string)
	in := p.add(window, flags, reason)
	p.mu.Lock()
	p.n++
	handle := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/test/" + string(rune('a'+p.n)))
	p.mu.Unlock()
	if err := p.conn.Export(portalRequest{in}, handle, "org.freedesktop.portal.Request"); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	return handle, nil
}

func fakePortal(t *testing.T, addr string) *portal {
	p := &portal{conn: connect(t, addr, "org.freedesktop.portal.Desktop")}
	if err := p.conn.Export(p, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.Inhibit"); err != nil {
		t.Fatal(err)
	}
	return p
}
