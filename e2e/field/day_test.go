package field

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// dayConfig is where the day runs: the same in both modes, but for who shapes the link.
type dayConfig struct {
	Mode       string // "network namespaces", or the FALLBACK on loopback
	ModeDetail string // how the path is built, or why namespaces were not used
	Size       size
	Bin        string // the c2c-uploader binary
	AdminURL   string // the simulator, reached directly (not through the proxy)
	Upstream   string // the simulator's address the proxy forwards to
	Listen     string // the proxy's address; the uploader's API URL is http://<Listen>
	Work       string // a private folder
	// Shape sets the link rate (tc on the veth); nil means the proxy shapes it.
	Shape func(bits int64) error
	Logf  func(string, ...any)
}

// genFile is one file of the day.
type genFile struct {
	Batch  int
	Name   string
	Path   string
	Size   int64
	SHA256 string
	Paused bool // shot while the channel was paused: must be skipped
}

// outage is one period with the link down.
type outage struct {
	Batch    int
	Down, Up time.Time
}

// batchRun is what happened to one batch.
type batchRun struct {
	Index    int
	Start    time.Time
	CleanEnd time.Time // the first event: the goodput window ends here
	End      time.Time
	Bytes    int64 // bytes that must arrive (paused files excluded)
	Files    int
}

// day is the shooting day being played.
type day struct {
	cfg   dayConfig
	ctx   context.Context
	proxy *pathProxy
	admin *c2csim.Admin
	inst  *installation
	logf  func(string, ...any)

	files      []genFile
	pauseStart time.Time
	pauseEnd   time.Time
	clientID   string

	batches  []batchRun
	kills    []time.Time
	outages  []outage
	roams    []time.Time
	stops    [][2]time.Time // SIGSTOP, SIGCONT
	revokes  []time.Time
	repaired []time.Time
	// lostRefreshes are the SIGKILLs that landed between a refresh the simulator answered
	// and the keychain write of the new pair, each with the re-pairing that followed
	// (recoverLostRefresh).
	lostRefreshes [][2]time.Time
}

// play runs the whole day and returns it for the checks and the report; the caller
// closes the proxy (d.proxy.close) once it has gathered the evidence.
func play(ctx context.Context, cfg dayConfig) (*day, error) {
	d := &day{cfg: cfg, ctx: ctx, admin: c2csim.NewAdmin(cfg.AdminURL), logf: cfg.Logf}
	var err error
	if d.proxy, err = newPathProxy("c2cfield", cfg.Listen, cfg.Upstream); err != nil {
		return nil, err
	}
	if d.inst, err = newInstallation(cfg.Bin, "http://"+d.proxy.Addr(), cfg.Work); err != nil {
		d.proxy.close()
		return nil, err
	}
	if err := d.generate(); err != nil {
		return d, err
	}
	if err := d.admin.AddPauseWindow(ctx, 0, d.pauseStart, d.pauseEnd); err != nil {
		return d, fmt.Errorf("adding the pause window: %w", err)
	}
	if err := d.setProfile(d.cfg.Size.Batches[0].Profile); err != nil {
		return d, err
	}
	if err := d.pair("pair"); err != nil {
		return d, err
	}
	id, err := os.ReadFile(filepath.Join(d.inst.dataDir, "client_id"))
	if err != nil {
		return d, err
	}
	d.clientID = strings.TrimSpace(string(id))
	for i := range d.cfg.Size.Batches {
		if err := d.runBatch(i); err != nil {
			return d, fmt.Errorf("batch %d: %w", i+1, err)
		}
	}
	return d, nil
}

func (d *day) setProfile(p profile) error {
	if d.cfg.Shape != nil {
		if err := d.cfg.Shape(p.RateBits); err != nil {
			return err
		}
	}
	return d.proxy.setProfile(p, d.cfg.Shape == nil)
}

// generate writes the day's files: pseudo-random content (so a misplaced chunk changes
// the SHA-256), a few large clips among many stills and sound files, in shooting order.
// Files shot during the pause window get an mtime inside it.
func (d *day) generate() error {
	now := time.Now()
	d.pauseStart, d.pauseEnd = now.Add(-3*time.Hour), now.Add(-2*time.Hour)
	rng := rand.New(rand.NewPCG(9, 2026))
	for bi, b := range d.cfg.Size.Batches {
		dir := filepath.Join(d.cfg.Work, fmt.Sprintf("card%d", bi+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		type spec struct {
			kind string
			size int64
		}
		var specs []spec
		for _, c := range b.Clips {
			specs = append(specs, spec{"clip", c})
		}
		between := func(lo, hi int64) int64 { return lo + rng.Int64N(hi-lo+1) }
		for range b.Stills {
			specs = append(specs, spec{"still", between(b.StillMin, b.StillMax)})
		}
		for range b.Sounds {
			specs = append(specs, spec{"sound", between(b.SoundMin, b.SoundMax)})
		}
		rng.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
		paused := 0
		for i, s := range specs {
			f := genFile{Batch: bi, Size: s.size}
			seq := i + 1
			switch s.kind {
			case "clip":
				f.Name = fmt.Sprintf("B%d_%03d_A%03dC%03d.mov", bi+1, seq, bi+1, seq)
			case "still":
				// The pause caught the first stills of the card, shot earliest.
				f.Paused = paused < b.Paused
				if f.Paused {
					paused++
				}
				f.Name = fmt.Sprintf("B%d_%03d_IMG_%04d.jpg", bi+1, seq, 1000*(bi+1)+seq)
			default:
				f.Name = fmt.Sprintf("B%d_%03d_ZOOM%04d.wav", bi+1, seq, seq)
			}
			f.Path = filepath.Join(dir, f.Name)
			sum, err := writeRandom(f.Path, f.Size, uint64(bi*1000+seq))
			if err != nil {
				return err
			}
			f.SHA256 = sum
			shot := now.Add(-time.Hour).Add(time.Duration(seq) * 10 * time.Second)
			if f.Paused {
				shot = d.pauseStart.Add(30 * time.Minute).Add(time.Duration(paused) * time.Minute)
			}
			if err := os.Chtimes(f.Path, shot, shot); err != nil {
				return err
			}
			d.files = append(d.files, f)
		}
		if paused != b.Paused {
			return fmt.Errorf("batch %d has %d stills, fewer than the %d paused ones", bi+1, b.Stills, b.Paused)
		}
	}
	return nil
}

// writeRandom writes size bytes of a seeded ChaCha8 stream and returns their SHA-256.
func writeRandom(path string, size int64, seed uint64) (string, error) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	src := rand.NewChaCha8(key)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		_, _ = src.Read(buf[:n])
		_, _ = w.Write(buf[:n])
		h.Write(buf[:n])
		left -= n
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pair runs `pair --json` and approves the code it shows, as the project's editor would.
// arrivedLine is upload's summary when every file arrived: "12 arrived." or "12 arrived
// in “Field Trial”." (naming the project).
var arrivedLine = regexp.MustCompile(`(?m)^\d+ arrived( in “[^”]*”)?\.$`)

func (d *day) pair(name string) error {
	ctx, cancel := context.WithTimeout(d.ctx, 2*time.Minute)
	defer cancel()
	p, err := d.inst.start(name, -1, "pair", "--json")
	if err != nil {
		return err
	}
	code := ""
	for code == "" {
		for _, ev := range jsonEvents(p.stdout.String()) {
			if ev["type"] == "pairing" && ev["state"] == "pending" {
				code, _ = ev["user_code"].(string)
			}
		}
		if code != "" {
			break
		}
		if p.exited() {
			return fmt.Errorf("pair ended before showing a code: %s", p.describe())
		}
		select {
		case <-ctx.Done():
			_ = p.kill()
			return fmt.Errorf("pair showed no code in time: %s", p.describe())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := d.admin.Approve(ctx, code, c2csim.Approval{ProjectName: "Field Trial"}); err != nil {
		return fmt.Errorf("approving %s: %w", code, err)
	}
	if err := p.wait(ctx); err != nil {
		return err
	}
	if p.Code != 0 {
		return fmt.Errorf("pair: %s", p.describe())
	}
	return nil
}

func (d *day) batchFiles(i int) []genFile {
	var out []genFile
	for _, f := range d.files {
		if f.Batch == i {
			out = append(out, f)
		}
	}
	return out
}

// runBatch drops card i on the uploader over the batch's profile and plays its events
// when the link has carried the given share of the card's bytes.
func (d *day) runBatch(i int) error {
	b := d.cfg.Size.Batches[i]
	if err := d.setProfile(b.Profile); err != nil {
		return err
	}
	run := batchRun{Index: i, Files: b.files()}
	for _, f := range d.batchFiles(i) {
		if !f.Paused {
			run.Bytes += f.Size
		}
	}
	dir := filepath.Join(d.cfg.Work, fmt.Sprintf("card%d", i+1))
	name := fmt.Sprintf("upload card%d", i+1)
	base := d.proxy.up.bytes.Load()
	run.Start = time.Now()
	d.logf("field: batch %d (%s, %s): %d files, %.0f MB", i+1, b.Profile.Name, b.Profile, run.Files, float64(run.Bytes)/MB)
	p, err := d.inst.start(name, i, "upload", "--json", dir)
	if err != nil {
		return err
	}
	// Generous bounds: the batch at a quarter of its link rate, plus every pause.
	budget := time.Duration(float64(run.Bytes)*8/float64(b.Profile.RateBits)*4*float64(time.Second)) + 3*time.Minute
	for _, ev := range b.Events {
		budget += ev.For + 2*d.cfg.Size.TokenTTL
	}
	ctx, cancel := context.WithTimeout(d.ctx, budget)
	defer cancel()
	for _, ev := range b.Events {
		threshold := base + int64(ev.At*float64(run.Bytes))
		for d.proxy.up.bytes.Load() < threshold {
			if p.exited() {
				np, err := d.recoverLostRefresh(ctx, i, p, name, dir)
				if err != nil {
					return err
				}
				if np != nil {
					p = np
					continue
				}
				return fmt.Errorf("the upload ended before %.0f %% of the card was sent (event %s): %s", ev.At*100, ev.Kind, p.describe())
			}
			select {
			case <-ctx.Done():
				_ = p.kill()
				return fmt.Errorf("waiting for %.0f %% of the card to be sent: %v", ev.At*100, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
		if run.CleanEnd.IsZero() {
			run.CleanEnd = time.Now()
		}
		d.logf("field:   %5.1f s  %s %s", time.Since(run.Start).Seconds(), ev.Kind, durationNote(ev.For))
		if p, err = d.play(ctx, i, p, name, dir, ev); err != nil {
			return err
		}
	}
	for {
		if err := p.wait(ctx); err != nil {
			return err
		}
		np, err := d.recoverLostRefresh(ctx, i, p, name, dir)
		if err != nil {
			return err
		}
		if np == nil {
			break
		}
		p = np
	}
	run.End = time.Now()
	if run.CleanEnd.IsZero() {
		run.CleanEnd = run.End
	}
	want := 0
	if b.Paused > 0 {
		want = 1 // the contract: exit 1 when some files were skipped
	}
	if p.Code != want {
		return fmt.Errorf("the last upload of card %d exited %d, want %d: %s", i+1, p.Code, want, p.describe())
	}
	d.logf("field:   %5.1f s  card %d done", time.Since(run.Start).Seconds(), i+1)
	d.batches = append(d.batches, run)
	return nil
}

// recoverLostRefresh handles an upload that ended needing a reconnection because the
// SIGKILL before it landed after the simulator answered a refresh and before the new pair
// reached the keychain: a refresh token is single-use (the API refuses it the second
// time), so the restarted process presented a spent one, and the device must pair again —
// nothing the uploader can do. Recognised from the simulator's log (lostRefresh), the day re-pairs,
// starts the card's upload again, and notes it, as after a revocation. It returns nil
// when p did not end that way.
func (d *day) recoverLostRefresh(ctx context.Context, i int, p *proc, name, dir string) (*proc, error) {
	if len(d.kills) == 0 || p.Code != 1 || !strings.Contains(p.stderr.String(), "needs reconnecting") {
		return nil, nil
	}
	// Only the kill just before p, and once: a later reconnection is not excused by it.
	kill := d.kills[len(d.kills)-1]
	if p.Start.Before(kill) || (len(d.lostRefreshes) > 0 && d.lostRefreshes[len(d.lostRefreshes)-1][0].Equal(kill)) {
		return nil, nil
	}
	reqs, err := d.admin.Requests(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the simulator's log: %w", err)
	}
	if lostToken(reqs, kill, p.End) == "" {
		return nil, nil
	}
	d.logf("field:   the SIGKILL at %s landed between a refresh and its keychain write: re-pairing", kill.Format("15:04:05.000"))
	if err := d.pair("pair again (refresh lost to a SIGKILL)"); err != nil {
		return nil, err
	}
	d.lostRefreshes = append(d.lostRefreshes, [2]time.Time{kill, time.Now()})
	return d.inst.start(name+" (after re-pairing)", i, "upload", "--json", dir)
}

// lostRefreshWindow is how long before a SIGKILL the refresh it cut short may have been
// answered: the new pair goes to the keychain at once, but a race-built uploader on a
// loaded machine, over D-Bus, has taken 2.3 s in CI.
const lostRefreshWindow = 5 * time.Second

// lostToken is the refresh token a SIGKILL at kill lost: the newest that bought new
// tokens before kill, within lostRefreshWindow of it, presented again after it and
// before end (refused: it is spent); "" when there is none. An older token presented
// again, or one presented twice by one process, is no such case: the checks fail those.
func lostToken(reqs []c2csim.Request, kill, end time.Time) string {
	var newest c2csim.Request
	for _, q := range reqs {
		if q.Grant == "refresh_token" && q.TokenFP != "" && q.Status == 200 && q.Time.Before(kill) && q.Time.After(newest.Time) {
			newest = q
		}
	}
	if newest.TokenFP == "" || kill.Sub(newest.Time) > lostRefreshWindow {
		return ""
	}
	for _, q := range reqs {
		if q.Grant == "refresh_token" && q.TokenFP == newest.TokenFP && q.Status != 200 && q.Time.After(kill) && !q.Time.After(end) {
			return newest.TokenFP
		}
	}
	return ""
}

func durationNote(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return "for " + d.String()
}

// play makes one event happen to the running upload p and returns the upload that runs
// afterwards (a new process after a kill or a re-pairing).
func (d *day) play(ctx context.Context, i int, p *proc, name, dir string, ev event) (*proc, error) {
	switch ev.Kind {
	case evKill:
		at := time.Now()
		if err := p.kill(); err != nil {
			return nil, err
		}
		d.kills = append(d.kills, at)
		// Relaunched the way a script re-runs its command after a crash.
		return d.inst.start(name+" (after SIGKILL)", i, "upload", "--json", dir)
	case evOutage:
		o := outage{Batch: i, Down: time.Now()}
		d.proxy.linkDown()
		select {
		case <-ctx.Done():
		case <-time.After(ev.For):
		}
		if err := d.proxy.linkUp(); err != nil {
			return nil, err
		}
		o.Up = time.Now()
		d.outages = append(d.outages, o)
		return p, nil
	case evRoam:
		d.roams = append(d.roams, time.Now())
		return p, d.proxy.roam(300 * time.Millisecond)
	case evSleep:
		stop := time.Now()
		if err := p.signal(syscall.SIGSTOP); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
		case <-time.After(ev.For):
		}
		cont := time.Now()
		if err := p.signal(syscall.SIGCONT); err != nil {
			return nil, err
		}
		d.stops = append(d.stops, [2]time.Time{stop, cont})
		return p, nil
	case evRevoke:
		d.revokes = append(d.revokes, time.Now())
		if err := d.admin.Revoke(ctx, d.clientID); err != nil {
			return nil, err
		}
		// The uploader finds out at its next API call or refresh, sees through the files
		// already sending their chunks (presigned URLs need no token), then stops and
		// says the device needs reconnecting.
		wctx, cancel := context.WithTimeout(ctx, 2*d.cfg.Size.TokenTTL+4*time.Minute)
		err := p.wait(wctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("after the revocation: %w", err)
		}
		// Either files were left that need an asset (exit 1, and why), or every file left
		// already had its asset and was sending its chunks, which need no token (exit 0:
		// everything arrived, whether or not a refresh found out in the meantime). The
		// pairing that follows must then start afresh: it finds the tokens refused.
		stderr := p.stderr.String()
		stopped := p.Code == 1 && strings.Contains(stderr, "upload: stopped:")
		arrived := p.Code == 0 && arrivedLine.MatchString(stderr) && !strings.Contains(stderr, "did not")
		if !stopped && !arrived {
			return nil, fmt.Errorf("after the revocation, upload should stop with exit 1 and say why, or exit 0 with every file arrived: %s", p.describe())
		}
		if err := d.pair("pair again"); err != nil {
			return nil, err
		}
		d.repaired = append(d.repaired, time.Now())
		return d.inst.start(name+" (after re-pairing)", i, "upload", "--json", dir)
	}
	return nil, fmt.Errorf("unknown event %q", ev.Kind)
}
