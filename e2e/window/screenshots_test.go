//go:build screenshots

package window

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// TestScreenshotsOfADayOfCards makes the screenshots of docs/screenshots that show a
// shooting day's card in the real window: 200 files (clips, sound, stills) mid-upload,
// a few refused for a channel pause, the list filtered on "Needs attention", at 800 × 600
// (compact rows) and 1280 × 800. It needs xdotool to size the window and press its
// buttons, and runs only with the screenshots build tag: make screenshots.
func TestScreenshotsOfADayOfCards(t *testing.T) {
	requireDisplay(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is missing (Debian package: xdotool)")
	}
	out := os.Getenv("C2C_SCREENSHOT_DIR")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	bin := plainBinary(t)
	home, data := t.TempDir(), t.TempDir()
	// A short path for the batch header in the pictures.
	media, err := os.MkdirTemp("", "c2c-day-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(media) })
	keyring := keychainEntry(t, "c2c-screenshots")

	// The card: 20 clips, 30 sound files and 150 stills, shot over the last hours; eight
	// stills were shot while the project's channel was paused.
	card := filepath.Join(media, "A003_1202")
	now := time.Now()
	pauseStart, pauseEnd := now.Add(-3*time.Hour), now.Add(-2*time.Hour)
	var paused []string
	for i := 1; i <= 200; i++ {
		var rel string
		var size int
		switch {
		case i <= 20:
			rel, size = fmt.Sprintf("CLIPS/A003C%03d_261202_R2CD_v003_approved_by_DOP.mov", i), 3<<20+i*97_000
		case i <= 50:
			rel, size = fmt.Sprintf("SOUND/S%03d_T%02d.wav", i-20, i%4+1), 600<<10+i*3_000
		default:
			rel, size = fmt.Sprintf("STILLS/IMG_%04d.JPG", 1000+i), 150<<10+i*1_000
		}
		m := writeMedia(t, card, rel, size)
		shot := now.Add(-time.Hour).Add(time.Duration(i) * 10 * time.Second)
		if i > 50 && i%19 == 0 {
			shot = pauseStart.Add(time.Duration(i) * time.Minute / 10)
			paused = append(paused, m.name)
		}
		if err := os.Chtimes(m.path, shot, shot); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d stills shot during the pause: %s", len(paused), strings.Join(paused, ", "))

	app := startApp(ctx, t, bin, []string{"--demo", "--bandwidth", "24Mbit/s", card}, environ(home, data, keyring))
	defer app.stop()
	admin := c2csim.NewAdmin(app.simURL)
	if err := admin.AddPauseWindow(ctx, 0, pauseStart, pauseEnd); err != nil {
		t.Fatalf("pausing the channel for the past: %v", err)
	}
	approvePending(ctx, t, app, admin, time.Second, nil)

	win := xdotool(ctx, t, "search", "--sync", "--name", "^C2C Uploader")
	win = strings.Fields(win)[0]
	// Mid-upload: some files arrived, the refused ones are listed.
	for {
		assets, err := admin.Assets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		complete := 0
		for _, a := range assets {
			if a.Complete {
				complete++
			}
		}
		if complete >= 150 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d files arrived\n%s", complete, app.stderr.String())
		case <-time.After(500 * time.Millisecond):
		}
	}
	press := func(x, y int) {
		xdotool(ctx, t, "mousemove", "--window", win, fmt.Sprint(x), fmt.Sprint(y), "click", "1")
		time.Sleep(time.Second)
	}
	xdotool(ctx, t, "windowmove", win, "0", "0")
	xdotool(ctx, t, "windowsize", "--sync", win, "1280", "800")
	time.Sleep(time.Second)
	screenshotWindow(ctx, t, win, filepath.Join(out, "day-channel-paused.png"))
	// The channel-pause dialog has come up, listing the eight stills: its OK closes
	// it; then the "Needs attention" chip.
	press(640, 590)
	screenshotWindow(ctx, t, win, filepath.Join(out, "day-all-1280x800.png"))
	press(280, 113)
	screenshotWindow(ctx, t, win, filepath.Join(out, "day-1280x800.png"))
	// 800 × 600 with compact rows.
	xdotool(ctx, t, "windowsize", "--sync", win, "800", "600")
	time.Sleep(time.Second)
	press(713, 113)
	screenshotWindow(ctx, t, win, filepath.Join(out, "day-800x600.png"))
	t.Logf("screenshots in %s", out)
}

// xdotool runs xdotool and returns its output.
func xdotool(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "xdotool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screenshotWindow saves the window's picture at path; it fails if the picture is blank.
func screenshotWindow(ctx context.Context, t *testing.T, win, path string) {
	t.Helper()
	if colours, sd := blankness(capture(ctx, t, win, path).img); colours < 16 || sd < 8 {
		t.Fatalf("%s is blank (%d colours, luminance SD %.1f)", path, colours, sd)
	}
}
