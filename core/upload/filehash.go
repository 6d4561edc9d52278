package upload

import (
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// partFormat is the format of the per-part hashes the journal keeps: each the hash of
// the bytes the part's successful PUT sent. XXH3, the fastest of the formats (2.4 times
// xxh64 here): a part's bytes are hashed in it once as they are sent and, for a part sent
// ahead of the file's hash, once more as they are read again. A file of one part hashed
// in one format has its part hashed in that format instead (fileHash.pf), its hash being
// its part's: its bytes are hashed once.
const partFormat = hashes.XXH3

// catchUpBlock is how much of a file fileHash reads at a time when it reads again.
const catchUpBlock = 256 << 10

// fileHash builds a file's hashes from the bytes its chunks send, in the file's order,
// while the chunks go in parallel and finish in any order (hashes such as xxh64 or md5
// take their input in order and cannot be joined from the parts' hashes).
//
// The chunk next in the file's order — the front — feeds the hash as the transport takes
// its bytes. A chunk further on has sent bytes before the hash reaches them: when the
// front gets there, those bytes are read again from the open file (just read, so from
// the page cache), and once the chunk is done, what the hash took of it must equal the
// hash of what its PUT sent, or the file changed under the upload (api.ErrFileChanged).
// So the file's hash is always the hash of the bytes that were sent; a file sent as one
// chunk, or chunk after chunk, is read once.
//
// Each byte is hashed as few times as it can be: what the whole hash took of the front
// chunk is the hash of its one body while that body alone fed it (took follows only once
// a second source feeds: a retried body, a reading again), and a file of one part hashed
// in one format has that part's hash, made in the file's format, for its own.
type fileHash struct {
	file   io.ReaderAt
	ranges func(int) (int64, int64) // offset and length of chunk i
	n      int                      // chunks
	size   int64

	pf hashes.Format // the parts' hashes' format

	mu    sync.Mutex
	whole *hashes.Set
	front int   // the chunk the whole hash is in
	pos   int64 // bytes of the file the whole hash has taken
	// What the whole hash took of the front chunk: the bytes tookBody sent while it
	// alone fed, or, once mixed, took.
	tookBody *partBody
	mixed    bool
	took     hash.Hash
	// onePart: the file is one part and hashed in one format, pf: its hash is the
	// part's (wholeOne), and the whole hash is not fed.
	onePart  bool
	wholeOne string
	// catching: the attempt is reading the front chunk again; the bodies do not feed.
	catching bool
	sentTo   []int64  // per chunk: the end of the bytes its newest body handed over
	parts    []string // per chunk: the hash of what its successful PUT sent; "" not yet known
	reread   int64    // bytes read again
	buf      []byte   // what it reads again into, made the first time it does
}

// newFileHash starts the hashes of f, in formats, for an attempt that reads from file.
// done are the chunks finished before, parts their hashes (from the journal; "" when
// unknown).
func newFileHash(file io.ReaderAt, f *File, formats []hashes.Format, done []bool, parts []string) *fileHash {
	n := f.ChunkCount()
	h := &fileHash{
		file: file, ranges: f.ChunkRange, n: n, size: f.Size, pf: partFormat,
		whole: hashes.NewSet(formats...), sentTo: make([]int64, n), parts: make([]string, n),
	}
	if n == 1 && len(formats) == 1 && formats[0].New() != nil {
		h.onePart, h.pf = true, formats[0]
	}
	h.took = h.pf.New()
	for i := range h.sentTo {
		h.sentTo[i], _ = f.ChunkRange(i)
		if i < len(done) && done[i] {
			h.parts[i] = unknownPart
			if i < len(parts) && parts[i] != "" {
				h.parts[i] = parts[i]
			}
		}
	}
	return h
}

// body is what one body of chunk i writes its bytes to (api.Chunk.Reads).
func (h *fileHash) body(i int) *partBody {
	off, _ := h.ranges(i)
	return &partBody{h: h, i: i, off: off, sum: h.pf.New()}
}

// partBody hashes what one body of a chunk hands to the transport, and feeds the file's
// hash when the chunk is the front and the bytes are the next ones.
type partBody struct {
	h   *fileHash
	i   int
	off int64 // in the file, of the next byte
	sum hash.Hash
}

// Write is called by the transport's goroutine; the lock also orders it before Sum,
// which the attempt calls once the PUT has returned.
func (b *partBody) Write(p []byte) (int, error) {
	h := b.h
	h.mu.Lock()
	defer h.mu.Unlock()
	b.sum.Write(p)
	if !h.catching && b.i == h.front && b.off == h.pos {
		h.feed(p, b)
		h.pos += int64(len(p))
	}
	b.off += int64(len(p))
	h.sentTo[b.i] = b.off
	return len(p), nil
}

// Sum is the part's hash of the bytes this body sent.
func (b *partBody) Sum() string {
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	return b.h.partHash(b.h.pf.Encode(b.sum.Sum(nil)))
}

// emptyPart is the hash of a part of no bytes (a PUT without a body).
func (h *fileHash) emptyPart() string { return h.partHash(h.pf.Of(nil)) }

// partHash is how the journal keeps a part's hash of value: in partFormat as it is, in
// another format after the format's name ("xxh64:…"), so that a hash is only ever
// compared with one of its own format.
func (h *fileHash) partHash(value string) string {
	if h.pf == partFormat {
		return value
	}
	return hashes.Sum{Format: h.pf, Value: value}.String()
}

// checkable tells whether a part's journaled hash can be compared with what the file's
// hash reads of it: one known, of the parts' format of this attempt (the hash setting
// may have changed since a file of one part was sent).
func (h *fileHash) checkable(want string) bool {
	if want == unknownPart {
		return false
	}
	format, _, tagged := strings.Cut(want, ":")
	if h.pf == partFormat {
		return !tagged
	}
	return tagged && format == string(h.pf)
}

// sent records chunk i as sent, with the hash of its bytes, and brings the file's hash
// as far as it can go. An error wraps api.ErrFileChanged.
func (h *fileHash) sent(i int, sum string) error {
	h.mu.Lock()
	h.parts[i] = sum
	h.mu.Unlock()
	return h.advance()
}

// advance takes the file's hash through every finished chunk at the front, reading
// again what the bodies did not feed, and up to where the next chunk's body has got.
// It is called only by the attempt's goroutine.
func (h *fileHash) advance() error {
	for {
		h.mu.Lock()
		i := h.front
		if i >= h.n {
			h.mu.Unlock()
			return nil
		}
		off, length := h.ranges(i)
		end, done, want := off+length, h.parts[i] != "", h.parts[i]
		if !done {
			end = h.sentTo[i]
		}
		h.mu.Unlock()
		if err := h.catchUp(end); err != nil {
			return err
		}
		if !done {
			return nil
		}
		h.mu.Lock()
		took := h.tookSum()
		if h.onePart {
			h.wholeOne = took
		}
		took = h.partHash(took)
		h.front++
		h.took.Reset()
		h.tookBody, h.mixed = nil, false
		h.mu.Unlock()
		if h.checkable(want) && took != want {
			return fmt.Errorf("%w: part %d reads differently from what was sent", api.ErrFileChanged, i+1)
		}
	}
}

// unknownPart marks a chunk finished before the journal kept the hashes of parts: what
// the hash reads of it cannot be checked against what was sent.
const unknownPart = "?"

// catchUp reads the file from the hash's position to end into the hash, while the
// bodies do not feed it; a body that gets further meanwhile is caught up with too.
func (h *fileHash) catchUp(end int64) error {
	for {
		h.mu.Lock()
		if h.front < h.n && h.parts[h.front] == "" {
			end = max(end, h.sentTo[h.front])
		}
		from := h.pos
		if from >= end {
			h.catching = false
			h.mu.Unlock()
			return nil
		}
		h.catching = true
		h.mix() // now, while the front's bodies cannot write: from here took follows
		h.mu.Unlock()
		if h.buf == nil {
			h.buf = make([]byte, catchUpBlock) // most files never read again: made when needed
		}
		buf := h.buf
		for from < end {
			n := int(min(int64(len(buf)), end-from))
			k, err := h.file.ReadAt(buf[:n], from)
			if k < n {
				if err == nil || err == io.EOF {
					err = errFileShrankUnder
				}
				h.mu.Lock()
				h.catching = false
				h.mu.Unlock()
				return fmt.Errorf("%w: %w", api.ErrFileChanged, err)
			}
			h.feed(buf[:n], nil)
			from += int64(n)
		}
		h.mu.Lock()
		h.reread += end - h.pos
		h.pos = end
		h.mu.Unlock()
	}
}

var errFileShrankUnder = fmt.Errorf("the file is shorter than when its parts were sent")

// sums is the file's hashes once every chunk is through. A part that reads differently
// now from what it sent, caught here, was caught after every part had reached S3: the
// asset is whole, made of what was sent (changedAfterSending).
func (h *fileHash) sums() (hashes.Sums, error) {
	if err := h.advance(); err != nil {
		return nil, &changedAfterSending{err}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.front < h.n || h.pos != h.size {
		return nil, fmt.Errorf("the file's hash stopped at byte %d of %d", h.pos, h.size)
	}
	if h.onePart {
		return hashes.Sums{{Format: h.pf, Value: h.wholeOne}}, nil
	}
	return h.whole.Sums(), nil
}

// feed gives the whole hash the file's next bytes, from a body (nil: read again); the
// caller moves pos. Under the lock, or by the attempt while catching.
func (h *fileHash) feed(p []byte, from *partBody) {
	if !h.onePart {
		h.whole.Write(p)
	}
	switch {
	case h.mixed:
		h.took.Write(p)
	case h.tookBody == nil && from != nil && h.pos == h.frontStart():
		h.tookBody = from // its own hash is what was taken, as long as it alone feeds
	case h.tookBody != nil && h.tookBody == from:
	default:
		h.mix()
		h.took.Write(p)
	}
}

// mix makes took follow what the whole hash takes of the front chunk from now on, a
// second source feeding it: it starts from what the first one fed. Under the lock.
func (h *fileHash) mix() {
	if h.mixed {
		return
	}
	h.mixed = true
	h.took.Reset()
	if h.tookBody != nil {
		hashes.CopyState(h.took, h.tookBody.sum)
	}
}

func (h *fileHash) frontStart() int64 {
	off, _ := h.ranges(h.front)
	return off
}

// tookSum is the hash, in pf, of what the whole hash took of the front chunk.
func (h *fileHash) tookSum() string {
	if !h.mixed && h.tookBody != nil {
		return h.pf.Encode(h.tookBody.sum.Sum(nil))
	}
	return h.pf.Encode(h.took.Sum(nil))
}

// changedAfterSending: every part of the file was sent, and then a part read differently
// from what it sent: the file changed during its upload while its size and time stayed
// the same. The asset on the server is complete, made of the bytes sent (which may mix
// two versions of the file): sending the file again would make a second asset, so the
// file fails and the person decides.
type changedAfterSending struct{ err error }

func (e *changedAfterSending) Error() string { return e.err.Error() }
func (e *changedAfterSending) Unwrap() error { return e.err }
