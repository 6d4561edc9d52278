// Package control lets a second process work with the one that holds the data folder:
// while the window runs, `c2c-uploader upload PATH...` hands its paths to the window's
// queue and follows their progress, and opening the app again brings the window to the
// front with the files given. One queue, one owner: the second process never opens the
// journal or the tokens.
//
// The holder listens on a local socket (a Unix domain socket, which Windows 10 and later
// have too) in the data folder, a folder only its owner can enter. The protocol is one
// JSON object per line: requests {"id", "method", ...} answered by {"id", "result"} or
// {"id", "error"}, and, after "subscribe", events {"event": ...} as the service publishes
// them.
package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// socketName is the socket in the data folder.
const socketName = "control.sock"

// maxSocketPath is what every platform's sockaddr_un takes, with room to spare (104 bytes
// on macOS, 108 on Linux and Windows).
const maxSocketPath = 100

// Address is where the holder of dataDir listens: the data folder itself when its path is
// short enough for a socket, else a private folder of this user's in the system's
// temporary folder, named after the data folder.
func Address(dataDir string) (string, error) {
	p := filepath.Join(dataDir, socketName)
	if len(p) <= maxSocketPath {
		return p, nil
	}
	sum := sha256.Sum256([]byte(dataDir))
	dir := filepath.Join(os.TempDir(), "c2c-uploader-"+strconv.Itoa(os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := ownedPrivately(dir); err != nil {
		return "", err
	}
	p = filepath.Join(dir, hex.EncodeToString(sum[:8])+".sock")
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("no path short enough for the control socket of %s", dataDir)
	}
	return p, nil
}

// ownedPrivately refuses a folder someone else could enter: another user must not be
// able to hand this user's window paths to upload.
func ownedPrivately(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0) {
		return fmt.Errorf("%s is not a private folder; remove it", dir)
	}
	return owner(fi)
}

// Methods of the protocol.
const (
	methodHello     = "hello"         // → the holder's version
	methodSubscribe = "subscribe"     // → events follow, the present first
	methodAdd       = "add"           // paths, force, hold → core.AddResult
	methodRetry     = "retry"         // selector
	methodResume    = "resume"        // selector
	methodRedirect  = "redirect"      // selector
	methodAnyway    = "upload_anyway" // selector
	methodSnapshot  = "snapshot"      // → snapshot
	methodOpen      = "open"          // paths: show the window and queue them as if dropped
	methodMove      = "move"          // selector, place
	methodStart     = "start"         // selector
)

type request struct {
	ID       int64            `json:"id"`
	Method   string           `json:"method"`
	Paths    []string         `json:"paths,omitempty"`
	Force    bool             `json:"force,omitempty"`
	Hold     bool             `json:"hold,omitempty"`
	Filter   *core.FilterSpec `json:"filter,omitempty"`
	Selector core.Selector    `json:"selector"`
	Place    core.Place       `json:"place,omitempty"`
	Version  string           `json:"version,omitempty"`
}

type message struct {
	ID     int64       `json:"id,omitempty"`
	Error  string      `json:"error,omitempty"`
	Result any         `json:"result,omitempty"`
	Event  *core.Event `json:"event,omitempty"`
}

// snapshot is the answer to methodSnapshot: the queue and the pairing.
type snapshot struct {
	Files  []core.FileView `json:"files"`
	Totals core.Totals     `json:"totals"`
	Auth   core.AuthStatus `json:"auth"`
}

// maxLine bounds one message: a snapshot of a day of cards fits many times over.
const maxLine = 64 << 20

var errClosed = errors.New("the window closed the connection")
