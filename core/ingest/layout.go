package ingest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// CardLayout tells whether dir, the folder at the top of a volume, holds a camera's media,
// and names the layout for a person ("Sony XAVC (PRIVATE/M4ROOT)"). It is asked of every
// volume mounted, so it reads the top and a few of the folders in it that a layout names,
// never the whole volume; and it errs towards "not a card": a card missed can still be
// added by hand, while a USB stick offered for upload every time it goes in is a nuisance.
func CardLayout(dir string) (layout string, ok bool) {
	layout, err := cardLayout(dir)
	return layout, err == nil && layout != ""
}

// The layouts' names, as the offer shows them.
const (
	LayoutRED         = "RED (.RDM)"
	LayoutARRI        = "ARRI (.mxf/.ari clips in reel folders)"
	LayoutSonyXAVC    = "Sony XAVC (PRIVATE/M4ROOT)"
	LayoutSonyXDCAM   = "Sony XDCAM (XDROOT)"
	LayoutSonyXDCAMEX = "Sony XDCAM EX (BPAV)"
	LayoutCanonCinema = "Canon Cinema (CONTENTS/CLIPS001)"
	LayoutP2          = "Panasonic P2 (CONTENTS)"
	LayoutCanon       = "Canon (CLIPS001)"
	LayoutBlackmagic  = "Blackmagic (.braw)"
	LayoutPanasonic   = "Panasonic (PRIVATE/PANA_GRP)"
	LayoutAVCHD       = "AVCHD"
	LayoutSonyMP4     = "Sony MP4 (MP_ROOT)"
	LayoutDCIM        = "DCIM (stills and phone/action cams)"
	LayoutSound       = "Sound recorder (.wav at the top, e.g. Zoom/Sound Devices)"
)

// layouts are tried in this order, the most particular first: a Sony card holds DCIM
// beside PRIVATE/M4ROOT, a Panasonic one DCIM beside PRIVATE/AVCHD, and the video is
// what the card is for.
var layouts = []struct {
	name  string
	holds func(*cardTop) bool
}{
	{LayoutRED, (*cardTop).red},
	{LayoutARRI, (*cardTop).arri},
	{LayoutSonyXAVC, func(t *cardTop) bool { return t.hasIn("PRIVATE", "M4ROOT") }},
	{LayoutSonyXDCAM, func(t *cardTop) bool { return t.has("XDROOT") || t.hasIn("PRIVATE", "XDROOT") }},
	{LayoutSonyXDCAMEX, func(t *cardTop) bool { return t.hasIn("BPAV", "CLPR") }},
	{LayoutCanonCinema, func(t *cardTop) bool { return t.hasMatchIn("CONTENTS", canonClipsFolder) }},
	// P2's CONTENTS holds CLIP (the clips' metadata) and VIDEO and AUDIO (their essence).
	{LayoutP2, func(t *cardTop) bool { return t.hasIn("CONTENTS", "CLIP") || t.hasIn("CONTENTS", "VIDEO") }},
	{LayoutCanon, func(t *cardTop) bool { return t.hasMatch(canonClipsFolder) }},
	{LayoutBlackmagic, (*cardTop).blackmagic},
	{LayoutPanasonic, func(t *cardTop) bool { return t.hasIn("PRIVATE", "PANA_GRP") }},
	{LayoutAVCHD, func(t *cardTop) bool { return t.has("AVCHD") || t.hasIn("PRIVATE", "AVCHD") }},
	{LayoutSonyMP4, func(t *cardTop) bool { return t.has("MP_ROOT") }},
	// The DCF folder of stills cameras, phones, GoPro, DJI, Insta360 and many camcorders;
	// it is made when the card is formatted, so an empty one counts too.
	{LayoutDCIM, func(t *cardTop) bool { return t.has("DCIM") }},
	{LayoutSound, (*cardTop).soundRecorder},
}

var (
	// Canon XF and Cinema EOS number their clip folders CLIPS001, CLIPS002…
	canonClipsFolder = regexp.MustCompile(`^CLIPS[0-9]{3}$`)
	// ARRI names a card's reel folder after the card: camera letter, reel, "R" and the
	// camera's three-character id (A001R1AB); and each clip after its reel, number, date
	// (YYMMDD, or YYYYMMDD on the first ALEXAs) and the same id: A001C001_150101_R1AB.
	arriReel = regexp.MustCompile(`^[A-Z][0-9]{3}R[0-9A-Z]{3}$`)
	arriClip = regexp.MustCompile(`^[A-Z][0-9]{3}C[0-9]{3}_[0-9]{6}([0-9]{2})?_[0-9A-Z]{4}`)
	// Blackmagic cameras name clips by camera letter, reel, date and time, and clip:
	// A001_08201245_C001; the first ones by camera, reel, date, time and clip:
	// BMC01_1_2012-08-08_1631_C0002.
	blackmagicClip = regexp.MustCompile(`^([A-Z][0-9]{3}_[0-9]{8}_C[0-9]{3}|[A-Z0-9]+_[0-9]+_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{4}_C[0-9]{4})`)
	// What sound recorders name their takes: Zoom's ZOOM0001 and (H4n) STE-001 and
	// MONO-001, Tascam's TASCAM_0001, and the date-and-take names of Zoom's F series and
	// Sound Devices' recorders (210101_001, 210101-T001).
	recorderTake = regexp.MustCompile(`^(ZOOM[0-9]{4}|STE-[0-9]{3}|MONO-[0-9]{3}|TASCAM_[0-9]{4}|[0-9]{6}[_-]T?[0-9]{3,4})`)
	// The folders sound recorders keep takes in: Zoom's FOLDER01 (in STEREO, 4CH or
	// MULTI on the H4n) and per-take ZOOM0001, the date folders of Zoom's F series
	// (210101) and Sound Devices' daily folders (21Y01M01).
	recorderFolder = regexp.MustCompile(`^(FOLDER[0-9]{2}|ZOOM[0-9]{4}|STEREO|4CH|MULTI|[0-9]{6}|[0-9]{2}Y[0-9]{2}M[0-9]{2})$`)
	// Zoom's own folders, which only a Zoom recorder makes inside the folders above.
	zoomFolder = regexp.MustCompile(`^(FOLDER[0-9]{2}|ZOOM[0-9]{4})$`)
)

// maxFolderReads bounds the folders read below the top: a card's top holds a handful of
// folders, and a big drive must not be walked for a card it is not.
const maxFolderReads = 32

// cardTop is the top of a volume as read once, with the folders in it read at most once.
type cardTop struct {
	dir     string
	folders []string          // names of the folders at the top, as they are
	byUpper map[string]string // the same, by their name in capitals
	files   []string          // names of the files at the top
	inside  map[string]folderContent
	reads   int
}

// folderContent is what a folder at the top holds: its folders' and files' names.
type folderContent struct{ folders, files []string }

// cardLayout is CardLayout's answer, or the error that kept it from reading the top (then
// it is worth asking again: the volume may not be ready yet).
func cardLayout(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	t := &cardTop{dir: dir, byUpper: map[string]string{}, inside: map[string]folderContent{}}
	for _, e := range entries {
		name := e.Name()
		if media.Hidden(name) || media.Litter(name) {
			continue // AppleDouble forks (._A001_08201245_C001.braw) are no clips
		}
		switch {
		case e.IsDir():
			t.folders = append(t.folders, name)
			t.byUpper[strings.ToUpper(name)] = name
		case e.Type().IsRegular():
			t.files = append(t.files, name)
		}
	}
	for _, l := range layouts {
		if l.holds(t) {
			return l.name, nil
		}
	}
	return "", nil
}

// has tells whether the top holds the folder name, in any case (cards are FAT or exFAT,
// whose names' case means nothing, and some cameras write them in lower case).
func (t *cardTop) has(name string) bool {
	_, ok := t.byUpper[name]
	return ok
}

// hasMatch tells whether the top holds a folder whose name in capitals matches re.
func (t *cardTop) hasMatch(re *regexp.Regexp) bool {
	for upper := range t.byUpper {
		if re.MatchString(upper) {
			return true
		}
	}
	return false
}

// content reads the folder name at the top (once), within maxFolderReads.
func (t *cardTop) content(name string) folderContent {
	if c, ok := t.inside[name]; ok {
		return c
	}
	var c folderContent
	if t.reads < maxFolderReads {
		t.reads++
		entries, _ := os.ReadDir(filepath.Join(t.dir, name))
		for _, e := range entries {
			n := e.Name()
			if media.Hidden(n) || media.Litter(n) {
				continue
			}
			switch {
			case e.IsDir():
				c.folders = append(c.folders, n)
			case e.Type().IsRegular():
				c.files = append(c.files, n)
			}
		}
	}
	t.inside[name] = c
	return c
}

// hasIn tells whether the folder parent at the top holds the folder name (both in any
// case).
func (t *cardTop) hasIn(parent, name string) bool {
	return t.folderIn(parent, func(upper string) bool { return upper == name })
}

// hasMatchIn tells whether the folder parent at the top holds a folder whose name in
// capitals matches re.
func (t *cardTop) hasMatchIn(parent string, re *regexp.Regexp) bool {
	return t.folderIn(parent, re.MatchString)
}

// folderIn tells whether the folder parent at the top (in any case) holds a folder whose
// name in capitals is one match takes.
func (t *cardTop) folderIn(parent string, match func(upper string) bool) bool {
	real, ok := t.byUpper[parent]
	if !ok {
		return false
	}
	for _, f := range t.content(real).folders {
		if match(strings.ToUpper(f)) {
			return true
		}
	}
	return false
}

// red: RED cameras keep a card's clips in a reel folder (A001_1203XY.RDM) of clip folders
// (A001_C001_1203XY.RDC); a card's clips copied off without their reel bring the .RDC
// folders to the top. Both extensions are RED's alone.
func (t *cardTop) red() bool {
	for upper := range t.byUpper {
		ext := filepath.Ext(upper)
		if (ext == ".RDM" || ext == ".RDC") && len(upper) > len(ext) {
			return true
		}
	}
	return false
}

// arri: an ALEXA or AMIRA card holds a reel folder named after the card with the clips in
// it (ProRes .mov, MXF .mxf, ARRIRAW .ari/.arx frames in a folder per clip); ARRIRAW
// drives may show the clip folders at the top. A folder merely named like a reel is not
// enough: it must hold an ARRI clip.
func (t *cardTop) arri() bool {
	for _, name := range t.folders {
		upper := strings.ToUpper(name)
		switch {
		case arriReel.MatchString(upper):
			c := t.content(name)
			for _, f := range c.folders {
				if arriClip.MatchString(strings.ToUpper(f)) {
					return true
				}
			}
			for _, f := range c.files {
				if arriClip.MatchString(strings.ToUpper(f)) && hasExt(f, ".mov", ".mxf", ".ari", ".arx") {
					return true
				}
			}
		case arriClip.MatchString(upper):
			for _, f := range t.content(name).files {
				if hasExt(f, ".ari", ".arx", ".mxf") {
					return true
				}
			}
		}
	}
	return false
}

// blackmagic: Blackmagic cameras write their clips at the top of the card: Blackmagic RAW
// (.braw, theirs alone), or ProRes and DNx (.mov, .mxf) under their clip names; some
// keep .braw clips in a folder at the top, and CinemaDNG clips are folders of frames
// under a clip name.
func (t *cardTop) blackmagic() bool {
	for _, f := range t.files {
		if hasExt(f, ".braw") || hasExt(f, ".mov", ".mxf") && blackmagicClip.MatchString(strings.ToUpper(f)) {
			return true
		}
	}
	for _, name := range t.folders {
		named := blackmagicClip.MatchString(strings.ToUpper(name))
		for _, f := range t.content(name).files {
			if hasExt(f, ".braw") || named && hasExt(f, ".dng") {
				return true
			}
		}
	}
	return false
}

// soundRecorder: only a top that is clearly a recorder's, since .wav files alone are
// anyone's: takes under a recorder's names at the top, or a recorder's folder at the top
// holding such takes or its own folders (FOLDER01/ZOOM0001 on Zoom's H series).
func (t *cardTop) soundRecorder() bool {
	for _, f := range t.files {
		if recorderWAV(f) {
			return true
		}
	}
	for _, name := range t.folders {
		if !recorderFolder.MatchString(strings.ToUpper(name)) {
			continue
		}
		c := t.content(name)
		for _, f := range c.files {
			if recorderWAV(f) {
				return true
			}
		}
		for _, f := range c.folders {
			if zoomFolder.MatchString(strings.ToUpper(f)) {
				return true
			}
		}
	}
	return false
}

// recorderWAV tells whether name is a sound recorder's take: a broadcast wave file under
// a recorder's name.
func recorderWAV(name string) bool {
	return hasExt(name, ".wav", ".bwf") && recorderTake.MatchString(strings.ToUpper(name))
}

// hasExt tells whether name ends in one of exts, in any case.
func hasExt(name string, exts ...string) bool {
	ext := filepath.Ext(name)
	for _, e := range exts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}
