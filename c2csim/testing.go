package c2csim

// TB is the part of testing.TB the simulator needs; taking an interface keeps the testing
// package out of the app's binary.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	TempDir() string
}

// Sim is a simulator started for a test, with an admin client.
type Sim struct {
	*Server
	Admin *Admin
}

// Start runs a simulator for the length of a test: data in the test's temp dir, closed
// at cleanup. Tests usually want small parts and a short poll interval, e.g.
// Options{PartSize: 64 << 10, PollInterval: 100 * time.Millisecond}.
func Start(tb TB, opts Options) *Sim {
	tb.Helper()
	if opts.DataDir == "" {
		opts.DataDir = tb.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("c2csim: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return &Sim{Server: s, Admin: NewAdmin(s.URL())}
}
