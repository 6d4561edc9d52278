package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// dialTimeout bounds connecting to the holder and its first answer: a window that does
// not answer is reported, not waited for.
const dialTimeout = 5 * time.Second

// Client is a connection to the process that holds the data folder. It offers what
// `upload` needs of a service (see ui/cli), carried out by that process.
type Client struct {
	conn    net.Conn
	enc     *json.Encoder
	version string // the holder's

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	feed    *core.Subscription
	err     error // why the connection ended
	done    chan struct{}
}

// Dial connects to the holder listening at addr and says hello.
func Dial(ctx context.Context, addr, version string) (*Client, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to it: %w", err)
	}
	c := &Client{conn: conn, enc: json.NewEncoder(conn), pending: map[int64]chan message{}, done: make(chan struct{})}
	go c.read()
	hctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var holder string
	if err := c.call(hctx, request{Method: methodHello, Version: version}, &holder); err != nil {
		c.Close()
		return nil, fmt.Errorf("it did not answer: %w", err)
	}
	c.version = holder
	return c, nil
}

// Version is the holder's version.
func (c *Client) Version() string { return c.version }

// Close ends the connection; the holder goes on with what it was given.
func (c *Client) Close() error { return c.conn.Close() }

// Done is closed when the connection has ended; Err says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it is open).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) read() {
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var err error
	for sc.Scan() {
		var raw struct {
			ID     int64           `json:"id"`
			Error  string          `json:"error"`
			Result json.RawMessage `json:"result"`
			Event  *core.Event     `json:"event"`
		}
		if err = json.Unmarshal(sc.Bytes(), &raw); err != nil {
			if raw.ID == 0 {
				// An event this version cannot read (another version's window): the
				// next state of the same thing tells again.
				err = nil
				continue
			}
			err = fmt.Errorf("a message from the window could not be read: %w", err)
			break
		}
		c.mu.Lock()
		if raw.Event != nil {
			if c.feed != nil {
				c.feed.Push(*raw.Event)
			}
			c.mu.Unlock()
			continue
		}
		ch := c.pending[raw.ID]
		delete(c.pending, raw.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- message{ID: raw.ID, Error: raw.Error, Result: raw.Result}
		}
	}
	if err == nil {
		err = sc.Err()
	}
	if err == nil {
		err = errClosed
	}
	c.mu.Lock()
	c.err = err
	for id, ch := range c.pending {
		ch <- message{ID: id, Error: err.Error()}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.done)
}

// call sends req and decodes the result into out (when not nil).
func (c *Client) call(ctx context.Context, req request, out any) error {
	ch := make(chan message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.nextID++
	req.ID = c.nextID
	c.pending[req.ID] = ch
	err := c.enc.Encode(req)
	if err != nil {
		delete(c.pending, req.ID)
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("writing to the window: %w", err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case m := <-ch:
		if m.Error != "" {
			return errors.New(m.Error)
		}
		if out == nil {
			return nil
		}
		raw, _ := m.Result.(json.RawMessage)
		return json.Unmarshal(raw, out)
	}
}

// Subscribe starts the holder's events; the first describe the present.
func (c *Client) Subscribe() *core.Subscription {
	c.mu.Lock()
	if c.feed == nil {
		c.feed = core.NewFeed()
	}
	feed := c.feed
	c.mu.Unlock()
	_ = c.call(context.Background(), request{Method: methodSubscribe}, nil)
	return feed
}

// Add hands paths to the holder's queue.
func (c *Client) Add(ctx context.Context, paths []string, opts core.AddOptions) (core.AddResult, error) {
	var res core.AddResult
	err := c.call(ctx, request{Method: methodAdd, Paths: paths, Force: opts.Force, Hold: opts.Hold, Filter: opts.Filter}, &res)
	return res, err
}

// Start sends files on hold (and paused ones) in the holder's queue.
func (c *Client) Start(ctx context.Context, sel core.Selector) error {
	return c.call(ctx, request{Method: methodStart, Selector: sel}, nil)
}

// Retry, Resume, Redirect and UploadAnyway act on the holder's queue.
func (c *Client) Retry(ctx context.Context, sel core.Selector) error {
	return c.call(ctx, request{Method: methodRetry, Selector: sel}, nil)
}

func (c *Client) Resume(ctx context.Context, sel core.Selector) error {
	return c.call(ctx, request{Method: methodResume, Selector: sel}, nil)
}

func (c *Client) Redirect(ctx context.Context, sel core.Selector) error {
	return c.call(ctx, request{Method: methodRedirect, Selector: sel}, nil)
}

func (c *Client) UploadAnyway(ctx context.Context, sel core.Selector) error {
	return c.call(ctx, request{Method: methodAnyway, Selector: sel}, nil)
}

// Move puts files at the top or the bottom of the holder's queue.
func (c *Client) Move(ctx context.Context, sel core.Selector, to core.Place) error {
	return c.call(ctx, request{Method: methodMove, Selector: sel, Place: to}, nil)
}

// Snapshot is the holder's queue now (nothing when the connection is gone).
func (c *Client) Snapshot() ([]core.FileView, core.Totals) {
	var s snapshot
	_ = c.call(context.Background(), request{Method: methodSnapshot}, &s)
	return s.Files, s.Totals
}

// AuthStatus is the holder's pairing now; the state is empty when the holder cannot be
// asked (Err says why).
func (c *Client) AuthStatus() core.AuthStatus {
	var s snapshot
	_ = c.call(context.Background(), request{Method: methodSnapshot}, &s)
	return s.Auth
}

// Open shows the holder's window and queues paths as if they were dropped on it.
func (c *Client) Open(ctx context.Context, paths []string) error {
	return c.call(ctx, request{Method: methodOpen, Paths: paths}, nil)
}
