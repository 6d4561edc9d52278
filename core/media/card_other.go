//go:build !unix

package media

import "path/filepath"

// volumeRoot is the top folder of the drive path is on (D:\); ok is false for the
// system's own drive (C:) and when it cannot be told.
func volumeRoot(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	vol := filepath.VolumeName(abs)
	if vol == "" || len(vol) == 2 && (vol[0] == 'C' || vol[0] == 'c') {
		return "", false
	}
	return vol + string(filepath.Separator), true
}
