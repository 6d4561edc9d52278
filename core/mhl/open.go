package mhl

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// Open reads the history whose root is root, and the histories nested below it: every
// manifest in root/ascmhl, each checked against the chain file. What cannot be read or
// does not match (a manifest not well-formed or cut short, a hash format ASC MHL does not
// know, a manifest whose C4 ID is not the one the chain records, one the chain lists but
// the folder lacks) becomes a Problem and reading goes on; the error is for a root without
// an ascmhl folder (it wraps fs.ErrNotExist) or one that cannot be listed.
//
// A manifest that is not usable XML gives no hashes. One that is but does not match the
// chain still gives its hashes: its Problem tells the person, and they are the best
// record there is of those files.
//
// Looking for nested histories reads every folder below root.
func Open(root string) (*History, error) {
	return open(root, true)
}

// open reads the history at root; nested says whether to look for the histories below it.
func open(root string, nested bool) (*History, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("reading the ASC MHL history at %s: %w", root, err)
	}
	folder := filepath.Join(abs, Folder)
	files, err := os.ReadDir(folder)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s holds no %s folder: %w", abs, Folder, err)
		}
		return nil, fmt.Errorf("reading the ASC MHL history of %s: %w", abs, err)
	}
	h := &History{Root: abs}
	h.load(folder, files)
	if nested {
		h.findChildren(abs, "")
		h.checkReferences()
	}
	return h, nil
}

// manifestFile is a manifest as read from the ascmhl folder.
type manifestFile struct {
	path   string
	gen    Generation
	c4     string // the C4 ID of its bytes; "" when it could not be read
	usable bool   // whether gen holds what the file records
}

// load reads the manifests among files (the listing of folder) and checks them against
// the chain file.
func (h *History) load(folder string, files []fs.DirEntry) {
	var manifests []manifestFile
	present := make(map[string]bool, len(files))
	for _, f := range files {
		name := f.Name()
		present[name] = true
		if f.IsDir() || !isManifestName(name) {
			continue
		}
		p := filepath.Join(folder, name)
		number, ok := manifestNumber(name)
		if !ok {
			h.Problems = append(h.Problems, problem(p,
				"does not follow the naming of ASC MHL manifests (0001_<folder>_<date>_<time>Z.mhl); it was not read"))
			continue
		}
		mf, problems := loadManifest(p, number)
		h.Problems = append(h.Problems, problems...)
		manifests = append(manifests, mf)
	}
	h.checkChain(folder, manifests, present)
	h.keep(manifests)
}

// loadManifest reads the manifest at p, computing the C4 ID of its bytes as it goes.
func loadManifest(p string, number int) (manifestFile, []Problem) {
	mf := manifestFile{path: p, gen: Generation{Number: number, File: filepath.Base(p)}}
	f, err := os.Open(p)
	if err != nil {
		return mf, []Problem{problem(p, "could not be read (%v), so none of its hashes were used", err)}
	}
	defer f.Close()
	sum := hashes.C4.New()
	n := newNotes(p)
	err = readManifest(io.TeeReader(f, sum), &mf.gen, n)
	if _, rest := io.Copy(sum, f); rest == nil {
		mf.c4 = hashes.C4.Encode(sum.Sum(nil))
	}
	if err != nil {
		return mf, []Problem{problem(p, "is not a usable ASC MHL manifest (%v), so none of its hashes were used", err)}
	}
	mf.usable = true
	return mf, n.problems()
}

// checkChain compares the manifests with the chain file: each listed one must be there
// with the C4 ID recorded for it, and each one there must be listed. present is every
// name in the folder.
func (h *History) checkChain(folder string, manifests []manifestFile, present map[string]bool) {
	chainPath := filepath.Join(folder, ChainFile)
	if !present[ChainFile] {
		if len(manifests) > 0 {
			h.Problems = append(h.Problems, problem(chainPath,
				"is missing, so nothing shows the manifests beside it are the files that were written"))
		}
		return
	}
	entries, problems, err := loadChain(chainPath)
	h.Problems = append(h.Problems, problems...)
	if err != nil {
		h.Problems = append(h.Problems, problem(chainPath,
			"cannot be read (%v), so the manifests beside it could not be checked", err))
		return
	}
	byName := make(map[string]manifestFile, len(manifests))
	for _, mf := range manifests {
		byName[mf.gen.File] = mf
	}
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		listed[e.File] = true
		p := filepath.Join(folder, e.File)
		mf, ok := byName[e.File]
		switch {
		case !ok && !present[e.File]:
			h.Problems = append(h.Problems, problem(p, "is listed in the chain file as generation %d but is missing", e.Number))
		case !ok:
			// There, but not read as a manifest: its problem is reported already.
		case mf.usable && !hashes.C4.Equal(mf.c4, e.C4):
			// An unusable manifest's problem is reported already; its C4 ID adds nothing.
			h.Problems = append(h.Problems, problem(p,
				"has changed since it was written: the chain file records the C4 ID %s, the file's bytes have %s", e.C4, mf.c4))
		case mf.gen.Number != e.Number:
			h.Problems = append(h.Problems, problem(p,
				"is generation %d by its name but generation %d in the chain file", mf.gen.Number, e.Number))
		}
	}
	for _, mf := range manifests {
		if !listed[mf.gen.File] {
			h.Problems = append(h.Problems, problem(mf.path,
				"is not listed in the chain file, so nothing shows it is the file that was written"))
		}
	}
}

// loadChain reads the chain file at p.
func loadChain(p string) ([]chainEntry, []Problem, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	n := newNotes(p)
	entries, err := readChain(f, n)
	return entries, n.problems(), err
}

// keep makes the usable manifests the history's generations, in sequence-number order.
func (h *History) keep(manifests []manifestFile) {
	slices.SortFunc(manifests, func(a, b manifestFile) int {
		return cmp.Or(cmp.Compare(a.gen.Number, b.gen.Number), cmp.Compare(a.gen.File, b.gen.File))
	})
	for i, mf := range manifests {
		if i > 0 && manifests[i-1].gen.Number == mf.gen.Number {
			h.Problems = append(h.Problems, problem(mf.path,
				"has the sequence number %d, as %s does", mf.gen.Number, manifests[i-1].gen.File))
		}
		if mf.usable {
			h.Generations = append(h.Generations, mf.gen)
		}
	}
}

// findChildren looks below dir (rel below the root) for folders holding an ascmhl folder
// of their own, and opens each as a nested history. It does not look inside them: their
// own nested histories are theirs.
func (h *History) findChildren(dir, rel string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		h.Problems = append(h.Problems, problem(dir, "could not be searched for nested histories (%v)", err))
		return
	}
	if rel != "" && slices.ContainsFunc(entries, isHistoryFolder) {
		child, err := open(dir, true)
		if err != nil {
			h.Problems = append(h.Problems, problem(dir, "holds a nested history that cannot be read (%v)", err))
			return
		}
		child.rel = rel
		h.Children = append(h.Children, child)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || rel == "" && e.Name() == Folder {
			continue
		}
		h.findChildren(filepath.Join(dir, e.Name()), path.Join(rel, e.Name()))
	}
}

func isHistoryFolder(e fs.DirEntry) bool { return e.IsDir() && e.Name() == Folder }

// checkReferences checks that the manifests of nested histories the generations refer to
// are there with the C4 IDs recorded for them.
func (h *History) checkReferences() {
	for _, g := range h.Generations {
		from := filepath.Join(h.Root, Folder, g.File)
		for _, ref := range g.References {
			p := filepath.Join(h.Root, filepath.FromSlash(ref.Path))
			c4, err := fileC4(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				h.Problems = append(h.Problems, problem(from, "refers to %s, which is missing", p))
			case err != nil:
				h.Problems = append(h.Problems, problem(from, "refers to %s, which cannot be read (%v)", p, err))
			case !hashes.C4.Equal(c4, ref.C4):
				h.Problems = append(h.Problems, problem(from,
					"refers to %s with the C4 ID %s, but that file's bytes have %s", p, ref.C4, c4))
			}
		}
	}
}

// fileC4 is the C4 ID of the bytes of the file at p.
func fileC4(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := hashes.C4.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	return hashes.C4.Encode(sum.Sum(nil)), nil
}

// AllProblems is the history's problems followed by those of its nested histories.
func (h *History) AllProblems() []Problem {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := slices.Clone(h.Problems)
	for _, c := range h.Children {
		out = append(out, c.AllProblems()...)
	}
	return out
}
