package field

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

// installation is the uploader as a person or a script runs it: one data dir and one
// keychain entry for the whole day, one process per command.
type installation struct {
	bin     string
	dataDir string
	keyring string
	apiURL  string
	archive string // each process's log is kept here when it ends

	mu    sync.Mutex
	procs []*proc
}

func newInstallation(bin, apiURL, work string) (*installation, error) {
	in := &installation{
		bin: bin, apiURL: apiURL,
		dataDir: filepath.Join(work, "uploader"),
		archive: filepath.Join(work, "logs"),
		keyring: fmt.Sprintf("c2c-field-%d", os.Getpid()),
	}
	for _, d := range []string{in.dataDir, in.archive} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// proc is one run of the uploader.
type proc struct {
	Name   string
	Batch  int // index of the batch it uploads, -1 for none
	Args   []string
	Start  time.Time
	End    time.Time
	Code   int
	Killed bool // by the trial's SIGKILL
	CPU    time.Duration
	MaxRSS int64  // bytes
	Log    string // the archived log

	cmd    *exec.Cmd
	stdout e2etest.Buffer
	stderr e2etest.Buffer
	done   chan struct{}
}

// start runs `c2c-uploader args...`. Commands of one installation never overlap (the data
// folder's lock would refuse them): what a command appended to the log of the data dir
// is archived at its end.
func (in *installation) start(name string, batch int, args ...string) (*proc, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, p := range in.procs {
		select {
		case <-p.done:
		default:
			return nil, fmt.Errorf("starting %q while %q still runs", name, p.Name)
		}
	}
	p := &proc{Name: name, Batch: batch, Args: args, done: make(chan struct{})}
	p.cmd = exec.Command(in.bin, args...)
	p.cmd.Env = append(os.Environ(),
		"C2C_API_URL="+in.apiURL,
		"C2C_DATA_DIR="+in.dataDir,
		"C2C_KEYRING_SERVICE="+in.keyring,
		"C2C_CLIENT_SECRET="+c2csim.DemoClientSecret,
		"C2C_LOG_LEVEL=debug",
		childEnv+"=",
	)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	// If this test dies, so do its uploaders.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logPath := filepath.Join(in.dataDir, "logs", "c2c-uploader.log")
	logFrom := int64(0)
	if fi, err := os.Stat(logPath); err == nil {
		logFrom = fi.Size()
	}
	p.Start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %v: %w", args, err)
	}
	seq := len(in.procs) + 1
	in.procs = append(in.procs, p)
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		p.End = time.Now()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.Code = ee.ExitCode()
		default:
			p.Code = -1
		}
		if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			p.MaxRSS = ru.Maxrss << 10 // KiB on Linux
		}
		p.Log = filepath.Join(in.archive, fmt.Sprintf("%02d-%s.log", seq, strings.ReplaceAll(name, " ", "-")))
		_ = copyLogSince(logPath, logFrom, p.Log)
	}()
	return p, nil
}

// copyLogSince archives what was appended to the log at path after it was from bytes
// long: the end of the file rotated away meanwhile (by size), if it was, then the file.
func copyLogSince(path string, from int64, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	srcs := []string{path}
	if fi, err := os.Stat(path); err == nil && fi.Size() < from {
		rotated, _ := filepath.Glob(strings.TrimSuffix(path, ".log") + "-*.log")
		sort.Strings(rotated) // lumberjack names them by time
		if len(rotated) > 0 {
			srcs = []string{rotated[len(rotated)-1], path}
		}
	}
	for i, src := range srcs {
		in, err := os.Open(src)
		if err != nil {
			continue
		}
		skip := from
		if len(srcs) == 2 && i == 1 {
			skip = 0
		}
		_, err = in.Seek(skip, io.SeekStart)
		if err == nil {
			_, err = io.Copy(out, in)
		}
		in.Close()
		if err != nil {
			_ = out.Close()
			return err
		}
	}
	return out.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// wait waits for the process to end, at most until ctx ends (then it is killed).
func (p *proc) wait(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not end in time\nstderr:\n%s", p.Name, tail(p.stderr.String(), 40))
	}
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill is the trial's SIGKILL: no chance to write anything more.
func (p *proc) kill() error {
	p.Killed = true
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}

func (p *proc) signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// describe is the process's output for a failure message.
func (p *proc) describe() string {
	return fmt.Sprintf("%s (%v) exit %d\nstderr (end):\n%s", p.Name, p.Args, p.Code, tail(p.stderr.String(), 30))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// jsonEvents parses a --json command's stdout: one object per line.
func jsonEvents(stdout string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// all returns every process run so far.
func (in *installation) all() []*proc {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]*proc(nil), in.procs...)
}
