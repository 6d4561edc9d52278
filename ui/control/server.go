package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// ServerOptions configure Serve.
type ServerOptions struct {
	Version string
	// Open shows the window and queues paths as if they were dropped on it (a second
	// start of the app, "Open with").
	Open   func(paths []string)
	Logger *slog.Logger
}

// Listen listens at addr (from Address), replacing a socket a crashed holder left: the
// caller holds the data folder's lock, so no one else can be serving there.
func Listen(addr string) (net.Listener, error) {
	if fi, err := os.Lstat(addr); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s is in the way of the control socket (not a socket)", addr)
		}
		_ = os.Remove(addr)
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for other processes: %w", err)
	}
	if err := os.Chmod(addr, 0o600); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return ln, nil
}

// Serve answers the processes that connect to ln until ctx ends; then it closes ln and
// every connection and returns.
func Serve(ctx context.Context, ln net.Listener, svc core.Queue, opts ServerOptions) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				opts.Logger.Warn("the control socket stopped", "err", err)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&session{svc: svc, opts: opts, conn: c}).serve(ctx)
		}()
	}
}

// session is one connected process.
type session struct {
	svc  core.Queue
	opts ServerOptions
	conn net.Conn
	mu   sync.Mutex // one writer at a time
	enc  *json.Encoder
}

func (s *session) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = s.conn.Close() })
	defer stop()
	defer s.conn.Close()
	s.enc = json.NewEncoder(s.conn)
	sc := bufio.NewScanner(s.conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var subscribed sync.WaitGroup
	defer subscribed.Wait()
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			s.send(message{Error: "not a request: " + err.Error()})
			return
		}
		if req.Method == methodSubscribe {
			sub := s.svc.Subscribe()
			s.send(message{ID: req.ID, Result: true})
			subscribed.Add(1)
			go func() {
				defer subscribed.Done()
				s.forward(ctx, sub)
			}()
			continue
		}
		result, err := s.call(ctx, req)
		m := message{ID: req.ID, Result: result}
		if err != nil {
			m = message{ID: req.ID, Error: err.Error()}
		}
		s.send(m)
	}
}

func (s *session) call(ctx context.Context, req request) (any, error) {
	switch req.Method {
	case methodHello:
		s.opts.Logger.Info("another process connected", "its_version", req.Version)
		return s.opts.Version, nil
	case methodAdd:
		s.opts.Logger.Info("paths handed over by another process", "paths", len(req.Paths), "force", req.Force, "hold", req.Hold)
		return s.svc.Add(ctx, req.Paths, core.AddOptions{Force: req.Force, Hold: req.Hold, Filter: req.Filter})
	case methodStart:
		return true, s.svc.Start(ctx, req.Selector)
	case methodRetry:
		return true, s.svc.Retry(ctx, req.Selector)
	case methodResume:
		return true, s.svc.Resume(ctx, req.Selector)
	case methodRedirect:
		return true, s.svc.Redirect(ctx, req.Selector)
	case methodAnyway:
		return true, s.svc.UploadAnyway(ctx, req.Selector)
	case methodMove:
		return true, s.svc.Move(ctx, req.Selector, req.Place)
	case methodSnapshot:
		files, totals := s.svc.Snapshot()
		return snapshot{Files: files, Totals: totals, Auth: s.svc.AuthStatus()}, nil
	case methodOpen:
		if s.opts.Open == nil {
			return nil, errors.New("this process has no window to open")
		}
		s.opts.Open(req.Paths)
		return true, nil
	}
	return nil, fmt.Errorf("unknown method %q", req.Method)
}

// forward sends the service's events until the connection or ctx ends.
func (s *session) forward(ctx context.Context, sub *core.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Ready():
			for _, ev := range sub.Drain() {
				if err := s.send(message{Event: &ev}); err != nil {
					return
				}
			}
		}
	}
}

func (s *session) send(m message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enc.Encode(m)
}
