package upload

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// TestFilesUploadedLongAgoLeaveTheList: with KeepFinished a week, files uploaded ten
// days ago leave the list as the queue is read back, hidden as Clear finished hides them
// (their records stay) — but not one whose batch's receipts are still to be written,
// until they are;
// one uploaded three days ago stays until the queue, running, sees its week over; files
// not uploaded stay however old. Kept until cleared (0), an uploaded file stays for
// good.
func TestFilesUploadedLongAgoLeaveTheList(t *testing.T) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var now atomic.Int64
	now.Store(start.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	days := func(n int) time.Time { return start.Add(-time.Duration(n) * 24 * time.Hour) }

	j := newMemJournal()
	file := func(id FileID, st State, done time.Time) Record {
		f := File{ID: id, Name: fmt.Sprintf("clip-%d.mov", id), Path: fmt.Sprintf("/card/clip-%d.mov", id), Size: 10,
			State: st, DoneAt: done, AddedAt: days(11), Category: "other"}
		if st == Done {
			f.AssetID, f.ChunkSize = fmt.Sprintf("asset-%d", id), 10
		}
		return Record{File: f, DoneChunks: []int{0}}
	}
	j.loaded = []Record{
		file(1, Done, days(10)),
		file(2, Done, days(3)),
		file(3, Failed, time.Time{}),
		file(4, Paused, time.Time{}),
		inBatch(file(5, Done, days(10)), time.Time{}),               // its receipts not written yet
		inBatch(file(6, Done, days(10)), days(10).Add(time.Minute)), // written
	}
	s := DefaultSettings()
	s.KeepFinished = 7 * 24 * time.Hour
	e := New(Config{Journal: j, Client: &fakeClient{parts: 1}, Auth: fakeAuth{}, Settings: s, Now: clock, ProgressInterval: time.Millisecond})
	t.Cleanup(e.Close)
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := listed(e); !slices.Equal(got, []FileID{2, 3, 4, 5}) {
		t.Fatalf("listed after reading the queue back: %v, want 2 3 4 5 (1 and 6 were uploaded ten days ago and receipted)", got)
	}
	if got := hiddenIn(j); !slices.Equal(got, []FileID{1, 6}) {
		t.Fatalf("hidden in the journal: %v, want 1 6", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	now.Store(start.Add(4*24*time.Hour + pruneEvery).UnixNano()) // file 2's week is over
	waitfor.Condition(t, "file 2 leaving the list once its week is over", func() bool {
		return slices.Equal(listed(e), []FileID{3, 4, 5})
	})
	if got := hiddenIn(j); !slices.Equal(got, []FileID{1, 6, 2}) {
		t.Errorf("hidden in the journal: %v, want 1 6 2", got)
	}
	// File 5's receipts are written: it goes at the next look.
	if err := e.Receipted(context.Background(), []FileID{5}, clock()); err != nil {
		t.Fatal(err)
	}
	now.Add(int64(pruneEvery))
	waitfor.Condition(t, "file 5 leaving the list once its receipts are written", func() bool {
		return slices.Equal(listed(e), []FileID{3, 4})
	})

	// Kept until cleared: nothing leaves, however old.
	j.mu.Lock()
	j.loaded = []Record{file(5, Done, days(400))}
	j.mu.Unlock()
	s.KeepFinished = 0
	kept := New(Config{Journal: j, Client: &fakeClient{parts: 1}, Auth: fakeAuth{}, Settings: s, Now: clock})
	t.Cleanup(kept.Close)
	if err := kept.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := listed(kept); !slices.Equal(got, []FileID{5}) {
		t.Errorf("listed when kept until cleared: %v, want 5", got)
	}
}

// A setting changed to keep uploaded files a shorter time takes effect at once.
func TestKeepingUploadedFilesShorterTakesThemOffAtOnce(t *testing.T) {
	j := newMemJournal()
	now := time.Now()
	j.loaded = []Record{{File: File{ID: 1, Name: "a.mov", Path: "/card/a.mov", Size: 1, State: Done, DoneAt: now.Add(-3 * time.Hour),
		AssetID: "asset-1", ChunkSize: 1, Category: "other"}, DoneChunks: []int{0}}}
	s := DefaultSettings()
	e := New(Config{Journal: j, Client: &fakeClient{parts: 1}, Auth: fakeAuth{}, Settings: s})
	t.Cleanup(e.Close)
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := listed(e); !slices.Equal(got, []FileID{1}) {
		t.Fatalf("listed: %v, want 1 (uploaded 3 hours ago, kept a week)", got)
	}
	s.KeepFinished = 2 * time.Hour
	if err := e.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := listed(e); len(got) != 0 {
		t.Errorf("listed once uploaded files are kept 2 hours: %v, want none", got)
	}
	s.KeepFinished = time.Minute
	if err := s.Validate(); err == nil {
		t.Error("keeping uploaded files a minute: valid, want at least an hour")
	}
}

// inBatch is r's file added with a folder, its receipts written at receipted (zero: not
// yet).
func inBatch(r Record, receipted time.Time) Record {
	r.File.Root, r.File.Receipted = "/card", receipted
	return r
}

// listed are the ids of the files in e's list, in its order.
func listed(e *Engine) []FileID {
	views, _ := e.Snapshot()
	var ids []FileID
	for _, v := range views {
		ids = append(ids, v.ID)
	}
	return ids
}

func hiddenIn(j *memJournal) []FileID {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.hidden)
}
