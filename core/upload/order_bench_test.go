package upload

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// What goes first must not be felt on a day of cards (README, "What goes first"):
//
//	go test -run '^$' -bench 'Order|Move' ./core/upload/

// tenThousand are 10,000 queued files of every kind, shot over a day, as the journal
// would give them back.
func tenThousand() []Record {
	recs := make([]Record, 10_000)
	day := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i].File = File{
			ID: FileID(i + 1), Name: fmt.Sprintf("A%03dC%03d.mov", i/100, i%100), State: Queued,
			Category: media.Categories[i%len(media.Categories)], MediaCreated: day.Add(time.Duration(i*7919%10_000) * time.Second),
		}
	}
	return recs
}

// BenchmarkOrderTenThousand reads 10,000 queued files into the queue and puts them in
// the order they go.
func BenchmarkOrderTenThousand(b *testing.B) {
	recs := tenThousand()
	for b.Loop() {
		o := newOwner(&Engine{cfg: Config{Settings: DefaultSettings()}})
		o.load(recs)
		if len(o.ready) != len(recs) {
			b.Fatalf("%d ready", len(o.ready))
		}
	}
}

// BenchmarkMoveOneOfTenThousand moves one file of 10,000 to the top, written to the
// journal (in memory here: the journal's commit is timed by its own benchmarks).
func BenchmarkMoveOneOfTenThousand(b *testing.B) {
	o := newOwner(&Engine{cfg: Config{Settings: DefaultSettings(), Journal: newMemJournal(), OnEvent: func(Event) {}}})
	o.load(tenThousand())
	ctx := context.Background()
	o.runCtx = ctx
	i := 0
	for b.Loop() {
		i = (i + 7919) % len(o.ready)
		if err := o.move([]*entry{o.ready[i]}, Top); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSortByRunTenThousand sorts the views of 10,000 files as status lists them.
func BenchmarkSortByRunTenThousand(b *testing.B) {
	recs := tenThousand()
	views := make([]FileView, len(recs))
	for b.Loop() {
		for i, r := range recs {
			views[len(recs)-1-i] = FileView{ID: r.File.ID, Name: r.File.Name, State: r.File.State, Category: r.File.Category, Shot: r.File.MediaCreated}
		}
		SortByRun(views, media.Order{})
	}
}
