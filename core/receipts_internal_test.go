package core

import (
	"testing"
	"time"
)

// A batch settles (its receipts are written) once none of its files is on its way; a
// file paused because its card was removed is still on its way, unlike one a person
// paused: the batch is over when the card is back and the file has arrived.
func TestABatchWaitsForAFilePausedByItsCardRemoved(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	k := at.UnixNano()
	file := func(id FileID, st State, kind string) Event {
		return Event{Type: EventFile, File: &FileView{ID: id, State: st, ErrorKind: kind, AddedAt: at}}
	}
	b := newBatches()
	b.take([]Event{file(1, Done, ""), file(2, Paused, CardRemovedKind)})
	if b.settled(false)[k] {
		t.Errorf("the batch settled while a file waits for its card")
	}
	b.take([]Event{file(2, Done, "")})
	if !b.settled(false)[k] {
		t.Errorf("the batch did not settle once the card's file arrived")
	}
	b.take([]Event{file(3, Paused, "")})
	if !b.settled(false)[k] {
		t.Errorf("a file a person paused held its batch open")
	}
}
