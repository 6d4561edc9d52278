// Package upload is the upload engine: a persistent queue of files, a pool that uploads a
// few files at once and a few chunks of each in parallel, streaming from disk, and the
// bookkeeping that lets it resume after a crash without sending an acknowledged chunk or
// creating an asset twice.
package upload

import (
	"context"
	"errors"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// FileID identifies a file in the queue; the journal assigns it.
type FileID int64

// State is where a file is in its life (docs/architecture.md, "The life of a file").
type State string

const (
	Queued    State = "queued"
	Waiting   State = "waiting" // for the connection, the pairing, or a growing file to settle
	Creating  State = "creating"
	Uploading State = "uploading"
	Retrying  State = "retrying" // a non-fatal failure; tried again at NextAttempt
	Paused    State = "paused"   // by the user
	Done      State = "done"
	Failed    State = "failed"  // fatal, with a reason; Retry is available
	Skipped   State = "skipped" // Channel Paused: the project refuses media from that time
	Cancelled State = "cancelled"
	// Held: meant for another project than the one the device is paired with now; it
	// waits for the person to send it to this project (Redirect) or to pair with its
	// own again.
	Held State = "held"
	// OnHold: added while uploads start by hand (Settings.ManualStart, or an add asked to
	// hold); it waits until the person starts it (Start).
	OnHold State = "on-hold"
)

// Finished reports whether a file needs nothing more from the engine.
func (s State) Finished() bool {
	return s == Done || s == Failed || s == Skipped || s == Cancelled
}

// File is one file in the queue, as the journal keeps it.
type File struct {
	ID   FileID
	Path string // absolute; raw bytes, not necessarily UTF-8
	Name string // the asset name: the base name, NFC, valid UTF-8
	Size int64
	// ModTime and Fingerprint identify the content that was queued; a file whose size,
	// mtime or fingerprint changed is not the file that was queued.
	ModTime     time.Time
	Fingerprint string
	Filetype    string
	// MediaCreated is the earlier of the file's birth time and its mtime: the capture
	// time the server judges pause windows by (via the offset).
	MediaCreated time.Time
	// DatedOnArrival: sent with offset 0, filed in the project by when it arrives. The
	// person chose to send it so after the project refused it for a channel pause
	// (UploadAnyway): media from a pause window is refused by its date.
	DatedOnArrival bool
	// ProjectID and ProjectName are where the file is meant to go: the project paired
	// when it was queued, or, when none was, the project its first asset was made in. A
	// file is never sent to another project unless the person says so (Redirect).
	ProjectID   string
	ProjectName string
	// Category is what the file is (sound, proxies, …), decided when it was queued from
	// its name, its folders and the files queued with it; it decides what goes first.
	Category media.Category
	// Rank is where the person moved the file in the queue: below 0 to the top (the
	// lowest first), above 0 to the bottom (the highest last), 0 where its category and
	// the time it was shot put it.
	Rank int64
	// Root is the folder the file was added with (the folder dropped or named; for a file
	// named alone, its folder): its batch's folder, which receipts give paths below.
	Root string

	// HashFormats are the formats its receipt hashes the bytes sent in: the settings'
	// and, when the offload's hash list (ASC MHL) has the file, that list's. Hashes are
	// those hashes, once it is done.
	HashFormats []hashes.Format
	Hashes      hashes.Sums
	// HashList is the folder of the ASC MHL history that covers the file ("" when none);
	// Offload is the newest hash that history gives the file (blank when it does not
	// list it), which the hash of the bytes sent must equal.
	HashList string
	Offload  hashes.Sum
	// Receipted is when the file was last written into its batch's receipts.
	Receipted time.Time
	// StartedAt is when its first asset was made: when its upload started.
	StartedAt time.Time

	// Realtime: the file is uploaded as it is written (queued while it grew, with the
	// realtime setting on): its asset is a real-time one, whose parts are registered as
	// each ChunkSize bytes are written, the final one once it has stopped growing.
	Realtime bool

	State State
	// Asset, once created.
	AssetID       string
	UploadURLs    []string
	URLsFetchedAt time.Time
	ChunkSize     int64

	ErrorKind       string
	ErrorMessage    string
	RequestID       string // ours, of its next asset creation (the last, until a write after it)
	ServerRequestID string

	Attempts    int       // file-level tries that failed
	NextAttempt time.Time // when a retrying file goes again
	AddedAt     time.Time
	UpdatedAt   time.Time
	DoneAt      time.Time
}

// ChunkCount is the number of chunks of the current asset.
func (f *File) ChunkCount() int { return len(f.UploadURLs) }

// ChunkRange is the byte range of chunk i: [i*size, min((i+1)*size, filesize)).
func (f *File) ChunkRange(i int) (offset, length int64) {
	offset = int64(i) * f.ChunkSize
	return offset, max(0, min(f.ChunkSize, f.Size-offset))
}

// Record is a file as read back from the journal, with its finished chunks.
type Record struct {
	File       File
	DoneChunks []int
	// PartHashes are the hashes of the finished chunks' bytes as they were sent (in
	// partFormat, or "format:value" in another: fileHash.partHash), in the order of DoneChunks; "" for one finished before the journal
	// kept them.
	PartHashes []string
}

// Part is a chunk S3 took: its index and the hash of the bytes it was sent (as
// fileHash.partHash writes it).
type Part struct {
	Index int
	Hash  string
}

// ErrDiskFull is what a journal write fails with when the disk holding the journal is
// full (the error says which disk and how much is free). Nothing was written.
var ErrDiskFull = errors.New("the disk holding the upload journal is full")

// ErrLinksUnavailable: the journal cannot open a file's upload links yet, because the
// store of their key cannot tell now (a token file not unlocked yet, a keychain that did
// not answer). The file waits and keeps its asset.
var ErrLinksUnavailable = errors.New("the key that opens the upload links is not available yet")

// ErrLinksLost: a file's upload links can no longer be opened (the key's store has no
// key, or another one): the file needs a new asset, as when its links expire.
var ErrLinksLost = errors.New("the upload links in the journal cannot be opened")

// Journal is what must survive a crash: every file and every finished chunk. Every state
// change is written here before it is announced. store/journal implements it in SQLite.
type Journal interface {
	// Load returns every file in the queue, oldest first, with its finished chunks.
	// Hidden files are not in the queue.
	Load(ctx context.Context) ([]Record, error)
	// Uploaded returns, for each of files, the newest finished upload of the same content
	// (path, size, mtime and fingerprint), hidden ones included; a File with ID 0 where
	// there is none.
	Uploaded(ctx context.Context, files []File) ([]File, error)
	// Cleared returns the files cleared from the list (Forget's hidden ones) that were
	// added at the given times, oldest first.
	Cleared(ctx context.Context, added []time.Time) ([]File, error)
	// UnreceiptedCleared returns the times the batches were added that have a file
	// cleared from the list not written into their receipts since it was done.
	UnreceiptedCleared(ctx context.Context) ([]time.Time, error)
	// WaitForSpace returns once the disk holding the journal has room again after a
	// write failed with ErrDiskFull, or when ctx ends.
	WaitForSpace(ctx context.Context) error
	// Insert adds files and returns them with their ids.
	Insert(ctx context.Context, files []File) ([]File, error)
	// Update writes a file's row, and marks parts of its current asset finished with
	// their hashes, in one transaction (a file's last chunk and its Done state share one
	// commit).
	Update(ctx context.Context, f File, parts ...Part) error
	// StartAsset writes the file row with its new asset (id, URLs, chunk size, time) and
	// replaces its chunks with len(f.UploadURLs) unfinished ones, in one transaction.
	StartAsset(ctx context.Context, f File) error
	// UploadURLs reads the links of a file's asset from the journal again: for a file
	// loaded with blank links (they could not be opened then). An error means they still
	// cannot be, and the file needs a new asset.
	UploadURLs(ctx context.Context, id FileID, assetID string) ([]string, error)
	// AddParts writes the row of a file uploaded as it is written, with the links of
	// every part registered so far, and adds unfinished chunks for those from index from
	// on, in one transaction.
	AddParts(ctx context.Context, f File, from int) error
	// ChunkDone marks a part of the file's current asset finished, with its hash.
	ChunkDone(ctx context.Context, id FileID, part Part) error
	// Reorder writes the Rank of files (where the person moved them), which no other
	// write changes, in one transaction.
	Reorder(ctx context.Context, ranks map[FileID]int64) error
	// Receipted records when files were written into their batch's receipts (File.Receipted,
	// which no other write changes), in one transaction.
	Receipted(ctx context.Context, ids []FileID, at time.Time) error
	// UpdateFiles writes the rows of files (no chunks) in one transaction.
	UpdateFiles(ctx context.Context, files []File) error
	// Forget takes files out of the queue in one transaction: hide keeps their records
	// (a file cleared from the list is still known to be uploaded), remove deletes them
	// and their chunks.
	Forget(ctx context.Context, hide, remove []FileID) error
}
