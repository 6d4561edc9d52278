package mhl_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

var berlin = time.FixedZone("CEST", 2*60*60)

// oddPath is a file name a parser would change unless written with care: markup, quotes,
// a tab, a carriage return and a line feed.
const oddPath = "Clips/Odd <name>\t\"q\" & 'r'\r\n.mov"

func uploader(created time.Time) mhl.Creator {
	return mhl.Creator{
		Tool: "C2C Uploader", ToolVersion: "1.4.0", Hostname: "edit-bay-3",
		Created: created, Process: mhl.Transfer,
		Location: "Berlin", Comment: `Uploaded to the project "Night Shoot" & its camera folder`,
		Authors: []mhl.Author{{Name: "Ana Loader", Email: "ana@example.com", Role: "Data Wrangler"}},
	}
}

func entry(path string, size int64, hs ...mhl.Hash) mhl.Entry {
	return mhl.Entry{Path: path, Size: size, ModTime: time.Date(2024, 5, 5, 18, 0, 0, 0, berlin), Hashes: hs}
}

func hash(sum string, action mhl.Action) mhl.Hash {
	f, v, _ := strings.Cut(sum, ":")
	return mhl.Hash{Format: hashes.Format(f), Value: v, Action: action}
}

// twoGenerations writes a history of two generations at dir/A002R2EC, the second adding
// an ignore pattern of its own.
func twoGenerations(t *testing.T, dir string) string {
	root := filepath.Join(dir, "A002R2EC")
	second := manifestXML("2020-01-17T14:30:00+00:00", []string{
		rec("Clips/A002C006.mov", 5, h(xxh64("clip 6"), "verified")),
	})
	second = strings.Replace(second, "      <pattern>ascmhl/</pattern>\n", "      <pattern>ascmhl/</pattern>\n      <pattern>*.RMD</pattern>\n", 1)
	writeHistory(t, root,
		gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
			rec("Clips/A002C006.mov", 5, h(xxh64("clip 6"), "original")),
			rec("Sidecar.txt", 7, h(xxh64("sidecar"), "original")),
		})},
		gen{"0002_A002R2EC_2020-01-17_143000Z.mhl", second},
	)
	return root
}

// Appending to an existing history: the new generation and the chain validate against the
// published schemas, the chain holds the C4 ID of every manifest, the sequence numbers go
// on, and what was appended reads back.
func TestAppendRoundTrip(t *testing.T) {
	root := twoGenerations(t, t.TempDir())
	hist := open(t, root)
	noProblems(t, hist)

	created := time.Date(2024, 5, 6, 9, 15, 30, 0, berlin)
	verified := hash(xxh64("clip 6"), mhl.Verified)
	verified.Date = time.Date(2024, 5, 6, 9, 14, 59, 250_000_000, berlin)
	newHash := hash(md5("new clip"), mhl.Original)
	upper := hash(xxh64("new clip"), mhl.Original)
	upper.Value = strings.ToUpper(upper.Value)
	p, err := hist.Append([]mhl.Entry{
		entry("Clips/A002C006.mov", 5, verified),
		entry("Clips/New Clip & Co.mov", 8, upper, newHash),
		entry(oddPath, 3, hash(xxh64("odd"), mhl.Original)),
		entry("Clips/.DS_Store", 6, hash(xxh64("finder"), mhl.Original)),          // ignored by default
		entry("Clips/A002C006.RMD", 3, hash(xxh64("red metadata"), mhl.Original)), // ignored by generation 2
	}, uploader(created))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "ascmhl", "0003_A002R2EC_2024-05-06_071530Z.mhl"); p != want {
		t.Errorf("Append wrote %s, want %s (the next number, the root's name, the UTC start)", p, want)
	}
	validateManifest(t, p)
	checkChainMatchesFiles(t, filepath.Join(root, "ascmhl"))

	text, _ := os.ReadFile(p)
	for _, want := range []string{
		`<creationdate>2024-05-06T09:15:30+02:00</creationdate>`,
		`<comment>Uploaded to the project "Night Shoot" &amp; its camera folder</comment>`,
		`<tool version="1.4.0">C2C Uploader</tool>`,
		`<author email="ana@example.com" role="Data Wrangler">Ana Loader</author>`,
		`<process>transfer</process>`,
		`<pattern>*.RMD</pattern>`,
		`<path size="8" lastmodificationdate="2024-05-05T18:00:00+02:00">Clips/New Clip &amp; Co.mov</path>`,
		`<xxh64 action="verified" hashdate="2024-05-06T09:14:59.25+02:00">` + hashes.XXH64.Of([]byte("clip 6")) + `</xxh64>`,
		`<xxh64 action="original">` + hashes.XXH64.Of([]byte("new clip")) + `</xxh64>`, // lower case
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the new manifest lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "Clips/.DS_Store") || strings.Contains(string(text), "A002C006.RMD") {
		t.Errorf("the new manifest records an ignored file:\n%s", text)
	}

	// In memory and read back from disk alike.
	back := open(t, root)
	sameEntries(t, hist.Generations[2].Entries, back.Generations[2].Entries)
	for _, hist := range []*mhl.History{hist, back} {
		noProblems(t, hist)
		if n := len(hist.Generations); n != 3 {
			t.Fatalf("%d generations, want 3", n)
		}
		g := hist.Generations[2]
		if g.Number != 3 || g.Tool != "C2C Uploader" || g.ToolVersion != "1.4.0" || g.Hostname != "edit-bay-3" ||
			g.Process != mhl.Transfer || g.Location != "Berlin" || !strings.Contains(g.Comment, `"Night Shoot" &`) ||
			!g.Created.Equal(created) || len(g.Entries) != 3 {
			t.Errorf("generation 3 = %+v", g)
		}
		wantNewest(t, hist, "Clips/New Clip & Co.mov", md5("new clip")+" "+xxh64("new clip"))
		wantNewest(t, hist, "Clips/A002C006.mov", xxh64("clip 6"))
		wantNewest(t, hist, "Sidecar.txt", xxh64("sidecar"))
		wantNewest(t, hist, oddPath, xxh64("odd"))
	}

	// And once more: the numbers go on from what is on disk.
	p, err = hist.Append([]mhl.Entry{entry("Sidecar.txt", 7, hash(xxh64("sidecar"), mhl.Verified))}, uploader(created.Add(time.Hour)))
	if err != nil || filepath.Base(p) != "0004_A002R2EC_2024-05-06_081530Z.mhl" {
		t.Errorf("second Append = %s, %v", p, err)
	}
	checkChainMatchesFiles(t, filepath.Join(root, "ascmhl"))
}

// The app keeps a history of its own, for the same relative paths, where it may not write
// beside the media.
func TestCreate(t *testing.T) {
	reports := filepath.Join(t.TempDir(), "reports", "A002R2EC")
	created := time.Date(2024, 5, 6, 23, 59, 59, 0, time.UTC)
	hist, p, err := mhl.Create(reports, []mhl.Entry{
		entry("Clips/A002C006.mov", 5, hash(xxh64("clip 6"), mhl.Verified)),
		entry("Sidecar.txt", 7, hash(md5("sidecar"), mhl.Original), hash(xxh64("sidecar"), mhl.Original)),
	}, uploader(created))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(reports, "ascmhl", "0001_A002R2EC_2024-05-06_235959Z.mhl"); p != want {
		t.Errorf("Create wrote %s, want %s", p, want)
	}
	validateManifest(t, p)
	checkChainMatchesFiles(t, filepath.Join(reports, "ascmhl"))
	wantNewest(t, hist, "Sidecar.txt", md5("sidecar")+" "+xxh64("sidecar"))
	back := open(t, reports)
	noProblems(t, back)
	wantNewest(t, back, "Clips/A002C006.mov", xxh64("clip 6"))

	if _, _, err := mhl.Create(reports, []mhl.Entry{entry("x.mov", 1, hash(xxh64("x"), mhl.Original))}, uploader(created)); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over a history = %v, want fs.ErrExist", err)
	}

	// Nothing to record leaves nothing behind.
	empty := filepath.Join(t.TempDir(), "B001")
	for _, entries := range [][]mhl.Entry{nil, {entry("ascmhl/0001_B001.mhl", 1, hash(xxh64("x"), mhl.Original))}} {
		if _, _, err := mhl.Create(empty, entries, uploader(created)); !errors.Is(err, mhl.ErrNothingToRecord) {
			t.Errorf("Create(%v) = %v, want ErrNothingToRecord", entries, err)
		}
		if _, err := os.Stat(filepath.Join(empty, "ascmhl")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Create left %s/ascmhl behind (%v)", empty, err)
		}
	}
}

// Appending to the reference tool's nested history (vendored under testdata, with its source and licence): each
// file goes to the history closest to it, and the outer history's new generation refers to
// the nested ones' new generations with their C4 IDs.
func TestAppendToNestedHistory(t *testing.T) {
	reels := filepath.Join(t.TempDir(), "Reels")
	copyTree(t, filepath.Join("testdata", "reference", "scenario_05", "Reels"), reels)
	hist := open(t, reels)
	noProblems(t, hist)

	verifiedFile := func(rel string) mhl.Entry {
		b, err := os.ReadFile(filepath.Join(reels, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		sums, ok := hist.Newest(rel)
		if !ok || sums.Get(hashes.XXH64) != hashes.XXH64.Of(b) {
			t.Fatalf("Newest(%s) = %v, %v", rel, sums, ok)
		}
		return entry(rel, int64(len(b)), hash("xxh64:"+hashes.XXH64.Of(b), mhl.Verified))
	}
	created := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	p, err := hist.Append([]mhl.Entry{
		verifiedFile("A002R2EC/Clips/A002C006_141024_R2EC.mov"),
		verifiedFile("Summary.txt"),
		verifiedFile("A003R2EC/Sidecar.txt"),
	}, uploader(created))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(reels, "ascmhl", "0002_Reels_2024-05-06_070000Z.mhl"); p != want {
		t.Errorf("Append wrote %s, want %s", p, want)
	}
	for _, folder := range []string{"ascmhl", "A002R2EC/ascmhl", "A003R2EC/ascmhl"} {
		dir := filepath.Join(reels, filepath.FromSlash(folder))
		manifests, _ := filepath.Glob(filepath.Join(dir, "*.mhl"))
		for _, m := range manifests {
			validateManifest(t, m)
		}
		checkChainMatchesFiles(t, dir)
	}
	for _, card := range []string{"A002R2EC", "A003R2EC"} {
		nested := filepath.Join(reels, card, "ascmhl", "0003_"+card+"_2024-05-06_070000Z.mhl")
		b, err := os.ReadFile(nested)
		if err != nil {
			t.Fatalf("no new generation in %s: %v", card, err)
		}
		outer, _ := os.ReadFile(p)
		ref := "<path>" + card + "/ascmhl/0003_" + card + "_2024-05-06_070000Z.mhl</path>\n      <c4>" + hashes.C4.Of(b) + "</c4>"
		if !strings.Contains(string(outer), ref) {
			t.Errorf("the outer manifest does not refer to %s with its C4 ID:\n%s", nested, outer)
		}
		if strings.Contains(string(outer), "<path size") && strings.Contains(string(outer), card+"/Clips") {
			t.Errorf("the outer manifest records a file of the nested history %s:\n%s", card, outer)
		}
	}
	back := open(t, reels)
	noProblems(t, back) // the references check out
	if g := back.Generations[1]; len(g.Entries) != 1 || g.Entries[0].Path != "Summary.txt" || len(g.References) != 2 {
		t.Errorf("outer generation 2 = %+v", g)
	}
	if g := back.Children[0].Generations[2]; len(g.Entries) != 1 || g.Entries[0].Path != "Clips/A002C006_141024_R2EC.mov" {
		t.Errorf("A002R2EC generation 3 = %+v", g)
	}
}

// What the schema or the specification forbids is refused before anything is written.
func TestAppendRefusesWhatTheSchemaForbids(t *testing.T) {
	root := twoGenerations(t, t.TempDir())
	hist := open(t, root)
	good := hash(xxh64("x"), mhl.Original)
	ok := uploader(time.Now())
	cases := []struct {
		name    string
		entries []mhl.Entry
		creator mhl.Creator
	}{
		{"parent path", []mhl.Entry{entry("../x.mov", 1, good)}, ok},
		{"absolute path", []mhl.Entry{entry("/x.mov", 1, good)}, ok},
		{"empty part", []mhl.Entry{entry("Clips//x.mov", 1, good)}, ok},
		{"dot part", []mhl.Entry{entry("./x.mov", 1, good)}, ok},
		{"empty path", []mhl.Entry{entry("", 1, good)}, ok},
		{"control character", []mhl.Entry{entry("x\x01.mov", 1, good)}, ok},
		{"not UTF-8", []mhl.Entry{entry("x\xff.mov", 1, good)}, ok},
		{"no hash", []mhl.Entry{entry("x.mov", 1)}, ok},
		{"unknown format", []mhl.Entry{entry("x.mov", 1, mhl.Hash{Format: "crc32", Value: "00000000", Action: mhl.Original})}, ok},
		{"bad value", []mhl.Entry{entry("x.mov", 1, mhl.Hash{Format: hashes.MD5, Value: "abc", Action: mhl.Original})}, ok},
		{"bad action", []mhl.Entry{entry("x.mov", 1, hash(xxh64("x"), "new"))}, ok},
		{"no action", []mhl.Entry{entry("x.mov", 1, hash(xxh64("x"), ""))}, ok},
		{"two of a format", []mhl.Entry{entry("x.mov", 1, good, good)}, ok},
		{"a path twice", []mhl.Entry{entry("x.mov", 1, good), entry("x.mov", 1, good)}, ok},
		{"negative size", []mhl.Entry{entry("x.mov", -1, good)}, ok},
		{"no tool", []mhl.Entry{entry("x.mov", 1, good)}, mhl.Creator{}},
		{"unknown process", []mhl.Entry{entry("x.mov", 1, good)}, mhl.Creator{Tool: "t", Process: "upload"}},
		{"bad email", []mhl.Entry{entry("x.mov", 1, good)}, mhl.Creator{Tool: "t", Authors: []mhl.Author{{Email: "ana.example.com"}}}},
		{"nothing", nil, ok},
	}
	before := readChainFile(t, filepath.Join(root, "ascmhl"))
	for _, c := range cases {
		if p, err := hist.Append(c.entries, c.creator); err == nil {
			t.Errorf("%s: Append wrote %s", c.name, p)
		}
	}
	after := readChainFile(t, filepath.Join(root, "ascmhl"))
	if len(after) != len(before) || len(hist.Generations) != 2 {
		t.Errorf("a refused Append changed the history: chain %v → %v", before, after)
	}
	manifests, _ := filepath.Glob(filepath.Join(root, "ascmhl", "*"))
	if len(manifests) != 3 {
		t.Errorf("the ascmhl folder holds %v", manifests)
	}
}

// A chain that cannot be rewritten whole without losing what it records is not rewritten.
func TestAppendRefusesAnUnusableChain(t *testing.T) {
	x := []mhl.Entry{entry("x.mov", 1, hash(xxh64("x"), mhl.Original))}
	for name, damage := range map[string]func(chain string){
		"malformed": func(chain string) { writeFile(t, chain, "<ascmhldirectory><hashlist>") },
		"missing":   func(chain string) { os.Remove(chain) },
		"an entry without C4": func(chain string) {
			b, _ := os.ReadFile(chain)
			writeFile(t, chain, regexp.MustCompile(`<c4>[^<]*</c4>`).ReplaceAllString(string(b), ""))
		},
	} {
		t.Run(name, func(t *testing.T) {
			root := twoGenerations(t, t.TempDir())
			chain := filepath.Join(root, "ascmhl", mhl.ChainFile)
			damage(chain)
			before, _ := os.ReadFile(chain)
			if _, err := open(t, root).Append(x, uploader(time.Now())); !errors.Is(err, mhl.ErrChainUnusable) {
				t.Errorf("Append = %v, want ErrChainUnusable", err)
			}
			after, _ := os.ReadFile(chain)
			if string(after) != string(before) {
				t.Error("the chain file was rewritten")
			}
			if m, _ := filepath.Glob(filepath.Join(root, "ascmhl", "0003_*")); len(m) != 0 {
				t.Errorf("a manifest was written: %v", m)
			}
		})
	}
}

// A generation the chain lists but the folder lacks stays in the chain, as recorded: the
// chain is extended, never repaired.
func TestAppendKeepsTheChainAsRecorded(t *testing.T) {
	root := twoGenerations(t, t.TempDir())
	folder := filepath.Join(root, "ascmhl")
	before := readChainFile(t, folder)
	os.Remove(filepath.Join(folder, before[1].File))
	p, err := open(t, root).Append([]mhl.Entry{entry("x.mov", 1, hash(xxh64("x"), mhl.Original))}, uploader(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	validateChain(t, filepath.Join(folder, mhl.ChainFile))
	after := readChainFile(t, folder)
	if len(after) != 3 || after[0] != before[0] || after[1] != before[1] ||
		after[2].Number != 3 || after[2].File != filepath.Base(p) {
		t.Errorf("chain %v → %v", before, after)
	}
}

// Newest may run while Append writes (run with -race).
func TestNewestDuringAppend(t *testing.T) {
	root := twoGenerations(t, t.TempDir())
	hist := open(t, root)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, ok := hist.Newest("Clips/A002C006.mov"); !ok {
					t.Error("Newest lost a file during Append")
					return
				}
			}
		})
	}
	for i := range 3 {
		_, err := hist.Append([]mhl.Entry{entry("Clips/A002C006.mov", 5, hash(xxh64("clip 6"), mhl.Verified))},
			uploader(time.Date(2024, 5, 6, 7, 0, i, 0, time.UTC)))
		if err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	checkChainMatchesFiles(t, filepath.Join(root, "ascmhl"))
}

// sameEntries compares the entries Append kept in memory with those read back from disk.
func sameEntries(t *testing.T, mem, disk []mhl.Entry) {
	t.Helper()
	if len(mem) != len(disk) {
		t.Fatalf("%d entries in memory, %d on disk", len(mem), len(disk))
	}
	for i, m := range mem {
		d := disk[i]
		same := m.Path == d.Path && m.PreviousPath == d.PreviousPath && m.Size == d.Size &&
			m.ModTime.Equal(d.ModTime) && len(m.Hashes) == len(d.Hashes)
		for j := 0; same && j < len(m.Hashes); j++ {
			a, b := m.Hashes[j], d.Hashes[j]
			same = a.Format == b.Format && a.Value == b.Value && a.Action == b.Action && a.Date.Equal(b.Date)
		}
		if !same {
			t.Errorf("entry %d in memory %+v, on disk %+v", i, m, d)
		}
	}
}
