package media

import (
	"path/filepath"
	"strings"
	"testing"
)

const (
	mb = 1 << 20
	gb = 1 << 30
)

// card is a card as its maker writes it: paths below the card's root, with sizes, and the
// category each must get. The layouts follow the makers' manuals: ARRI (the clip folder
// named after the reel, with an FCP XML and an ALE beside the clips), RED (.RDM magazine,
// .RDC clip folders, numbered R3D segments, the ProRes QuickTime and .RMD/.rtn beside
// them), Sony (M4ROOT/CLIP with M01.XML per clip, proxies in M4ROOT/SUB named S03;
// XDROOT/Clip and Sub on CFexpress), Canon Cinema EOS (CONTENTS/CLIPS001, proxies named
// like the clip with _Proxy), Blackmagic (A001_08151512_C001.braw with .sidecar files,
// proxies in a Proxy folder), Atomos (ProRes or ProRes RAW MOV files at the root).
type card struct {
	maker string
	files []cardFile
}

type cardFile struct {
	path string
	size int64
	want Category
}

var cards = []card{
	{"ARRI ALEXA Mini LF (ProRes)", []cardFile{
		{"A002R2EC/A002C001_190830_R2EC.mov", 6 * gb, Originals},
		{"A002R2EC/A002C002_190830_R2EC.mov", 4 * gb, Originals},
		{"A002R2EC/A002R2EC.xml", 40 << 10, Sidecars},
		{"A002R2EC/A002R2EC.ale", 12 << 10, Sidecars},
		{"A002R2EC/Looks/ARRI_LogC3_709.aml", 30 << 10, Sidecars},
	}},
	{"ARRI ALEXA 35 (ARRIRAW MXF)", []cardFile{
		{"A001R1AB/A001C003_220801_R1AB.arx", 20 * gb, Originals},
		{"A001R1AB/A001C003_220801_R1AB.mxf", 900 * mb, Proxies}, // a proxy beside its ARRIRAW clip
		{"A001R1AB/A001R1AB.xml", 30 << 10, Sidecars},
	}},
	{"ARRIRAW frames (Codex VFS)", []cardFile{
		{"A003R1AB/A003C001_220801_R1AB/A003C001_220801_R1AB.0000001.ari", 12 * mb, Originals},
		{"A003R1AB/A003C001_220801_R1AB/A003C001_220801_R1AB.0000002.ari", 12 * mb, Originals},
	}},
	{"RED DSMC2 (R3D + ProRes)", []cardFile{
		{"A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_001.R3D", 4 * gb, Originals},
		{"A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_002.R3D", 2 * gb, Originals},
		{"A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_001.mov", 300 * mb, Proxies},
		{"A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB.RMD", 8 << 10, Sidecars},
		{"A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB.rtn", 20 << 10, Sidecars},
	}},
	{"RED V-RAPTOR (R3D only)", []cardFile{
		{"B002_0612XY.RDM/B002_C004_0612XY.RDC/B002_C004_0612XY_001.R3D", 8 * gb, Originals},
	}},
	{"Sony FX6 (SD card)", []cardFile{
		{"PRIVATE/M4ROOT/CLIP/C0001.MP4", 3 * gb, Originals},
		{"PRIVATE/M4ROOT/CLIP/C0001M01.XML", 6 << 10, Sidecars},
		{"PRIVATE/M4ROOT/SUB/C0001S03.MP4", 90 * mb, Proxies},
		{"PRIVATE/M4ROOT/THMBNL/C0001T01.JPG", 20 << 10, Stills},
		{"PRIVATE/M4ROOT/MEDIAPRO.XML", 4 << 10, Sidecars},
	}},
	{"Sony VENICE (X-OCN, CFexpress)", []cardFile{
		{"XDROOT/Clip/A001C001_220101AB.mxf", 30 * gb, Originals},
		{"XDROOT/Clip/A001C001_220101ABM01.XML", 8 << 10, Sidecars},
		{"XDROOT/Sub/A001C001_220101ABS03.mp4", 600 * mb, Proxies},
	}},
	{"Canon EOS C70 (Cinema RAW Light + proxy)", []cardFile{
		{"CONTENTS/CLIPS001/A001C001_230505AB_CANON.CRM", 10 * gb, Originals},
		{"CONTENTS/CLIPS001/A001C001_230505AB_CANON.XML", 6 << 10, Sidecars},
		{"CONTENTS/CLIPS001/A001C001_230505AB_CANON_Proxy.MP4", 200 * mb, Proxies},
	}},
	{"Canon EOS C300 Mark III (XF-AVC)", []cardFile{
		{"CONTENTS/CLIPS001/A002C003_230506CD_CANON.MXF", 5 * gb, Originals},
		{"CONTENTS/CLIPS001/A002C003_230506CD_CANON.XML", 6 << 10, Sidecars},
	}},
	{"Blackmagic URSA / Pocket (BRAW + proxies)", []cardFile{
		{"A001_08151512_C001.braw", 9 * gb, Originals},
		{"A001_08151512_C001.sidecar", 2 << 10, Sidecars},
		{"A001_08151512_S001.jpg", 8 * mb, Stills},
		{"Proxy/A001_08151512_C001.mov", 400 * mb, Proxies},
	}},
	{"Blackmagic CinemaDNG", []cardFile{
		{"BMPCC_1_2016-03-05_1201_C0001/BMPCC_1_2016-03-05_1201_C0001_000000.dng", 5 * mb, Originals},
		{"BMPCC_1_2016-03-05_1201_C0001/BMPCC_1_2016-03-05_1201_C0001_000001.dng", 5 * mb, Originals},
		{"BMPCC_1_2016-03-05_1201_C0001/BMPCC_1_2016-03-05_1201_C0001_000002.dng", 5 * mb, Originals},
	}},
	{"Atomos Ninja / Shogun", []cardFile{
		{"NINJAV_S001_S001_T001.MOV", 12 * gb, Originals},
		{"NINJAV_S001_S001_T002.MOV", 11 * gb, Originals},
	}},
	{"Sound Devices 888 / Zoom F8n", []cardFile{
		{"230505/T001.WAV", 400 * mb, Sound},
		{"230505/T002.WAV", 380 * mb, Sound},
		{"230505/230505.CSV", 4 << 10, Sidecars},
		{"230505/SCRATCH.mp3", 9 * mb, Sound},
	}},
	{"A stills camera and an editor's folder", []cardFile{
		{"DCIM/100CANON/IMG_0001.CR3", 30 * mb, Stills},
		{"DCIM/100CANON/IMG_0002.JPG", 8 * mb, Stills},
		{"LUTs/Show_LUT_v3.cube", 1 * mb, Sidecars},
		{"Reports/Camera_Report_Day3.pdf", 300 << 10, Sidecars},
		{"GOPRO/GX010001.MP4", 4 * gb, Originals},
		{"GOPRO/GL010001.LRV", 200 * mb, Proxies},
		{"notes.pages", 1 * mb, Other},
		{"archive.zip", 5 * mb, Other},
	}},
}

func TestCategoriesOfCameraCards(t *testing.T) {
	for _, c := range cards {
		t.Run(c.maker, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "CARD")
			files := make([]File, len(c.files))
			for i, f := range c.files {
				files[i] = File{Path: filepath.Join(root, filepath.FromSlash(f.path)), Root: root, Size: f.size}
			}
			got := Classify(files)
			for i, f := range c.files {
				if got[i] != f.want {
					t.Errorf("%s is %s, want %s", f.path, got[i], f.want)
				}
			}
		})
	}
}

// A folder named like a proxy folder above what the person dropped says nothing: a drive
// called "Sub" holds originals.
func TestProxyFoldersCountBelowTheDrop(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Sub", "Day 3")
	got := Classify([]File{
		{Path: filepath.Join(root, "A001C001.mov"), Root: root, Size: gb},
		{Path: filepath.Join(root, "Proxy", "A001C001.mov"), Root: root, Size: 50 * mb},
	})
	if got[0] != Originals || got[1] != Proxies {
		t.Fatalf("got %v, want [originals proxies]", got)
	}
	// A Sony card dropped from a folder named Sub: its clips are originals, its SUB folder
	// proxies.
	sub := filepath.Join(t.TempDir(), "Sub")
	got = Classify([]File{
		{Path: filepath.Join(sub, "M4ROOT", "CLIP", "C0001.MP4"), Root: sub, Size: gb},
		{Path: filepath.Join(sub, "M4ROOT", "SUB", "C0001S03.MP4"), Root: sub, Size: 30 * mb},
	})
	if got[0] != Originals || got[1] != Proxies {
		t.Fatalf("a card dropped as Sub: %v, want [originals proxies]", got)
	}
	// The Proxy folder dropped alone, and one proxy dropped on its own.
	proxyDir := filepath.Join(root, "Proxy")
	clipPath := filepath.Join(proxyDir, "A001C001.mov")
	for _, droppedRoot := range []string{proxyDir, clipPath} {
		if got := Classify([]File{{Path: clipPath, Root: droppedRoot, Size: 50 * mb}}); got[0] != Proxies {
			t.Errorf("dropped as %s: %s, want proxies", droppedRoot, got[0])
		}
	}
}

// A smaller video beside an original of another clip is not its proxy, and a video not
// much smaller than its namesake is another original (a second take at a lower rate).
func TestAProxyIsSmallAndSharesItsClipName(t *testing.T) {
	root := t.TempDir()
	got := Classify([]File{
		{Path: filepath.Join(root, "A001C001.braw"), Root: root, Size: 8 * gb},
		{Path: filepath.Join(root, "A001C002.mov"), Root: root, Size: 100 * mb},
		{Path: filepath.Join(root, "B001C001.mxf"), Root: root, Size: 4 * gb},
		{Path: filepath.Join(root, "B001C001.mov"), Root: root, Size: 3 * gb},
	})
	want := []Category{Originals, Originals, Originals, Originals}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("file %d is %s, want %s", i, got[i], want[i])
		}
	}
}

// Numbered takes are takes, not segments of one clip: a short one is not the proxy of a
// long one. And numbered DNGs in a DCIM folder are a drone's or a phone's photographs.
func TestTakesAndPhotosAreNotClipParts(t *testing.T) {
	root := t.TempDir()
	got := Classify([]File{
		{Path: filepath.Join(root, "Interview_001.mov"), Root: root, Size: 4 * gb},
		{Path: filepath.Join(root, "Interview_002.mov"), Root: root, Size: 500 * mb},
		{Path: filepath.Join(root, "DCIM", "100MEDIA", "DJI_0001.DNG"), Root: root, Size: 25 * mb},
		{Path: filepath.Join(root, "DCIM", "100MEDIA", "DJI_0002.DNG"), Root: root, Size: 25 * mb},
		{Path: filepath.Join(root, "DCIM", "100MEDIA", "DJI_0003.DNG"), Root: root, Size: 25 * mb},
	})
	want := []Category{Originals, Originals, Stills, Stills, Stills}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("file %d is %s, want %s", i, got[i], want[i])
		}
	}
}

// Two or fewer numbered DNGs are photographs, not a clip.
func TestFewNumberedFramesAreStills(t *testing.T) {
	root := t.TempDir()
	got := Classify([]File{
		{Path: filepath.Join(root, "DSC_0001.dng"), Root: root, Size: 20 * mb},
		{Path: filepath.Join(root, "DSC_0002.dng"), Root: root, Size: 20 * mb},
	})
	if got[0] != Stills || got[1] != Stills {
		t.Fatalf("got %v, want stills", got)
	}
}

func TestParseOrder(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "sound,proxies,sidecars,stills,originals,other", want: "sound,proxies,sidecars,stills,originals,other"},
		{in: "originals", want: "originals,sound,proxies,sidecars,stills,other"},
		{in: " Proxy , audio ", want: "proxies,sound,sidecars,stills,originals,other"},
		{in: "metadata,sound", want: "sidecars,sound,proxies,stills,originals,other"},
		{in: "", err: "name the categories"},
		{in: "sound,audio", err: "named twice"},
		{in: "proxys", err: `no category is called "proxys"; did you mean proxies?`},
		{in: "video", err: `no category is called "video"; they are sound, proxies, sidecars, stills, originals, other`},
	} {
		o, err := ParseOrder(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseOrder(%q) = %v, %v; want an error saying %q", tc.in, o, err, tc.err)
			}
			continue
		}
		if err != nil || o.String() != tc.want {
			t.Errorf("ParseOrder(%q) = %v, %v; want %s", tc.in, o, err, tc.want)
		}
	}
	if o, _ := ParseOrder("sound"); o != (Order{}) {
		t.Errorf("the default order written out is %v, want the zero Order", o)
	}
	var zero Order
	if zero.Rank(Sound) != 0 || zero.Rank(Other) != 5 || zero.Rank("nonsense") != 6 {
		t.Errorf("ranks of the default order: %d %d %d", zero.Rank(Sound), zero.Rank(Other), zero.Rank("nonsense"))
	}
}
