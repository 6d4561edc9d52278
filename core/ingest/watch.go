// Package ingest finds media without anyone handing it over: folders watched for new files
// (README, "Watch folders"). It hands the paths it finds to the queue, each version of a
// file once, when the file has stopped changing; the queue decides the rest.
package ingest

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// Config is how a Watcher watches.
type Config struct {
	// Settle is how long a file must stay the same size and time before it is handed
	// over; 0: 2 s.
	Settle time.Duration
	// Rescan is how often every folder is walked again, for what events miss (network
	// shares, a full event queue); 0: 5 minutes.
	Rescan time.Duration
	// GiveUp is how long a watched folder may be missing before it is reported lost;
	// 0: 1 minute. A lost folder is still looked for.
	GiveUp time.Duration
	// Hand queues files found in the watched folder root; it is called on the Watcher's
	// goroutine, with the files that settled together, and says which it did not take
	// (an error: none; they are handed again at the next rescan).
	Hand func(ctx context.Context, root string, paths []string) error
	// HandGrowing, when set, queues a file that is still being written, to be uploaded
	// as it grows: a file seen to grow past GrowingFrom bytes is handed at once, then
	// handed again with the others once it settles. It is called on the Watcher's
	// goroutine; an error: it is handed when it settles, as any other.
	HandGrowing func(ctx context.Context, root, path string) error
	// GrowingFrom is how big a growing file must be before HandGrowing takes it; 0:
	// growing files wait to settle. Asked at each change.
	GrowingFrom func() int64
	// Told hears of each change of a folder's state, on the Watcher's goroutine.
	Told   func(FolderStatus)
	Logger *slog.Logger
}

// FolderState is what a Watcher knows of a watched folder.
type FolderState string

const (
	// Watching: the folder is there, its changes are followed.
	Watching FolderState = "watching"
	// Rescanning: the folder is there, but the system cannot report its changes (too
	// many folders watched): it is walked every Rescan instead.
	Rescanning FolderState = "rescanning"
	// Missing: the folder is gone (unmounted, removed); it is watched again when it
	// comes back.
	Missing FolderState = "missing"
	// Lost: missing for longer than GiveUp; still looked for.
	Lost FolderState = "lost"
)

// FolderStatus is a watched folder and its state.
type FolderStatus struct {
	Folder string
	State  FolderState
	// Reason, for a folder not Watching, in words for a person.
	Reason string
}

// Watcher watches folders for files and hands them over. One goroutine (Run) owns its
// state; Set and Status reach it through messages.
type Watcher struct {
	cfg   Config
	inbox chan func(*state)
	done  chan struct{} // closed when Run returns
}

// New makes a Watcher; Run starts it.
func New(cfg Config) *Watcher {
	if cfg.Settle <= 0 {
		cfg.Settle = 2 * time.Second
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 5 * time.Minute
	}
	if cfg.GiveUp <= 0 {
		cfg.GiveUp = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Told == nil {
		cfg.Told = func(FolderStatus) {}
	}
	return &Watcher{cfg: cfg, inbox: make(chan func(*state)), done: make(chan struct{})}
}

// Set makes folders the folders watched: new ones are walked (their files handed over as
// they settle), ones no longer listed are let go. It returns once the Watcher took them.
func (w *Watcher) Set(ctx context.Context, folders []string) error {
	clean := make([]string, 0, len(folders))
	for _, f := range folders {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real // a link to a folder: its files' paths are the folder's
		}
		clean = append(clean, abs)
	}
	return w.do(ctx, func(s *state) { s.setRoots(clean) })
}

// SetSettle changes how long a file must stay the same before it is handed over (0: 2 s);
// files waiting now are held to it too.
func (w *Watcher) SetSettle(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		d = 2 * time.Second
	}
	return w.do(ctx, func(s *state) { s.cfg.Settle = d })
}

// Status is the state of each folder watched, in the order they were set.
func (w *Watcher) Status(ctx context.Context) ([]FolderStatus, error) {
	var out []FolderStatus
	err := w.do(ctx, func(s *state) {
		for _, r := range s.order {
			out = append(out, s.roots[r].status())
		}
	})
	return out, err
}

func (w *Watcher) do(ctx context.Context, fn func(*state)) error {
	return onOwner(ctx, w.inbox, w.done, ErrStopped, fn)
}

// ErrStopped: the Watcher's Run has returned.
var ErrStopped = errors.New("the folders are no longer watched")

// Run watches until ctx ends. A Watcher runs once.
func (w *Watcher) Run(ctx context.Context) error {
	defer close(w.done)
	s := &state{
		cfg: w.cfg, ctx: ctx, roots: map[string]*root{},
		known: map[string]version{}, pending: map[string]*pend{},
		// Without events, every folder is found by its rescans.
		dirs: openWatches(w.cfg.Logger, "the system cannot report changes in folders; watched folders are walked instead"),
	}
	defer s.dirs.close()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(max(time.Until(s.nextDue()), time.Millisecond))
		events, errs := s.dirs.channels()
		select {
		case <-ctx.Done():
			return nil
		case fn := <-w.inbox:
			fn(s)
		case ev := <-events:
			s.event(ev)
		case err := <-errs:
			s.eventsFailed(err)
		case <-timer.C:
		}
		s.due(time.Now())
	}
}

// version is a file as it was handed over.
type version struct {
	size  int64
	mtime time.Time
}

// pend is a file that changed and waits to settle.
type pend struct {
	root    string
	seen    version   // at the last look
	changed time.Time // when it last changed, as far as is known
	// growing: written to since it was first noted, or seen to grow (not moved in
	// whole); handedGrowing: handed to HandGrowing.
	growing, handedGrowing bool
}

type root struct {
	path      string
	state     FolderState
	reason    string
	since     time.Time // missing since
	lastScan  time.Time // walked, or looked for while missing
	noEvents  bool
	announced FolderState
}

func (r *root) status() FolderStatus {
	return FolderStatus{Folder: r.path, State: r.state, Reason: r.reason}
}

// state is the Watcher's, owned by its goroutine.
type state struct {
	cfg     Config
	ctx     context.Context
	roots   map[string]*root
	order   []string
	known   map[string]version // handed over, as they were
	pending map[string]*pend
	dirs    *watches // watched for events
}

func (s *state) setRoots(folders []string) {
	want := map[string]bool{}
	for _, f := range folders {
		want[f] = true
	}
	for _, p := range s.order {
		if !want[p] {
			s.dropRoot(p)
		}
	}
	s.order = slices.DeleteFunc(s.order, func(p string) bool { return !want[p] })
	var fresh []string
	for _, f := range folders {
		if s.roots[f] != nil {
			continue
		}
		s.roots[f] = &root{path: f}
		fresh = append(fresh, f)
	}
	s.order = slices.Compact(slices.Clone(folders))
	// Looked at once all are known: a walk passes over the folders watched on their own.
	for _, f := range fresh {
		s.look(s.roots[f], time.Now())
	}
}

// dropRoot lets go of a folder no longer watched: its watches and its files waiting.
func (s *state) dropRoot(p string) {
	s.unwatchBelow(p, p)
	s.forgetBelow(p, p)
	delete(s.roots, p)
}

// unwatchBelow lets go of the watches of dir and the folders below it, in the watched
// folder root (a watched folder nested in it keeps its own).
func (s *state) unwatchBelow(dir, root string) {
	for d := range s.dirs.all() {
		if media.Within(dir, d) && s.rootOf(d) == root {
			s.dirs.remove(d)
		}
	}
}

// forgetBelow forgets the files at and below dir, in the watched folder root: those
// waiting to settle and those handed over (back again, they are new).
func (s *state) forgetBelow(dir, root string) {
	for f := range s.pending {
		if media.Within(dir, f) && s.rootOf(f) == root {
			delete(s.pending, f)
		}
	}
	for f := range s.known {
		if media.Within(dir, f) && s.rootOf(f) == root {
			delete(s.known, f)
		}
	}
}

// look checks a folder is there, and if so (again) watches and walks it.
func (s *state) look(r *root, now time.Time) {
	fi, err := os.Stat(r.path)
	switch {
	case err == nil && fi.IsDir():
		r.since = time.Time{}
		r.noEvents = false
		r.state, r.reason = Watching, ""
		s.walk(r, now)
	case err == nil:
		s.missing(r, now, "it is a file, not a folder")
	default:
		s.missing(r, now, "it cannot be found")
	}
	s.announce(r)
}

func (s *state) missing(r *root, now time.Time, why string) {
	if r.since.IsZero() {
		r.since = now
	}
	r.state, r.reason = Missing, "The folder is missing ("+why+"); it is watched again when it comes back."
	if now.Sub(r.since) >= s.cfg.GiveUp {
		r.state = Lost
		r.reason = "The folder has been missing since " + r.since.Local().Format("15:04") + " (" + why + "); it is still looked for."
	}
	s.unwatchBelow(r.path, r.path) // what was handed over is kept: a card put back is not sent again
}

func (s *state) announce(r *root) {
	if r.announced == r.state {
		return
	}
	r.announced = r.state
	if r.state == Watching {
		s.cfg.Logger.Info("watching a folder", "folder", r.path)
	} else {
		s.cfg.Logger.Warn("a watched folder is not watched as it should be", "folder", r.path, "state", r.state, "reason", r.reason)
	}
	s.cfg.Told(r.status())
}

// walk goes through all of a watched folder.
func (s *state) walk(r *root, now time.Time) {
	r.lastScan = now
	s.walkDir(r, r.path, now)
}

// walkDir goes through dir, in r, watching its folders and taking note of each file new
// or changed since it was handed over.
func (s *state) walkDir(r *root, dir string, now time.Time) {
	present := map[string]bool{}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			s.cfg.Logger.Warn("a watched folder's content cannot be read", "path", path, "err", err)
			return nil
		}
		if path != r.path && skipped(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != r.path && s.roots[path] != nil {
				return filepath.SkipDir // a watched folder of its own: its files are its
			}
			s.watch(r, path)
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		present[path] = true
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		s.noteFile(r, path, version{fi.Size(), fi.ModTime()}, now, true)
		return nil
	})
	// What was handed over and is gone is forgotten: back again, it is new.
	for f := range s.known {
		if media.Within(dir, f) && !present[f] && s.rootOf(f) == r.path {
			delete(s.known, f)
		}
	}
}

// noteFile takes note of a file as it is now: one unchanged since it was handed over is
// left alone; one new or changed waits to settle. found: by a walk rather than an event,
// so a file whose time is older than the settle time has settled already.
func (s *state) noteFile(r *root, path string, v version, now time.Time, found bool) {
	if k, ok := s.known[path]; ok && k == v {
		return
	}
	if p := s.pending[path]; p != nil {
		if p.seen != v {
			p.growing = p.growing || v.size > p.seen.size
			p.seen, p.changed = v, now
			s.handGrowing(path, p)
		}
		return
	}
	changed := now
	if found && now.Sub(v.mtime) >= s.cfg.Settle {
		changed = now.Add(-s.cfg.Settle)
	}
	s.pending[path] = &pend{root: r.path, seen: v, changed: changed}
}

func (s *state) watch(r *root, dir string) {
	if err := s.dirs.add(dir); err != nil {
		if !r.noEvents {
			r.noEvents = true
			s.cfg.Logger.Warn("the system cannot report this folder's changes; it is walked every so often instead", "folder", dir, "err", err)
			r.state = Rescanning
			r.reason = "The system cannot follow this folder's changes (too many folders watched); new files are found by walking it every " + s.cfg.Rescan.String() + "."
		}
	}
}

// event takes one change the system reported.
func (s *state) event(ev fsnotify.Event) {
	path := ev.Name
	r := s.roots[s.rootOf(path)]
	if r == nil {
		return
	}
	now := time.Now()
	if path == r.path {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			// The system dropped the folder's watches with it: whether it is back
			// already or not, they are made again when it is there.
			s.unwatchBelow(r.path, r.path)
			s.look(r, now)
		}
		return
	}
	if s.skippedBelow(r.path, filepath.Dir(path)) {
		return
	}
	if fi, err := os.Lstat(path); skipped(filepath.Base(path), err == nil && fi.IsDir()) {
		return
	}
	switch {
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		// Gone from here (a rename into the folder is a Create of its new name).
		delete(s.pending, path)
		delete(s.known, path)
		if s.dirs.has(path) {
			s.unwatchBelow(path, r.path)
			s.forgetBelow(path, r.path)
		}
	case ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) || ev.Has(fsnotify.Chmod):
		fi, err := os.Stat(path)
		if err != nil {
			return
		}
		if fi.IsDir() {
			if ev.Has(fsnotify.Create) {
				// A folder made or moved in: what it holds already came without events.
				s.walkDir(r, path, now)
			}
			return
		}
		if !fi.Mode().IsRegular() {
			return
		}
		s.noteFile(r, path, version{fi.Size(), fi.ModTime()}, now, false)
		if p := s.pending[path]; p != nil {
			p.changed = now // written just now, whatever its time says
			if ev.Has(fsnotify.Write) {
				// Written to in place (a file moved in whole brings a Create alone).
				p.growing = true
				s.handGrowing(path, p)
			}
		}
	}
}

// eventsFailed: the system's queue of changes overflowed, or it failed: every folder is
// walked again at once.
func (s *state) eventsFailed(err error) {
	s.cfg.Logger.Warn("the system lost track of changes in watched folders; walking them again", "err", err)
	now := time.Now()
	for _, p := range s.order {
		if r := s.roots[p]; r.state != Missing && r.state != Lost {
			s.walk(r, now)
		}
	}
}

// nextDue is when something is due next: a file's settle time, a rescan, a missing
// folder's look.
func (s *state) nextDue() time.Time {
	next := time.Now().Add(time.Hour)
	for _, p := range s.pending {
		next = minTime(next, p.changed.Add(s.cfg.Settle))
	}
	for _, r := range s.roots {
		switch r.state {
		case Missing, Lost:
			next = minTime(next, r.lastScan.Add(missingLook))
		default:
			next = minTime(next, r.lastScan.Add(s.cfg.Rescan))
		}
	}
	return next
}

// missingLook is how often a missing folder is looked for.
const missingLook = 2 * time.Second

// due does what is due at now: folders looked for or walked again, settled files handed
// over.
func (s *state) due(now time.Time) {
	for _, p := range s.order {
		r := s.roots[p]
		switch r.state {
		case Missing, Lost:
			if now.Sub(r.lastScan) >= missingLook {
				r.lastScan = now
				s.look(r, now)
			}
		default:
			if now.Sub(r.lastScan) >= s.cfg.Rescan {
				s.look(r, now)
			}
		}
	}
	s.handSettled(now)
}

// handSettled hands over, folder by folder, each waiting file that has not changed for
// the settle time.
func (s *state) handSettled(now time.Time) {
	ready := map[string][]string{}
	for path, p := range s.pending {
		if now.Sub(p.changed) < s.cfg.Settle {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			delete(s.pending, path)
			continue
		}
		if v := (version{fi.Size(), fi.ModTime()}); v != p.seen {
			p.growing = p.growing || v.size > p.seen.size
			p.seen, p.changed = v, now
			s.handGrowing(path, p)
			continue
		}
		ready[p.root] = append(ready[p.root], path)
	}
	for _, rp := range s.order {
		paths := ready[rp]
		if len(paths) == 0 {
			continue
		}
		slices.Sort(paths)
		if err := s.cfg.Hand(s.ctx, rp, paths); err != nil {
			if !errors.Is(err, context.Canceled) {
				s.cfg.Logger.Warn("files found in a watched folder could not be queued; they are tried again at the next walk", "folder", rp, "files", len(paths), "err", err)
			}
			for _, p := range paths {
				delete(s.pending, p)
			}
			continue
		}
		for _, p := range paths {
			s.known[p] = s.pending[p].seen
			delete(s.pending, p)
		}
	}
}

// handGrowing hands a file still being written to HandGrowing, once, when it has grown
// past GrowingFrom.
func (s *state) handGrowing(path string, p *pend) {
	if !p.growing || p.handedGrowing || s.cfg.HandGrowing == nil || s.cfg.GrowingFrom == nil {
		return
	}
	if from := s.cfg.GrowingFrom(); from <= 0 || p.seen.size < from {
		return
	}
	if err := s.cfg.HandGrowing(s.ctx, p.root, path); err != nil {
		if !errors.Is(err, context.Canceled) {
			s.cfg.Logger.Warn("a file still being written could not be queued; it is queued once it settles", "path", path, "err", err)
		}
		return
	}
	p.handedGrowing = true
}

// rootOf is the watched folder path is in ("" for none): the deepest, when watched
// folders nest.
func (s *state) rootOf(path string) string {
	best := ""
	for p := range s.roots {
		if media.Within(p, path) && len(p) > len(best) {
			best = p
		}
	}
	return best
}

// skippedBelow tells whether dir, a folder at or below root, is or is in a folder a
// watched folder passes over.
func (s *state) skippedBelow(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return true
	}
	if rel == "." {
		return false
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if skipped(part, true) {
			return true
		}
	}
	return false
}

// skipped: names a watched folder passes over: hidden ones, the system's litter, files
// under a temporary name (until they are renamed), and the offload's hash lists (ASC
// MHL history folders, read for receipts, never media).
func skipped(name string, dir bool) bool {
	if media.Hidden(name) || media.Litter(name) {
		return true
	}
	if dir {
		return strings.EqualFold(name, "ascmhl")
	}
	return media.Temporary(name)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
