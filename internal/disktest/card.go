//go:build linux

package disktest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cardsNotTested starts the message of a test that fails because volumes cannot be
// mounted here: the camera-card tests are about volumes coming and going, and without
// mounts they would prove nothing, so they fail rather than skip.
const cardsNotTested = "CAMERA CARDS NOT TESTED"

// RequireMounting fails the test, saying why, where volumes cannot be mounted: not root,
// or a tmpfs and a bind mount are not permitted (no CAP_SYS_ADMIN). It never skips.
func RequireMounting(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("%s: these tests mount real volumes (tmpfs and bind mounts), which needs root; run them as root, as CI does", cardsNotTested)
	}
	from, onto := t.TempDir(), t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", from).CombinedOutput(); err != nil {
		t.Fatalf("%s: mounting is not permitted here (no CAP_SYS_ADMIN?): mount -t tmpfs: %v: %s", cardsNotTested, err, out)
	}
	defer func() {
		if out, err := exec.Command("umount", from).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", from, err, out)
		}
	}()
	if out, err := exec.Command("mount", "--bind", from, onto).CombinedOutput(); err != nil {
		t.Fatalf("%s: mounting is not permitted here (no CAP_SYS_ADMIN?): mount --bind: %v: %s", cardsNotTested, err, out)
	}
	if out, err := exec.Command("umount", onto).CombinedOutput(); err != nil {
		t.Fatalf("umount %s: %v: %s", onto, err, out)
	}
}

// Card is a camera card for a test: a volume of its own (a tmpfs of the test's), with
// the files the test put on it, that can be mounted on a folder in a mount root, taken
// away and mounted again with the same files, as a card reader's volume comes and goes.
type Card struct {
	// Dir is the tmpfs, where the card's files are whether it is mounted in a root or not.
	Dir string

	t       testing.TB
	at      string // where it is mounted in the mount root; "" when it is not
	cleanup bool   // an unmount is registered for the test's end
}

// NewCard is a card of size bytes. Where volumes cannot be mounted the test fails,
// saying so (RequireMounting); it never skips.
func NewCard(t testing.TB, size int64) *Card {
	t.Helper()
	RequireMounting(t)
	dir, out, err := mountTmpfs(t, size)
	if err != nil {
		t.Fatalf("%s: mount -t tmpfs: %v: %s", cardsNotTested, err, out)
	}
	return &Card{Dir: dir, t: t}
}

// MountAt mounts the card on dir, making the folder first when it is not there (as
// udisks does: the folder, then the mount). It stays mounted until Unmount or Eject, or
// the test's end.
func (c *Card) MountAt(dir string) {
	c.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", c.Dir, dir).CombinedOutput(); err != nil {
		c.t.Fatalf("mount --bind %s %s: %v: %s", c.Dir, dir, err, out)
	}
	c.at = dir
	if !c.cleanup {
		// Registered after the mount root's folder was made, so it runs before its removal.
		c.cleanup = true
		c.t.Cleanup(func() {
			if c.at != "" {
				if out, err := exec.Command("umount", "-l", c.at).CombinedOutput(); err != nil {
					c.t.Errorf("umount -l %s: %v: %s", c.at, err, out)
				}
			}
		})
	}
}

// Unmount takes the card away with a plain umount, failing the test if it cannot; its
// folder stays, no longer a mount point.
func (c *Card) Unmount() {
	c.t.Helper()
	if out, err := exec.Command("umount", c.at).CombinedOutput(); err != nil {
		c.t.Fatalf("umount %s: %v: %s", c.at, err, out)
	}
	c.at = ""
}

// Eject takes the card away as a person pulling it out would have the system do: a plain
// umount, and a lazy one (umount -l, the volume detached now, let go once nothing has it
// open) when something has a file of it open. It says which was needed. The folder stays,
// a mount point no more.
func (c *Card) Eject() (lazy bool) {
	c.t.Helper()
	out, err := exec.Command("umount", c.at).CombinedOutput()
	if err != nil {
		if !strings.Contains(strings.ToLower(string(out)), "busy") {
			c.t.Fatalf("umount %s: %v: %s", c.at, err, out)
		}
		if out, err := exec.Command("umount", "-l", c.at).CombinedOutput(); err != nil {
			c.t.Fatalf("umount -l %s (a plain umount said it is busy): %v: %s", c.at, err, out)
		}
		lazy = true
	}
	c.t.Logf("card at %s ejected with %s", c.at, map[bool]string{false: "umount", true: "umount -l (a plain umount said: target is busy)"}[lazy])
	c.at = ""
	return lazy
}
