package mhl

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/internal/atomicfile"
)

var (
	// ErrNothingToRecord is returned when no entry is left to record: none was given, or
	// the history's ignore patterns (.DS_Store files, ascmhl folders, and what its
	// generations added) leave out every one.
	ErrNothingToRecord = errors.New("no file to record")
	// ErrChainUnusable is returned when the chain file cannot be rewritten without losing
	// what it records: it is missing beside existing manifests, or cannot be read cleanly.
	ErrChainUnusable = errors.New("the history's chain file cannot be extended")
)

// Append writes the history's next generation, recording entries, and adds it to the chain
// file with the C4 ID of its bytes. Each file is recorded in the history closest to it, as
// the specification requires: an entry below a nested history goes to a new generation of
// that history, and this one's new generation refers to it. Entries the ignore patterns
// leave out are not recorded. Should a nested history refuse its generation (its chain
// unusable, say), the error says so and the histories written before it keep theirs.
//
// The manifest is written to a temporary file and renamed into place, then the chain is
// rewritten whole the same way, so a reader never sees half of either. It returns the path
// of the new manifest in this history.
//
// Each hash's Action says what the caller did: Verified where it compared the hash it
// computed with the one Newest gave and they matched, Failed where they did not, Original
// where the history had none.
func (h *History) Append(entries []Entry, c Creator) (string, error) {
	p, err := h.append(entries, c)
	if err != nil {
		return "", fmt.Errorf("appending to the ASC MHL history of %s: %w", h.Root, err)
	}
	return p, nil
}

func (h *History) append(entries []Entry, c Creator) (string, error) {
	c, err := c.prepare()
	if err != nil {
		return "", err
	}
	if err := checkEntries(entries); err != nil {
		return "", err
	}
	w, err := h.commit(entries, c)
	if err == nil && w.path == "" {
		err = ErrNothingToRecord
	}
	return w.path, err
}

// Create starts a history at root (making root and root/ascmhl as needed) with a first
// generation recording entries. The app uses it to keep a history of its own, in its
// reports folder, for files it may not write beside. It fails with fs.ErrExist when root
// already holds a history.
func Create(root string, entries []Entry, c Creator) (*History, string, error) {
	h, p, err := create(root, entries, c)
	if err != nil {
		return nil, "", fmt.Errorf("creating an ASC MHL history at %s: %w", root, err)
	}
	return h, p, nil
}

func create(root string, entries []Entry, c Creator) (*History, string, error) {
	if _, err := c.prepare(); err != nil {
		return nil, "", err
	}
	if err := checkEntries(entries); err != nil {
		return nil, "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, "", err
	}
	folder := filepath.Join(abs, Folder)
	existing, err := os.ReadDir(folder)
	if err == nil && slices.ContainsFunc(existing, isHistoryFile) {
		return nil, "", fmt.Errorf("it has one already: %w", fs.ErrExist)
	}
	made := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, "", err
	}
	h, err := open(abs, true)
	if err == nil {
		var p string
		if p, err = h.append(entries, c); err == nil {
			return h, p, nil
		}
	}
	if made {
		os.Remove(folder) // only if still empty: nothing else of ours is in it
	}
	return nil, "", err
}

func isHistoryFile(e fs.DirEntry) bool {
	return e.Name() == ChainFile || isManifestName(e.Name())
}

// written is a manifest Append wrote; path is "" when there was nothing to write.
type written struct{ path, c4 string }

// commit writes the new generations of this history and of the nested histories entries
// reach, deepest first so that each referring manifest can record the C4 ID of the
// manifests it refers to.
func (h *History) commit(entries []Entry, c Creator) (written, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	own, nested := h.route(entries)
	var refs []Reference
	for _, rel := range slices.Sorted(maps.Keys(nested)) {
		w, err := h.childAt(rel).commit(nested[rel], c)
		if err != nil {
			return written{}, err
		}
		if w.path != "" {
			refs = append(refs, Reference{Path: path.Join(rel, Folder, filepath.Base(w.path)), C4: w.c4})
		}
	}
	ignore := mergeIgnore(h.Generations)
	rules := newIgnoreList(ignore)
	own = slices.DeleteFunc(own, func(e Entry) bool { return rules.ignores(e.Path) })
	if len(own) == 0 && len(refs) == 0 {
		return written{}, nil
	}
	slices.SortFunc(own, func(a, b Entry) int { return cmp.Compare(a.Path, b.Path) })
	return h.write(manifest{creator: c, ignore: ignore, entries: own, references: refs})
}

// route splits entries between this history and the histories nested below its root,
// found on disk: an entry below a folder holding an ascmhl folder belongs to that nested
// history (the shallowest one, which routes further down itself), with its path made
// relative to it. The entries returned are copies the caller may change.
func (h *History) route(entries []Entry) (own []Entry, nested map[string][]Entry) {
	nested = map[string][]Entry{}
	isHistory := map[string]bool{}
	for _, e := range entries {
		e = normalized(e)
		dir, ok := h.nestedRoot(e.Path, isHistory)
		if !ok {
			own = append(own, e)
			continue
		}
		e.Path, _ = within(e.Path, dir)
		if e.PreviousPath != "" {
			if prev, inside := within(e.PreviousPath, dir); inside {
				e.PreviousPath = prev
			} else {
				e.PreviousPath = "" // renamed in from outside: the nested history never had it
			}
		}
		nested[dir] = append(nested[dir], e)
	}
	return own, nested
}

// nestedRoot returns the shallowest folder above rel that is the root of a nested history.
func (h *History) nestedRoot(rel string, isHistory map[string]bool) (string, bool) {
	for i, r := range rel {
		if r != '/' {
			continue
		}
		dir := rel[:i]
		known, seen := isHistory[dir]
		if !seen {
			info, err := os.Stat(filepath.Join(h.Root, filepath.FromSlash(dir), Folder))
			known = err == nil && info.IsDir()
			isHistory[dir] = known
		}
		if known {
			return dir, true
		}
	}
	return "", false
}

// childAt returns the nested history at rel, opening it when Open did not (it appeared
// since, or this history came from Find).
func (h *History) childAt(rel string) *History {
	for _, c := range h.Children {
		if c.rel == rel {
			return c
		}
	}
	c := &History{Root: filepath.Join(h.Root, filepath.FromSlash(rel)), rel: rel}
	if opened, err := open(c.Root, false); err == nil {
		opened.rel = rel
		c = opened
	}
	h.Children = append(h.Children, c)
	return c
}

// write puts the manifest in place under the next sequence number, then the chain.
func (h *History) write(m manifest) (written, error) {
	folder := filepath.Join(h.Root, Folder)
	base := filepath.Base(h.Root)
	if base == "." || base == string(filepath.Separator) || base == "" {
		return written{}, fmt.Errorf("%s has no folder name to name its manifests after", h.Root)
	}
	chain, number, err := currentChain(folder)
	if err != nil {
		return written{}, err
	}
	name := manifestName(number, h.Root, m.creator.Created)
	p := filepath.Join(folder, name)
	sum := hashes.C4.New()
	err = atomicfile.Write(p, 0o644, false, func(w io.Writer) error {
		return writeManifest(io.MultiWriter(w, sum), m)
	})
	if err != nil {
		return written{}, fmt.Errorf("writing %s: %w", p, err)
	}
	c4 := hashes.C4.Encode(sum.Sum(nil))
	chain = append(chain, chainEntry{Number: number, File: name, C4: c4})
	chainPath := filepath.Join(folder, ChainFile)
	if err := atomicfile.Write(chainPath, 0o644, true, func(w io.Writer) error { return writeChain(w, chain) }); err != nil {
		os.Remove(p) // a manifest the chain does not list would read as tampered with
		return written{}, fmt.Errorf("writing %s: %w", chainPath, err)
	}
	h.Generations = append(h.Generations, m.generation(number, name))
	return written{path: p, c4: c4}, nil
}

// currentChain reads the chain file as it is on disk now (another tool may have appended
// since Open), refusing one it could not rewrite faithfully, and returns the sequence
// number the next manifest takes: one past the highest in the chain and in the folder's
// file names, so that a new manifest never shares a number with an older one, listed or
// not.
func currentChain(folder string) (chain []chainEntry, next int, err error) {
	files, err := os.ReadDir(folder)
	if err != nil {
		return nil, 0, err
	}
	highest, manifests, chainThere := 0, false, false
	for _, f := range files {
		if n, ok := manifestNumber(f.Name()); ok {
			highest = max(highest, n)
		}
		manifests = manifests || isManifestName(f.Name())
		chainThere = chainThere || f.Name() == ChainFile
	}
	chainPath := filepath.Join(folder, ChainFile)
	switch {
	case !chainThere && manifests:
		return nil, 0, fmt.Errorf("%s is missing beside existing manifests: %w", chainPath, ErrChainUnusable)
	case !chainThere:
		return nil, 1, nil
	}
	chain, problems, err := loadChain(chainPath)
	switch {
	case err != nil:
		return nil, 0, fmt.Errorf("%s: %w: %w", chainPath, ErrChainUnusable, err)
	case len(problems) > 0:
		return nil, 0, fmt.Errorf("%w: %s", ErrChainUnusable, problems[0].Text)
	}
	for _, e := range chain {
		highest = max(highest, e.Number)
	}
	return chain, highest + 1, nil
}

// generation is the Generation m becomes once written as file name under number.
func (m manifest) generation(number int, name string) Generation {
	c := m.creator
	g := Generation{
		Number: number, File: name, Created: c.Created,
		Hostname: c.Hostname, Tool: c.Tool, ToolVersion: c.ToolVersion,
		Location: c.Location, Comment: c.Comment, Process: c.Process,
		Ignore: m.ignore, Entries: m.entries, References: m.references,
	}
	g.index(newNotes(name))
	return g
}

// normalized is e as the manifest will hold it, so that the generation kept in memory
// reads as the file does: its own copy of the hashes, in the order the schema lists the
// formats, hexadecimal ones in lower case, and dates to the precision they are written in.
func normalized(e Entry) Entry {
	e.ModTime = e.ModTime.Truncate(time.Second)
	hs := make([]Hash, 0, len(e.Hashes))
	for _, f := range schemaOrder {
		for _, h := range e.Hashes {
			if h.Format != f {
				continue
			}
			if f != hashes.C4 {
				h.Value = strings.ToLower(h.Value)
			}
			h.Date = h.Date.Truncate(time.Microsecond)
			hs = append(hs, h)
		}
	}
	e.Hashes = hs
	return e
}

// checkEntries checks entries against what the schema and the specification allow, so
// that no manifest written fails validation.
func checkEntries(entries []Entry) error {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if err := checkEntry(e); err != nil {
			return fmt.Errorf("the entry for %q: %w", e.Path, err)
		}
		if seen[e.Path] {
			return fmt.Errorf("the entry for %q is given twice; a manifest records a path once", e.Path)
		}
		seen[e.Path] = true
	}
	return nil
}

func checkEntry(e Entry) error {
	if err := checkRel(e.Path); err != nil {
		return err
	}
	if e.PreviousPath != "" {
		if err := checkRel(e.PreviousPath); err != nil {
			return fmt.Errorf("previous path: %w", err)
		}
	}
	if e.Size < 0 {
		return fmt.Errorf("the size %d is negative", e.Size)
	}
	if len(e.Hashes) == 0 {
		return errors.New("it has no hash; a record needs one at least")
	}
	formats := map[hashes.Format]bool{}
	for _, h := range e.Hashes {
		switch {
		case !slices.Contains(schemaOrder, h.Format):
			return fmt.Errorf("%q is not a hash format of ASC MHL", h.Format)
		case !h.Format.Valid(h.Value):
			return fmt.Errorf("%q is not a valid %s hash", h.Value, h.Format)
		case !h.Action.valid():
			return fmt.Errorf("the %s hash's action %q is none of original, verified and failed", h.Format, h.Action)
		case formats[h.Format]:
			return fmt.Errorf("it has two %s hashes; a record has one per format", h.Format)
		}
		formats[h.Format] = true
	}
	return nil
}

// emailPattern is the schema's EmailAddressAttributeType.
var emailPattern = regexp.MustCompile(`^[^@\r\n]+@[^.\r\n]+\.[^\r\n]+$`)

// prepare fills in what c leaves to defaults and checks the rest.
func (c Creator) prepare() (Creator, error) {
	if strings.TrimSpace(c.Tool) == "" {
		return c, errors.New("the creator names no tool; a manifest records the tool that wrote it")
	}
	if c.Process == "" {
		c.Process = Transfer
	}
	if !c.Process.valid() {
		return c, fmt.Errorf("%q is not an ASC MHL process (in-place, transfer or flatten)", c.Process)
	}
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	c.Created = c.Created.Truncate(time.Second) // as creationdate and the file name write it
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
	}
	texts := []string{c.Tool, c.ToolVersion, c.Hostname, c.Location, c.Comment}
	for _, a := range c.Authors {
		if a.Email != "" && !emailPattern.MatchString(a.Email) {
			return c, fmt.Errorf("the author's email %q is not an address", a.Email)
		}
		texts = append(texts, a.Name, a.Email, a.Phone, a.Role)
	}
	for _, s := range texts {
		if err := checkText(s); err != nil {
			return c, fmt.Errorf("the creator: %w", err)
		}
	}
	return c, nil
}

// checkText tells whether s can be written as XML unchanged.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not UTF-8", s)
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return fmt.Errorf("%q holds %U, which XML cannot carry", s, r)
		}
	}
	return nil
}
