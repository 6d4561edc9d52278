//go:build unix

package c2csim_test

import (
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// The command serves until SIGINT, then shuts down cleanly. Not parallel: it signals the
// test process itself (the test holds the signal, so it never kills the process).
func TestRunCommandServesUntilInterrupted(t *testing.T) {
	caught := make(chan os.Signal, 8)
	signal.Notify(caught, os.Interrupt)
	defer signal.Stop(caught)

	dir := t.TempDir()
	var out, errb e2etest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- c2csim.RunCommand([]string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--part-size", "1000"}, &out, &errb)
	}()
	var base string
	re := regexp.MustCompile(`API:\s+(http://\S+)`)
	eventually(t, 10*time.Second, "the command prints its address", func() bool {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			return true
		}
		return false
	})
	for _, s := range []string{"admin API:", base + "/_sim/", base + "/pair", c2csim.DemoClientSecret, dir} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("banner lacks %q:\n%s", s, out.String())
		}
	}
	resp, err := http.Get(base + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v", err)
	}
	resp.Body.Close()
	// Every request is logged to stderr.
	eventually(t, 5*time.Second, "the request is logged", func() bool {
		return strings.Contains(errb.String(), "path=/health")
	})
	// --part-size reached the simulator.
	cfg, err := c2csim.NewAdmin(base).Config(t.Context())
	if err != nil || cfg.PartSize != 1000 {
		t.Errorf("config %+v %v", cfg, err)
	}

	// The signal may come before the command listens for it: repeat until it stops.
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exited %d after SIGINT; stderr:\n%s", code, errb.String())
			}
			if !strings.Contains(errb.String(), "sim: shutting down") {
				t.Errorf("stderr %q", errb.String())
			}
			if _, err := http.Get(base + "/health"); err == nil {
				t.Error("still serving after exit")
			}
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("--data-dir removed: %v", err)
			}
			return
		case <-deadline:
			t.Fatal("the command did not stop on SIGINT")
		case <-tick.C:
		}
	}
}
