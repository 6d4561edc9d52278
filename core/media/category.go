// Package media tells what kind of file a camera card holds — sound, proxies, metadata
// sidecars, stills, camera originals — from its name, its folder and the files beside it,
// so that the queue can send what an editor needs first (README, "What goes first").
package media

import (
	"path/filepath"
	"strings"
)

// Category is what a file is for the people waiting for it.
type Category string

const (
	Sound     Category = "sound"     // production sound: WAV/BWF polyphonic files, scratch tracks
	Proxies   Category = "proxies"   // small copies of the originals, for dailies and offline editing
	Sidecars  Category = "sidecars"  // metadata that goes with the clips: XML, ALE, CDL, LUTs, reports
	Stills    Category = "stills"    // photographs and frame grabs
	Originals Category = "originals" // the camera's own recordings, raw or not
	Other     Category = "other"     // everything else
)

// Categories are all of them, in the default order of the queue.
var Categories = [...]Category{Sound, Proxies, Sidecars, Stills, Originals, Other}

// Label is the category as a row of the list shows it.
func (c Category) Label() string {
	switch c {
	case Sound:
		return "Sound"
	case Proxies:
		return "Proxy"
	case Sidecars:
		return "Sidecar"
	case Stills:
		return "Still"
	case Originals:
		return "Original"
	}
	return "Other"
}

// File is what the rules look at. Root is the path the person named (the card, the
// folder, the file itself): folders above it say nothing about the file — a volume named
// "Sub" does not make a card proxies.
type File struct {
	Path string
	Root string
	Size int64
}

// The rule table (README, "What goes first"). Extensions are lower case, with the dot.
var (
	soundExts = set(".wav", ".bwf", ".rf64", ".aif", ".aiff", ".mp3", ".m4a", ".aac", ".flac",
		".ogg", ".opus", ".wma", ".caf", ".ac3")
	// sidecarExts: metadata, looks, reports, subtitles, checksums and the cameras' own
	// clip records (RED .rmd/.rtn, Blackmagic .sidecar, ARRI looks, Sony .bim/.klv/.smi,
	// AVCHD .cpi/.mpl/.bdm, GoPro .thm).
	sidecarExts = set(".xml", ".ale", ".cdl", ".ccc", ".cc", ".cube", ".3dl", ".look", ".aml",
		".alf", ".alf4", ".srt", ".vtt", ".scc", ".stl", ".csv", ".pdf", ".txt", ".rtf", ".json",
		".edl", ".fcpxml", ".aaf", ".otio", ".mhl", ".md5", ".xxh", ".xxh64", ".sha1", ".rmd",
		".rtn", ".sidecar", ".bim", ".klv", ".smi", ".cpf", ".cpi", ".mpl", ".bdm", ".thm",
		".lut", ".ics", ".log")
	stillExts = set(".jpg", ".jpeg", ".png", ".heic", ".heif", ".dng", ".cr2", ".cr3", ".nef",
		".arw", ".raf", ".orf", ".rw2", ".tif", ".tiff", ".exr", ".dpx", ".psd", ".gif", ".webp",
		".bmp")
	// frameExts are still formats cameras and scanners also write as one file per frame
	// (CinemaDNG, DPX, OpenEXR, TIFF): in a numbered run, they are originals.
	frameExts = set(".dng", ".dpx", ".exr", ".tif", ".tiff")
	// rawExts are only ever camera originals: RED, Blackmagic RAW, ARRIRAW, Canon Cinema
	// RAW Light, Nikon N-RAW, Phantom.
	rawExts = set(".r3d", ".braw", ".ari", ".arx", ".crm", ".nev", ".cine")
	// videoExts are originals unless something says they are proxies.
	videoExts = set(".mov", ".qt", ".mp4", ".m4v", ".mxf", ".mts", ".m2ts", ".avi", ".mkv",
		".mpg", ".mpeg", ".webm", ".dv", ".3gp", ".insv", ".hif")
	// proxyExts are proxies by their format alone (GoPro's low-resolution video).
	proxyExts = set(".lrv")
	// proxyFolders hold proxies: Blackmagic cameras and Premiere write "Proxy"/"Proxies",
	// Sony writes its proxies to SUB (M4ROOT/SUB, XDROOT/Sub).
	proxyFolders = set("proxy", "proxies", "sub", "proxy media")
	// proxyMarks end the names of proxies: Canon Cinema EOS adds "_Proxy" to the clip
	// name, Sony "S03" (and XDCAM "S01"), editors and tools "-proxy" or " proxy".
	proxyMarks = []string{"_proxy", "-proxy", ".proxy", " proxy", "_prx"}
)

// proxyRatio: a video file at most this fraction of an original with its clip name is
// that original's proxy (a ProRes Proxy or H.264 copy is a tenth of the raw clip or less;
// a quarter leaves room for a light original).
const proxyRatio = 4

// minFrames is how many numbered frames of one name make an image sequence.
const minFrames = 3

// Classify returns the category of each file. Files added together are looked at
// together: a small MOV beside the R3D of the same clip is its proxy, a folder of
// numbered DNG frames is a clip, not stills.
func Classify(files []File) []Category {
	out := make([]Category, len(files))
	type clip struct {
		folder, key string
	}
	largest := map[clip]int64{} // the largest original of each clip name in each folder
	frames := map[clip]int{}    // the numbered frames of each name in each folder
	for i, f := range files {
		out[i] = byName(f)
		dir, ext := filepath.Dir(f.Path), strings.ToLower(filepath.Ext(f.Path))
		stem := stemOf(f.Path)
		if frameExts[ext] && !inPhotoFolder(f) {
			if name, ok := frameName(stem); ok {
				frames[clip{dir, name + ext}]++
			}
		}
		if out[i] == Originals {
			k := clip{clipFolder(dir), clipKey(stem, red(dir, ext))}
			largest[k] = max(largest[k], f.Size)
		}
	}
	for i, f := range files {
		dir, ext := filepath.Dir(f.Path), strings.ToLower(filepath.Ext(f.Path))
		stem := stemOf(f.Path)
		switch {
		case out[i] == Stills && frameExts[ext]:
			if name, ok := frameName(stem); ok && frames[clip{dir, name + ext}] >= minFrames {
				out[i] = Originals
				if inProxyFolder(f) {
					out[i] = Proxies
				}
			}
		case out[i] == Originals && videoExts[ext]:
			// A smaller sibling of a larger original with the same clip name.
			if big := largest[clip{clipFolder(dir), clipKey(stem, red(dir, ext))}]; big > 0 && f.Size*proxyRatio <= big {
				out[i] = Proxies
			}
		}
	}
	return out
}

// byName is a file's category by its own name and folders alone.
func byName(f File) Category {
	ext := strings.ToLower(filepath.Ext(f.Path))
	switch {
	case soundExts[ext]:
		return Sound
	case sidecarExts[ext]:
		return Sidecars
	case proxyExts[ext]:
		return Proxies
	}
	media := rawExts[ext] || videoExts[ext]
	if media && (inProxyFolder(f) || proxyMarked(stemOf(f.Path))) {
		return Proxies
	}
	switch {
	case media:
		return Originals
	case stillExts[ext]:
		return Stills
	}
	return Other
}

// inProxyFolder: a folder below the root the person named, on the way to the file, is a
// proxy folder — or the file sits right in one (a Proxy folder dropped alone, or one of
// its files). A card dropped whose own folder is named Sub or Proxy is not made proxies
// by that name: its clips sit deeper.
func inProxyFolder(f File) bool {
	dir := filepath.Dir(f.Path)
	if proxyFolders[strings.ToLower(filepath.Base(dir))] {
		return true
	}
	root := filepath.Clean(f.Root)
	for dir != root && strings.HasPrefix(dir, root) {
		if proxyFolders[strings.ToLower(filepath.Base(dir))] {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return false
}

func proxyMarked(stem string) bool {
	lower := strings.ToLower(stem)
	for _, m := range proxyMarks {
		if strings.HasSuffix(lower, m) {
			return true
		}
	}
	return sonyProxy(lower) != ""
}

// sonyProxy is the clip name of a Sony proxy ("c0001s03" → "c0001"): a clip number
// followed by S and two digits (S03: XAVC proxies, S01: XDCAM browse copies); "" if stem
// is not one.
func sonyProxy(lower string) string {
	n := len(lower)
	if n < 5 || lower[n-3] != 's' || !isDigit(lower[n-2]) || !isDigit(lower[n-1]) || !isDigit(lower[n-4]) {
		return ""
	}
	return lower[:n-3]
}

// red: a file of a RED clip, whose names carry a segment number (an R3D, or a file in a
// .RDC clip folder).
func red(dir, ext string) bool {
	return ext == ".r3d" || strings.EqualFold(filepath.Ext(dir), ".rdc")
}

// inPhotoFolder: the file is in a DCIM folder, where photo cameras, drones and phones
// number their pictures (DJI_0001.DNG, IMG_0002.DNG): photographs, not a clip's frames.
func inPhotoFolder(f File) bool {
	rel, err := filepath.Rel(f.Root, f.Path)
	if err != nil {
		rel = f.Path
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.EqualFold(part, "DCIM") {
			return true
		}
	}
	return strings.EqualFold(filepath.Base(f.Root), "DCIM")
}

// clipKey is the name that a clip's files share: lower case, without the marks of a
// proxy, nor, for a RED clip, its segment number ("A001_C001_0101AB_001" →
// "a001_c001_0101ab"). Elsewhere "_001" is part of the name: Interview_002 is another
// take, not a part of Interview_001.
func clipKey(stem string, red bool) string {
	k := strings.ToLower(stem)
	for _, m := range proxyMarks {
		k = strings.TrimSuffix(k, m)
	}
	if s := sonyProxy(k); s != "" {
		k = s
	}
	// RED splits a clip into numbered segments: _001.R3D, _002.R3D, …
	if n := len(k); red && n > 4 && k[n-4] == '_' && isDigit(k[n-3]) && isDigit(k[n-2]) && isDigit(k[n-1]) {
		k = k[:n-4]
	}
	return k
}

// clipFolder is the folder a clip's files share: a RED clip's .RDC folder holds the R3D
// segments and the QuickTime beside them; Sony keeps proxies in SUB beside CLIP, and a
// Proxy folder sits beside (or inside) the originals' folder, so both are looked at
// from their parent.
func clipFolder(dir string) string {
	base := strings.ToLower(filepath.Base(dir))
	if proxyFolders[base] || base == "clip" {
		return filepath.Dir(dir)
	}
	return dir
}

// frameName is the name of a numbered frame without its number ("A001_0001234" →
// "A001_"), and whether stem ends in one (four digits or more).
func frameName(stem string) (string, bool) {
	i := len(stem)
	for i > 0 && isDigit(stem[i-1]) {
		i--
	}
	return stem[:i], len(stem)-i >= 4
}

func stemOf(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
