//go:build windows

package ingest

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"
)

// DefaultMountRoots are the drive letters D: to Z: (A: and B: are floppies', C: the
// system's), all of them whether in use or not: a letter appearing is a volume put in,
// and one going is a card removed, not a root no longer watched.
func DefaultMountRoots() []string {
	roots := make([]string, 0, 'Z'-'D'+1)
	for l := 'D'; l <= 'Z'; l++ {
		roots = append(roots, string(l)+`:\`)
	}
	return roots
}

// volumesIn lists the volumes root holds: a drive letter is a volume of its own when a
// drive is there with a volume in it; any other folder holds the volumes mounted on the
// folders in it (NTFS mount folders).
func volumesIn(root string) ([]volume, error) {
	if isDriveRoot(root) {
		if v, ok := driveVolume(root); ok {
			return []volume{v}, nil
		}
		return nil, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var vols []volume
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(root, e.Name())
		if !mountFolder(path) {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || !fi.IsDir() {
			continue
		}
		vols = append(vols, volume{path: path, id: serialNumber(path + `\`), changed: fi.ModTime()})
	}
	return vols, nil
}

// driveVolume is the volume in the drive at root, if there is one to look at. Letters not
// in use are passed over without touching a drive; so are network drives and optical
// ones, slow to answer and never a camera's. A card reader keeps its letter with no card
// in it: its root cannot be read then.
func driveVolume(root string) (volume, bool) {
	mask, err := windows.GetLogicalDrives()
	if err != nil {
		return volume{}, false
	}
	letter := strings.ToUpper(root[:1])[0]
	if letter < 'A' || letter > 'Z' || mask&(1<<(letter-'A')) == 0 {
		return volume{}, false
	}
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return volume{}, false
	}
	switch windows.GetDriveType(p) {
	case windows.DRIVE_REMOTE, windows.DRIVE_CDROM, windows.DRIVE_NO_ROOT_DIR, windows.DRIVE_UNKNOWN:
		return volume{}, false
	}
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return volume{}, false
	}
	return volume{path: root, id: serialNumber(root), changed: fi.ModTime()}, true
}

// serialNumber is the serial number of the volume whose top is root (ending in \): a card
// swapped for another in the same reader between two looks is told apart by it.
func serialNumber(root string) uint64 {
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return 0
	}
	var serial uint32
	if err := windows.GetVolumeInformation(p, nil, 0, &serial, nil, nil, nil, 0); err != nil {
		return 0
	}
	return uint64(serial)
}

// mountFolder tells whether path is a folder a volume is mounted on: the volume path of a
// mount folder is the folder itself.
func mountFolder(path string) bool {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false
	}
	buf := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumePathName(p, &buf[0], uint32(len(buf))); err != nil {
		return false
	}
	return strings.EqualFold(strings.TrimSuffix(windows.UTF16ToString(buf), `\`), path)
}

// isDriveRoot tells whether path is a drive's top (E:\).
func isDriveRoot(path string) bool {
	return len(path) == 3 && path[1] == ':' && path[2] == '\\'
}

// watchable: a drive letter is a volume itself, not a folder volumes appear in; its
// events are those of the files on it, and its coming and going is found by the polls.
func watchable(root string) bool { return !isDriveRoot(root) }

// driveRoot makes a bare drive (E:) its top (E:\): E: alone means the folder last used on
// that drive.
func driveRoot(path string) string {
	if len(path) == 2 && path[1] == ':' {
		return path + `\`
	}
	return path
}
