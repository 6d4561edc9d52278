package mhl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Find returns the history covering the file at p: that of the nearest folder at or above
// the file's folder holding an ascmhl folder. It returns nil, nil when there is none.
// To look up many files, use a Finder.
func Find(p string) (*History, error) {
	var f Finder
	return f.Find(p)
}

// Finder finds the histories covering files, remembering every folder it has looked at
// and every history it has read, so that the files of one card cost one walk up and one
// read. Its zero value is ready; it is safe for concurrent use.
//
// The histories it returns are read without looking for nested histories below their
// root: none of those could cover a file the history was found for, since Find would have
// found the nested one first.
type Finder struct {
	mu        sync.Mutex
	roots     map[string]string   // folder → root of the history covering it, "" for none
	histories map[string]*History // root → its history
	// What Look met: each problem once, and the histories whose problems are in it.
	problems []string
	noted    map[*History]bool
}

// Look is Find for a caller that goes on without a history: one that cannot be read is
// nil. What could not be read, and the problems of every history found, are kept once
// each for Problems.
func (f *Finder) Look(p string) *History {
	h, err := f.Find(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.note("The hash list above " + p + " could not be read: " + err.Error())
		return nil
	}
	if h != nil && !f.noted[h] {
		if f.noted == nil {
			f.noted = map[*History]bool{}
		}
		f.noted[h] = true
		for _, pr := range h.AllProblems() {
			f.note(pr.String())
		}
	}
	return h
}

func (f *Finder) note(problem string) {
	if !slices.Contains(f.problems, problem) {
		f.problems = append(f.problems, problem)
	}
}

// Problems are what Look met, one sentence each, in the order met.
func (f *Finder) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

// Find returns the history covering the file at p, as the function Find does.
func (f *Finder) Find(p string) (*History, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("finding the ASC MHL history of %s: %w", p, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.roots == nil {
		f.roots, f.histories = map[string]string{}, map[string]*History{}
	}
	root, err := f.rootOf(filepath.Dir(abs))
	if err != nil || root == "" {
		return nil, err
	}
	if h, ok := f.histories[root]; ok {
		return h, nil
	}
	h, err := open(root, false)
	if err != nil {
		return nil, err
	}
	f.histories[root] = h
	return h, nil
}

// rootOf walks up from dir to the nearest folder holding an ascmhl folder, stopping at a
// folder already looked at, and remembers the answer for every folder it passed.
func (f *Finder) rootOf(dir string) (string, error) {
	var passed []string
	root := ""
	for d := dir; ; {
		if known, ok := f.roots[d]; ok {
			root = known
			break
		}
		passed = append(passed, d)
		has, err := holdsHistory(d)
		if err != nil {
			return "", err
		}
		if has {
			root = d
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	for _, d := range passed {
		f.roots[d] = root
	}
	return root, nil
}

// holdsHistory tells whether dir holds a history: an ascmhl folder (not a link to one
// elsewhere) with a chain file or a generation in it. An empty or unrelated folder of that
// name is not one, and nothing is written into it.
func holdsHistory(dir string) (bool, error) {
	folder := filepath.Join(dir, Folder)
	info, err := os.Lstat(folder)
	switch {
	case err == nil:
		if !info.IsDir() {
			return false, nil
		}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return false, nil
	default:
		return false, fmt.Errorf("looking for an ASC MHL history in %s: %w", dir, err)
	}
	return IsHistoryFolder(folder), nil
}

// IsHistoryFolder tells whether folder is an ascmhl folder with a history in it: its
// chain file, or a generation.
func IsHistoryFolder(folder string) bool {
	if !strings.EqualFold(filepath.Base(folder), Folder) {
		return false
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		return false
	}
	for _, e := range entries {
		name := e.Name()
		if name == ChainFile || strings.HasSuffix(strings.ToLower(name), Extension) && e.Type().IsRegular() {
			return true
		}
	}
	return false
}
