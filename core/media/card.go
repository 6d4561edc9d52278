package media

import (
	"os"
	"path/filepath"
	"strings"
)

// cardMarkers are what cameras write at the top of a card: the DCF folder of stills and
// many video cameras, Sony's PRIVATE (M4ROOT, XDROOT) and XDROOT, Panasonic P2's
// CONTENTS, AVCHD, and RED's reel folders (*.RDM).
var cardMarkers = []string{"DCIM", "PRIVATE", "XDROOT", "CONTENTS", "AVCHD", "MP_ROOT"}

// OnCameraCard tells whether path is on a camera card: a volume of its own (not the
// system's disk) whose top holds a camera's folders. A card is the camera's: nothing may
// be written onto it, not even a hash list.
func OnCameraCard(path string) bool {
	root, ok := volumeRoot(path)
	if !ok {
		return false
	}
	return hasCardMarkers(root)
}

// hasCardMarkers tells whether the folder at the top of a volume holds a camera's folders.
func hasCardMarkers(root string) bool {
	entries, err := os.ReadDir(root)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := strings.ToUpper(e.Name())
		if strings.HasSuffix(name, ".RDM") {
			return true
		}
		for _, m := range cardMarkers {
			if name == m {
				return true
			}
		}
	}
	return false
}

// parentDir is dir's parent, "" at the top.
func parentDir(dir string) string {
	p := filepath.Dir(dir)
	if p == dir {
		return ""
	}
	return p
}
