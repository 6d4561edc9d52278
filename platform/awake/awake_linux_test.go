package awake_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
	"github.com/c2c-uploader/c2c-uploader/platform/awake"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

var _ core.Awake = (*awake.Inhibitor)(nil)

// TestLogindInhibitor: logind is asked for a sleep and idle inhibitor in block mode, in
// the program's name with the reason; it holds until released (the file descriptor
// closed: the fake sees the end of its pipe), and two holds are two inhibitors.
func TestLogindInhibitor(t *testing.T) {
	bus := privateBus(t)
	logind := fakeLogind(t, bus)
	in := awake.New(awake.Options{SystemBus: bus, SessionBus: bus})
	release, err := in.Hold("Uploading 12 files to Feature Film")
	if err != nil {
		t.Fatal(err)
	}
	taken := logind.All()
	if len(taken) != 1 {
		t.Fatalf("%d inhibitors taken, want 1", len(taken))
	}
	if want := []any{"sleep:idle", "C2C Uploader", "Uploading 12 files to Feature Film", "block"}; !slices.Equal(taken[0].Args, want) {
		t.Errorf("Inhibit%q, want Inhibit%q", taken[0].Args, want)
	}
	second, err := in.Hold("Uploading 11 files to Feature Film")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if held := logind.Held(); len(held) != 2 {
		t.Fatalf("%d inhibitors held after two holds, want 2", len(held))
	}
	release()
	release() // a second call does nothing
	waitfor.Condition(t, "the first inhibitor let go", func() bool { return taken[0].Released() })
	if held := logind.Held(); len(held) != 1 || held[0].Args[2] != "Uploading 11 files to Feature Film" {
		t.Errorf("held after releasing the first: %v", held)
	}
	second()
	waitfor.Condition(t, "every inhibitor let go", func() bool { return len(logind.Held()) == 0 })
}

// TestDesktopInhibitorsWithoutLogind: without logind (no system bus, or no logind on it)
// the desktop's inhibitor on the session bus is asked: the XDG portal first, then GNOME's
// session manager, then org.freedesktop.ScreenSaver; each is given back at release.
func TestDesktopInhibitorsWithoutLogind(t *testing.T) {
	noSystemBus := "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")

	t.Run("screen saver", func(t *testing.T) {
		bus := privateBus(t)
		ss := fakeScreenSaver(t, bus)
		release, err := awake.New(awake.Options{SystemBus: noSystemBus, SessionBus: bus}).Hold("Uploading 3 files")
		if err != nil {
			t.Fatal(err)
		}
		if all := ss.All(); len(all) != 1 || !slices.Equal(all[0].Args, []any{"C2C Uploader", "Uploading 3 files"}) {
			t.Fatalf("ScreenSaver.Inhibit calls: %v", all)
		}
		release()
		waitfor.Condition(t, "UnInhibit", func() bool { return len(ss.Held()) == 0 })
	})

	t.Run("gnome before the screen saver", func(t *testing.T) {
		bus := privateBus(t)
		ss := fakeScreenSaver(t, bus)
		gnome := fakeGnome(t, bus)
		// logind is on the system bus only: one on the session bus is not asked.
		_ = fakeLogind(t, bus)
		release, err := awake.New(awake.Options{SystemBus: noSystemBus, SessionBus: bus, AppID: "io.github.c2cuploader.C2CUploader"}).Hold("Uploading 3 files")
		if err != nil {
			t.Fatal(err)
		}
		if all := gnome.All(); len(all) != 1 || !slices.Equal(all[0].Args, []any{"io.github.c2cuploader.C2CUploader", uint32(0), "Uploading 3 files", uint32(12)}) {
			t.Fatalf("SessionManager.Inhibit calls: %v", all)
		}
		if n := len(ss.All()); n != 0 {
			t.Errorf("the screen saver was asked too (%d)", n)
		}
		release()
		waitfor.Condition(t, "Uninhibit", func() bool { return len(gnome.Held()) == 0 })
	})

	t.Run("the portal first", func(t *testing.T) {
		bus := privateBus(t)
		ss := fakeScreenSaver(t, bus)
		gnome := fakeGnome(t, bus)
		p := fakePortal(t, bus)
		release, err := awake.New(awake.Options{SystemBus: noSystemBus, SessionBus: bus}).Hold("Uploading 3 files")
		if err != nil {
			t.Fatal(err)
		}
		if all := p.All(); len(all) != 1 || !slices.Equal(all[0].Args, []any{"", uint32(12), "Uploading 3 files"}) {
			t.Fatalf("portal Inhibit calls: %v", all)
		}
		if len(ss.All())+len(gnome.All()) != 0 {
			t.Error("another inhibitor was asked too")
		}
		release()
		waitfor.Condition(t, "the request closed", func() bool { return len(p.Held()) == 0 })
	})

	t.Run("nothing", func(t *testing.T) {
		bus := privateBus(t)
		for _, session := range []string{bus, "disabled:", "autolaunch:"} {
			start := time.Now()
			release, err := awake.New(awake.Options{SystemBus: noSystemBus, SessionBus: session}).Hold("Uploading 3 files")
			if err == nil || release != nil {
				t.Fatalf("session bus %s: held with nothing to hold it", session)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("session bus %s: took %s to say %v", session, took, err)
			}
			if !strings.Contains(err.Error(), "systemd-logind") {
				t.Errorf("session bus %s: the error does not say what was tried: %v", session, err)
			}
		}
	})
}

// TestInhibitorHeldWhileUploading: the service with the real inhibitor, logind faked on
// the test's own D-Bus (standing for the system bus), uploading to the simulator. The
// inhibitor is taken once files are queued, naming how many and the project; held while
// they upload; let go (its file descriptor closed) once the queue is idle. A change of
// the reason takes the new inhibitor before closing the old. With keep-awake off at
// runtime it is let go at once; off from the start, logind is never asked.
func TestInhibitorHeldWhileUploading(t *testing.T) {
	bus := privateBus(t)
	logind := fakeLogind(t, bus)
	inhibitor := awake.New(awake.Options{SystemBus: bus, SessionBus: bus})
	svc := uploader(t, inhibitor, true)

	if _, err := svc.Add(t.Context(), media(t, 3, 20), core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "an inhibitor", func() bool { return len(logind.All()) > 0 })
	first := logind.All()[0]
	if want := []any{"sleep:idle", "C2C Uploader", "Uploading 3 files to Awake Project", "block"}; !slices.Equal(first.Args, want) {
		t.Errorf("Inhibit%q, want Inhibit%q", first.Args, want)
	}
	if _, tot := svc.Snapshot(); tot.FilesRemaining == 0 || len(logind.Held()) == 0 {
		t.Fatalf("the inhibitor was not held while files remained (%d remaining, %d held)", tot.FilesRemaining, len(logind.Held()))
	}
	waitfor.Condition(t, "the queue idle", func() bool {
		_, tot := svc.Snapshot()
		return tot.Done == 3 && tot.FilesRemaining == 0
	})
	waitfor.Condition(t, "every inhibitor let go once the queue is idle", func() bool { return len(logind.Held()) == 0 })
	all := logind.All()
	var whys []string
	for i, in := range all {
		whys = append(whys, in.Args[2].(string))
		if i > 0 && in.At.After(all[i-1].ReleasedAt()) {
			t.Errorf("inhibitor %d (%q) was taken after %d was let go: a moment without one", i, in.Args[2], i-1)
		}
	}
	if !slices.Contains(whys, "Uploading 1 file to Awake Project") {
		t.Errorf("the reason did not follow the files to go: %q", whys)
	}

	// Off while uploading: let go at once.
	if _, err := svc.Add(t.Context(), media(t, 2, 40), core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "an inhibitor for the new files", func() bool { return len(logind.Held()) > 0 })
	off := svc.Settings()
	off.KeepAwake = false
	if err := svc.SetSettings(off); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "let go once keep-awake is off", func() bool { return len(logind.Held()) == 0 })
	if _, tot := svc.Snapshot(); tot.FilesRemaining == 0 {
		t.Error("the files had finished: the setting's effect was not seen while uploading")
	}

	// Off from the start: logind is never asked.
	bus2 := privateBus(t)
	quiet := fakeLogind(t, bus2)
	svc2 := uploader(t, awake.New(awake.Options{SystemBus: bus2, SessionBus: bus2}), false)
	if _, err := svc2.Add(t.Context(), media(t, 2, 4), core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitfor.Condition(t, "the files done", func() bool {
		_, tot := svc2.Snapshot()
		return tot.Done == 2 && tot.FilesRemaining == 0
	})
	time.Sleep(100 * time.Millisecond)
	if n := len(quiet.All()); n != 0 {
		t.Errorf("keep-awake off, yet logind was asked %d times", n)
	}
}

// uploader is a paired, running service over a simulator whose S3 answers each part after
// 100 ms, keeping the computer awake with a (or not, keepAwake false).
func uploader(t *testing.T, a core.Awake, keepAwake bool) *core.Service {
	t.Helper()
	sim := c2csim.Start(t, c2csim.Options{PartSize: 64 << 10, PollInterval: 100 * time.Millisecond})
	j, err := journal.Open(t.Context(), filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	st := core.DefaultSettings()
	st.KeepAwake = keepAwake
	svc, err := core.New(core.Config{
		APIURL: sim.URL(), ClientVersion: "1.0.0-test",
		Credentials: api.Credentials{ClientID: "awake-" + strings.ToLower(t.Name()), ClientSecret: c2csim.DemoClientSecret},
		Tokens:      &authtest.MemoryStore{}, Journal: j, Settings: st,
		Upload: core.UploadTuning{ProgressInterval: 20 * time.Millisecond},
		Awake:  a, AwakeRefresh: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	t.Cleanup(func() {
		stop()
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = svc.Shutdown(shutdown)
	})
	if err := svc.Run(ctx); err != nil {
		t.Fatal(err)
	}
	coretest.Pair(t, svc, sim, "Awake Project", time.Minute)
	if _, err := sim.AddFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(100 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	return svc
}

var seed byte

// media writes n files of parts parts of 64 KiB, each unlike any other.
func media(t *testing.T, n, parts int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		seed++
		p := filepath.Join(dir, fmt.Sprintf("A002C%03d.mov", i+1))
		if err := os.WriteFile(p, bytes.Repeat([]byte{seed}, parts*64<<10-100*i), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}
