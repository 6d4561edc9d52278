package upload

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// Journals keep the fingerprints of queued and uploaded files, so its recipe must not
// change: the size, then the first 16 KiB, then the last 16 KiB of files longer than 32 KiB.
func TestFingerprintRecipeIsStable(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 10, fingerprintSpan, 2 * fingerprintSpan, 2*fingerprintSpan + 1, 200 << 10} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7 / 3)
		}
		path := filepath.Join(dir, "clip.mov")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(size)))
		h.Write(data[:min(size, fingerprintSpan)])
		if size > 2*fingerprintSpan {
			h.Write(data[size-fingerprintSpan:])
		}
		want := hex.EncodeToString(h.Sum(nil)[:16])
		got, err := fingerprint(path, int64(size))
		if err != nil || got != want {
			t.Errorf("size %d: fingerprint = %q, %v; want %q", size, got, err, want)
		}
	}
	if _, err := fingerprint(filepath.Join(dir, "clip.mov"), 300<<10); err == nil {
		t.Error("a file shorter than its size must not get a fingerprint")
	}
}
