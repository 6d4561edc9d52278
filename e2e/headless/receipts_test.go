package headless

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// offloadHistory writes the offload's ASC MHL history of root (as a DIT's offload tool
// would): each file of listed with the xxh64 given.
func offloadHistory(t *testing.T, root string, listed map[string]string) {
	t.Helper()
	var entries []mhl.Entry
	for name, sum := range listed {
		fi, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, mhl.Entry{Path: name, Size: fi.Size(), ModTime: fi.ModTime(),
			Hashes: []mhl.Hash{{Format: hashes.XXH64, Value: sum, Action: mhl.Original}}})
	}
	c := mhl.Creator{Tool: "offload-tool", ToolVersion: "3.1", Hostname: "dit-cart", Created: time.Now().Add(-time.Hour), Process: mhl.InPlace}
	if _, _, err := mhl.Create(root, entries, c); err != nil {
		t.Fatal(err)
	}
}

// xxh64Of is the xxh64 of the file at path.
func xxh64Of(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return hashes.XXH64.Of(b)
}

// validateMHL checks an ASC MHL file against the schema vendored in core/mhl's testdata
// with xmllint (as core/mhl's tests do).
func validateMHL(t *testing.T, schema, file string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is not on PATH (%v): install libxml2-utils; the hash lists the app writes must be checked against the ASC MHL schemas", err)
	}
	xsd := filepath.Join("..", "..", "core", "mhl", "testdata", "xsd", schema)
	if out, err := exec.Command(bin, "--noout", "--schema", xsd, file).CombinedOutput(); err != nil {
		t.Errorf("%s does not validate against %s: %v\n%s", file, schema, err, out)
	}
}

// lineNaming is the line of out that names path after a verdict ("<verdict> <path>:"),
// "" when none does.
func lineNaming(out, verdict, path string) string {
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(verdict) + `\s+` + regexp.QuoteMeta(path) + `: .*$`)
	return re.FindString(out)
}

// TestReceiptsAndVerifyAfterUploadingAnOffloadWithAHashList: a folder with the offload's
// ASC MHL history (right hashes for two files, a wrong one for the third) uploads with
// exit 1, the third failed as differing from the hash list; the report is written and
// listed by report; the history beside the media gets a valid generation of this app;
// verify then names the file that differs, one that was changed since, and one deleted,
// and passes a file that is as it was.
func TestReceiptsAndVerifyAfterUploadingAnOffloadWithAHashList(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	pair(ctx, t, e, "Receipts Project", nil)

	dir := filepath.Join(t.TempDir(), "A001")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good1, _ := writeFile(t, dir, "A001C001.mov", 200<<10)
	good2, _ := writeFile(t, dir, "A001C002.wav", 70<<10)
	wrong, _ := writeFile(t, dir, "A001C003.mov", 90<<10)
	offloadSum := hashes.XXH64.Of([]byte("the bytes the offload read"))
	offloadHistory(t, dir, map[string]string{
		filepath.Base(good1): xxh64Of(t, good1), filepath.Base(good2): xxh64Of(t, good2), filepath.Base(wrong): offloadSum,
	})

	up := run(ctx, t, e, nil, "upload", dir)
	expectCode(t, "upload of a folder with a file that differs from its hash list", up, 1)
	if line := regexp.MustCompile(`(?m)^\s*failed ` + regexp.QuoteMeta(wrong) + `: .*$`).FindString(up.Stderr); !strings.Contains(line, "differs from the offload's hash list") {
		t.Errorf("upload does not list %s as failed, differing from the offload's hash list:\n%s", wrong, up.Stderr)
	}
	if regexp.MustCompile(`(?m)^\s*failed `+regexp.QuoteMeta(good1)).MatchString(up.Stderr) ||
		regexp.MustCompile(`(?m)^\s*failed `+regexp.QuoteMeta(good2)).MatchString(up.Stderr) {
		t.Errorf("upload lists a file whose hash matched as failed:\n%s", up.Stderr)
	}
	reportPage := regexp.MustCompile(`(?m)^Report: (.+\.html)$`).FindStringSubmatch(up.Stderr)
	if reportPage == nil {
		t.Fatalf("upload's stderr has no \"Report: …html\" line:\n%s", up.Stderr)
	}
	if _, err := os.Stat(reportPage[1]); err != nil {
		t.Errorf("the report page upload names: %v", err)
	}
	listed := regexp.MustCompile(`(?m)^Hash list: (.+\.mhl)$`).FindStringSubmatch(up.Stderr)
	if listed == nil || filepath.Dir(listed[1]) != filepath.Join(dir, mhl.Folder) {
		t.Fatalf("upload's stderr names no hash list in %s:\n%s", filepath.Join(dir, mhl.Folder), up.Stderr)
	}

	// The history beside the media: the offload's generation, then this app's, valid
	// and chained.
	h, err := mhl.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range h.AllProblems() {
		t.Errorf("the history beside the media has a problem: %s", p)
	}
	if len(h.Generations) != 2 || h.Generations[1].File != filepath.Base(listed[1]) {
		t.Fatalf("the history beside the media has %d generations; want the offload's, then %s", len(h.Generations), filepath.Base(listed[1]))
	}
	validateMHL(t, "ASCMHL.xsd", listed[1])
	chainPath := filepath.Join(dir, mhl.Folder, mhl.ChainFile)
	validateMHL(t, "ASCMHLDirectory.xsd", chainPath)
	var chain struct {
		Rows []struct {
			Path string `xml:"path"`
			C4   string `xml:"c4"`
		} `xml:"hashlist"`
	}
	if b, err := os.ReadFile(chainPath); err != nil || xml.Unmarshal(b, &chain) != nil || len(chain.Rows) != 2 {
		t.Fatalf("the chain file: %v; rows %+v", err, chain.Rows)
	}
	if b, err := os.ReadFile(listed[1]); err != nil || chain.Rows[1].C4 != hashes.C4.Of(b) {
		t.Errorf("the chain records %s for %s; its bytes' C4 ID differs (%v)", chain.Rows[1].C4, chain.Rows[1].Path, err)
	}
	actions := map[string]mhl.Action{}
	for _, en := range h.Generations[1].Entries {
		for _, hs := range en.Hashes {
			if hs.Format == hashes.XXH64 {
				actions[en.Path] = hs.Action
			}
		}
	}
	for name, want := range map[string]mhl.Action{filepath.Base(good1): mhl.Verified, filepath.Base(good2): mhl.Verified, filepath.Base(wrong): mhl.Failed} {
		if actions[name] != want {
			t.Errorf("this app's generation records %s as %q, want %q (all: %v)", name, actions[name], want, actions)
		}
	}

	// report.
	last := run(ctx, t, e, nil, "report", "--last")
	expectCode(t, "report --last", last, 0)
	base := strings.TrimSuffix(reportPage[1], ".html")
	expectContains(t, "report --last", last.Stdout, "page: "+base+".html", "csv:  "+base+".csv", "json: "+base+".json")
	for _, ext := range []string{".csv", ".json"} {
		if _, err := os.Stat(base + ext); err != nil {
			t.Errorf("the report's %s: %v", ext, err)
		}
	}
	rj := run(ctx, t, e, nil, "report", "--json")
	expectCode(t, "report --json", rj, 0)
	reps := ofType(jsonLines(t, "report --json", rj.Stdout), "report")
	if len(reps) != 1 || reps[0]["html"] != base+".html" || reps[0]["files"] != float64(3) || reps[0]["differs"] != float64(1) {
		t.Errorf("report --json: %v; want one report of 3 files, 1 differing, page %s.html", reps, base)
	}
	nosuch := run(ctx, t, e, nil, "report", "nosuch")
	expectCode(t, "report nosuch", nosuch, 1)
	expectOneSentence(t, "report nosuch", nosuch)
	expectContains(t, "report nosuch", nosuch.Stderr, "nosuch")

	// verify.
	all := run(ctx, t, e, nil, "verify", dir)
	expectCode(t, "verify of the folder", all, 1)
	if line := lineNaming(all.Stdout, "differs", wrong); !strings.Contains(line, "hash list") {
		t.Errorf("verify of the folder does not name %s as differing from the hash list:\n%s\nstderr:\n%s", wrong, all.Stdout, all.Stderr)
	}
	for _, p := range []string{good1, good2} {
		if strings.Contains(all.Stdout, p+":") {
			t.Errorf("verify of the folder lists %s, which matches:\n%s", p, all.Stdout)
		}
	}
	one := run(ctx, t, e, nil, "verify", good1)
	expectCode(t, "verify of a file that matches", one, 0)
	if strings.TrimSpace(one.Stdout) != "" {
		t.Errorf("verify of a file that matches lists:\n%s", one.Stdout)
	}

	// One byte changed, the size kept.
	b, err := os.ReadFile(good2)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(good2, b, 0o644); err != nil {
		t.Fatal(err)
	}
	changed := run(ctx, t, e, nil, "verify", good2)
	expectCode(t, "verify of a file changed since", changed, 1)
	if lineNaming(changed.Stdout, "differs", good2) == "" {
		t.Errorf("verify of a changed file does not name it as differing:\n%s", changed.Stdout)
	}

	if err := os.Remove(good1); err != nil {
		t.Fatal(err)
	}
	gone := run(ctx, t, e, nil, "verify", good1)
	expectCode(t, "verify of a deleted file", gone, 1)
	if lineNaming(gone.Stdout, "missing", good1) == "" {
		t.Errorf("verify of a deleted file does not name it as missing:\n%s", gone.Stdout)
	}
	again := run(ctx, t, e, nil, "verify", dir)
	expectCode(t, "verify of the folder after the changes", again, 1)
	if lineNaming(again.Stdout, "missing", good1) == "" || lineNaming(again.Stdout, "differs", good2) == "" {
		t.Errorf("verify of the folder does not name %s missing and %s differing:\n%s", good1, good2, again.Stdout)
	}
}

// TestVerifyAndReportUsage: verify without a path and report with two batches are usage
// errors (exit 2), each said in one sentence.
func TestVerifyAndReportUsage(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, simOptions())
	for _, args := range [][]string{{"verify"}, {"report", "a", "b"}, {"report", "--last", "a"}} {
		r := run(ctx, t, e, nil, args...)
		expectCode(t, strings.Join(args, " "), r, 2)
		expectOneSentence(t, strings.Join(args, " "), r)
		if strings.TrimSpace(r.Stdout) != "" {
			t.Errorf("%v prints on stdout:\n%s", args, r.Stdout)
		}
	}
}
