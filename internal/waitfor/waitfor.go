// Package waitfor lets a test wait for something that another goroutine makes true.
package waitfor

import (
	"testing"
	"time"
)

// giveUp bounds nothing about the code under test: it only keeps a broken test from hanging
// until the global test deadline, so it is generous enough for a loaded 2-core machine.
const giveUp = 30 * time.Second

// Condition polls cond until it holds, and fails the test if it never does.
func Condition(t testing.TB, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(giveUp)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
