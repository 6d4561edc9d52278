package upload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// A file queued while it is still being written (AddOptions.Growing, the realtime
// setting on) is uploaded as it grows (docs/api-notes.md §3.6): a real-time asset, whose
// parts of PartSize bytes are registered and sent as soon as the file holds more than
// each; once the file has not changed for the settle time, it is read through, every
// part sent whose bytes changed since (a recorder rewrites its header at close) is sent
// again, and the rest goes, the final part last, with the file's size. The journal
// keeps each part's link and the hash of what it sent (AddParts, ChunkDone), so a run
// that ends mid-recording resumes without sending an unchanged part again.
//
// A file that shrinks, is replaced, is deleted, grows past what 10,000 parts hold, or
// whose links expire is no longer uploaded as it is written: its real-time asset is
// abandoned (never finished, so it never shows in the project) and the file is uploaded
// whole once it settles, with a new asset (abandonedError).

// realtimePoll is how often a file uploaded as it is written is looked at.
const realtimePoll = 100 * time.Millisecond

// maxRealtimeParts is the most parts a real-time asset may have (S3's); the final part
// needs the last number.
const maxRealtimeParts = 10000

// abandonedError: the file is no longer uploaded as it is written, for reason.
type abandonedError struct{ reason string }

func (e *abandonedError) Error() string { return "real-time upload abandoned: " + e.reason }

// uploadRealtime takes a file uploaded as it is written to Done; an abandonedError
// when it must be uploaded whole instead (its asset already dropped).
func (a *attempt) uploadRealtime() error {
	err := a.realtime()
	var ab *abandonedError
	if !errors.As(err, &ab) {
		return err
	}
	a.e.cfg.Logger.Warn("the file is no longer uploaded as it is written; it is uploaded whole once it settles",
		"file", a.f.Name, "asset", a.f.AssetID, "reason", ab.reason)
	if err := a.resetAsset(func(f *File) {
		f.Realtime = false
		f.ErrorMessage = "Uploading it as it was written stopped (" + ab.reason + "); it is uploaded whole once it settles."
	}); err != nil {
		return err
	}
	return ab
}

func (a *attempt) realtime() error {
	if filepath.Ext(a.f.Name) == "" {
		// The API names a real-time asset by its extension.
		return &abandonedError{"its name has no extension"}
	}
	file, err := os.Open(a.f.Path)
	if err != nil {
		return &abandonedError{"it cannot be opened: " + describeStatError(err)}
	}
	defer file.Close()
	if a.f.AssetID == "" {
		if err := a.createRealtimeAsset(); err != nil {
			return err
		}
	}
	// A recording is not one of the files uploaded at once: it would hold its place for
	// as long as the camera rolls. Its requests still take slots of the budget.
	a.e.send(func(o *owner) {
		if ent := o.files[a.id]; ent != nil && ent.att == a {
			o.releasePlace(ent)
		}
	})
	r := &recording{a: a, file: file, ps: a.f.ChunkSize, settle: a.settings.Settle}
	if r.settle <= 0 {
		r.settle = a.e.cfg.SettleTime
	}
	return r.run()
}

// createRealtimeAsset makes the file's real-time asset: no links until parts are
// registered.
func (a *attempt) createRealtimeAsset() error {
	f := a.f
	req := api.RealtimeAssetRequest{Name: f.Name, Filetype: f.Filetype, Offset: a.offset()}
	ps := a.settings.PartSize
	if ps == 0 {
		ps = MinPartSize
	}
	_, err := a.newAsset(func(ctx context.Context, token string) (api.Asset, error) {
		return a.e.cfg.Client.CreateRealtimeAsset(ctx, token, req)
	}, func(f *File, _ api.Asset) { f.UploadURLs, f.ChunkSize = nil, ps })
	if err != nil {
		return err
	}
	a.done, a.parts = nil, nil
	a.bytes.Store(0)
	a.report(true)
	return nil
}

// recording is one attempt's run of a file uploaded as it is written. Its goroutine
// (run's) owns a.f, a.done and a.parts; workers send the parts handed to them.
type recording struct {
	a      *attempt
	file   *os.File
	ps     int64
	settle time.Duration

	seen      os.FileInfo // at the last look
	changedAt time.Time   // when the file was last seen to change
	sending   int         // parts handed to the workers, not yet back
	work      chan partJob
	results   chan chunkResult
}

// partJob is one part for a worker: what it sends, and the hash its bytes must have
// (want, "" for any).
type partJob struct {
	index int
	put   partPut
	want  string
}

func (r *recording) run() error {
	a := r.a
	a.detail = "Uploading it as it is written; its last part goes once it stops changing."
	defer func() { a.detail = "" }()
	if a.f.State != Uploading {
		if err := a.step(func(f *File) { f.State = Uploading }); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancelCause(a.ctx)
	var wg sync.WaitGroup
	defer func() { cancel(nil); wg.Wait() }()
	r.work = make(chan partJob, maxRealtimeParts)
	r.results = make(chan chunkResult, maxRealtimeParts)
	for range realtimeLanes * max(a.settings.ParallelChunks, 1) {
		wg.Go(func() { r.worker(ctx) })
	}
	// Parts registered before (a run that ended mid-recording) and not yet sent go now;
	// once the final part is registered, every part waits for finish, which checks it
	// against the file first (the final part completes the asset).
	if !r.finalRegistered() {
		for i, done := range a.done {
			if !done {
				r.send(i, "", nil)
			}
		}
	}
	tick := time.NewTicker(realtimePoll)
	defer tick.Stop()
	for {
		if err := r.look(ctx); err != nil {
			return err
		}
		if r.sending == 0 && time.Since(r.changedAt) >= r.settle {
			if done, err := r.finish(ctx); done || err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case res := <-r.results:
			r.sending--
			if err := r.took(res); err != nil {
				return err
			}
		case <-tick.C:
		}
	}
}

// worker sends the parts handed to it, each with a request slot.
func (r *recording) worker(ctx context.Context) {
	for {
		var job partJob
		select {
		case <-ctx.Done():
			return
		case job = <-r.work:
		}
		if !r.a.acquire(ctx) {
			return
		}
		sum, err := r.a.putPart(ctx, job.put)
		r.a.release()
		if err == nil && job.want != "" && sum != job.want {
			err = fmt.Errorf("%w: part %d sent other bytes than were read", api.ErrFileChanged, job.index+1)
		}
		select {
		case r.results <- chunkResult{job.index, sum, err}:
		case <-ctx.Done():
			return
		}
	}
}

// send hands part i to the workers: want is the hash its bytes must have ("" any),
// unchanged the check that the file is as it was read (nil none).
func (r *recording) send(i int, want string, unchanged func() error) {
	f := &r.a.f
	off, n := f.ChunkRange(i)
	r.sending++
	r.work <- partJob{index: i, want: want, put: partPut{
		url: f.UploadURLs[i], file: r.file, path: f.Path, off: off, n: n, contentType: f.Filetype,
		unchanged: unchanged, body: func() sentBody { return newPartSum() },
	}}
}

// took journals a part a worker sent (next has counted it back).
func (r *recording) took(res chunkResult) error {
	if res.err != nil {
		if api.HasEffect(res.err, api.EffectNewAsset) {
			return &abandonedError{"its upload links expired"}
		}
		if errors.Is(res.err, api.ErrFileChanged) {
			return &abandonedError{"it changed while its last parts were sent"}
		}
		return res.err
	}
	if res.sum == "" {
		res.sum = unknownPart
	}
	r.a.parts[res.index] = res.sum
	return r.a.chunkDone(Part{res.index, res.sum})
}

// finalRegistered tells whether the API has the file's final part, and with it its
// size: the parts registered reach its end (a part is registered before the end only
// with a byte after it).
func (r *recording) finalRegistered() bool {
	have := int64(len(r.a.f.UploadURLs))
	return have > 0 && have*r.ps >= r.a.f.Size
}

// look stats the file and registers the parts it holds now: each part of ps bytes the
// file has grown past (a byte past: the part that ends the file is the final one).
func (r *recording) look(ctx context.Context) error {
	a := r.a
	fi, err := r.file.Stat()
	if err != nil {
		return &abandonedError{"it cannot be read: " + err.Error()}
	}
	at, err := os.Stat(a.f.Path)
	switch {
	case err != nil:
		return &abandonedError{"it was moved or deleted"}
	case !os.SameFile(fi, at):
		return &abandonedError{"another file took its name"}
	case r.finalRegistered() && fi.Size() != a.f.Size:
		// The asset's size is told: the file cannot be sent as it is now.
		return &abandonedError{fmt.Sprintf("it changed size from %d to %d bytes after its final part was registered", a.f.Size, fi.Size())}
	case fi.Size() < a.f.Size:
		return &abandonedError{fmt.Sprintf("it shrank from %d to %d bytes", a.f.Size, fi.Size())}
	}
	if r.seen == nil || fi.Size() != r.seen.Size() || !fi.ModTime().Equal(r.seen.ModTime()) {
		r.seen, r.changedAt = fi, time.Now()
	}
	have := len(a.f.UploadURLs)
	full := int((fi.Size() - 1) / r.ps) // parts wholly written, with a byte after them
	if fi.Size() == 0 || full <= have {
		return nil
	}
	if full >= maxRealtimeParts {
		return &abandonedError{fmt.Sprintf("it grew past what %d parts of %d MiB hold", maxRealtimeParts, r.ps>>20)}
	}
	return r.register(ctx, full-have, fi, false)
}

// register asks the API for the next n parts, the last one final when final (the file
// then ends with it, at fi's size), journals their links, and hands them to the workers.
func (r *recording) register(ctx context.Context, n int, fi os.FileInfo, final bool) error {
	a := r.a
	have := len(a.f.UploadURLs)
	f := a.f
	f.Size, f.ModTime = fi.Size(), fi.ModTime()
	f.UploadURLs = append(slices.Clip(f.UploadURLs), make([]string, n)...)
	parts := make([]api.Part, n)
	for k := range parts {
		_, size := f.ChunkRange(have + k)
		parts[k] = api.Part{Number: have + k + 1, Size: size, IsFinal: final && k == n-1}
	}
	var total int64
	if final {
		total = f.Size
	}
	var urls []string
	err := a.e.cfg.Auth.Do(ctx, api.EndpointParts, func(ctx context.Context, token string) error {
		if !a.acquire(ctx) {
			return context.Cause(ctx)
		}
		defer a.release()
		var err error
		urls, err = a.e.cfg.Client.RealtimeParts(ctx, token, f.AssetID, parts, total)
		return err
	})
	if err != nil {
		return err
	}
	copy(f.UploadURLs[have:], urls)
	f.UpdatedAt = time.Now()
	if err := a.journal(func(ctx context.Context) error { return a.e.cfg.Journal.AddParts(ctx, f, have) }); err != nil {
		return err
	}
	a.f = f
	a.done = append(a.done, make([]bool, n)...)
	a.parts = append(a.parts, make([]string, n)...)
	a.report(true)
	if !final {
		for i := have; i < have+n; i++ {
			r.send(i, "", nil)
		}
	}
	return nil
}

// finish ends the upload of a file that has stopped growing: it reads the file through,
// hashing each part and the whole file; sends again each part whose bytes changed since
// it was sent; registers the rest, the last part final; sends them, the final one once
// every other part is in (it completes the asset); and writes the file done. Not done:
// the file changed as it was read, and is looked at again until it settles.
func (r *recording) finish(ctx context.Context) (done bool, err error) {
	a := r.a
	fi := r.seen
	size := fi.Size()
	if size == 0 {
		return false, &abandonedError{"it is empty"}
	}
	a.detail = "It stopped changing: checking what was sent and sending its last parts."
	a.report(true)
	sums, parts, err := r.readThrough(size)
	if err != nil {
		return false, err
	}
	if !r.unchanged(fi) {
		r.changedAt = time.Now()
		a.detail = "Uploading it as it is written; its last part goes once it stops changing."
		return false, nil
	}
	fp, err := fingerprint(a.f.Path, size)
	if err != nil {
		return false, &api.LocalFileError{Path: a.f.Path, Err: err}
	}
	have := len(a.f.UploadURLs)
	var resend []int // parts the asset has, whose bytes changed since
	for i := range have {
		if !a.done[i] || a.parts[i] == parts[i] {
			continue
		}
		a.e.cfg.Logger.Info("a part of a file uploaded as it was written changed since it was sent; sending it again",
			"file", a.f.Name, "part", i+1)
		_, k := a.f.ChunkRange(i)
		a.bytes.Add(-k) // counted again as it is sent again
		a.done[i] = false
		resend = append(resend, i)
	}
	n := int((size + r.ps - 1) / r.ps) // every part, the final one included
	if n > have {
		if err := r.register(ctx, n-have, fi, true); err != nil {
			return false, err
		}
	}
	unchanged := func() error {
		if !r.unchanged(fi) {
			return fmt.Errorf("%w (while its last parts were sent)", api.ErrFileChanged)
		}
		return nil
	}
	// A part the asset already has is sent again before the parts it lacks: once it has
	// them all it is put together, with whatever bytes it holds then.
	for _, i := range resend {
		r.send(i, parts[i], unchanged)
	}
	if err := r.drain(ctx, -1); err != nil {
		return false, err
	}
	last := n - 1
	for i := range n {
		if !a.done[i] {
			r.send(i, parts[i], unchanged)
		}
	}
	// The final part goes with the others: the asset is complete when the last of them
	// is in, whichever it is. It is journaled with the Done state.
	if err := r.drain(ctx, last); err != nil {
		return false, err
	}
	final := Part{last, a.parts[last]}
	if differs := offloadDiffers(&a.f, sums); differs != "" {
		a.e.cfg.Logger.Warn("the file differs from the offload's hash list", "file", a.f.Name, "path", a.f.Path,
			"hash_list", a.f.HashList, "offload", a.f.Offload.String(), "sent", sums.String(), "asset", a.f.AssetID)
		a.alert = &Alert{Kind: AlertDiffers, Message: differsAlert, Files: []string{a.f.Name}}
		return true, a.write([]Part{final}, func(f *File) {
			f.Hashes, f.Fingerprint = sums, fp
			f.State, f.ErrorKind, f.ErrorMessage = Failed, DiffersKind, differs
		})
	}
	if len(resend) > 0 {
		a.e.cfg.Logger.Info("sent again the parts of a file uploaded as it was written that changed as it was closed",
			"file", a.f.Name, "parts", len(resend))
	}
	return true, a.write([]Part{final}, func(f *File) {
		f.Hashes, f.Fingerprint = sums, fp
		f.State, f.DoneAt = Done, time.Now()
		f.ErrorKind, f.ErrorMessage, f.NextAttempt = "", "", time.Time{}
	})
}

// drain waits for every part handed to the workers, journalling each but keep (≥ 0),
// whose hash it only notes: the final part, journaled with the Done state.
func (r *recording) drain(ctx context.Context, keep int) error {
	for r.sending > 0 {
		res, err := r.next(ctx)
		switch {
		case err != nil:
		case res.index == keep && res.err == nil:
			r.a.parts[keep] = cmp.Or(res.sum, unknownPart)
		default:
			err = r.took(res)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// next is the next part a worker is done with.
func (r *recording) next(ctx context.Context) (chunkResult, error) {
	select {
	case <-ctx.Done():
		return chunkResult{}, context.Cause(ctx)
	case res := <-r.results:
		r.sending--
		return res, nil
	}
}

// unchanged tells whether the file is still as fi saw it.
func (r *recording) unchanged(fi os.FileInfo) bool {
	now, err := r.file.Stat()
	return err == nil && now.Size() == fi.Size() && now.ModTime().Equal(fi.ModTime())
}

// readThrough reads the first size bytes of the file once: the file's hashes in its
// formats and each part's hash in partFormat.
func (r *recording) readThrough(size int64) (hashes.Sums, []string, error) {
	a := r.a
	whole := hashes.NewSet(a.formats()...)
	n := int((size + r.ps - 1) / r.ps)
	parts := make([]string, n)
	buf := make([]byte, catchUpBlock)
	for i := range n {
		off := int64(i) * r.ps
		end := min(off+r.ps, size)
		ps := newPartSum()
		for off < end {
			k, err := r.file.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
			if k > 0 {
				ps.Write(buf[:k])
				whole.Write(buf[:k])
				off += int64(k)
			}
			if err != nil && (err != io.EOF || off < end) {
				if err == io.EOF {
					return nil, nil, &abandonedError{"it shrank while it was read"}
				}
				return nil, nil, &api.LocalFileError{Path: a.f.Path, Err: err}
			}
		}
		parts[i] = ps.Sum()
	}
	return whole.Sums(), parts, nil
}

// partSum hashes a part's bytes in partFormat.
type partSum struct{ h hash.Hash }

func newPartSum() *partSum { return &partSum{partFormat.New()} }

func (p *partSum) Write(b []byte) (int, error) { return p.h.Write(b) }

func (p *partSum) Sum() string { return partFormat.Encode(p.h.Sum(nil)) }
