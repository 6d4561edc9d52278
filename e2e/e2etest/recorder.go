package e2etest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Recorder writes a clip into a folder the way a camera records it: the file is made
// empty, then written in place, block after block, at a bitrate; it may pause; at close
// it may rewrite its first bytes (a MOV's or an MXF's header finished when the clip
// ends). Its bytes are random, so a part sent twice or out of place shows.
//
// The bitrate is a pace, not a promise: on a loaded machine the blocks come later, and a
// recorder that fell behind by more than a second does not burst to catch up, it goes on
// at its rate from where it is. Tests must not measure it: they assert the order of what
// happened (a part received before the last block was written) by waiting for it.
//
// A Recorder is used from one goroutine, the test's.
type Recorder struct {
	t     testing.TB
	path  string
	data  []byte // the clip's bytes; data[:pos] are in the file
	f     *os.File
	rate  float64 // bytes per second
	block int

	pos       int
	origin    time.Time // when the pace last (re)started
	from      int       // pos at origin
	lastWrite time.Time
	closed    bool
}

// RecorderOptions are a Recorder's pace.
type RecorderOptions struct {
	// Rate is the bitrate in bytes per second; 0 is 4 MiB/s.
	Rate int
	// Block is the size of each write; 0 is 64 KiB.
	Block int
}

// NewRecorder makes dir/name, empty, for a clip of size random bytes. The file is closed
// when the test ends, if the test has not closed it.
func NewRecorder(t testing.TB, dir, name string, size int, o RecorderOptions) *Recorder {
	t.Helper()
	if o.Rate <= 0 {
		o.Rate = 4 << 20
	}
	if o.Block <= 0 {
		o.Block = 64 << 10
	}
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("recorder: %v", err)
	}
	r := &Recorder{t: t, path: path, data: data, f: f, rate: float64(o.Rate), block: o.Block, lastWrite: time.Now()}
	t.Cleanup(func() {
		if !r.closed {
			_ = r.f.Close()
		}
	})
	return r
}

// Path is the clip's path.
func (r *Recorder) Path() string { return r.path }

// Size is how long the clip is once recorded through.
func (r *Recorder) Size() int { return len(r.data) }

// Written is how many bytes the file holds so far.
func (r *Recorder) Written() int { return r.pos }

// WriteTo records up to byte n of the clip (at most its size), at the bitrate.
func (r *Recorder) WriteTo(n int) {
	r.t.Helper()
	r.WriteUntil(n, nil)
}

// WriteUntil records toward byte n (at most the clip's size), at the bitrate, until cond
// holds: true as soon as it does (cond is asked before the first block, then at most
// every 50 ms), false when byte n was reached without it. A nil cond never holds.
func (r *Recorder) WriteUntil(n int, cond func() bool) bool {
	r.t.Helper()
	if r.closed {
		r.t.Fatalf("recorder: %s is closed", r.path)
	}
	n = min(n, len(r.data))
	if cond != nil && cond() {
		return true
	}
	if r.origin.IsZero() {
		r.origin, r.from = time.Now(), r.pos
	}
	asked := time.Now()
	for r.pos < n {
		k := min(r.block, n-r.pos)
		if _, err := r.f.Write(r.data[r.pos : r.pos+k]); err != nil {
			r.t.Fatalf("recorder: writing %s: %v", r.path, err)
		}
		r.pos += k
		r.lastWrite = time.Now()
		r.pace()
		if cond != nil && time.Since(asked) >= 50*time.Millisecond {
			if cond() {
				return true
			}
			asked = time.Now()
		}
	}
	return cond != nil && cond()
}

// pace sleeps until the bytes written since origin are due at the bitrate.
func (r *Recorder) pace() {
	due := r.origin.Add(time.Duration(float64(r.pos-r.from) / r.rate * float64(time.Second)))
	now := time.Now()
	switch {
	case due.After(now):
		time.Sleep(due.Sub(now))
	case now.Sub(due) > time.Second:
		// Far behind (a loaded machine): go on at the rate from here, no burst.
		r.origin, r.from = now, r.pos
	}
}

// Pause stops recording for d (the file does not change), as a camera between takes
// that keeps the clip open; the pace starts again afterwards.
func (r *Recorder) Pause(d time.Duration) {
	time.Sleep(d)
	r.origin, r.from = time.Now(), r.pos
}

// RewriteHeader replaces the clip's first k bytes with other random bytes, in place, as
// a recorder finishing the header at close does. It is written at once, not paced.
func (r *Recorder) RewriteHeader(k int) {
	r.t.Helper()
	if r.closed {
		r.t.Fatalf("recorder: %s is closed", r.path)
	}
	if k > r.pos {
		r.t.Fatalf("recorder: a header of %d bytes in a file of %d", k, r.pos)
	}
	header := make([]byte, k)
	if _, err := rand.Read(header); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.f.WriteAt(header, 0); err != nil {
		r.t.Fatalf("recorder: rewriting the header of %s: %v", r.path, err)
	}
	copy(r.data, header)
	r.lastWrite = time.Now()
}

// Close closes the file and returns when it was last written to: the clip is complete
// (as far as it was written) from then on.
func (r *Recorder) Close() time.Time {
	r.t.Helper()
	if r.closed {
		return r.lastWrite
	}
	if err := r.f.Close(); err != nil {
		r.t.Fatalf("recorder: closing %s: %v", r.path, err)
	}
	r.closed = true
	return r.lastWrite
}

// Closed tells whether the clip was closed, and when it was last written to.
func (r *Recorder) Closed() (bool, time.Time) { return r.closed, r.lastWrite }

// Bytes are the bytes the file holds (as the recorder wrote them).
func (r *Recorder) Bytes() []byte { return append([]byte(nil), r.data[:r.pos]...) }

// SHA256 is the hex SHA-256 of the bytes the file holds.
func (r *Recorder) SHA256() string {
	sum := sha256.Sum256(r.data[:r.pos])
	return hex.EncodeToString(sum[:])
}
