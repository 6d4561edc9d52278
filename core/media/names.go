package media

import "strings"

// litter are names that operating systems and cameras leave in folders; nobody means to
// upload them.
var litter = map[string]bool{
	".ds_store": true, "thumbs.db": true, "desktop.ini": true, "ehthumbs.db": true,
	"$recycle.bin": true, "system volume information": true, ".spotlight-v100": true,
	".trashes": true, ".fseventsd": true, ".temporaryitems": true, ".documentrevisions-v100": true,
}

// Litter tells whether name is one that an operating system or a camera leaves in
// folders (Thumbs.db, .DS_Store, AppleDouble forks "._clip.mov").
func Litter(name string) bool {
	return litter[strings.ToLower(name)] || strings.HasPrefix(name, "._")
}

// Hidden tells whether name is a hidden file's or folder's (".name"): found inside a
// folder, it is passed over.
func Hidden(name string) bool { return strings.HasPrefix(name, ".") }

// temporarySuffixes end the names programs write a file under until it is whole, then
// rename it: browsers' and copy tools' partial files.
var temporarySuffixes = []string{".part", ".partial", ".crdownload", ".download", ".tmp"}

// Temporary tells whether name is one a file has only while it is being written (a
// partial download or copy, an Office lock file "~$…"): a watched folder waits for
// its real name.
func Temporary(name string) bool {
	if strings.HasPrefix(name, "~$") {
		return true
	}
	lower := strings.ToLower(name)
	for _, s := range temporarySuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}
