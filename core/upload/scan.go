package upload

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

// MaxFileSize is the largest object the storage takes (5 TiB).
const MaxFileSize = 5497558138880

// fingerprintSpan is how much of each end of a file the quick fingerprint reads.
const fingerprintSpan = 16 << 10

// notHashList is why the offload's record of a card (its ASC MHL history folder) is not
// uploaded: it is read for the files' hashes.
const notHashList = "the offload's hash list (ASC MHL), not media: skipped"

// scanner expands the paths given to Add into files that can be uploaded, and says why
// the others cannot.
type scanner struct {
	now      time.Time
	root     string // the path named that the scan is in
	files    []File
	roots    []string // of each file
	rejected []Rejection
	seen     map[string]bool
}

// scanPaths finds the files below paths, each with its category (core/media: the files
// found together are judged together, so a proxy is known by its original beside it).
//
// Files the filter leaves out are returned as rejections marked LeftOut. folder, when
// set, is the watched folder the paths were found in (AddOptions.Folder): their root.
func scanPaths(paths []string, now time.Time, filter media.Filter, folder string) ([]File, []Rejection) {
	s := &scanner{now: now, seen: map[string]bool{}}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			s.reject(p, "the path cannot be resolved: "+err.Error())
			continue
		}
		s.root = abs
		if folder != "" {
			s.root = folder
		}
		s.visit(abs, folder == "", nil)
	}
	classify(s.files, s.roots)
	if filter.Empty() {
		return s.files, s.rejected
	}
	kept := s.files[:0]
	for i, f := range s.files {
		if why := filter.LeftOut(media.Below(s.roots[i], f.Path), f.Category); why != "" {
			s.rejected = append(s.rejected, Rejection{Path: f.Path, Reason: why, LeftOut: true})
			continue
		}
		kept = append(kept, f)
	}
	return kept, s.rejected
}

// classify sets the category of files, found below roots (one each).
func classify(files []File, roots []string) {
	in := make([]media.File, len(files))
	for i := range files {
		in[i] = media.File{Path: files[i].Path, Root: roots[i], Size: files[i].Size}
	}
	for i, c := range media.Classify(in) {
		files[i].Category = c
	}
}

func (s *scanner) reject(path, reason string) {
	s.rejected = append(s.rejected, Rejection{Path: path, Reason: reason})
}

// visit looks at one path: a file to queue, a folder to expand (ancestors guards against
// symlink loops), or something to refuse. explicit paths were named by the user; paths
// found inside folders skip hidden files and OS litter silently.
func (s *scanner) visit(path string, explicit bool, ancestors []os.FileInfo) {
	name := filepath.Base(path)
	if !explicit && (media.Hidden(name) || media.Litter(name)) {
		return
	}
	if explicit && media.Litter(name) {
		s.reject(path, "a system file, not media: skipped")
		return
	}

	lfi, err := os.Lstat(path)
	if err != nil {
		s.reject(path, describeStatError(err))
		return
	}
	fi := lfi
	if lfi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = os.Stat(path); err != nil {
			s.reject(path, "a link to something that cannot be found: "+describeStatError(err))
			return
		}
	}
	switch {
	case fi.IsDir() && mhl.IsHistoryFolder(path):
		if explicit {
			s.reject(path, notHashList)
		}
	case fi.IsDir():
		for _, a := range ancestors {
			if os.SameFile(a, fi) {
				s.reject(path, "a link back into a folder above it (a loop): skipped")
				return
			}
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			s.reject(path, "the folder cannot be read: "+describeStatError(err))
			return
		}
		anc := append(ancestors[:len(ancestors):len(ancestors)], fi)
		for _, e := range entries {
			s.visit(filepath.Join(path, e.Name()), false, anc)
		}
	case fi.Mode().IsRegular() && mhl.IsHistoryFolder(filepath.Dir(path)):
		if explicit {
			s.reject(path, notHashList)
		}
	case fi.Mode().IsRegular():
		if s.seen[path] {
			return
		}
		s.seen[path] = true
		f, reason := s.describe(path, fi)
		if reason != "" {
			s.reject(path, reason)
			return
		}
		f.Root = s.root
		if s.root == path {
			f.Root = filepath.Dir(path) // a file named alone: its folder is its batch's
		}
		s.files = append(s.files, f)
		s.roots = append(s.roots, s.root)
	default:
		s.reject(path, "not a regular file (a device, pipe or socket): skipped")
	}
}

// describe makes the queue record of a regular file, or says why it cannot be uploaded.
func (s *scanner) describe(path string, fi os.FileInfo) (File, string) {
	if fi.Size() > MaxFileSize {
		return File{}, "larger than 5 TiB, the most the storage takes in one file"
	}
	fp, err := fingerprint(path, fi.Size())
	if err != nil {
		return File{}, "cannot be read: " + describeStatError(err)
	}
	mtime := fi.ModTime()
	created := mtime
	if bt := birthTime(path); !bt.IsZero() && bt.Before(mtime) {
		created = bt
	}
	return File{
		Path:         path,
		Name:         AssetName(path),
		Size:         fi.Size(),
		ModTime:      mtime,
		Fingerprint:  fp,
		Filetype:     Filetype(path),
		MediaCreated: created,
		State:        Queued,
		RequestID:    uuid.NewString(), // of its first asset creation
		AddedAt:      s.now,
		UpdatedAt:    s.now,
	}, ""
}

// AssetName is the name the asset gets: the file's base name, as valid UTF-8 in NFC (a
// Mac writes names decomposed; the web app shows them composed).
func AssetName(path string) string {
	return norm.NFC.String(strings.ToValidUTF8(filepath.Base(path), "\uFFFD"))
}

// fingerprint reads the first and last 16 KiB of a file: enough to tell a file that was
// replaced by another of the same size and date, cheap enough for thousands of files.
func fingerprint(path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	var buf [8 + fingerprintSpan]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(size))
	h.Write(buf[:8])
	// Two reads into one buffer on the stack: a card's thousands of files are fingerprinted
	// as they are added.
	head := buf[:min(size, fingerprintSpan)]
	if _, err := f.ReadAt(head, 0); err != nil {
		return "", err
	}
	h.Write(head)
	if size > 2*fingerprintSpan {
		tail := buf[:fingerprintSpan]
		if _, err := f.ReadAt(tail, size-fingerprintSpan); err != nil {
			return "", err
		}
		h.Write(tail)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func describeStatError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "not found (moved or deleted?)"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var errNotRegular = errors.New("no longer a regular file")

// checkUnchanged compares a file on disk with its queue record.
func checkUnchanged(f *File) (changed bool, reason string, err error) {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return false, "", err
	}
	if !fi.Mode().IsRegular() {
		return false, "", errNotRegular
	}
	if fi.Size() != f.Size || !fi.ModTime().Equal(f.ModTime) {
		return true, fmt.Sprintf("the file changed since it was queued (%d → %d bytes)", f.Size, fi.Size()), nil
	}
	return false, "", nil
}
