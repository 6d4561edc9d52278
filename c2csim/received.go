package c2csim

import (
	"net/http"
	"sync"
	"time"
)

// The timeline of chunk bytes received: how a client's bandwidth limit is judged from the
// receiving end, without timing the client.
const (
	receivedSlot = 10 * time.Millisecond
	receivedCap  = 100000 // slots kept (over 16 minutes of steady sending); the oldest go first
)

// Received is one slot of the timeline: the chunk (S3 PUT body) bytes that arrived in
// the 10 ms from Time, by the wall clock: a bandwidth limit is kept by the wall clock,
// whatever the simulator's own clock says (AdvanceClock).
type Received struct {
	Time  time.Time `json:"time"`
	Bytes int64     `json:"bytes"`
}

type receivedLog struct {
	mu    sync.Mutex
	slots []Received // by time
}

func (l *receivedLog) add(at time.Time, n int64) {
	at = at.Truncate(receivedSlot)
	l.mu.Lock()
	defer l.mu.Unlock()
	// Reads of parallel connections take their time before the lock: one may be a slot
	// late.
	i := len(l.slots)
	for i > 0 && l.slots[i-1].Time.After(at) {
		i--
	}
	if i > 0 && l.slots[i-1].Time.Equal(at) {
		l.slots[i-1].Bytes += n
		return
	}
	if len(l.slots) >= receivedCap {
		drop := receivedCap / 10
		l.slots = append(l.slots[:0], l.slots[drop:]...)
		i = max(i-drop, 0)
	}
	l.slots = append(l.slots, Received{})
	copy(l.slots[i+1:], l.slots[i:])
	l.slots[i] = Received{Time: at, Bytes: n}
}

func (l *receivedLog) all() []Received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Received{}, l.slots...)
}

func (l *receivedLog) clear() {
	l.mu.Lock()
	l.slots = nil
	l.mu.Unlock()
}

// ReceivedTimeline is the timeline of chunk bytes received, oldest first.
func (s *Server) ReceivedTimeline() []Received { return s.received.all() }

func (s *Server) adminReceived(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.received.all())
}

func (s *Server) adminClearReceived(w http.ResponseWriter, _ *http.Request) {
	s.received.clear()
	writeJSON(w, http.StatusOK, []Received{})
}
