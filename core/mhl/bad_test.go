package mhl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/mhl"
)

// threeGenerations writes a history whose third generation is the one the cases damage:
// a.mov is in all three, b.mov only in the third.
func threeGenerations(t *testing.T, root string) (third string) {
	writeHistory(t, root,
		gen{"0001_A002R2EC_2020-01-16_091500Z.mhl", manifestXML("2020-01-16T09:15:00+00:00", []string{
			rec("a.mov", 1, h(xxh64("a"), "original")),
		})},
		gen{"0002_A002R2EC_2020-01-17_143000Z.mhl", manifestXML("2020-01-17T14:30:00+00:00", []string{
			rec("a.mov", 1, h(md5("a"), "original"), h(xxh64("a"), "verified")),
		})},
		gen{"0003_A002R2EC_2020-01-18_080000Z.mhl", manifestXML("2020-01-18T08:00:00+00:00", []string{
			rec("a.mov", 1, h(xxh64("a"), "verified")),
			rec("b.mov", 1, h(xxh64("b"), "original")),
		})},
	)
	return filepath.Join(root, "ascmhl", "0003_A002R2EC_2020-01-18_080000Z.mhl")
}

// Every kind of damage becomes one Problem naming its file, and Newest answers from what
// could be read.
func TestBadInputBecomesProblems(t *testing.T) {
	edit := func(old, new string) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			if !strings.Contains(string(b), old) {
				t.Fatalf("%s lacks %q", p, old)
			}
			writeFile(t, p, strings.Replace(string(b), old, new, 1))
		}
	}
	// written is edit of a manifest written that way, the chain recording its C4 ID.
	written := func(old, new string) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			edit(old, new)(t, p)
			rechain(t, filepath.Dir(p))
		}
	}
	// unlisted adds a manifest the chain does not list, and names it.
	unlisted := filepath.Join("ascmhl", "0004_A002R2EC_2020-01-19_080000Z.mhl")
	cases := []struct {
		name    string
		damage  func(t *testing.T, third string)
		file    string // the file the problem must name, relative to the root; "" for the third manifest
		says    string
		a, b    string // what Newest must answer for a.mov and b.mov
		noThird bool   // whether the third generation is left out of Generations
	}{
		{
			name: "malformed", damage: edit("</path>", "</hash>"),
			says: "not a usable ASC MHL manifest", a: md5("a") + " " + xxh64("a"), noThird: true,
		},
		{
			name: "truncated", damage: func(t *testing.T, p string) {
				b, _ := os.ReadFile(p)
				writeFile(t, p, string(b[:len(b)*2/3]))
			},
			says: "not a usable ASC MHL manifest", a: md5("a") + " " + xxh64("a"), noThird: true,
		},
		{
			name: "empty", damage: func(t *testing.T, p string) { writeFile(t, p, "") },
			says: "not a usable ASC MHL manifest", a: md5("a") + " " + xxh64("a"), noThird: true,
		},
		{
			name: "not ASC MHL", damage: func(t *testing.T, p string) {
				writeFile(t, p, `<?xml version="1.0"?><hashlist version="1.1"><hash><file>a.mov</file></hash></hashlist>`)
			},
			says: `version is "1.1"`, a: md5("a") + " " + xxh64("a"), noThird: true,
		},
		{
			name: "unknown hash format",
			damage: written(`<xxh64 action="original" hashdate="2020-01-16T09:15:00+00:00">`+xxh64("b")[6:],
				`<crc32 action="original">cbf43926</crc32><xxh64 action="original" hashdate="2020-01-16T09:15:00+00:00">`+xxh64("b")[6:]),
			says: "<crc32>", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "chain C4 does not match",
			damage: func(t *testing.T, p string) {
				edit("<hostname>dit-cart.local", "<hostname>tampered")(t, p)
			},
			says: "has changed since it was written", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "missing from disk", damage: func(t *testing.T, p string) { os.Remove(p) },
			says: "is listed in the chain file as generation 3 but is missing", a: md5("a") + " " + xxh64("a"), noThird: true,
		},
		{
			name: "not in the chain", file: unlisted,
			damage: func(t *testing.T, p string) {
				writeFile(t, filepath.Join(filepath.Dir(p), filepath.Base(unlisted)), manifestXML("2020-01-19T08:00:00+00:00", []string{
					rec("a.mov", 1, h(xxh64("unlisted"), "verified")),
				}))
			},
			says: "is not listed in the chain file", a: xxh64("unlisted"), b: xxh64("b"),
		},
		{
			name: "name without a number", file: filepath.Join("ascmhl", "A002R2EC_2020-01-19.mhl"),
			damage: func(t *testing.T, p string) {
				writeFile(t, filepath.Join(filepath.Dir(p), "A002R2EC_2020-01-19.mhl"), "<hashlist/>")
			},
			says: "does not follow the naming", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "chain malformed", file: filepath.Join("ascmhl", mhl.ChainFile),
			damage: func(t *testing.T, p string) {
				writeFile(t, filepath.Join(filepath.Dir(p), mhl.ChainFile), "<ascmhldirectory><hashlist sequencenr=\"1\">")
			},
			says: "cannot be read", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "chain missing", file: filepath.Join("ascmhl", mhl.ChainFile),
			damage: func(t *testing.T, p string) { os.Remove(filepath.Join(filepath.Dir(p), mhl.ChainFile)) },
			says:   "is missing", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "bad hash value", damage: written(">"+xxh64("b")[6:]+"<", ">not-hex<"),
			says: "not a valid xxh64 hash", a: xxh64("a"),
		},
		{
			name: "bad action", damage: written(`action="original"`, `action="new"`),
			says: `action "new"`, a: xxh64("a"),
		},
		{
			name: "bad size", damage: written(`size="1"`, `size="one"`),
			says: "size", a: xxh64("a"), b: xxh64("b"),
		},
		{
			name: "bad date", damage: written("<creationdate>2020-01-18T08:00:00+00:00", "<creationdate>yesterday"),
			says: "creation date", a: xxh64("a"), b: xxh64("b"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "A002R2EC")
			third := threeGenerations(t, root)
			c.damage(t, third)
			file := third
			if c.file != "" {
				file = filepath.Join(root, c.file)
			}

			hist, err := mhl.Open(root)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if len(hist.Problems) != 1 {
				t.Fatalf("problems = %q, want one", hist.Problems)
			}
			p := hist.Problems[0]
			if p.File != file || !strings.Contains(p.Text, file) || !strings.Contains(p.Text, c.says) ||
				strings.Contains(p.Text, "\n") || !strings.HasSuffix(p.Text, ".") {
				t.Errorf("problem = %+v; want one sentence naming %s and saying %q", p, file, c.says)
			}
			hasThird := false
			for _, g := range hist.Generations {
				hasThird = hasThird || g.Number == 3
			}
			if hasThird == c.noThird {
				t.Errorf("generation 3 read: %v; want %v", hasThird, !c.noThird)
			}
			wantNewest(t, hist, "a.mov", c.a)
			wantNewest(t, hist, "b.mov", c.b)
		})
	}
}

// A problem met in every record of a long manifest is one sentence with a count.
func TestRepeatedProblemsAreCounted(t *testing.T) {
	root := filepath.Join(t.TempDir(), "A002R2EC")
	var recs []string
	for _, name := range []string{"a", "b", "c"} {
		recs = append(recs, rec(name+".mov", 1, h(xxh64(name), "original")))
	}
	text := strings.ReplaceAll(manifestXML("2020-01-16T09:15:00+00:00", recs), "<xxh64 ", "<crc32>0</crc32><xxh64 ")
	p := filepath.Join(root, "ascmhl", "0001_A002R2EC_2020-01-16_091500Z.mhl")
	writeFile(t, p, text)
	writeChainFile(t, filepath.Dir(p), []chainRow{{1, filepath.Base(p), hashes.C4.Of([]byte(text))}})

	hist := open(t, root)
	if len(hist.Problems) != 1 || !strings.HasSuffix(hist.Problems[0].Text, "(3 times).") {
		t.Errorf("problems = %q", hist.Problems)
	}
	wantNewest(t, hist, "c.mov", xxh64("c"))
}

// rechain rewrites the chain in folder with the C4 ID of each listed manifest as it is now.
func rechain(t *testing.T, folder string) {
	t.Helper()
	rows := readChainFile(t, folder)
	for i, r := range rows {
		b, err := os.ReadFile(filepath.Join(folder, r.File))
		if err != nil {
			t.Fatal(err)
		}
		rows[i].C4 = hashes.C4.Of(b)
	}
	writeChainFile(t, folder, rows)
}
