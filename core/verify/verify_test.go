package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
	"github.com/c2c-uploader/c2c-uploader/core/verify"
)

// receipts is a fake of the journal's receipts (store/journal's ReceiptsUnder): the
// files given, those at or below the path asked.
type receipts []upload.File

func (r receipts) ReceiptsUnder(_ context.Context, path string) ([]upload.File, error) {
	var out []upload.File
	for _, f := range r {
		if f.Path == path || strings.HasPrefix(f.Path, path+string(filepath.Separator)) {
			out = append(out, f)
		}
	}
	return out, nil
}

// receiptOf is this app's receipt of the file at path as it is now: what its upload
// sent, hashed in xxh64 and md5.
func receiptOf(t *testing.T, id upload.FileID, path string) upload.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return upload.File{
		ID: id, Path: path, Name: filepath.Base(path), Size: int64(len(b)), State: upload.Done, DoneAt: time.Now(),
		Hashes: hashes.Sums{{Format: hashes.XXH64, Value: hashes.XXH64.Of(b)}, {Format: hashes.MD5, Value: hashes.MD5.Of(b)}},
	}
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// history starts the offload's history at root listing each rel with the xxh64 given.
func history(t *testing.T, root string, listed map[string]string) {
	t.Helper()
	var entries []mhl.Entry
	for rel, v := range listed {
		entries = append(entries, mhl.Entry{Path: rel, Size: 1, Hashes: []mhl.Hash{{Format: hashes.XXH64, Value: v, Action: mhl.Original}}})
	}
	c := mhl.Creator{Tool: "offload-tool", Hostname: "dit-cart", Created: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), Process: mhl.InPlace}
	if _, _, err := mhl.Create(root, entries, c); err != nil {
		t.Fatal(err)
	}
}

func xxh64(s string) string { return hashes.XXH64.Of([]byte(s)) }

// card is an offload's copy of a card: A001 with an ascmhl history listing clip1, clip2
// and sub/clip3 with their hashes; clip1 and clip2 were uploaded from here (this app's
// receipts), sub/clip3 was not.
type card struct {
	root                string
	clip1, clip2, clip3 string
	rec                 receipts
}

func newCard(t *testing.T) card {
	t.Helper()
	c := card{root: filepath.Join(t.TempDir(), "A001")}
	c.clip1 = write(t, filepath.Join(c.root, "clip1.mov"), "the first clip")
	c.clip2 = write(t, filepath.Join(c.root, "clip2.mov"), "the second clip")
	c.clip3 = write(t, filepath.Join(c.root, "sub", "clip3.mov"), "the third clip")
	history(t, c.root, map[string]string{
		"clip1.mov": xxh64("the first clip"), "clip2.mov": xxh64("the second clip"), "sub/clip3.mov": xxh64("the third clip"),
	})
	c.rec = receipts{receiptOf(t, 1, c.clip1), receiptOf(t, 2, c.clip2)}
	return c
}

// run verifies paths and fails the test on an error.
func run(t *testing.T, rec verify.Receipts, paths ...string) ([]verify.Result, []string) {
	t.Helper()
	results, problems, err := verify.Run(context.Background(), paths, rec)
	if err != nil {
		t.Fatalf("Run(%q): %v", paths, err)
	}
	return results, problems
}

// byPath are the results by the file's path; a file with two results fails the test.
func byPath(t *testing.T, results []verify.Result) map[string]verify.Result {
	t.Helper()
	out := map[string]verify.Result{}
	for _, r := range results {
		if _, ok := out[r.Path]; ok {
			t.Errorf("%s has two results", r.Path)
		}
		out[r.Path] = r
	}
	return out
}

// expectVerdicts checks that results are exactly want (path → verdict), and that each
// detail that is not a match says the words in details (path → a part of the sentence).
func expectVerdicts(t *testing.T, results []verify.Result, want map[string]string, details map[string]string) {
	t.Helper()
	got := byPath(t, results)
	for p, v := range want {
		r, ok := got[p]
		switch {
		case !ok:
			t.Errorf("no result for %s; want %s", p, v)
		case r.Verdict != v:
			t.Errorf("%s: %s (%s); want %s", p, r.Verdict, r.Detail, v)
		case r.OK() != (v == verify.Matches):
			t.Errorf("%s: OK() is %v for %s", p, r.OK(), r.Verdict)
		}
		if d := details[p]; ok && d != "" && !strings.Contains(r.Detail, d) {
			t.Errorf("%s: the detail %q does not say %q", p, r.Detail, d)
		}
	}
	for p, r := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected result for %s: %s (%s)", p, r.Verdict, r.Detail)
		}
	}
}

func noProblems(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
}

// Files as their receipts and their history say: every one uploaded matches, whether
// verified by naming the card's folder (which holds the history), a folder below it, or
// each file; one only the history has, never uploaded from here, is said to be so (its
// bytes are as the offload hashed them, but it is not in the project from here).
func TestVerifyEveryFileMatchesItsReceiptAndHistory(t *testing.T) {
	c := newCard(t)
	all := map[string]string{c.clip1: verify.Matches, c.clip2: verify.Matches, c.clip3: verify.NotUploaded}
	t.Run("the folder holding the history", func(t *testing.T) {
		results, problems := run(t, c.rec, c.root)
		noProblems(t, problems)
		expectVerdicts(t, results, all, map[string]string{
			c.clip1: "the upload's receipt and the offload's hash list", c.clip3: "the offload's hash list",
		})
	})
	t.Run("each file", func(t *testing.T) {
		results, problems := run(t, c.rec, c.clip1, c.clip2, c.clip3)
		noProblems(t, problems)
		expectVerdicts(t, results, all, map[string]string{
			c.clip1: "the upload's receipt and the offload's hash list", c.clip3: "the offload's hash list",
		})
	})
	t.Run("a folder below the history", func(t *testing.T) {
		results, problems := run(t, c.rec, filepath.Join(c.root, "sub"))
		noProblems(t, problems)
		expectVerdicts(t, results, map[string]string{c.clip3: verify.NotUploaded}, nil)
	})
}

// One byte changed (the size kept): the file differs from its receipt; a file only the
// history has differs from the hash list.
func TestVerifyOneByteChangedDiffers(t *testing.T) {
	c := newCard(t)
	write(t, c.clip1, "the first clap")
	write(t, c.clip3, "the third clap")
	results, problems := run(t, c.rec, c.clip1, c.clip2, c.clip3)
	noProblems(t, problems)
	expectVerdicts(t, results,
		map[string]string{c.clip1: verify.Differs, c.clip2: verify.Matches, c.clip3: verify.Differs},
		map[string]string{c.clip1: "differs from what was uploaded", c.clip3: "differs from the offload's hash list"})
	if r := byPath(t, results)[c.clip1]; !strings.Contains(r.Detail, xxh64("the first clap")) || !strings.Contains(r.Detail, xxh64("the first clip")) {
		t.Errorf("the detail of the changed file does not give both hashes: %q", r.Detail)
	}
}

// A file deleted since it was uploaded (or since the offload listed it) is missing.
func TestVerifyDeletedFileIsMissing(t *testing.T) {
	c := newCard(t)
	for _, p := range []string{c.clip2, c.clip3} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	results, problems := run(t, c.rec, c.root)
	noProblems(t, problems)
	expectVerdicts(t, results,
		map[string]string{c.clip1: verify.Matches, c.clip2: verify.Missing, c.clip3: verify.Missing},
		map[string]string{c.clip2: "not on disk", c.clip3: "not on disk"})
	// Named alone, a deleted file is missing too.
	results, _ = run(t, c.rec, c.clip2)
	expectVerdicts(t, results, map[string]string{c.clip2: verify.Missing}, nil)
}

// A file no receipt and no history has: nothing says what it should be.
func TestVerifyFileWithoutRecordIsUnknown(t *testing.T) {
	c := newCard(t)
	stray := write(t, filepath.Join(t.TempDir(), "elsewhere", "stray.mov"), "a file never uploaded")
	results, problems := run(t, c.rec, stray)
	noProblems(t, problems)
	expectVerdicts(t, results, map[string]string{stray: verify.Unknown}, map[string]string{stray: "No receipt"})
	// A file added to the card's folder after the offload, never uploaded: neither lists it.
	late := write(t, filepath.Join(c.root, "late.mov"), "added later")
	results, _ = run(t, c.rec, late)
	expectVerdicts(t, results, map[string]string{late: verify.Unknown}, nil)
}

// A history listing a file with another hash than its bytes': the file differs, and the
// detail says it is the hash list it differs from.
func TestVerifyHistoryWithAWrongHashDiffers(t *testing.T) {
	root := filepath.Join(t.TempDir(), "B002")
	good := write(t, filepath.Join(root, "good.mov"), "good bytes")
	bad := write(t, filepath.Join(root, "bad.mov"), "bytes the offload did not read")
	history(t, root, map[string]string{"good.mov": xxh64("good bytes"), "bad.mov": xxh64("bytes the offload read")})
	// Uploaded as they are: the receipts agree with the bytes, the history does not.
	rec := receipts{receiptOf(t, 1, good), receiptOf(t, 2, bad)}
	for _, paths := range [][]string{{good, bad}, {root}} {
		results, problems := run(t, rec, paths...)
		noProblems(t, problems)
		expectVerdicts(t, results, map[string]string{good: verify.Matches, bad: verify.Differs},
			map[string]string{bad: "differs from the offload's hash list"})
		if r := byPath(t, results)[bad]; !strings.Contains(r.Detail, xxh64("bytes the offload read")) {
			t.Errorf("verifying %q: the detail does not give the list's hash: %q", paths, r.Detail)
		}
	}
}

// A malformed generation in the history is a problem; the files are still verified with
// what could be read.
func TestVerifyMalformedGenerationIsAProblemAndTheRestIsVerified(t *testing.T) {
	c := newCard(t)
	h, err := mhl.Open(c.root)
	if err != nil {
		t.Fatal(err)
	}
	late := write(t, filepath.Join(c.root, "late.mov"), "recorded in the second generation")
	gen2, err := h.Append([]mhl.Entry{{Path: "late.mov", Size: 33, Hashes: []mhl.Hash{{Format: hashes.XXH64, Value: xxh64("recorded in the second generation"), Action: mhl.Original}}}},
		mhl.Creator{Tool: "offload-tool", Created: time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC), Process: mhl.InPlace})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gen2, []byte("<?xml version=\"1.0\"?>\n<hashlist version=\"2.0\" xmlns=\"urn:ASC:MHL:v2.0\"><hashes><hash>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{c.root}, {c.clip1, c.clip2, c.clip3, late}} {
		results, problems := run(t, c.rec, paths...)
		if len(problems) == 0 {
			t.Errorf("verifying %q: no problem for the malformed %s", paths, gen2)
		}
		mentions := false
		for _, p := range problems {
			mentions = mentions || strings.Contains(p, filepath.Base(gen2))
		}
		if !mentions {
			t.Errorf("verifying %q: no problem names %s: %q", paths, filepath.Base(gen2), problems)
		}
		expectVerdicts(t, results, map[string]string{
			c.clip1: verify.Matches, c.clip2: verify.Matches, c.clip3: verify.NotUploaded,
			// Only the malformed generation listed it: nothing says what it should be.
			late: verify.Unknown,
		}, nil)
	}
}

// A folder holding the copies of two cards, each with its own history: each file is
// compared with its card's history, as when the files are named one by one.
func TestVerifyFolderOfSeveralCardsComparesEachFileWithItsCardsHistory(t *testing.T) {
	day := filepath.Join(t.TempDir(), "Day 1")
	good := write(t, filepath.Join(day, "A001", "C001.mov"), "camera A")
	bad := write(t, filepath.Join(day, "B001", "C001.mov"), "camera B, not what was offloaded")
	history(t, filepath.Join(day, "A001"), map[string]string{"C001.mov": xxh64("camera A")})
	history(t, filepath.Join(day, "B001"), map[string]string{"C001.mov": xxh64("camera B")})
	rec := receipts{receiptOf(t, 1, good), receiptOf(t, 2, bad)}
	for _, paths := range [][]string{{good, bad}, {day}} {
		results, problems := run(t, rec, paths...)
		noProblems(t, problems)
		expectVerdicts(t, results, map[string]string{good: verify.Matches, bad: verify.Differs},
			map[string]string{good: "the offload's hash list", bad: "differs from the offload's hash list"})
	}
}
