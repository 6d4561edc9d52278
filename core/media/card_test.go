package media

import (
	"os"
	"path/filepath"
	"testing"
)

// The top of a volume is a card when it holds a camera's folders, in any case.
func TestCardMarkers(t *testing.T) {
	for _, c := range []struct {
		dirs []string
		card bool
	}{
		{[]string{"DCIM"}, true},
		{[]string{"private", "Other"}, true},
		{[]string{"A001_1203XY.RDM"}, true},
		{[]string{"CONTENTS"}, true},
		{[]string{"XDROOT"}, true},
		{[]string{"Projects", "Sound", "ascmhl"}, false},
		{nil, false},
	} {
		root := t.TempDir()
		for _, d := range c.dirs {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if got := hasCardMarkers(root); got != c.card {
			t.Errorf("%v: card = %v, want %v", c.dirs, got, c.card)
		}
	}
	// A file named DCIM is not the folder.
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "DCIM"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if hasCardMarkers(root) {
		t.Error("a file named DCIM made a card")
	}
}
