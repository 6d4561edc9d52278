package upload

import (
	"context"
	"sync"
	"testing"
	"time"
)

// nopJournal accepts every write; the test below is about announcing, not keeping.
type nopJournal struct{}

func (nopJournal) Load(context.Context) ([]Record, error)              { return nil, nil }
func (nopJournal) Insert(_ context.Context, fs []File) ([]File, error) { return fs, nil }
func (nopJournal) Update(context.Context, File, ...int) error          { return nil }
func (nopJournal) StartAsset(context.Context, File) error              { return nil }
func (nopJournal) ChunkDone(context.Context, FileID, int) error        { return nil }
func (nopJournal) Remove(context.Context, FileID) error                { return nil }
func (nopJournal) Hide(context.Context, FileID) error                  { return nil }
func (nopJournal) WaitForSpace(context.Context) error                  { return nil }
func (nopJournal) Uploaded(_ context.Context, fs []File) ([]File, error) {
	return make([]File, len(fs)), nil
}

// A progress view taken while a file was uploading must not reach the front ends after
// the transition that made it done: they keep only the newest event of a file, so the
// file would stay "uploading" on screen (and `upload` would wait for it for ever). The
// progress announcement is held inside OnEvent while the transition runs; the transition
// must wait for it rather than overtake it.
func TestPublishNeverAnnouncesAnOlderViewLast(t *testing.T) {
	var (
		mu        sync.Mutex
		announced []State
		inside    = make(chan struct{})
		overtook  = make(chan struct{})
		holdOnce  sync.Once
	)
	e := New(Config{Journal: nopJournal{}, OnEvent: func(ev Event) {
		if ev.File == nil {
			return
		}
		if ev.File.State == Uploading {
			holdOnce.Do(func() {
				close(inside)
				// Without the ordering, the transition announces done meanwhile. With it,
				// the transition waits for this call, so the hold ends by its bound.
				select {
				case <-overtook:
				case <-time.After(300 * time.Millisecond):
				}
			})
		}
		mu.Lock()
		announced = append(announced, ev.File.State)
		mu.Unlock()
	}})
	ent := &entry{f: File{ID: 1, Name: "clip.mov", Size: 10, State: Uploading}, running: true}
	e.files[1], e.order = ent, []FileID{1}

	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		e.publishProgress(time.Now())
	}()
	<-inside
	if err := e.transition(context.Background(), ent, func(f *File) { f.State = Done }); err != nil {
		t.Fatal(err)
	}
	close(overtook)
	<-progressDone

	mu.Lock()
	defer mu.Unlock()
	if len(announced) < 2 || announced[len(announced)-1] != Done {
		t.Fatalf("announced %v: the last view of the file is not the done one", announced)
	}
}
