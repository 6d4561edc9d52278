package awake

import (
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sys/windows"
)

// SetThreadExecutionState's flags (winbase.h).
const (
	esContinuous     = 0x80000000
	esSystemRequired = 0x00000001
)

var setThreadExecutionState = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetThreadExecutionState")

// system keeps Windows awake with SetThreadExecutionState(ES_CONTINUOUS |
// ES_SYSTEM_REQUIRED): the system does not sleep for idleness while the flag stands (the
// display may still turn off; closing a laptop's lid still sleeps). The flag belongs to
// the thread that set it, so one goroutine, locked to its OS thread, sets it when the
// first hold is taken and clears it when the last is released, on that same thread. The
// call carries no reason: `powercfg /requests` does not show one (PowerCreateRequest
// would).
type system struct {
	mu    sync.Mutex
	holds int
	stop  chan struct{} // closed to clear the flag; nil while nothing holds
}

func (s *system) hold(_ Options, _ string) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds == 0 {
		set := make(chan error, 1)
		stop := make(chan struct{})
		go func() {
			// Not unlocked: the thread ends with the goroutine, and with it anything it set.
			runtime.LockOSThread()
			if r, _, err := setThreadExecutionState.Call(esContinuous | esSystemRequired); r == 0 {
				set <- fmt.Errorf("SetThreadExecutionState: %w", err)
				return
			}
			set <- nil
			<-stop
			_, _, _ = setThreadExecutionState.Call(esContinuous)
		}()
		if err := <-set; err != nil {
			return nil, err
		}
		s.stop = stop
	}
	s.holds++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.holds--; s.holds == 0 {
				close(s.stop)
				s.stop = nil
			}
		})
	}, nil
}
