package core

import (
	"strconv"
	"sync"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// EventType names what an Event carries.
type EventType string

const (
	EventPairing    EventType = "pairing"    // Pairing: a code to show, or how pairing ended
	EventAuth       EventType = "auth"       // Auth: paired or not, the project's name
	EventConnection EventType = "connection" // Connection: online, offline (next check), reconnecting
	EventFile       EventType = "file"       // File: a file's state and progress
	EventRemoved    EventType = "removed"    // Removed: a file left the list
	EventTotals     EventType = "totals"     // Totals: files and bytes remaining, rate, ETA
	EventAlert      EventType = "alert"      // Alert: something needs a person
	EventFinished   EventType = "finished"   // Finished: the queue has nothing left to do
	// EventReceipts (receipts.go): Receipts were written for a batch that settled.
)

// Event is one thing the service tells its front ends. Type says which field is set.
type Event struct {
	Type       EventType
	Pairing    *Pairing
	Auth       *AuthStatus
	Connection *Connection
	File       *FileView
	Removed    FileID
	Totals     *Totals
	Alert      *Alert
	Finished   *Totals
	Receipts   *Receipts
	Watch      *WatchStatus
	Card       *CardEvent
}

// AlertKind names the problems that need a person (docs/error-policy.md §9): the engine's
// and the service's own, one type.
type AlertKind = upload.AlertKind

const (
	AlertChannelPaused              = upload.AlertChannelPaused
	AlertPaymentRequired            = upload.AlertPaymentRequired
	AlertClientRejected             = upload.AlertClientRejected
	AlertVersionRejected            = upload.AlertVersionRejected
	AlertOtherProject               = upload.AlertOtherProject
	AlertDiskFull                   = upload.AlertDiskFull
	AlertDiffers                    = upload.AlertDiffers
	AlertReconnect        AlertKind = "reconnect"
	AlertKeychain         AlertKind = "keychain"
	AlertJournalMovedAway AlertKind = "journal-moved-aside"
)

// Alert is a problem that needs a person. Front ends group alerts of one kind into one
// dialog (adding Files), never a stack of them.
type Alert struct {
	Kind    AlertKind
	Message string
	Files   []string
}

// Subscription receives the service's events. Publishing never blocks the engine: a
// reader that falls behind gets the latest state of each thing (each file, the totals,
// the connection...) rather than every step, while alerts, removals and the end of a
// batch are all kept.
type Subscription struct {
	bus    *bus
	notify chan struct{}

	mu      sync.Mutex
	pending map[string]int // key → index in events, for state that coalesces
	events  []Event
}

// Ready is signalled when events are waiting; Drain takes them.
func (s *Subscription) Ready() <-chan struct{} { return s.notify }

// Drain returns the waiting events, oldest first.
func (s *Subscription) Drain() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events, s.pending = nil, map[string]int{}
	return out
}

// Close stops the subscription.
func (s *Subscription) Close() {
	if s.bus != nil {
		s.bus.unsubscribe(s)
	}
}

// NewFeed is a subscription that its maker fills (Push) instead of a service: the events
// of a service in another process, read from a socket (ui/control). It coalesces the same
// way.
func NewFeed() *Subscription {
	return &Subscription{notify: make(chan struct{}, 1), pending: map[string]int{}}
}

// Push adds an event to a feed made by NewFeed.
func (s *Subscription) Push(ev Event) { s.push(coalesceKey(ev), ev) }

func (s *Subscription) push(key string, ev Event) {
	s.mu.Lock()
	if key != "" {
		if i, ok := s.pending[key]; ok {
			s.events[i] = ev
			s.mu.Unlock()
			return
		}
		s.pending[key] = len(s.events)
	}
	if ev.Type == EventRemoved {
		// A removal makes any pending update of that file moot.
		if i, ok := s.pending[fileKey(ev.Removed)]; ok {
			s.events[i] = Event{Type: EventRemoved, Removed: ev.Removed}
			delete(s.pending, fileKey(ev.Removed))
			s.mu.Unlock()
			s.signal()
			return
		}
	}
	s.events = append(s.events, ev)
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

type bus struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func (b *bus) subscribe() *Subscription {
	s := &Subscription{bus: b, notify: make(chan struct{}, 1), pending: map[string]int{}}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *bus) unsubscribe(s *Subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

func (b *bus) publish(ev Event) {
	key := coalesceKey(ev)
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.push(key, ev)
	}
}

func fileKey(id FileID) string { return "file:" + strconv.FormatInt(int64(id), 10) }

// coalesceKey is the identity under which newer events replace older ones; "" for
// events that must all be delivered.
func coalesceKey(ev Event) string {
	switch ev.Type {
	case EventFile:
		return fileKey(ev.File.ID)
	case EventTotals, EventConnection, EventAuth, EventPairing:
		return string(ev.Type)
	}
	return ""
}
