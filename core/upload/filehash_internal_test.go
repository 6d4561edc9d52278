package upload

// Unit tests of fileHash (filehash.go): the bodies of a file's chunks are written by hand,
// in the orders the transport can hand them over, against an in-memory file. The hashes
// they are checked against are computed here with xxhash, xxh3 and crypto/md5 directly, never
// through core/hashes.

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// fhChunk is the chunk size of these tests: small, so a file has several, and not a
// divisor of the slices the bodies are written in.
const fhChunk = 10_000

// PartFormatForTests is the format of the part hashes the journal keeps, for the tests of
// package upload_test (this file is compiled into the package only for tests).
var PartFormatForTests = partFormat

func fhXXH64(b []byte) string { return fmt.Sprintf("%016x", xxhash.Sum64(b)) }

func fhMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// fhSum is the hash of b in format f, computed without core/hashes.
func fhSum(t testing.TB, f hashes.Format, b []byte) string {
	t.Helper()
	switch f {
	case hashes.XXH64:
		return fhXXH64(b)
	case hashes.XXH3:
		return fmt.Sprintf("%016x", xxh3.Hash(b))
	case hashes.MD5:
		return fhMD5(b)
	}
	t.Fatalf("no independent hash of %s here", f)
	return ""
}

// fhPart is the part hash of b: in partFormat, computed without core/hashes.
func fhPart(t testing.TB, b []byte) string { t.Helper(); return fhSum(t, partFormat, b) }

// partHash is the part hash the rig's file journals for b: in partFormat, or for a file of
// one part hashed in one format, in that format after its name.
func (r *fhRig) partHash(b []byte) string {
	r.t.Helper()
	if r.f.ChunkCount() == 1 && len(r.formats) == 1 && r.formats[0] != partFormat {
		return string(r.formats[0]) + ":" + fhSum(r.t, r.formats[0], b)
	}
	return fhPart(r.t, b)
}

// fhBytes is size bytes of reproducible noise.
func fhBytes(size int) []byte {
	b := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{'f', 'h'}).Read(b)
	return b
}

// fhFileOf is the File of data cut into chunks of fhChunk bytes, as an asset's URLs cut it.
func fhFileOf(data []byte) *File {
	size := int64(len(data))
	n := 1
	if size > 0 {
		n = int((size + fhChunk - 1) / fhChunk)
	}
	return &File{Size: size, ChunkSize: fhChunk, UploadURLs: make([]string, n)}
}

// fhReader is the open file: data, counting the bytes read from it, and calling during, when
// set, inside a read (as a transport's goroutine would run while fileHash reads).
type fhReader struct {
	data   []byte
	mu     sync.Mutex
	read   int64
	during func(off int64)
}

func (r *fhReader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	during := r.during
	r.during = nil
	r.mu.Unlock()
	if during != nil {
		during(off)
	}
	r.mu.Lock()
	data := r.data
	r.mu.Unlock()
	n, err := bytes.NewReader(data).ReadAt(p, off)
	r.mu.Lock()
	r.read += int64(n)
	r.mu.Unlock()
	return n, err
}

func (r *fhReader) bytesRead() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read
}

// fhRig is one file's hash under test.
type fhRig struct {
	t       *testing.T
	formats []hashes.Format
	data    []byte // what the transport reads for the bodies: the file as it was sent
	file    *fhReader
	f       *File
	h       *fileHash
}

func newFHRig(t *testing.T, data []byte, formats ...hashes.Format) *fhRig {
	return newFHRigResumed(t, data, formats, nil, nil)
}

// newFHRigResumed is newFHRig for an attempt that goes on with chunks finished before
// (done), whose part hashes the journal gave (parts).
func newFHRigResumed(t *testing.T, data []byte, formats []hashes.Format, done []bool, parts []string) *fhRig {
	if len(formats) == 0 {
		formats = []hashes.Format{hashes.XXH64}
	}
	r := &fhRig{t: t, formats: formats, data: data, file: &fhReader{data: bytes.Clone(data)}, f: fhFileOf(data)}
	r.h = newFileHash(r.file, r.f, formats, done, parts)
	return r
}

// chunk is chunk i of what was sent.
func (r *fhRig) chunk(i int) []byte {
	off, n := r.f.ChunkRange(i)
	return r.data[off : off+n]
}

// pour has body b hand over its chunk's bytes up to to (relative to the chunk's start) in
// slices of step bytes, as the transport reads them.
func (r *fhRig) pour(b *partBody, to int64, step int) {
	r.t.Helper()
	start, _ := r.f.ChunkRange(b.i)
	for at := b.off - start; at < to; {
		n := min(int64(step), to-at)
		if k, err := b.Write(r.data[start+at : start+at+n]); k != int(n) || err != nil {
			r.t.Fatalf("body of chunk %d: Write = %d, %v", b.i, k, err)
		}
		at += n
	}
}

// send makes a body of chunk i hand over its whole chunk and the PUT succeed; it returns
// what fileHash said.
func (r *fhRig) send(i int) error {
	r.t.Helper()
	b := r.h.body(i)
	_, n := r.f.ChunkRange(i)
	r.pour(b, n, 4096)
	return r.sent(b)
}

// sent tells fileHash that the PUT of b's chunk succeeded, with the hash of what b handed
// over, which must be the hash of the chunk.
func (r *fhRig) sent(b *partBody) error {
	r.t.Helper()
	sum := b.Sum()
	if want := r.partHash(r.chunk(b.i)); sum != want {
		r.t.Fatalf("the part hash of chunk %d is %s, want %s of its bytes", b.i, sum, want)
	}
	return r.h.sent(b.i, sum)
}

// mustSend is send, which must not find the file changed.
func (r *fhRig) mustSend(order ...int) {
	r.t.Helper()
	for _, i := range order {
		if err := r.send(i); err != nil {
			r.t.Fatalf("chunk %d: %v", i, err)
		}
	}
}

// wantWhole checks the file's hashes against the bytes sent, and that what fileHash counts
// as read again is what it read.
func (r *fhRig) wantWhole(reread int64) {
	r.t.Helper()
	sums, err := r.h.sums()
	if err != nil {
		r.t.Fatalf("sums: %v", err)
	}
	if len(sums) != len(r.formats) {
		r.t.Errorf("hashes %v, want one in each of %v", sums, r.formats)
	}
	for _, f := range r.formats {
		if got, want := sums.Get(f), fhSum(r.t, f, r.data); got != want {
			r.t.Errorf("the file's %s is %q, want %s (of the %d bytes sent)", f, got, want, len(r.data))
		}
	}
	if got := r.file.bytesRead(); r.h.reread != got || got != reread {
		r.t.Errorf("%d bytes read again (%d counted by fileHash), want %d", got, r.h.reread, reread)
	}
}

// The format sets the tests run with: xxh64 (the default) alone, the part hashes' format
// alone (a file of one part then has its part's hash for its own), and xxh64 with md5.
var fhFormatSets = [][]hashes.Format{{hashes.XXH64}, {partFormat}, {hashes.XXH64, hashes.MD5}}

// Chunks sent one after another, in order, are hashed as the transport takes them: the
// file is read once (by the transport), and its hashes are those of its bytes, in every
// format asked.
func TestFileHashOfChunksSentInOrderReadsTheFileOnce(t *testing.T) {
	for _, formats := range fhFormatSets {
		for _, size := range []int{0, 1, fhChunk - 1, fhChunk, fhChunk + 1, 5*fhChunk + 123} {
			t.Run(fmt.Sprint(formats, size), func(t *testing.T) {
				r := newFHRig(t, fhBytes(size), formats...)
				for i := range r.f.ChunkCount() {
					if err := r.send(i); err != nil {
						t.Fatalf("chunk %d: %v", i, err)
					}
				}
				r.wantWhole(0)
			})
		}
	}
}

// A file of one part whose PUT was retried: the hash is still of the bytes sent, whether
// the retry took over feeding the hash or the rest of the part was read again.
func TestFileHashOfOnePartRetried(t *testing.T) {
	for _, formats := range fhFormatSets {
		t.Run(fmt.Sprint(formats), func(t *testing.T) {
			for _, c := range []struct {
				step   int
				reread int64
			}{
				// The retry's slice at 4000 feeds the hash; the failed body's late slice,
				// behind it, does not; the retry feeds the rest.
				{2000, 0},
				// The retry's slices (0, 4096) pass 4000 by; the failed body's late slice
				// feeds 4000..5000; the retry, already at 6000, never meets the hash, whose
				// 5000 bytes left are read again.
				{4096, fhChunk - 5000},
			} {
				r := newFHRig(t, fhBytes(fhChunk), formats...)
				first := r.h.body(0)
				r.pour(first, 4000, 1000)
				retry := r.h.body(0)
				r.pour(retry, 6000, c.step)
				r.pour(first, 5000, 1000) // a late slice of the failed body
				r.pour(retry, fhChunk, c.step)
				if err := r.sent(retry); err != nil {
					t.Fatal(err)
				}
				r.wantWhole(c.reread)
			}
		})
	}
}

// A chunk of no bytes is sent without a body (api.Chunk.Reads is never called): its part
// hash is emptyPart, the hash of nothing in the part's format.
func TestFileHashOfAnEmptyFile(t *testing.T) {
	for _, formats := range append(fhFormatSets, []hashes.Format{hashes.MD5}) {
		r := newFHRig(t, nil, formats...)
		if got, want := r.h.emptyPart(), r.partHash(nil); got != want {
			t.Fatalf("%v: emptyPart is %s, want %s", formats, got, want)
		}
		if err := r.h.sent(0, r.h.emptyPart()); err != nil {
			t.Fatal(err)
		}
		r.wantWhole(0)
	}
}

// Chunks that finish in any order give the hash of the file's bytes in the file's order:
// the chunks that finished before the front reached them are read again, and only those.
func TestFileHashOfChunksFinishingOutOfOrder(t *testing.T) {
	r := newFHRig(t, fhBytes(5*fhChunk+123), hashes.XXH64, hashes.MD5)
	r.mustSend(3, 1, 4, 2) // none of them fed the hash: chunk 0 is the front
	if r.file.bytesRead() != 0 {
		t.Fatalf("%d bytes read before the front moved", r.file.bytesRead())
	}
	r.mustSend(0) // fed as it went; then 1 to 4 are read again
	r.mustSend(5) // the front again: fed as it goes
	r.wantWhole(4 * fhChunk)
}

// A retry of the front chunk hands its bytes over again from the chunk's start: what the
// first body fed is not fed twice, and the retry feeds the hash once it reaches where the
// hash is, or the rest is read again when the chunk is done.
func TestFileHashRetriedFrontChunkStartsOverFromTheChunksStart(t *testing.T) {
	t.Run("the retry's slices meet the hash", func(t *testing.T) {
		r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
		first := r.h.body(0)
		r.pour(first, 4000, 2000) // fed: the front, at the hash's position
		retry := r.h.body(0)
		r.pour(retry, 6000, 2000) // 0..4000 not fed again; 4000..6000 fed
		r.pour(first, 6000, 2000) // the first body's late slice: not fed twice
		r.pour(retry, fhChunk, 2000)
		if err := r.sent(retry); err != nil {
			t.Fatal(err)
		}
		r.mustSend(1, 2, 3)
		r.wantWhole(0)
	})
	t.Run("the retry's slices pass the hash by", func(t *testing.T) {
		r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
		first := r.h.body(0)
		r.pour(first, 3000, 1000)
		retry := r.h.body(0)
		r.pour(retry, fhChunk, 4096) // 0, 4096, 8192: never at 3000, never fed
		if err := r.sent(retry); err != nil {
			t.Fatal(err)
		}
		r.mustSend(1, 2, 3)
		r.wantWhole(fhChunk - 3000)
	})
	t.Run("the retry of a chunk the hash has read", func(t *testing.T) {
		// Chunk 1 handed over all its bytes, the front read them again, then its PUT
		// failed and was retried from its start.
		r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
		first := r.h.body(1)
		r.pour(first, fhChunk, 4096)
		r.mustSend(0)
		retry := r.h.body(1)
		r.pour(retry, fhChunk, 4096)
		if err := r.sent(retry); err != nil {
			t.Fatal(err)
		}
		r.mustSend(2, 3)
		r.wantWhole(fhChunk)
	})
}

// A chunk in flight when the front reaches it has handed over bytes the hash has not taken:
// those are read again, and its body feeds the hash from there on.
func TestFileHashCatchesUpWithAChunkInFlight(t *testing.T) {
	r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
	inFlight := r.h.body(1)
	r.pour(inFlight, 6000, 2000)
	r.mustSend(0) // the front moves to chunk 1 and reads its 6000 bytes sent so far
	if got := r.file.bytesRead(); got != 6000 {
		t.Fatalf("%d bytes read again when the front reached the chunk in flight, want the 6000 it had sent", got)
	}
	r.pour(inFlight, fhChunk, 2000) // fed as they go
	if err := r.sent(inFlight); err != nil {
		t.Fatal(err)
	}
	r.mustSend(2, 3)
	r.wantWhole(6000)
}

// A body that hands bytes over while the hash reads its chunk again does not feed the hash
// meanwhile (the hash is being read into): the hash reads up to where the body got, and the
// body feeds it from there on.
func TestFileHashCatchesUpWithABodyThatGetsFurtherWhileItReads(t *testing.T) {
	t.Run("the body in flight", func(t *testing.T) {
		r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
		inFlight := r.h.body(1)
		r.pour(inFlight, 2000, 1000)
		r.file.during = func(int64) { r.pour(inFlight, 7000, 1000) } // the transport goes on
		r.mustSend(0)
		if got := r.file.bytesRead(); got != 7000 {
			t.Fatalf("%d bytes read again, want 7000: the 2000 sent before the front came and the 5000 sent while it read", got)
		}
		r.pour(inFlight, fhChunk, 1000)
		if err := r.sent(inFlight); err != nil {
			t.Fatal(err)
		}
		r.mustSend(2, 3)
		r.wantWhole(7000)
	})
	t.Run("its retry, starting at the hash's position", func(t *testing.T) {
		// The chunk's first body sent 6000 bytes and failed; its retry starts from the
		// chunk's start, which is where the hash is, while the hash reads those 6000.
		r := newFHRig(t, fhBytes(3*fhChunk+7), hashes.XXH64, hashes.MD5)
		failed := r.h.body(1)
		r.pour(failed, 6000, 2000)
		retry := r.h.body(1)
		r.file.during = func(int64) { r.pour(retry, 2000, 1000) }
		r.mustSend(0)
		r.pour(retry, fhChunk, 1000)
		if err := r.sent(retry); err != nil {
			t.Fatal(err)
		}
		r.mustSend(2, 3)
		r.wantWhole(6000)
	})
	t.Run("the front's failed body, which fed it, while it reads past it", func(t *testing.T) {
		// The front chunk's first body fed the hash 2000 bytes and failed; its retry got
		// to 8192 without meeting the hash; the hash reads 2000..8192 again when another
		// chunk finishes, and meanwhile the failed body's late slice arrives.
		r := newFHRig(t, fhBytes(3*fhChunk), hashes.XXH64, hashes.MD5)
		failed := r.h.body(0)
		r.pour(failed, 2000, 1000)
		retry := r.h.body(0)
		r.pour(retry, 8192, 4096)
		r.file.during = func(int64) { r.pour(failed, 3000, 1000) }
		r.mustSend(1)
		r.pour(retry, fhChunk, 4096) // from 8192, where the hash now is: fed
		if err := r.sent(retry); err != nil {
			t.Fatal(err)
		}
		r.mustSend(2)
		r.wantWhole(8192 - 2000 + fhChunk) // and chunk 1, done before the front reached it
	})
}

// A part that reads differently from what its PUT sent (the file changed under the upload
// with its size and time kept) is an error wrapping api.ErrFileChanged: the file's hash
// would not be the hash of the bytes sent.
func TestFileHashFindsAPartThatReadsDifferentlyFromWhatItSent(t *testing.T) {
	change := func(r *fhRig, i int) {
		off, _ := r.f.ChunkRange(i)
		r.file.mu.Lock()
		r.file.data[off+123] ^= 0xff
		r.file.mu.Unlock()
	}
	wantChanged := func(t *testing.T, err error, part int) {
		t.Helper()
		if !errors.Is(err, api.ErrFileChanged) {
			t.Fatalf("got %v, want an error wrapping api.ErrFileChanged", err)
		}
		if want := fmt.Sprintf("part %d ", part); !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
	t.Run("a part done before the front reached it", func(t *testing.T) {
		r := newFHRig(t, fhBytes(4*fhChunk))
		r.mustSend(2)
		change(r, 2)
		r.mustSend(0)
		wantChanged(t, r.send(1), 3)
	})
	t.Run("a part in flight when the front reached it", func(t *testing.T) {
		r := newFHRig(t, fhBytes(4*fhChunk))
		b := r.h.body(1)
		r.pour(b, fhChunk, 4096)
		change(r, 1)
		r.mustSend(0) // reads the changed bytes; chunk 1 is not done yet
		wantChanged(t, r.sent(b), 2)
	})
	t.Run("a part finished before the restart", func(t *testing.T) {
		data := fhBytes(4 * fhChunk)
		f := fhFileOf(data)
		off, n := f.ChunkRange(0)
		journaled := []string{fhPart(t, data[off:off+n]), "", "", ""}
		r := newFHRigResumed(t, data, nil, []bool{true, false, false, false}, journaled)
		change(r, 0)
		wantChanged(t, r.send(1), 1)
	})
	t.Run("the one part of a file, hashed in the file's format", func(t *testing.T) {
		data := fhBytes(fhChunk - 1)
		journaled := []string{"xxh64:" + fhXXH64(data)}
		r := newFHRigResumed(t, data, []hashes.Format{hashes.XXH64}, []bool{true}, journaled)
		change(r, 0)
		if _, err := r.h.sums(); !errors.Is(err, api.ErrFileChanged) {
			t.Fatalf("got %v, want an error wrapping api.ErrFileChanged", err)
		}
	})
	t.Run("a part that reads shorter", func(t *testing.T) {
		r := newFHRig(t, fhBytes(4*fhChunk))
		r.mustSend(2)
		r.file.mu.Lock()
		r.file.data = r.file.data[:2*fhChunk+500]
		r.file.mu.Unlock()
		r.mustSend(0)
		err := r.send(1)
		if !errors.Is(err, api.ErrFileChanged) || !errors.Is(err, errFileShrankUnder) {
			t.Fatalf("got %v, want api.ErrFileChanged and errFileShrankUnder", err)
		}
	})
}

// Parts finished before a restart are read again from the file and checked against the
// hashes the journal kept; the file's hash is of every byte sent, in order.
func TestFileHashResumedReadsThePartsFinishedBefore(t *testing.T) {
	data := fhBytes(4*fhChunk + 1)
	f := fhFileOf(data)
	done := []bool{true, false, true, false, false}
	parts := make([]string, len(done))
	for i, d := range done {
		if d {
			off, n := f.ChunkRange(i)
			parts[i] = fhPart(t, data[off:off+n])
		}
	}
	t.Run("with their hashes", func(t *testing.T) {
		r := newFHRigResumed(t, data, []hashes.Format{hashes.XXH64, hashes.MD5}, done, parts)
		r.mustSend(4, 1, 3)
		r.wantWhole(2*fhChunk + 1) // 0 and 2 (finished before), 4 (finished before the front)
	})
	t.Run("finished before the journal kept hashes", func(t *testing.T) {
		// Nothing to check them against (unknownPart), so a change goes unseen; the
		// hash is still of the file's bytes now.
		r := newFHRigResumed(t, data, []hashes.Format{hashes.XXH64, hashes.MD5}, done, nil)
		r.mustSend(1, 3, 4)
		r.wantWhole(3 * fhChunk) // 0 and 2, and 1: sent while the front waited at 0
	})
}

// The hash is not done until every chunk is: sums says how far it got.
func TestFileHashIsNotDoneBeforeEveryChunk(t *testing.T) {
	r := newFHRig(t, fhBytes(3*fhChunk))
	r.mustSend(0, 2)
	if _, err := r.h.sums(); err == nil || errors.Is(err, api.ErrFileChanged) {
		t.Fatalf("sums with chunk 1 missing: %v, want an error that is not a change of the file", err)
	}
}

// As uploadChunks runs it: workers hand chunks' bytes over on their own goroutines, some
// bodies retried from their chunk's start with the failed body's last slice arriving late,
// and one goroutine tells fileHash of each chunk done as it finishes. Whatever the
// interleaving, the hash is of the file's bytes in order and no part reads as changed.
func TestFileHashOfChunksSentInParallel(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		size := rng.IntN(12*fhChunk) + 1
		formats := fhFormatSets[seed%uint64(len(fhFormatSets))]
		r := newFHRig(t, fhBytes(size), formats...)
		n := r.f.ChunkCount()
		work := make(chan int, n)
		for i := range n {
			work <- i
		}
		close(work)
		type result struct {
			i   int
			sum string
		}
		results := make(chan result, n)
		var wg sync.WaitGroup
		for w := range 1 + rng.IntN(5) {
			wrng := rand.New(rand.NewPCG(seed, uint64(w)))
			wg.Go(func() {
				for i := range work {
					off, length := r.f.ChunkRange(i)
					chunk := r.data[off : off+length]
					hand := func(b *partBody, to int) {
						for at := int(b.off - off); at < to; {
							k := min(1+wrng.IntN(3000), to-at)
							_, _ = b.Write(chunk[at : at+k])
							at += k
						}
					}
					b := r.h.body(i)
					for range wrng.IntN(3) { // failed tries, each cut somewhere
						cut := wrng.IntN(len(chunk) + 1)
						hand(b, cut)
						late, lateTo := b, min(cut+wrng.IntN(2000), len(chunk))
						b = r.h.body(i)
						hand(b, wrng.IntN(len(chunk)+1))
						hand(late, lateTo) // the failed body's last slice
					}
					hand(b, len(chunk))
					results <- result{i, b.Sum()}
				}
			})
		}
		go func() { wg.Wait(); close(results) }()
		for res := range results {
			if want := fhPart(t, r.chunk(res.i)); res.sum != want {
				t.Fatalf("seed %d: the part hash of chunk %d is %s, want %s", seed, res.i, res.sum, want)
			}
			if err := r.h.sent(res.i, res.sum); err != nil {
				t.Fatalf("seed %d: chunk %d: %v", seed, res.i, err)
			}
		}
		sums, err := r.h.sums()
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, f := range formats {
			if got, want := sums.Get(f), fhSum(t, f, r.data); got != want {
				t.Errorf("seed %d: %s %q, want %s", seed, f, got, want)
			}
		}
		if r.h.reread != r.file.bytesRead() || r.h.reread > int64(size) {
			t.Errorf("seed %d: fileHash counts %d bytes read again; %d were read of a file of %d", seed, r.h.reread, r.file.bytesRead(), size)
		}
	}
}

var _ io.ReaderAt = (*fhReader)(nil)

// The one part of a file, journaled in another format than this attempt hashes it in (the
// hash setting changed, or the journal is older than parts hashed in the file's format),
// cannot be checked, and is not taken for a change.
func TestFileHashOfOnePartJournaledInAnotherFormat(t *testing.T) {
	data := fhBytes(fhChunk / 2)
	for _, c := range []struct {
		formats   []hashes.Format
		journaled string
	}{
		{[]hashes.Format{hashes.MD5}, "xxh64:" + fhXXH64(data)},
		{[]hashes.Format{hashes.MD5}, fhPart(t, data)},
		{[]hashes.Format{partFormat}, "xxh64:" + fhXXH64(data)},
		{[]hashes.Format{hashes.XXH64, hashes.MD5}, "xxh64:" + fhXXH64(data)},
	} {
		r := newFHRigResumed(t, data, c.formats, []bool{true}, []string{c.journaled})
		r.wantWhole(int64(len(data))) // read again to hash it, unchecked
	}
}
