//go:build !unix

package lock

// processAlive cannot tell here; the note is taken at its word.
func processAlive(int) bool { return true }
