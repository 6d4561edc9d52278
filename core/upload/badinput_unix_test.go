//go:build unix

package upload_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// TestBadInputUnreadable covers files that cannot be read. File modes are no use here:
// the tests run as root, which reads anything whatever its mode or its folder's. So the
// unreadable things are a FIFO and a socket (refused when queued: they are not regular
// files, and reading a FIFO would block), a file replaced by a FIFO after it was queued,
// and a file removed between Add and its upload. The rest of the queue goes on.
func TestBadInputUnreadable(t *testing.T) {
	r := newIdleRig(t, rigConfig{})
	good := writeFile(t, r.dir, "good.mov", 5*rigPartSize)
	replaced := writeFile(t, r.dir, "replaced.mov", 2*rigPartSize)
	removed := writeFile(t, r.dir, "removed.mov", 2*rigPartSize)
	fifo := filepath.Join(r.dir, "pipe.mov")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(r.dir, "socket.mov")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	res := r.add(good, replaced, removed, fifo, sock)
	if len(res.Added) != 3 || len(res.Rejected) != 2 {
		t.Fatalf("added %d, rejected %+v; want 3 added, the FIFO and the socket rejected", len(res.Added), res.Rejected)
	}
	for _, rej := range res.Rejected {
		if !strings.Contains(rej.Reason, "not a regular file") {
			t.Errorf("%s rejected with %q", rej.Path, rej.Reason)
		}
	}
	// The same when met inside a folder.
	res = r.add(r.dir)
	if len(res.Added) != 0 || len(res.Rejected) != 5 {
		t.Errorf("adding the folder: added %d, rejected %d (%+v); want 0 and 5", len(res.Added), len(res.Rejected), res.Rejected)
	}

	if err := os.Remove(replaced); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(replaced, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(removed); err != nil {
		t.Fatal(err)
	}
	r.run()
	vs := r.waitFinished()
	for _, p := range []string{replaced, removed} {
		v := vs[p]
		if v.State != core.Failed || v.ErrorKind != string(api.KindLocalFile) || v.Error == "" {
			t.Errorf("%s is %s (%s %q), want failed (LocalFile) with a reason", v.Name, v.State, v.ErrorKind, v.Error)
		}
	}
	if e := vs[removed].Error; !strings.Contains(e, "no such file") && !strings.Contains(e, "not found") {
		t.Errorf("the removed file's reason does not say it is gone: %q", e)
	}
	if e := vs[replaced].Error; !strings.Contains(e, "regular file") {
		t.Errorf("the replaced file's reason does not say what is wrong: %q", e)
	}
	r.checkIntact(good)
	r.checkChunkHygiene()
	r.noResend()
	want := doneAll(good)
	want[replaced] = journalWant{state: core.Failed, kind: api.KindLocalFile}
	want[removed] = journalWant{state: core.Failed, kind: api.KindLocalFile}
	r.checkJournal(want)
}
