package c2csim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// The real-time rules of docs/api-notes.md §3.6 enforced strictly: a client that
// registers parts the real API could not stitch into its file is told so by the
// simulator at once, not by a broken asset later.

const rtMin = 16 << 10 // the smallest non-final part in these tests

// rt is one real-time asset of a paired device.
type rt struct {
	e    *env
	id   string
	auth []string
}

func newRT(t *testing.T) rt {
	t.Helper()
	e := newEnv(t, c2csim.Options{MinPartSize: rtMin})
	tok := e.pair("dev-1", c2csim.Approval{})
	r := e.createAsset(tok.Access, map[string]any{"name": "take.mov", "filetype": filetype, "is_realtime_upload": true})
	wantStatus(t, r, http.StatusOK)
	return rt{e: e, id: decodeJSON(t, r)["id"].(string), auth: bearer(tok.Access)}
}

// register posts a registration of parts, with asset_filesize when size > 0.
func (a rt) register(size int64, parts ...rtPart) response {
	a.e.t.Helper()
	body := map[string]any{"parts": parts}
	if size > 0 {
		body["asset_filesize"] = size
	}
	return a.e.postJSON(realtimePath(a.id), body, a.auth...)
}

// urls registers parts and returns their URLs, in order.
func (a rt) urls(size int64, parts ...rtPart) []string {
	a.e.t.Helper()
	r := a.register(size, parts...)
	wantStatus(a.e.t, r, http.StatusOK)
	var urls []string
	for _, u := range decodeJSON(a.e.t, r)["upload_urls"].([]any) {
		urls = append(urls, u.(string))
	}
	if len(urls) != len(parts) {
		a.e.t.Fatalf("%d urls for %d parts", len(urls), len(parts))
	}
	return urls
}

// refused checks that a registration is answered 400 with detail, and leaves the asset as
// it was.
func (a rt) refused(detail string, size int64, parts ...rtPart) {
	a.e.t.Helper()
	before := a.e.asset(a.id)
	wantDetailed(a.e.t, a.register(size, parts...), http.StatusBadRequest, "Bad Request", detail)
	after := a.e.asset(a.id)
	// As the admin API writes them (times compared as written, not by their locations).
	b, _ := json.Marshal(before)
	if c, _ := json.Marshal(after); !bytes.Equal(b, c) {
		a.e.t.Errorf("a refused registration changed the asset:\nbefore %s\nafter  %s", b, c)
	}
}

func finalPart(n int, size int64) rtPart { return rtPart{n, size, true} }
func part(n int, size int64) rtPart      { return rtPart{n, size, false} }

// TestRealtimeOneFinalPart: a file ends once. Registering its final part again (a retry,
// an answer lost) is fine; another number marked final, another asset_filesize, or the
// final part registered as an ordinary one are not.
func TestRealtimeOneFinalPart(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	const size = rtMin + 10
	a.refused("parts 1 and 2 are both final; a file has one final part", size, finalPart(1, rtMin), finalPart(2, 10))
	a.urls(size, part(1, rtMin), finalPart(2, 10))
	if info := a.e.asset(a.id); info.Filesize != size || info.FinalRegisteredAt.IsZero() {
		t.Fatalf("after the final part: %+v", info)
	}

	again := a.urls(size, finalPart(2, 10))
	a.refused("part 2 is already the final part; part 3 cannot be final too", rtMin+20, finalPart(3, 10))
	a.refused("part 2 is already the final part; part 1 cannot be final too", rtMin, finalPart(1, rtMin))
	a.refused(fmt.Sprintf("asset_filesize is already %d; it cannot change to %d", size, size+1), size+1, finalPart(2, 11))
	// asset_filesize contradicting the known size is refused with ordinary parts too.
	a.refused(fmt.Sprintf("asset_filesize is already %d; it cannot change to %d", size, size+1), size+1, part(1, rtMin))
	a.refused("part 2 is the final part; it cannot be registered as not final", 0, part(2, rtMin))

	data := testData(t, size)
	wantStatus(t, a.e.put(again[0], data[rtMin:]), http.StatusOK)
	urls := a.urls(0, part(1, rtMin))
	wantStatus(t, a.e.put(urls[0], data[:rtMin]), http.StatusOK)
	if info := a.e.asset(a.id); !info.Complete || info.SHA256 != sha(data) {
		t.Errorf("asset %+v, want complete", info)
	}
}

// TestRealtimeNoPartAfterTheFinal: the final part is the last: a part numbered above it is
// refused whether it comes with the final part, after it, or was there before it.
func TestRealtimeNoPartAfterTheFinal(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	a.refused("part 2 comes after the final part 1", 2*rtMin, finalPart(1, rtMin), part(2, rtMin))
	a.urls(0, part(1, rtMin), part(3, rtMin))
	a.refused("part 3 comes after the final part 2", 3*rtMin, finalPart(2, rtMin))
	a.urls(3*rtMin+5, finalPart(4, 5))
	a.refused("part 5 comes after the final part 4", 0, part(5, rtMin))
	a.refused("part 9 comes after the final part 4", 0, part(2, rtMin), part(9, rtMin))
}

// TestRealtimeNumbersOnceARequest: a request that names a part twice asks for two URLs of
// one part with possibly two sizes; it is refused whole.
func TestRealtimeNumbersOnceARequest(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	a.refused("part 1 appears more than once in the request", 0, part(1, rtMin), part(1, rtMin))
	a.refused("part 2 appears more than once in the request", rtMin+10, part(2, rtMin), part(1, rtMin), finalPart(2, 10))
	if info := a.e.asset(a.id); len(info.Parts) != 0 {
		t.Errorf("refused requests registered %+v", info.Parts)
	}
}

// TestRealtimeSizesAddUpToTheFileSize: asset_filesize is the sum of the parts. A
// registration after which they add up to more, or after which every number up to the
// final part is there and they add up to something else, is refused.
func TestRealtimeSizesAddUpToTheFileSize(t *testing.T) {
	t.Parallel()
	t.Run("more than the file", func(t *testing.T) {
		t.Parallel()
		a := newRT(t)
		a.urls(0, part(1, rtMin), part(2, rtMin))
		a.refused(fmt.Sprintf("the parts add up to %d bytes, more than asset_filesize %d", 2*rtMin+10, 2*rtMin), 2*rtMin, finalPart(4, 10))
		a.urls(3*rtMin+10, finalPart(4, 10))
		a.refused(fmt.Sprintf("the parts add up to %d bytes, more than asset_filesize %d", 3*rtMin+11, 3*rtMin+10), 0, part(3, rtMin+1))
	})
	t.Run("every number there, another total", func(t *testing.T) {
		t.Parallel()
		a := newRT(t)
		a.refused(fmt.Sprintf("parts 1 to 2 add up to %d bytes, not asset_filesize %d", rtMin+10, rtMin+11), rtMin+11, part(1, rtMin), finalPart(2, 10))
		// A number skipped: the missing part may yet make up the difference.
		a.urls(2*rtMin+20, part(1, rtMin), finalPart(3, 10))
		a.refused(fmt.Sprintf("parts 1 to 3 add up to %d bytes, not asset_filesize %d", 2*rtMin+10, 2*rtMin+20), 0, part(2, rtMin))
		a.urls(0, part(2, rtMin+10))
	})
	t.Run("a part not yet received may change its size", func(t *testing.T) {
		t.Parallel()
		a := newRT(t)
		data := testData(t, 2*rtMin+15)
		first := a.urls(0, part(1, rtMin+5))
		// The file's first part is smaller after all: registered again, its new size is
		// the one its bytes must have, at the old URL too.
		urls := a.urls(int64(len(data)), part(1, rtMin), part(2, rtMin), finalPart(3, 15))
		wantS3(t, a.e.put(first[0], testData(t, rtMin+5)), http.StatusBadRequest, "InvalidArgument",
			fmt.Sprintf("part 1 takes exactly %d bytes, the request declares %d", rtMin, rtMin+5))
		for i, u := range urls {
			wantStatus(t, a.e.put(u, data[i*rtMin:min((i+1)*rtMin, len(data))]), http.StatusOK)
		}
		if info := a.e.asset(a.id); !info.Complete || info.SHA256 != sha(data) {
			t.Errorf("asset %+v, want complete", info)
		}
	})
}

// TestRealtimeReceivedPartKeepsItsSize: a part whose bytes are in may be registered again
// (its bytes changed: the client sends them anew, and S3 keeps a part number's last PUT),
// but with its size: another size would make the parts already counted wrong.
func TestRealtimeReceivedPartKeepsItsSize(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	urls := a.urls(0, part(1, rtMin))
	wantStatus(t, a.e.put(urls[0], testData(t, rtMin)), http.StatusOK)
	a.refused(fmt.Sprintf("part 1 was received with %d bytes; it cannot change to %d", rtMin, rtMin+1), 0, part(1, rtMin+1))
	a.refused(fmt.Sprintf("part 1 was received with %d bytes; it cannot change to %d", rtMin, 10), 10, finalPart(1, 10))
	fresh := a.urls(0, part(1, rtMin))
	wantS3(t, a.e.put(fresh[0], testData(t, rtMin+1)), http.StatusBadRequest, "InvalidArgument",
		fmt.Sprintf("part 1 takes exactly %d bytes, the request declares %d", rtMin, rtMin+1))
}

// TestRealtimeResentPartReplacesItsBytes: a part sent again before the file is put
// together replaces the bytes sent before — to its first URL or to one from registering it
// again — as S3 keeps the last PUT of a part number. The file is assembled from the last
// bytes, once the final part and every part registered below it are in.
func TestRealtimeResentPartReplacesItsBytes(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	final := testData(t, 2*rtMin+7)[2*rtMin:]
	stale, staler, fresh := make([]byte, rtMin), make([]byte, rtMin), make([]byte, rtMin)
	for i := range rtMin {
		stale[i], staler[i], fresh[i] = byte(i), byte(i+1), byte(i*3)
	}
	second := testData(t, rtMin)
	urls := a.urls(0, part(1, rtMin), part(2, rtMin))
	wantStatus(t, a.e.put(urls[0], stale), http.StatusOK)
	wantStatus(t, a.e.put(urls[0], staler), http.StatusOK)
	again := a.urls(0, part(1, rtMin))
	wantStatus(t, a.e.put(again[0], fresh), http.StatusOK)
	wantStatus(t, a.e.put(urls[1], second), http.StatusOK)

	info := a.e.asset(a.id)
	if p := info.Parts[0]; !p.Received || p.SHA256 != sha(fresh) || p.Puts != 3 || p.ResentAfterAck != 2 {
		t.Errorf("part 1 %+v, want the last bytes sent (sha256 %s) after 3 PUTs", p, sha(fresh))
	}
	if info.Complete {
		t.Fatal("complete without a final part")
	}
	// Only the last PUT's bytes are kept.
	kept, err := filepath.Glob(filepath.Join(a.e.sim.DataDir(), "parts", a.id, "part-00001-*"))
	if err != nil || len(kept) != 1 {
		t.Errorf("part 1 stored as %q (%v), want one file", kept, err)
	}

	last := a.urls(int64(2*rtMin+len(final)), finalPart(3, int64(len(final))))
	wantStatus(t, a.e.put(last[0], final), http.StatusOK)
	want := slices.Concat(fresh, second, final)
	if info := a.e.asset(a.id); !info.Complete || info.SHA256 != sha(want) {
		t.Errorf("asset %+v, want complete from the last bytes of each part (sha256 %s)", info, sha(want))
	}
}

// TestRealtimeFinalRegisteredAt: a real-time asset says when its final part was
// registered — the first time: registering it again (a retry) changes nothing — and when
// it was put together.
func TestRealtimeFinalRegisteredAt(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	e := a.e
	data := testData(t, rtMin+10)
	urls := a.urls(0, part(1, rtMin))
	if info := e.asset(a.id); !info.FinalRegisteredAt.IsZero() {
		t.Errorf("final registered at %v with no final part", info.FinalRegisteredAt)
	}
	from := e.clock().Now
	final := a.urls(int64(len(data)), finalPart(2, 10))
	to := e.clock().Now
	registered := e.asset(a.id).FinalRegisteredAt
	within(t, "the final part's registration", registered, from, to)

	e.sim.AdvanceClock(time.Hour)
	a.urls(int64(len(data)), finalPart(2, 10))
	if at := e.asset(a.id).FinalRegisteredAt; !at.Equal(registered) {
		t.Errorf("registered again, the final part's time moved from %v to %v", registered, at)
	}
	if at := rawTime(t, e.rawAsset(a.id), "final_registered_at"); !at.Equal(registered) {
		t.Errorf("final_registered_at %v, typed %v", at, registered)
	}

	from = e.clock().Now
	wantStatus(t, e.put(final[0], data[rtMin:]), http.StatusOK)
	wantStatus(t, e.put(urls[0], data[:rtMin]), http.StatusOK)
	info := e.asset(a.id)
	if !info.Complete {
		t.Fatalf("asset %+v, want complete", info)
	}
	within(t, "the assembly", info.CompletedAt, from, e.clock().Now)
}

// TestRealtimePartResizedWhileItArrives: a part registered again with another size while
// its bytes are on their way: those bytes are no longer the part's, and the PUT is
// refused as one of the wrong length would have been, not taken for the new size.
func TestRealtimePartResizedWhileItArrives(t *testing.T) {
	t.Parallel()
	a := newRT(t)
	old := testData(t, rtMin+5)
	urls := a.urls(0, part(1, rtMin+5))
	conn := rawPut(t, urls[0], int64(len(old)), old[:100])
	// The PUT has been measured against the part's size once it counts as an attempt.
	eventually(t, 10*time.Second, "the PUT to reach the simulator", func() bool { return a.e.asset(a.id).Parts[0].Attempts == 1 })
	a.urls(0, part(1, rtMin))
	if _, err := conn.Write(old[100:]); err != nil {
		t.Fatal(err)
	}
	wantS3(t, readResponse(t, conn), http.StatusBadRequest, "InvalidArgument",
		fmt.Sprintf("part 1 takes exactly %d bytes, the request declares %d", rtMin, rtMin+5))
	if p := a.e.asset(a.id).Parts[0]; p.Received || p.Size != rtMin || p.Puts != 0 || !p.FirstReceivedAt.IsZero() {
		t.Errorf("part 1 %+v, want not received, %d bytes", p, rtMin)
	}
}
