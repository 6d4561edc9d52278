package mhl_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

func TestOneGeneration(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A002R2EC")
	writeHistory(t, root, gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T10:15:00+01:00", []string{
		rec("Clips/A002C006_141024_R2EC.mov", 5, h(md5("clip 6"), "original"), h(xxh64("clip 6"), "original")),
		rec("Clips/Sub Folder/A002C007_141024_R2EC.mov", 4, h(xxh64("clip 7"), "original")),
		rec("Sidecar.txt", 58, h(md5("sidecar"), "original")),
	})})

	hist := open(t, root)
	noProblems(t, hist)
	if len(hist.Generations) != 1 {
		t.Fatalf("%d generations, want 1", len(hist.Generations))
	}
	g := hist.Generations[0]
	wantCreated := time.Date(2020, 1, 16, 9, 15, 0, 0, time.UTC)
	if g.Number != 1 || g.File != "0001_A002R2EC_2020-01-16_091500Z.mhl" || !g.Created.Equal(wantCreated) ||
		g.Tool != "hand-written" || g.ToolVersion != "0.9" || g.Hostname != "dit-cart.local" ||
		g.Process != mhl.InPlace || g.Location != "Munich, Germany" || len(g.Entries) != 3 {
		t.Errorf("generation = %+v", g)
	}
	e := g.Entries[0]
	if e.Path != "Clips/A002C006_141024_R2EC.mov" || e.Size != 5 ||
		!e.ModTime.Equal(time.Date(2020, 1, 15, 13, 0, 0, 0, time.UTC)) || len(e.Hashes) != 2 ||
		e.Hashes[0].Action != mhl.Original || !e.Hashes[0].Date.Equal(wantCreated) {
		t.Errorf("first entry = %+v", e)
	}
	wantNewest(t, hist, "Clips/A002C006_141024_R2EC.mov", md5("clip 6")+" "+xxh64("clip 6"))
	wantNewest(t, hist, "Clips/Sub Folder/A002C007_141024_R2EC.mov", xxh64("clip 7"))
	wantNewest(t, hist, filepath.FromSlash("./Clips/Sub Folder/A002C007_141024_R2EC.mov"), xxh64("clip 7"))
	wantNewest(t, hist, "Sidecar.txt", md5("sidecar"))
	wantNewest(t, hist, "Clips/A002C008_141024_R2EC.mov", "")
	wantNewest(t, hist, "Clips", "")
}

// Newest answers from the newest generation recording the file with a hash not marked
// failed; a failed hash never answers.
func TestNewestWinsAndFailedIsIgnored(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A002R2EC")
	writeHistory(t, root,
		gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
			rec("a.mov", 1, h(xxh64("a"), "original")),
			rec("b.mov", 1, h(xxh64("b"), "original")),
			rec("c.mov", 1, h(xxh64("c"), "original")),
		})},
		gen{"0002_A002R2EC_2020-01-17_143000Z.mhl", manifestXML("2020-01-17T14:30:00+00:00", []string{
			rec("a.mov", 1, h(md5("a"), "original"), h(xxh64("a"), "verified")),
			rec("b.mov", 1, h(xxh64("b damaged"), "failed")),
		})},
		gen{"0003_A002R2EC_2020-01-18_080000Z.mhl", manifestXML("2020-01-18T08:00:00+00:00", []string{
			rec("c.mov", 1, h(md5("c damaged"), "failed"), h(xxh64("c"), "verified")),
			rec("d.mov", 1, h(xxh64("d"), "original")),
		})},
	)
	hist := open(t, root)
	noProblems(t, hist)
	if n := len(hist.Generations); n != 3 || hist.Generations[2].Number != 3 {
		t.Fatalf("generations = %+v", hist.Generations)
	}
	wantNewest(t, hist, "a.mov", md5("a")+" "+xxh64("a")) // generation 2, both formats it lists
	wantNewest(t, hist, "b.mov", xxh64("b"))              // generation 2 failed: generation 1
	wantNewest(t, hist, "c.mov", xxh64("c"))              // generation 3 less its failed md5
	wantNewest(t, hist, "d.mov", xxh64("d"))
}

// Newest follows the specification's previousPath from a renamed file or folder back to
// the records of its former path, and no longer answers for that path.
func TestNewestFollowsRenames(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A002R2EC")
	dirRename := `    <directoryhash>
      <path>Clips_141024</path>
      <content>
        <xxh64 action="verified">7680e5f98f4a80fd</xxh64>
      </content>
      <structure>
        <xxh64 action="verified">8f4a80fd7680e5f9</xxh64>
      </structure>
      <previousPath>Clips_0001</previousPath>
    </directoryhash>
`
	writeHistory(t, root,
		gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
			rec("Clips/0001.mov", 5, h(xxh64("one"), "original")),
			rec("Clips_0001/a.mov", 5, h(xxh64("a"), "original")),
		})},
		gen{"0002_A002R2EC_2020-01-17_143000Z.mhl", manifestXML("2020-01-17T14:30:00+00:00", []string{
			renamed("Clips/A002C007_141024.mov", "Clips/0001.mov", h(xxh64("one damaged"), "failed")),
			dirRename,
		})},
	)
	hist := open(t, root)
	noProblems(t, hist)
	wantNewest(t, hist, "Clips/A002C007_141024.mov", xxh64("one"))
	wantNewest(t, hist, "Clips/0001.mov", "")
	wantNewest(t, hist, "Clips_141024/a.mov", xxh64("a"))
	wantNewest(t, hist, "Clips_0001/a.mov", "")
}

// A history nested in a folder of another: Open reads both, the outer one's reference to
// the nested manifest checks out, and each file is answered by the history closest to it.
func TestNestedHistories(t *testing.T) {
	day := filepath.Join(t.TempDir(), "Day01")
	card := filepath.Join(day, "Cards", "A002R2EC")
	cardManifest := manifestXML("2020-01-16T09:15:00+00:00", []string{
		rec("Clips/A002C006.mov", 5, h(xxh64("clip"), "original")),
	})
	writeHistory(t, card, gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", cardManifest})
	references := `  <references>
    <hashlistreference>
      <path>Cards/A002R2EC/ascmhl/0001_A002R2EC_2020-01-16_091500Z.mhl</path>
      <c4>` + hashes.C4.Of([]byte(cardManifest)) + `</c4>
    </hashlistreference>
  </references>
`
	writeHistory(t, day, gen{"0001_Day01_2020-01-17_143000Z.mhl", manifestXML("2020-01-17T14:30:00+00:00", []string{
		rec("Report.pdf", 9, h(md5("report"), "original")),
		rec("Cards/A002R2EC/Clips/A002C006.mov", 5, h(xxh64("older record"), "original")),
		rec("Cards/A002R2EC/Clips/Only In Day.mov", 5, h(xxh64("only in day"), "original")),
	}, references)})

	hist := open(t, day)
	noProblems(t, hist)
	if len(hist.Children) != 1 || hist.Children[0].Root != card || len(hist.Children[0].Generations) != 1 {
		t.Fatalf("children = %+v", hist.Children)
	}
	if refs := hist.Generations[0].References; len(refs) != 1 || refs[0].Path != "Cards/A002R2EC/ascmhl/0001_A002R2EC_2020-01-16_091500Z.mhl" {
		t.Errorf("references = %+v", refs)
	}
	wantNewest(t, hist, "Report.pdf", md5("report"))
	wantNewest(t, hist, "Cards/A002R2EC/Clips/A002C006.mov", xxh64("clip"))           // the closest history
	wantNewest(t, hist, "Cards/A002R2EC/Clips/Only In Day.mov", xxh64("only in day")) // then the outer one
	wantNewest(t, hist.Children[0], "Clips/A002C006.mov", xxh64("clip"))

	// A reference whose manifest changed is the outer manifest's problem.
	writeFile(t, filepath.Join(card, "ascmhl", "0001_A002R2EC_2020-01-16_091500Z.mhl"), cardManifest+"\n")
	hist = open(t, day)
	dayManifest := filepath.Join(day, "ascmhl", "0001_Day01_2020-01-17_143000Z.mhl")
	var fromDay []mhl.Problem
	for _, p := range hist.AllProblems() {
		if p.File == dayManifest {
			fromDay = append(fromDay, p)
		}
	}
	if len(fromDay) != 1 || !strings.Contains(fromDay[0].Text, "0001_A002R2EC_2020-01-16_091500Z.mhl") {
		t.Errorf("problems = %v, want one of %s about the changed nested manifest", hist.AllProblems(), dayManifest)
	}
}

// The reference tool's own output, a Reels folder with two nested card histories
// (vendored under testdata, with its source and licence), reads without a problem: every chain C4 ID and every
// reference matches what core/hashes computes, and every recorded hash is that of the file.
func TestReadsTheReferenceToolsHistory(t *testing.T) {
	reels := filepath.Join("testdata", "reference", "scenario_05", "Reels")
	hist := open(t, reels)
	noProblems(t, hist)
	if len(hist.Children) != 2 || len(hist.Generations) != 1 || len(hist.Generations[0].References) != 2 {
		t.Fatalf("history = %+v", hist)
	}
	for _, c := range hist.Children {
		if len(c.Generations) != 2 || c.Generations[1].Tool != "ascmhl.py" || c.Generations[1].Process != mhl.InPlace {
			t.Errorf("nested history %s = %+v", c.Root, c.Generations)
		}
	}
	wantNewest(t, hist, "A002R2EC/Clips/A002C006_141024_R2EC.mov", "xxh64:0ea03b369a463d9d")
	checked := 0
	err := filepath.WalkDir(reels, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, mhl.Folder) {
			return err
		}
		rel, _ := hist.Rel(p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		wantNewest(t, hist, rel, "xxh64:"+hashes.XXH64.Of(b))
		checked++
		return nil
	})
	if err != nil || checked != 7 {
		t.Errorf("checked %d media files (%v), want 7", checked, err)
	}
}

func TestOpenWithoutHistory(t *testing.T) {
	_, err := mhl.Open(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a folder without ascmhl = %v, want fs.ErrNotExist", err)
	}
}
