package c2csim

import (
	"errors"
	"net"
	"sync"
)

// switchListener is a net.Listener that can go offline: it closes its socket (so new
// connections are refused by the kernel, as when a host is unreachable) and every open
// connection, and opens the socket again on the same address when it comes back. The HTTP
// server sees one listener that never fails, so it keeps serving across outages.
type switchListener struct {
	addr string

	mu      sync.Mutex
	inner   net.Listener  // nil while offline
	online  chan struct{} // closed while online
	closed  bool
	conns   map[net.Conn]struct{}
	lastErr error
}

var errListenerClosed = errors.New("c2csim: listener closed")

func newSwitchListener(addr string) (*switchListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	online := make(chan struct{})
	close(online)
	return &switchListener{
		addr:   ln.Addr().String(),
		inner:  ln,
		online: online,
		conns:  map[net.Conn]struct{}{},
	}, nil
}

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		inner, online, closed := l.inner, l.online, l.closed
		l.mu.Unlock()
		if closed {
			return nil, errListenerClosed
		}
		if inner == nil {
			<-online
			continue
		}
		c, err := inner.Accept()
		if err != nil {
			l.mu.Lock()
			stillCurrent := l.inner == inner && !l.closed
			l.mu.Unlock()
			if stillCurrent {
				return nil, err
			}
			continue // closed on purpose: offline or shutting down
		}
		l.mu.Lock()
		if l.inner != inner || l.closed {
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		tc := &trackedConn{Conn: c, l: l}
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		return tc, nil
	}
}

// SetOnline opens or closes the socket. Going offline also cuts every open connection.
func (l *switchListener) SetOnline(on bool) error {
	var cut []net.Conn
	// Connections are cut after the lock is released: closing one takes it again.
	defer func() {
		for _, c := range cut {
			abort(c)
		}
	}()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errListenerClosed
	}
	switch {
	case on && l.inner == nil:
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			l.lastErr = err
			return err
		}
		l.inner = ln
		close(l.online)
	case !on && l.inner != nil:
		_ = l.inner.Close()
		l.inner = nil
		l.online = make(chan struct{})
		for c := range l.conns {
			cut = append(cut, c)
		}
	}
	return nil
}

func (l *switchListener) Online() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner != nil
}

func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.inner != nil {
		_ = l.inner.Close()
		l.inner = nil
	} else {
		close(l.online)
	}
	return nil
}

func (l *switchListener) Addr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", l.addr)
	return a
}

func (l *switchListener) forget(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

type trackedConn struct {
	net.Conn
	l    *switchListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.l.forget(c) })
	return c.Conn.Close()
}

// abort closes a connection with a TCP reset rather than an orderly FIN, the way a
// dropped link or a crashed proxy looks to the client.
func abort(c net.Conn) {
	if tc, ok := c.(*trackedConn); ok {
		tc.once.Do(func() { tc.l.forget(tc) })
		c = tc.Conn
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}
