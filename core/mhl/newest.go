package mhl

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// Newest returns the hashes the history holds for the file at rel (relative to Root,
// "/"-separated): those of the newest generation that records the file with a hash not
// marked failed, every such hash it lists there, in the order listed. A file below a
// nested history is answered by that history first, as the specification keeps a file's
// records in the history closest to it; the records this history may hold from before the
// nested one existed answer after it. Renames are followed: a record with a previous path
// continues with the records of that path in the generations before it. ok is false when
// the history holds no usable hash for the file.
func (h *History) Newest(rel string) (hashes.Sums, bool) {
	rel = cleanRel(rel)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.Children {
		if sub, ok := within(rel, c.rel); ok {
			if sums, ok := c.Newest(sub); ok {
				return sums, true
			}
			break
		}
	}
	return h.newestOwn(rel)
}

// newestOwn looks in this history's own generations, newest first.
func (h *History) newestOwn(rel string) (hashes.Sums, bool) {
	name := rel
	for i := len(h.Generations) - 1; i >= 0; i-- {
		g := &h.Generations[i]
		if e, ok := g.entry(name); ok {
			if sums := usable(e.Hashes); len(sums) > 0 {
				return sums, true
			}
			if e.PreviousPath != "" {
				name = e.PreviousPath
			}
			continue
		}
		if former, ok := g.formerName(name); ok {
			name = former
			continue
		}
		if g.wasMoved(name) {
			return nil, false // the records under this name before g are another file's
		}
	}
	return nil, false
}

func (g *Generation) entry(p string) (Entry, bool) {
	i, ok := g.byPath[p]
	if !ok {
		return Entry{}, false
	}
	return g.Entries[i], true
}

// formerName returns the path a file had before a folder above it was renamed in g.
func (g *Generation) formerName(p string) (string, bool) {
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if prev, ok := g.folderMoves[dir]; ok {
			return prev + p[len(dir):], true
		}
	}
	return "", false
}

// wasMoved tells whether g renamed p, or a folder above it, to another path.
func (g *Generation) wasMoved(p string) bool {
	for ; p != "."; p = path.Dir(p) {
		if g.movedAway[p] {
			return true
		}
	}
	return false
}

// usable is the hashes not marked failed: a failed hash records what a damaged copy had,
// and the specification forbids verifying against it.
func usable(hs []Hash) hashes.Sums {
	var out hashes.Sums
	for _, h := range hs {
		if h.Action != Failed {
			out = append(out, hashes.Sum{Format: h.Format, Value: h.Value})
		}
	}
	return out
}

// Rel returns the path of the file at p relative to Root, "/"-separated, as the history
// records it; ok is false for a file outside Root or inside its ascmhl folder.
func (h *History) Rel(p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(h.Root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	if rel == Folder || strings.HasPrefix(rel, Folder+"/") {
		return "", false
	}
	return rel, true
}

// cleanRel accepts a relative path written with the system's separator or a leading "./".
func cleanRel(rel string) string {
	return strings.TrimPrefix(filepath.ToSlash(rel), "./")
}
