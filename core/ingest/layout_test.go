package ingest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/ingest"
)

// makeTree makes the files and folders named in dir: a name ending in "/" is a folder.
func makeTree(t *testing.T, dir string, names []string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Each camera's card is known by its top, and named for the offer; a drive that merely
// holds media, or looks a little like a card, is not one.
func TestCardLayout(t *testing.T) {
	for _, c := range []struct {
		name   string
		tree   []string
		layout string // "": not a card
	}{
		// Cards, as cameras leave them.
		{"Sony Alpha/FX3 (XAVC S)", []string{
			"DCIM/100MSDCF/", "PRIVATE/M4ROOT/CLIP/C0001.MP4", "PRIVATE/M4ROOT/MEDIAPRO.XML", "AVF_INFO/",
		}, ingest.LayoutSonyXAVC},
		{"Sony FX9 (XDCAM on SxS)", []string{"XDROOT/Clip/A001C001_220101AB.MXF", "XDROOT/MEDIAPRO.XML"}, ingest.LayoutSonyXDCAM},
		{"Sony FX6 (XDROOT in PRIVATE)", []string{"PRIVATE/XDROOT/Clip/A001C001.MXF"}, ingest.LayoutSonyXDCAM},
		{"Sony EX1 (BPAV)", []string{"BPAV/CLPR/432_0001_01/432_0001_01.MP4", "BPAV/MEDIAPRO.XML"}, ingest.LayoutSonyXDCAMEX},
		{"Panasonic P2", []string{
			"CONTENTS/CLIP/0001AB.XML", "CONTENTS/VIDEO/0001AB.MXF", "CONTENTS/AUDIO/0001AB00.MXF",
			"CONTENTS/ICON/", "CONTENTS/PROXY/", "CONTENTS/VOICE/", "LASTCLIP.TXT",
		}, ingest.LayoutP2},
		{"Canon C300 (XF)", []string{"CONTENTS/CLIPS001/AA0001/AA0001.MXF", "CONTENTS/CLIPS001/INDEX.MIF"}, ingest.LayoutCanonCinema},
		{"Canon, clips folder at the top", []string{"CLIPS001/A001C001_220101AB_CANON.MXF"}, ingest.LayoutCanon},
		{"RED reel", []string{"A001_1203XY.RDM/A001_C001_1203AB.RDC/A001_C001_1203AB_001.R3D"}, ingest.LayoutRED},
		{"RED clips at the top, lower case", []string{"a001_c001_1203ab.rdc/A001_C001_1203AB_001.R3D"}, ingest.LayoutRED},
		{"ARRI ALEXA Mini ProRes", []string{
			"A001R1AB/A001C001_150101_R1AB.mov", "A001R1AB/A001R1AB.xml", "A001R1AB/A001R1AB.ale",
		}, ingest.LayoutARRI},
		{"ARRI ALEXA Mini ARRIRAW", []string{"A001R1AB/A001C001_150101_R1AB/A001C001_150101_R1AB.0000001.ari"}, ingest.LayoutARRI},
		{"ARRI first ALEXA (8-digit date)", []string{"A004R1JL/A004C010_20100610_R1JL.mov"}, ingest.LayoutARRI},
		{"ARRI ALEXA 35 MXF", []string{"A002R3CD/A002C004_230511_R3CD.mxf"}, ingest.LayoutARRI},
		{"ARRIRAW clip folder at the top", []string{"A001C001_150101_R1AB/A001C001_150101_R1AB.0000001.arx"}, ingest.LayoutARRI},
		{"Blackmagic BRAW", []string{"A001_08201245_C001.braw", "A001_08201245_C001.sidecar"}, ingest.LayoutBlackmagic},
		{"Blackmagic ProRes", []string{"A001_08201245_C002.mov"}, ingest.LayoutBlackmagic},
		{"Blackmagic, first cameras' naming", []string{"BMC01_1_2012-08-08_1631_C0002.mov"}, ingest.LayoutBlackmagic},
		{"Blackmagic BRAW in a folder", []string{"Blackmagic RAW/A001_08201245_C001.braw"}, ingest.LayoutBlackmagic},
		{"Blackmagic CinemaDNG", []string{"A001_08201245_C003/A001_08201245_C003_000000.dng"}, ingest.LayoutBlackmagic},
		{"Panasonic MOV", []string{"PRIVATE/PANA_GRP/001RAQAM/", "DCIM/"}, ingest.LayoutPanasonic},
		{"AVCHD camcorder", []string{"PRIVATE/AVCHD/BDMV/STREAM/00000.MTS", "DCIM/100MSDCF/"}, ingest.LayoutAVCHD},
		{"AVCHD at the top", []string{"AVCHD/BDMV/"}, ingest.LayoutAVCHD},
		{"Sony Memory Stick video", []string{"MP_ROOT/100ANV01/MAH00001.MP4"}, ingest.LayoutSonyMP4},
		{"GoPro", []string{"DCIM/100GOPRO/GX010001.MP4", "MISC/"}, ingest.LayoutDCIM},
		{"freshly formatted stills card", []string{"DCIM/"}, ingest.LayoutDCIM},
		{"dcim in lower case", []string{"dcim/100canon/IMG_0001.JPG"}, ingest.LayoutDCIM},
		{"Zoom H6", []string{"FOLDER01/ZOOM0001/ZOOM0001_LR.WAV", "FOLDER01/ZOOM0001/ZOOM0001_Tr1.WAV"}, ingest.LayoutSound},
		{"Zoom H4n", []string{"STEREO/FOLDER01/STE-001.wav", "4CH/FOLDER01/"}, ingest.LayoutSound},
		{"Zoom F3", []string{"210101_001.WAV", "210101_002_Tr1.WAV"}, ingest.LayoutSound},
		{"Zoom F8 date folder", []string{"210101/210101-T001.WAV"}, ingest.LayoutSound},
		{"Sound Devices daily folder", []string{"21Y01M01/210101_001.WAV"}, ingest.LayoutSound},
		{"Tascam", []string{"TASCAM_0001.wav"}, ingest.LayoutSound},

		// Not cards.
		{"empty volume", nil, ""},
		{"backup drive", []string{
			"Documents/letter.odt", "Documents/Invoices/2024.pdf", "Photos/IMG_0001.JPG", "Backups/",
		}, ""},
		{"drive with a few .mov files in random folders", []string{
			"Footage/day1.mov", "Edit/export.mov", "Misc/A001/clip.mov", "holiday.mov", "interview.mxf",
		}, ""},
		{"a folder named like an ARRI reel, without ARRI clips", []string{"A001R1AB/notes.txt", "B002R2CD/"}, ""},
		{"an ARRI-like clip folder without frames", []string{"A001C001_150101_R1AB/readme.txt"}, ""},
		{"PRIVATE alone", []string{"PRIVATE/SONY/"}, ""},
		{"CONTENTS of something else", []string{"CONTENTS/Chapter1.pdf", "CONTENTS/Images/"}, ""},
		{"a file named DCIM", []string{"DCIM"}, ""},
		{"a file named like a RED reel", []string{"A001_1203XY.RDM"}, ""},
		{"wav files not named by a recorder", []string{"interview.wav", "Music/song.wav", "FOLDER01/mix.wav"}, ""},
		{"AppleDouble fork of a BRAW clip", []string{"._A001_08201245_C001.braw", ".Trashes/"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			makeTree(t, dir, c.tree)
			layout, ok := ingest.CardLayout(dir)
			if ok != (c.layout != "") || layout != c.layout {
				t.Errorf("CardLayout = %q, %v; want %q, %v", layout, ok, c.layout, c.layout != "")
			}
		})
	}
}

// A folder that cannot be read is no card.
func TestCardLayoutOfAMissingFolder(t *testing.T) {
	if layout, ok := ingest.CardLayout(filepath.Join(t.TempDir(), "gone")); ok || layout != "" {
		t.Errorf("CardLayout of a missing folder = %q, %v", layout, ok)
	}
}
