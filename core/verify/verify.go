// Package verify checks files on disk against what was sent: this app's receipts (the
// hashes of the bytes each upload sent, from the journal) and the offload's ASC MHL hash
// lists above them. Each file is read once, in every format it is compared in.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Receipts are this app's records of what it sent (store/journal implements it).
type Receipts interface {
	// ReceiptsUnder returns the newest hashed upload of each path at or below path.
	ReceiptsUnder(ctx context.Context, path string) ([]upload.File, error)
}

// Verdicts of one file.
const (
	Matches = "matches" // every record of it agrees with its bytes
	Differs = "differs" // a record does not
	Missing = "missing" // a record lists it; it is not on disk
	Unknown = "unknown" // no record has it: nothing says what it should be
	// NotUploaded: it is as the offload's hash list has it, but no upload from here has
	// it: it did not reach the project from this computer.
	NotUploaded = "not-uploaded"
	Unreadable  = "unreadable" // it could not be read
)

// Result is one file's verdict.
type Result struct {
	Path    string
	Verdict string
	// Detail says, in a sentence, what was compared, or what differs and with what.
	Detail string
}

// OK tells whether the file is as its records say.
func (r Result) OK() bool { return r.Verdict == Matches }

// Run verifies the files at and below paths. Problems of the hash lists read (a
// malformed generation, a chain that does not add up) come back as problems; the files
// are still compared with what could be read.
func Run(ctx context.Context, paths []string, rec Receipts) (results []Result, problems []string, err error) {
	var finder mhl.Finder
	// history is the nearest history at or above the file at path.
	history := finder.Look
	done := map[string]bool{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, err
		}
		files, roots, err := filesAt(abs)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s cannot be read: %w", p, err)
		}
		gone := err != nil
		var receipts []upload.File
		if rec != nil {
			if receipts, err = rec.ReceiptsUnder(ctx, abs); err != nil {
				return nil, nil, fmt.Errorf("reading the receipts: %w", err)
			}
		}
		byPath := map[string]upload.File{}
		listed := map[string]bool{} // paths on disk, in a receipt or in a hash list
		for _, f := range receipts {
			byPath[f.Path] = f
			listed[f.Path] = true
		}
		for _, f := range files {
			listed[f] = true
		}
		// The histories that may list files here: the one above (or of) the path, and
		// those of the folders below it.
		var hs []*mhl.History
		for _, root := range append([]string{abs}, roots...) {
			if h := history(filepath.Join(root, mhl.Folder)); h != nil && !slices.Contains(hs, h) {
				hs = append(hs, h)
			}
		}
		for _, h := range hs {
			for _, rel := range listedBelow(h, abs) {
				listed[filepath.Join(h.Root, filepath.FromSlash(rel))] = true
			}
		}
		if gone && len(listed) == 0 && !done[abs] {
			// Named, and nothing there nor any record of it: said, not passed over.
			done[abs] = true
			results = append(results, Result{abs, Missing, "It does not exist, and no receipt or hash list has it."})
			continue
		}
		names := make([]string, 0, len(listed))
		for path := range listed {
			names = append(names, path)
		}
		slices.Sort(names)
		for _, path := range names {
			if done[path] {
				continue
			}
			done[path] = true
			if err := ctx.Err(); err != nil {
				return results, finder.Problems(), err
			}
			results = append(results, check(path, byPath[path], history(path)))
		}
	}
	return results, finder.Problems(), nil
}

// check compares one file with its receipt (ID 0 when none) and its hash list (nil when
// none).
func check(path string, receipt upload.File, h *mhl.History) Result {
	var offload hashes.Sums
	if h != nil {
		if rel, ok := h.Rel(path); ok {
			offload, _ = h.Newest(rel)
		}
	}
	mine := receipt.Hashes
	if len(mine) == 0 && len(offload) == 0 {
		if _, err := os.Stat(path); err != nil {
			return Result{path, Missing, "It is not on disk."}
		}
		return Result{path, Unknown, "No receipt of this app and no hash list has it: it was not uploaded from here."}
	}
	var formats []hashes.Format
	for _, s := range mine {
		formats = append(formats, s.Format)
	}
	if off := offload.Pick(formats...); off.Format != "" {
		formats = append(formats, off.Format)
	}
	got, err := hashFile(path, formats)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Result{path, Missing, "It is not on disk, though " + recordNames(mine, offload) + "."}
	case err != nil:
		return Result{path, Unreadable, "It could not be read: " + err.Error()}
	}
	var compared []string
	for _, s := range mine {
		if v := got.Get(s.Format); !s.Format.Equal(v, s.Value) {
			return Result{path, Differs, fmt.Sprintf("It differs from what was uploaded: its %s is %s, the upload's receipt has %s.", s.Format, v, s.Value)}
		}
	}
	if len(mine) > 0 {
		compared = append(compared, "the upload's receipt")
	}
	if off := offload.Pick(formats...); off.Format != "" {
		if v := got.Get(off.Format); !off.Format.Equal(v, off.Value) {
			return Result{path, Differs, fmt.Sprintf("It differs from the offload's hash list: its %s is %s, the list has %s.", off.Format, v, off.Value)}
		}
		compared = append(compared, "the offload's hash list")
	}
	if len(mine) == 0 {
		return Result{path, NotUploaded, "It matches the offload's hash list, but it was never uploaded from here: it is not in the project from this computer."}
	}
	return Result{path, Matches, "Its " + string(formats[0]) + " matches " + strings.Join(compared, " and ") + "."}
}

func recordNames(mine, offload hashes.Sums) string {
	switch {
	case len(mine) > 0 && len(offload) > 0:
		return "the upload's receipt and the offload's hash list have it"
	case len(mine) > 0:
		return "the upload's receipt has it"
	}
	return "the offload's hash list has it"
}

// hashFile reads path once into every format.
func hashFile(path string, formats []hashes.Format) (hashes.Sums, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set := hashes.NewSet(formats...)
	if _, err := io.Copy(set, f); err != nil {
		return nil, err
	}
	return set.Sums(), nil
}

// filesAt lists the files at path: itself, or every file below it but the hash lists'
// own folders and hidden files; roots are the folders below it that hold a hash list.
func filesAt(path string) (files, roots []string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && strings.EqualFold(name, mhl.Folder) {
			if dir := filepath.Dir(p); dir != path {
				roots = append(roots, dir)
			}
			return fs.SkipDir
		}
		if p != path && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files, roots, err
}

// listedBelow are the paths (below h's root, with slashes) that h's generations list at
// or below path.
func listedBelow(h *mhl.History, path string) []string {
	rel, ok := h.Rel(path)
	if filepath.Clean(path) == filepath.Clean(h.Root) {
		rel, ok = "", true // the whole history
	}
	if !ok {
		return nil
	}
	var out []string
	for _, g := range h.Generations {
		for _, e := range g.Entries {
			if rel == "" || e.Path == rel || strings.HasPrefix(e.Path, rel+"/") {
				out = append(out, e.Path)
			}
		}
	}
	return out
}
