//go:build unix

package ingest

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// DefaultMountRoots are the folders removable volumes are mounted in: on macOS /Volumes;
// elsewhere udisks2's per-user folders, /media/$USER (Debian, Ubuntu) and
// /run/media/$USER (Fedora, Arch, openSUSE), and /media itself, where pmount, usbmount
// and fstab entries mount volumes directly (/media/usb0, /media/CARD). The per-user
// folder in /media is on the system's disk, not a volume of its own, so listing /media
// too costs a look at it and finds nothing twice.
func DefaultMountRoots() []string {
	if runtime.GOOS == "darwin" {
		return []string{"/Volumes"}
	}
	var roots []string
	if name := userName(); name != "" {
		roots = append(roots, filepath.Join("/media", name), filepath.Join("/run/media", name))
	}
	return append(roots, "/media")
}

// userName is the name of the user the app runs as, as udisks2 names their folders.
func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// volumesIn lists the volumes mounted directly in root: the folders in it on a device
// other than root's. A folder someone made there, or one made for a mount that has not
// happened yet, is on root's device and is passed over.
func volumesIn(root string) ([]volume, error) {
	rootInfo, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	rootDev, ok := deviceID(rootInfo)
	if !ok {
		return nil, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var vols []volume
	for _, e := range entries {
		// Links are passed over (macOS's /Volumes/Macintosh HD is one to /); so are hidden
		// folders (macOS mounts Time Machine's snapshots in /Volumes/.timemachine).
		if !e.IsDir() || media.Hidden(e.Name()) {
			continue
		}
		path := filepath.Join(root, e.Name())
		fi, err := os.Stat(path) // the mounted volume's top, when one is mounted there
		if err != nil || !fi.IsDir() {
			continue
		}
		if dev, ok := deviceID(fi); ok && dev != rootDev {
			vols = append(vols, volume{path: path, id: dev, changed: fi.ModTime()})
		}
	}
	return vols, nil
}

func deviceID(fi os.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true //nolint:unconvert // Dev is int32 on macOS
}

// watchable: every root on unix is a folder volumes are mounted in, worth its events.
func watchable(string) bool { return true }

// driveRoot: unix has no drive letters.
func driveRoot(path string) string { return path }
