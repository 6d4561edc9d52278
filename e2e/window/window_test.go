// Package window runs the real desktop window end to end: the c2c-uploader binary in
// demo mode on an X display (Xvfb under scripts/test.sh), paired through its built-in
// simulator's admin API, uploading files given on its command line, with screenshots of
// the pairing view and of the finished queue.
package window

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
	"github.com/c2c-uploader/c2c-uploader/store"
)

// testDeadline bounds the whole run (the race-built binary on a shared machine is slow).
const testDeadline = 4 * time.Minute

// threadErrorText is what Fyne logs when its thread rules are broken.
const threadErrorText = "Error in Fyne call thread"

var simLine = regexp.MustCompile(`built-in simulator is at (\S+) \(admin API`)

// requireDisplay skips without an X display and ImageMagick's import, unless the test
// script promised both (C2C_REQUIRE_DISPLAY=1): then their absence fails the test.
func requireDisplay(t *testing.T) {
	t.Helper()
	var missing string
	if os.Getenv("DISPLAY") == "" {
		missing = "no X display (DISPLAY is empty)"
	} else if _, err := exec.LookPath("import"); err != nil {
		missing = "no ImageMagick import for screenshots"
	}
	if missing == "" {
		return
	}
	if os.Getenv("C2C_REQUIRE_DISPLAY") == "1" {
		t.Fatalf("%s, but C2C_REQUIRE_DISPLAY=1", missing)
	}
	t.Skipf("%s; run through scripts/test.sh (Xvfb)", missing)
}

// media is a file the test uploads.
type media struct {
	path, name, sha string
	size            int
}

func writeMedia(t *testing.T, dir, rel string, size int) media {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	x := uint64(size)*2654435761 + uint64(len(rel))
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return media{path: p, name: filepath.Base(p), sha: hex.EncodeToString(sum[:]), size: size}
}

// keychainEntry is a keychain service name of the test's own (prefix and the time),
// deleted at its end.
func keychainEntry(t *testing.T, prefix string) string {
	keyring := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = store.NewKeychain(keyring, "").DeleteAll(ctx)
	})
	return keyring
}

// environ is the app's environment: the test's display and session bus, and a private
// home, data dir and keychain entry.
func environ(home, data, keyring string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || strings.HasPrefix(k, "XDG_CONFIG") || strings.HasPrefix(k, "XDG_DATA") ||
			strings.HasPrefix(k, "XDG_CACHE") || strings.HasPrefix(k, "C2C_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"C2C_DATA_DIR="+data,
		"C2C_KEYRING_SERVICE="+keyring,
	)
}

// shot is a screenshot of the whole X screen.
type shot struct {
	path string
	img  image.Image
}

func screenshot(ctx context.Context, t *testing.T, path string) shot {
	t.Helper()
	return capture(ctx, t, "root", path)
}

// capture saves a picture of an X window (its id, or "root" for the screen) at path.
func capture(ctx context.Context, t *testing.T, win, path string) shot {
	t.Helper()
	cmd := exec.CommandContext(ctx, "import", "-window", win, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import -window %s %s: %v\n%s", win, path, err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return shot{path: path, img: img}
}

// blankness tells whether an image is blank: how many distinct colours it has and the
// standard deviation of its luminance (0..255).
func blankness(img image.Image) (colours int, lumaSD float64) {
	seen := map[uint32]bool{}
	var sum, sq float64
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if len(seen) < 100000 {
				seen[r<<16|g<<8|bl] = true
			}
			l := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)
			sum += l
			sq += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return len(seen), math.Sqrt(max(sq/float64(n)-mean*mean, 0))
}

// notBlank waits for a screenshot that shows something: text and widgets make dozens
// of colours, a blank X root has one.
func notBlank(ctx context.Context, t *testing.T, path string) shot {
	t.Helper()
	for {
		s := screenshot(ctx, t, path)
		colours, sd := blankness(s.img)
		if colours >= 16 && sd >= 8 {
			t.Logf("%s: %d colours, luminance SD %.1f", path, colours, sd)
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the screen stayed blank (%d colours, luminance SD %.1f): %s", colours, sd, path)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// differing is the share of pixels that differ between two screenshots.
func differing(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab != bb {
		return 1
	}
	diff, n := 0, 0
	for y := ab.Min.Y; y < ab.Max.Y; y += 2 {
		for x := ab.Min.X; x < ab.Max.X; x += 2 {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				diff++
			}
			n++
		}
	}
	return float64(diff) / float64(n)
}

// runningApp is the app under test.
type runningApp struct {
	cmd    *exec.Cmd
	simURL string
	stderr *e2etest.Buffer
	exited chan error // receives once, when the app has exited
	once   sync.Once
}

// startApp starts the binary; in demo mode (--demo among args) it waits until the app
// says where its simulator is.
func startApp(ctx context.Context, t *testing.T, bin string, args, env []string) *runningApp {
	t.Helper()
	a := &runningApp{cmd: exec.Command(bin, args...), stderr: &e2etest.Buffer{}, exited: make(chan error, 1)}
	a.cmd.Env = env
	pr, pw := io.Pipe()
	a.cmd.Stdout, a.cmd.Stderr = a.stderr, pw
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(a.stderr, line)
			if m := simLine.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := a.cmd.Wait()
		_ = pw.Close()
		a.exited <- err
	}()
	if !slices.Contains(args, "--demo") {
		return a
	}
	select {
	case a.simURL = <-urls:
	case err := <-a.exited:
		t.Fatalf("the app exited before its simulator started: %v\n%s", err, a.stderr.String())
	case <-ctx.Done():
		a.stop()
		t.Fatalf("the app never said where its simulator is\n%s", a.stderr.String())
	}
	t.Logf("demo simulator at %s", a.simURL)
	return a
}

// stop ends the app (SIGTERM, then SIGKILL) and waits for it; it may be called again.
func (a *runningApp) stop() {
	a.once.Do(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-a.exited:
			a.exited <- err
		case <-time.After(15 * time.Second):
			_ = a.cmd.Process.Kill()
			a.exited <- <-a.exited
		}
	})
}

// approvePending waits for the app's pairing code and approves it as the editor would.
func approvePending(ctx context.Context, t *testing.T, a *runningApp, admin *c2csim.Admin, settle time.Duration, beforeApprove func()) {
	t.Helper()
	var code string
	for code == "" {
		ps, err := admin.Pairings(ctx)
		if err != nil {
			t.Fatalf("listing the pairings: %v\n%s", err, a.stderr.String())
		}
		for _, p := range ps {
			if p.State == "pending" && !p.Expired {
				code = p.UserCode
			}
		}
		if code == "" {
			select {
			case err := <-a.exited:
				a.exited <- err
				t.Fatalf("the app exited: %v\n%s", err, a.stderr.String())
			case <-ctx.Done():
				t.Fatalf("the app never asked for a pairing code\n%s", a.stderr.String())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	time.Sleep(settle)
	if beforeApprove != nil {
		beforeApprove()
	}
	if err := admin.Approve(ctx, code, c2csim.Approval{ProjectName: "Window Test"}); err != nil {
		t.Fatalf("approving %s: %v", code, err)
	}
}

// checkLogs fails the test if the app broke Fyne's thread rules or raced.
func checkLogs(t *testing.T, a *runningApp, data string) {
	t.Helper()
	logText, err := os.ReadFile(filepath.Join(data, "logs", "c2c-uploader.log"))
	if err != nil {
		t.Errorf("reading the app's log: %v", err)
	}
	out := a.stderr.String()
	for name, text := range map[string]string{"stderr": out, "log": string(logText)} {
		if strings.Contains(text, threadErrorText) {
			t.Errorf("the app's %s shows %q:\n%s", name, threadErrorText, text)
		}
		if strings.Contains(text, "WARNING: DATA RACE") {
			t.Errorf("the app's %s shows a data race:\n%s", name, text)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("the app's stderr:\n%s", out)
	}
}

// TestDemoWindowPairsAndUploads runs `c2c-uploader --demo FILES...` on the display,
// pairs it as the project's editor would (the simulator's admin API), waits until every
// file arrived intact, and keeps a screenshot of the pairing view and one of the
// finished queue. The app must never break Fyne's thread rules (its thread checks are on:
// a plain go build, no migrated_fynedo tag) and, built with -race, never race.
func TestDemoWindowPairsAndUploads(t *testing.T) {
	requireDisplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	bin := e2etest.Binary(t)

	shots := os.Getenv("C2C_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	home, data, dir := t.TempDir(), t.TempDir(), t.TempDir()
	keyring := keychainEntry(t, "c2c-window-test")
	files := []media{
		writeMedia(t, dir, "A001_C001_0101AB.mov", 9<<20+12345), // several parts of the demo's ~4 MiB
		writeMedia(t, dir, "A001_C002_0101CD.wav", 3<<20),
		writeMedia(t, dir, "stills/IMG_0001.JPG", 300<<10),
		writeMedia(t, dir, "stills/IMG_0002.JPG", 200<<10),
	}
	args := []string{"--demo", files[0].path, files[1].path, filepath.Join(dir, "stills")}

	app := startApp(ctx, t, bin, args, environ(home, data, keyring))
	defer app.stop()
	admin := c2csim.NewAdmin(app.simURL)

	// The pairing view is up once the app asked for a code; it reaches the screen within
	// the presenter's next batches.
	var pairing shot
	approvePending(ctx, t, app, admin, 2*time.Second, func() {
		pairing = notBlank(ctx, t, filepath.Join(shots, "1-pairing-view.png"))
	})
	// Every file arrives whole.
	want := map[string]media{}
	for _, f := range files {
		want[f.name] = f
	}
	for {
		assets, err := admin.Assets(ctx)
		if err != nil {
			t.Fatalf("listing the assets: %v", err)
		}
		complete := 0
		for _, a := range assets {
			f, ok := want[a.Name]
			if !ok || !a.Complete {
				continue
			}
			if a.SHA256 != f.sha || a.Filesize != int64(f.size) {
				t.Fatalf("%s arrived as %d bytes with SHA-256 %s, want %d bytes, %s", a.Name, a.Filesize, a.SHA256, f.size, f.sha)
			}
			complete++
		}
		if complete == len(files) {
			if len(assets) != len(files) {
				t.Errorf("%d assets for %d files", len(assets), len(files))
			}
			break
		}
		select {
		case err := <-app.exited:
			app.exited <- err
			t.Fatalf("the app exited while uploading: %v\n%s", err, app.stderr.String())
		case <-ctx.Done():
			t.Fatalf("only %d of %d files arrived: %+v\n%s", complete, len(files), assets, app.stderr.String())
		case <-time.After(300 * time.Millisecond):
		}
	}
	time.Sleep(2 * time.Second) // the last batch of events reaches the screen
	finished := notBlank(ctx, t, filepath.Join(shots, "2-finished-queue.png"))
	if d := differing(pairing.img, finished.img); d < 0.01 {
		t.Errorf("the finished queue looks like the pairing view (%.2f%% of pixels differ)", 100*d)
	} else {
		t.Logf("the screenshots differ in %.1f%% of their pixels", 100*d)
	}
	t.Logf("screenshots: %s, %s", pairing.path, finished.path)

	app.stop()
	checkLogs(t, app, data)
}

// TestMain removes the binary plainBinary built.
func TestMain(m *testing.M) {
	code := m.Run()
	if plainPath != "" {
		_ = os.RemoveAll(filepath.Dir(plainPath))
	}
	os.Exit(code)
}

var (
	plainOnce sync.Once
	plainPath string
	plainErr  error
	plainOut  []byte
)

// plainBinary builds the app without the race detector, as it ships: memory is measured
// on it (the detector multiplies it several times over). Fyne's thread checks are on in
// it as in any plain go build.
func plainBinary(t *testing.T) string {
	t.Helper()
	plainOnce.Do(func() {
		dir, err := os.MkdirTemp("", "c2c-window-bin-")
		if err != nil {
			plainErr = err
			return
		}
		plainPath = filepath.Join(dir, "c2c-uploader")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", plainPath, ".")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		plainOut, plainErr = cmd.CombinedOutput()
	})
	if plainErr != nil {
		t.Fatalf("building c2c-uploader: %v\n%s", plainErr, plainOut)
	}
	return plainPath
}

// rssKiB reads a process's VmRSS and VmHWM (peak) in KiB.
func rssKiB(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) != 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak, nil
}

// TestWindowTenThousandFiles opens the shipped build (no race detector) on a folder of
// 10,000 small files given on its command line, as "Open with" does, against a
// simulator of its own (in this test process, so that the app's memory is the app's
// alone: demo mode would add the simulator's), lets it pair and upload them, and checks
// that the window painted the list and that the app stayed under 340 MiB of RSS. Under
// Xvfb that includes some 60 MiB of Mesa's software OpenGL, and, for a moment as the
// batch settles, some 50 MiB of its receipts: the views of its 10,000 files, its report
// in three forms and its hash list (README, Receipts).
func TestWindowTenThousandFiles(t *testing.T) {
	requireDisplay(t)
	if testing.Short() {
		t.Skip("10,000 files: not in -short")
	}
	const files, budgetMiB, uploadFor = 10000, 340, 60 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	bin := plainBinary(t)
	shots := os.Getenv("C2C_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	sim := c2csim.Start(t, c2csim.Options{Discard: true, PollInterval: 500 * time.Millisecond, ProjectName: "Ten Thousand"})
	home, data, dir := t.TempDir(), t.TempDir(), t.TempDir()
	keyring := keychainEntry(t, "c2c-window-test")
	folder := filepath.Join(dir, "DCIM")
	for i := range files {
		sub := filepath.Join(folder, fmt.Sprintf("%03dCANON", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		body := fmt.Appendf(nil, "still %05d %s", i, strings.Repeat("x", 500+i%500))
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("IMG_%05d.JPG", i)), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	env := append(environ(home, data, keyring), "C2C_API_URL="+sim.URL(), "C2C_CLIENT_SECRET="+c2csim.DemoClientSecret)
	app := startApp(ctx, t, bin, []string{folder}, env)
	defer app.stop()
	pid := app.cmd.Process.Pid
	var mu sync.Mutex
	var peakRSS int64
	sampling, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if rss, _, err := rssKiB(pid); err == nil {
				mu.Lock()
				peakRSS = max(peakRSS, rss)
				mu.Unlock()
			}
			select {
			case <-sampling:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	approvePending(ctx, t, app, sim.Admin, 0, nil)
	paired := time.Now()

	// Upload until all arrived, or for a minute on a slow machine.
	uploaded := 0
	for time.Since(paired) < uploadFor && uploaded < files {
		select {
		case err := <-app.exited:
			app.exited <- err
			t.Fatalf("the app exited while uploading: %v\n%s", err, app.stderr.String())
		case <-ctx.Done():
			t.Fatal("out of time")
		case <-time.After(2 * time.Second):
		}
		uploaded = 0
		for _, a := range sim.Assets() {
			if a.Complete {
				uploaded++
			}
		}
	}
	if uploaded == 0 {
		t.Errorf("no file was uploaded in %v", uploadFor)
	}
	time.Sleep(2 * time.Second) // the last events reach the screen
	s := notBlank(ctx, t, filepath.Join(shots, "3-ten-thousand-files.png"))
	close(sampling)
	<-done
	_, hwm, err := rssKiB(pid)
	if err != nil {
		t.Fatalf("reading the app's memory: %v", err)
	}
	mu.Lock()
	peak := max(peakRSS, hwm)
	mu.Unlock()
	t.Logf("%d of %d files uploaded in %v; the app's RSS peaked at %d MiB (budget %d MiB); screenshot %s",
		uploaded, files, time.Since(paired).Round(time.Second), peak>>10, budgetMiB, s.path)
	if peak>>10 > budgetMiB {
		t.Errorf("the app's RSS reached %d MiB with %d files queued, over the %d MiB budget", peak>>10, files, budgetMiB)
	}
	app.stop()
	checkLogs(t, app, data)
}
