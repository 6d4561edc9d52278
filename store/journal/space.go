package journal

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// roomNeeded is the free space after which writes are tried again: a few commits, a
// checkpoint of the write-ahead log and the record of uploads fit. On a disk smaller than
// four times that (a small partition, a test's tmpfs), a quarter of the disk will do.
const roomNeeded = 4 << 20

// freeSpace is what may still be written on the disk holding dir.
func freeSpace(dir string) (int64, error) {
	free, _, err := diskSpace(dir)
	return free, err
}

// enoughRoom tells whether the disk holding dir has room for writes again.
func enoughRoom(dir string) bool {
	free, total, err := diskSpace(dir)
	if err != nil {
		return true // when the space cannot be read, the write itself tells
	}
	return free >= min(roomNeeded, total/4)
}

// spacePoll is how often WaitForSpace looks at the disk.
const spacePoll = time.Second

// DiskFullError: a write failed because the disk holding the journal is full. It is
// upload.ErrDiskFull for the engine.
type DiskFullError struct {
	Dir  string // the folder of the journal
	Free int64  // bytes free when it failed (-1: unknown)
	Err  error
}

func (e *DiskFullError) Error() string {
	free := "unknown space"
	if e.Free >= 0 {
		free = format.Bytes(e.Free)
	}
	return fmt.Sprintf("the disk holding %s is full (%s free)", e.Dir, free)
}

func (e *DiskFullError) Unwrap() error { return e.Err }

func (e *DiskFullError) Is(target error) bool { return target == upload.ErrDiskFull }

// dir is the journal's folder.
func (j *Journal) dir() string { return filepath.Dir(j.path) }

// diskFull turns err into a *DiskFullError when it says the disk is full: SQLite's
// SQLITE_FULL, ENOSPC from the record of uploads, or an I/O error while the disk has
// (nearly) no room left.
func diskFull(dir string, err error) error {
	if err == nil {
		return nil
	}
	var already *DiskFullError
	if errors.As(err, &already) {
		return err
	}
	full := errors.Is(err, syscall.ENOSPC)
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			full = true
		case sqlite3.SQLITE_IOERR:
			if free, ferr := freeSpace(dir); ferr == nil && free < roomNeeded {
				full = true
			}
		}
	}
	if !full {
		return err
	}
	free, ferr := freeSpace(dir)
	if ferr != nil {
		free = -1
	}
	return &DiskFullError{Dir: dir, Free: free, Err: err}
}

// WaitForSpace returns once the journal's disk has roomNeeded bytes free, or ctx ends.
func (j *Journal) WaitForSpace(ctx context.Context) error {
	tick := time.NewTicker(spacePoll)
	defer tick.Stop()
	for {
		if enoughRoom(j.dir()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
