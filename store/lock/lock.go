// Package lock gives one process at a time a data folder: an OS lock on a file in the
// folder (flock on Unix, LockFileEx on Windows, through github.com/gofrs/flock), held for
// the life of the process and released by the kernel if it dies, so there is no PID file
// to go stale. Beside the lock, a small file says who holds it, so that a second process
// can tell the person what is running ("the window", "`upload` started at 14:02").
package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// File names in the data folder. The lock file itself is never removed: removing a file
// others may be about to lock lets two processes lock two different files.
const (
	lockName = "lock"
	infoName = "lock.json"
)

// Holder describes the process that holds a data folder.
type Holder struct {
	PID int `json:"pid"`
	// Command is what runs: "window", or a headless command ("upload", "pair"...).
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	// Control is where the holder takes requests from other processes (the window's
	// local socket), "" when it takes none.
	Control string `json:"control,omitempty"`
}

// String names the holder for a person: "the window (pid 4242, started 14:02)".
func (h Holder) String() string {
	what := "`" + h.Command + "`"
	if h.Command == "window" {
		what = "the window"
	}
	when := h.Started.Local().Format("15:04")
	if !sameDay(h.Started, time.Now()) {
		when = h.Started.Local().Format("2 Jan 15:04")
	}
	return fmt.Sprintf("%s (pid %d, started %s)", what, h.PID, when)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Local().Date()
	by, bm, bd := b.Local().Date()
	return ay == by && am == bm && ad == bd
}

// HeldError says that another process holds the data folder.
type HeldError struct {
	Dir string
	// Holder is who holds it; Known is false when the holder has not said (it is just
	// starting, or its note could not be read).
	Holder Holder
	Known  bool
}

func (e *HeldError) Error() string {
	if !e.Known {
		return fmt.Sprintf("another C2C Uploader is using the data folder %s", e.Dir)
	}
	return fmt.Sprintf("%s is using the data folder %s", e.Holder, e.Dir)
}

// Lock is a data folder held by this process.
type Lock struct {
	dir    string
	fl     *flock.Flock
	holder Holder
}

// Acquire takes the data folder dir for this process, or returns a *HeldError when
// another process has it. It never waits.
func Acquire(dir string, h Holder) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	fl := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking the data folder %s: %w", dir, err)
	}
	if !ok {
		held := &HeldError{Dir: dir}
		held.Holder, held.Known = readHolder(dir)
		return nil, held
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Started.IsZero() {
		h.Started = time.Now()
	}
	l := &Lock{dir: dir, fl: fl, holder: h}
	if err := l.writeInfo(); err != nil {
		_ = fl.Unlock()
		return nil, err
	}
	return l, nil
}

// Holder is what this process says of itself.
func (l *Lock) Holder() Holder { return l.holder }

// SetControl tells other processes where this one takes requests.
func (l *Lock) SetControl(addr string) error {
	l.holder.Control = addr
	return l.writeInfo()
}

// Release lets another process have the folder. Releasing twice is harmless.
func (l *Lock) Release() error {
	if l == nil || !l.fl.Locked() {
		return nil
	}
	_ = os.Remove(filepath.Join(l.dir, infoName))
	return l.fl.Unlock()
}

func (l *Lock) writeInfo() error {
	b, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	path := filepath.Join(l.dir, infoName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// infoWait is how long a process that found the folder locked waits for the holder to
// say who it is (it writes its note right after taking the lock).
const infoWait = time.Second

// readHolder reads the holder's note. A note left by a process that has died (its pid
// runs nothing) is not the holder's: the new holder is about to write its own.
func readHolder(dir string) (Holder, bool) {
	deadline := time.Now().Add(infoWait)
	for {
		b, err := os.ReadFile(filepath.Join(dir, infoName))
		var h Holder
		if err == nil && json.Unmarshal(b, &h) == nil && h.PID > 0 && processAlive(h.PID) {
			return h, true
		}
		if time.Now().After(deadline) {
			return Holder{}, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ReadHolder says who holds dir now, if anyone says so (for tests and diagnostics).
func ReadHolder(dir string) (Holder, bool) { return readHolder(dir) }

// IsHeld reports whether err says the folder is held by another process.
func IsHeld(err error) (*HeldError, bool) {
	var h *HeldError
	ok := errors.As(err, &h)
	return h, ok
}
