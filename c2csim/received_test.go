package c2csim_test

import (
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// The timeline of bytes received counts every chunk byte once, in time order, and
// nothing else (API bodies); the admin API serves the same and empties it.
func TestReceivedTimelineCountsChunkBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{})
	tok := e.pair("dev-1", c2csim.Approval{})
	if got := e.sim.ReceivedTimeline(); len(got) != 0 {
		t.Fatalf("before any chunk the timeline holds %v", got)
	}
	size := 300 << 10
	a := e.newAsset(tok.Access, "a.mov", size)
	e.upload(a, testData(t, size))

	tl := e.sim.ReceivedTimeline()
	var total int64
	for i, s := range tl {
		total += s.Bytes
		if s.Bytes <= 0 {
			t.Errorf("slot %d holds %d bytes", i, s.Bytes)
		}
		if i > 0 && !s.Time.After(tl[i-1].Time) {
			t.Errorf("slot %d (%v) is not after slot %d (%v)", i, s.Time, i-1, tl[i-1].Time)
		}
	}
	if total != int64(size) {
		t.Errorf("the timeline counts %d bytes, the chunks held %d", total, size)
	}
	viaAdmin, err := e.sim.Admin.Received(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(viaAdmin) != len(tl) {
		t.Errorf("the admin API serves %d slots, the server holds %d", len(viaAdmin), len(tl))
	}
	if err := e.sim.Admin.ClearReceived(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.ReceivedTimeline(); len(got) != 0 {
		t.Errorf("after clearing, the timeline holds %v", got)
	}
}
