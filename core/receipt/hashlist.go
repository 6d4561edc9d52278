package receipt

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// hashListResult is what writing a batch's hash lists did.
type hashListResult struct {
	written  []string // generation files
	problems []string
	where    string // where they went, for the report
	note     string // why there
}

// Why a hash list went where it did.
const (
	noteBeside       = "added to the offload's hash list beside the media"
	noteStarted      = "started beside the media"
	noteCard         = "in the reports folder: the media is on a camera card, which is the camera's"
	noteReadOnly     = "in the reports folder: the media's folder cannot be written"
	noteSettings     = "in the reports folder, as the settings ask"
	noteNoList       = "in the reports folder: the media's folder had no hash list (the settings start one beside media only when set to always)"
	noteBesideFailed = "in the reports folder: the hash list beside the media could not be added to"
)

// writeHashLists appends a generation for the files done since their receipts were last
// written, to each history they belong to: the offload's beside the media (their
// HashList) when it may be written, else a copy of it in the reports folder; files no
// history covers get one in the reports folder, or beside them when the settings say
// always.
func writeHashLists(cfg Config, batch, folder string, files []upload.FileView, at time.Time) hashListResult {
	var res hashListResult
	groups := map[string][]upload.FileView{} // history root → files
	var roots []string
	for _, v := range files {
		differs := v.State == upload.Failed && v.ErrorKind == upload.DiffersKind
		if v.State != upload.Done && !differs || len(v.Hashes) == 0 || !v.Receipted.IsZero() && !v.DoneAt.After(v.Receipted) {
			continue
		}
		root := v.HashList
		if root == "" {
			root = v.Root
		}
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], v)
	}
	creator := mhl.Creator{Tool: cfg.Tool, ToolVersion: cfg.ToolVersion, Created: at, Process: mhl.Transfer}
	var wheres, notes []string
	for _, root := range roots {
		group := groups[root]
		existing := group[0].HashList != ""
		if p := group[0].Project; p != "" {
			creator.Comment = "uploaded to the project " + p + " (Camera to Cloud)"
		}
		target, note := placeFor(cfg, root, existing)
		entries := entriesFor(root, group)
		var (
			path string
			err  error
		)
		copyOffload := existing
		if target == root {
			if path, err = appendBeside(root, existing, entries, creator); err != nil {
				// The history beside the media could not take it (a chain that does not
				// add up, a write refused): the reports folder keeps a history of its own
				// (a copy would carry what is wrong with it).
				res.problems = append(res.problems, "The hash list beside "+root+" could not be added to ("+err.Error()+"); a new one is kept in the reports folder.")
				target, note, copyOffload = "", noteBesideFailed, false
			}
		}
		if target != root {
			target = filepath.Join(cfg.Dir, "hash lists", batch, copyName(folder, root))
			path, err = appendCopy(root, target, copyOffload, entries, creator)
		}
		if err != nil {
			res.problems = append(res.problems, "The hash list for "+root+" could not be written: "+err.Error())
			continue
		}
		res.written = append(res.written, path)
		wheres, notes = append(wheres, filepath.Join(target, mhl.Folder)), appendOnce(notes, note)
	}
	res.where, res.note = strings.Join(wheres, "; "), strings.Join(notes, "; ")
	return res
}

// placeFor decides where the history of root goes: root itself, or (another answer) the
// reports folder, and why.
func placeFor(cfg Config, root string, existing bool) (string, string) {
	switch {
	case cfg.HashLists == HashListsReports:
		return "", noteSettings
	case media.OnCameraCard(root):
		return "", noteCard
	case !existing && cfg.HashLists != HashListsAlways:
		return "", noteNoList
	}
	dir := root
	if existing {
		dir = filepath.Join(root, mhl.Folder)
	}
	if !writable(dir) {
		return "", noteReadOnly
	}
	if existing {
		return root, noteBeside
	}
	return root, noteStarted
}

// copyName is the folder, below the batch's in the reports folder, of the copy of the
// history at root: its path from the batch folder's parent (two cards' Roll01 folders
// stay apart), or its name when it is not below it.
func copyName(folder, root string) string {
	rel, err := filepath.Rel(filepath.Dir(folder), root)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		// Not below the batch's folder (another path of the same add): its name and a
		// short hash of where it is, so two folders of one name stay apart.
		return filepath.Base(root) + " " + hashes.XXH3.Of([]byte(root))[:8]
	}
	return rel
}

// writable tells whether a file can be made in dir, by making one.
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".c2c-write-test-*")
	if err != nil {
		return false
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name) == nil
}

// entriesFor are the generation's records of files, by their path below root: the hash
// in the format the offload's list gave, compared, is verified or failed (the file
// differs), the others original.
func entriesFor(root string, files []upload.FileView) []mhl.Entry {
	out := make([]mhl.Entry, 0, len(files))
	for _, v := range files {
		e := mhl.Entry{Path: media.Below(root, v.Path), Size: v.Size, ModTime: v.ModTime}
		for _, s := range v.Hashes {
			action := mhl.Original
			switch v.Verdict() {
			case upload.VerdictMatched:
				if s.Format == v.Offload.Format {
					action = mhl.Verified
				}
			case upload.VerdictDiffers:
				// Every hash of bytes that failed the offload's list is failed: none may
				// stand later for what the file should be.
				action = mhl.Failed
			}
			e.Hashes = append(e.Hashes, mhl.Hash{Format: s.Format, Value: s.Value, Action: action, Date: v.DoneAt})
		}
		out = append(out, e)
	}
	return out
}

// appendBeside adds the generation to the history at root, or starts one there.
func appendBeside(root string, existing bool, entries []mhl.Entry, c mhl.Creator) (string, error) {
	if !existing {
		if h, err := mhl.Open(root); err == nil {
			return appendGeneration(h, entries, c) // started by an earlier batch of the same folder
		}
		_, path, err := mhl.Create(root, entries, c)
		return path, err
	}
	h, err := mhl.Open(root)
	if err != nil {
		return "", err
	}
	return appendGeneration(h, entries, c)
}

// appendGeneration appends the generation to h unless h's newest generation is this app's and
// records every entry as it is: written by a run that ended (a kill) before it marked the
// files, it is not written twice.
func appendGeneration(h *mhl.History, entries []mhl.Entry, c mhl.Creator) (string, error) {
	if n := len(h.Generations); n > 0 {
		g := h.Generations[n-1]
		if g.Tool == c.Tool && holdsAll(g, entries) {
			return filepath.Join(h.Root, mhl.Folder, g.File), nil
		}
	}
	return h.Append(entries, c)
}

// holdsAll tells whether g records every hash of entries, as they are.
func holdsAll(g mhl.Generation, entries []mhl.Entry) bool {
	have := map[string]string{}
	for _, e := range g.Entries {
		for _, x := range e.Hashes {
			have[e.Path+"\x00"+string(x.Format)] = x.Value
		}
	}
	for _, e := range entries {
		for _, x := range e.Hashes {
			if have[e.Path+"\x00"+string(x.Format)] != x.Value {
				return false
			}
		}
	}
	return true
}

// appendCopy adds the generation to the history kept in the reports folder at target for
// the media at root: the first time, a copy of the offload's history (its generations and
// chain) when there is one, so the copy is the whole chain continued.
func appendCopy(root, target string, existing bool, entries []mhl.Entry, c mhl.Creator) (string, error) {
	if h, err := mhl.Open(target); err == nil {
		return appendGeneration(h, entries, c)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if existing {
		// Copied beside, then put in place whole: a copy cut short is never taken for
		// the history.
		partial := filepath.Join(target, ".copying-"+mhl.Folder)
		_ = os.RemoveAll(partial)
		if err := copyHistory(filepath.Join(root, mhl.Folder), partial); err != nil {
			return "", err
		}
		if err := os.Rename(partial, filepath.Join(target, mhl.Folder)); err != nil {
			return "", err
		}
		h, err := mhl.Open(target)
		if err != nil {
			return "", err
		}
		return h.Append(entries, c)
	}
	_, path, err := mhl.Create(target, entries, c)
	return path, err
}

// copyHistory copies the files of an ascmhl folder (its generations and chain).
func copyHistory(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
