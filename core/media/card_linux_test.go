package media

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/internal/disktest"
)

// A card is a volume of its own: a folder deep in it is on a card when the volume's top
// holds a camera's folders, and not before.
func TestAVolumeWithACamerasFoldersIsACard(t *testing.T) {
	vol := disktest.Small(t, 1<<20)
	clips := filepath.Join(vol, "A001R1AB", "Clips")
	if err := os.MkdirAll(clips, 0o755); err != nil {
		t.Fatal(err)
	}
	if root, ok := volumeRoot(clips); !ok || root != vol {
		t.Fatalf("volume root of %s = %q, %v; want %s", clips, root, ok, vol)
	}
	if OnCameraCard(clips) {
		t.Fatal("a volume without a camera's folders is taken for a card")
	}
	if err := os.Mkdir(filepath.Join(vol, "DCIM"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !OnCameraCard(clips) || !OnCameraCard(filepath.Join(clips, "A001C001.mov")) {
		t.Fatal("a volume with DCIM at its top is not taken for a card")
	}
}
