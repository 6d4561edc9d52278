package upload

import (
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
)

// FileView is what front ends show of a file: its state and progress.
type FileView struct {
	ID    FileID
	Name  string
	Path  string
	Size  int64
	State State
	// BytesDone is what the file has sent: its acknowledged chunks and the bytes of its
	// chunks in flight, which a pause or a crash takes back.
	BytesDone int64
	// BytesAcked is what S3 has acknowledged (the finished chunks): it never steps back
	// while the file keeps its asset.
	BytesAcked int64
	// Rate is the smoothed upload rate in bytes per second (0 when idle).
	Rate float64
	// ETA is the estimated time left at the current rate (0 when unknown).
	ETA        time.Duration
	ChunksDone int
	Chunks     int
	// Detail says what a waiting or retrying file waits for, in plain words.
	Detail string
	// Sending is true while the file runs with its asset: its chunks go to presigned URLs
	// and need no token, so it goes on while the device needs reconnecting (and, while
	// offline, as soon as the link is back) although State may say waiting.
	Sending bool
	// ErrorKind and Error explain a failed, skipped or retrying file.
	ErrorKind   string
	Error       string
	NextAttempt time.Time
	AddedAt     time.Time
	DoneAt      time.Time
	// Project is the name of the project the file is meant for (where a done file went);
	// "" until known. AssetID is its asset there.
	Project string
	AssetID string
	// Category is what the file is (sound, proxies, …); Rank where the person moved it
	// (File.Rank); Shot when it was shot (File.MediaCreated). With them, SortByRun puts
	// views in the order the queue runs them.
	Category media.Category
	Rank     int64
	Shot     time.Time
	// Realtime: it is uploaded as it is written (a clip being recorded): Size is what it
	// holds so far, and nothing can say how long it has left.
	Realtime bool
	// Hashes are the hashes of the bytes sent, once it is done; HashList the folder of the
	// offload's hash list (ASC MHL) that covers it, Offload the hash that list gives it.
	Hashes   hashes.Sums
	HashList string
	Offload  hashes.Sum
	// For its receipt: the folder it was added with (File.Root), its mtime, its failed
	// tries, when its upload started and when it was last written into its receipts.
	Root      string
	ModTime   time.Time
	Attempts  int
	StartedAt time.Time
	Receipted time.Time
}

// Totals sum the queue up.
type Totals struct {
	Files          int
	FilesRemaining int // not finished
	Active         int // uploading now
	Done           int
	Failed         int
	Skipped        int
	Cancelled      int
	Held           int   // meant for another project; waiting for the person
	OnHold         int   // added to start by hand; waiting for the person (Start)
	BytesTotal     int64 // of the files not cancelled
	// BytesRemaining is what the unfinished files have yet to get acknowledged by S3: it
	// never grows while they upload, and holds through a pause or a crash.
	BytesRemaining int64
	BytesAcked     int64 // acknowledged by S3, of the files not cancelled: never steps back
	// BytesInFlight is what the files have sent and S3 has not acknowledged yet: a pause
	// or a crash takes it back.
	BytesInFlight int64
	// BytesSent is every byte this run handed to the network, chunks sent again included.
	BytesSent int64
	// Rate (bytes per second) and ETA are the queue's, from what moved lately: both zero
	// until there is enough to go on, and again for a few seconds after an outage or a
	// pause.
	Rate   float64
	ETA    time.Duration
	Paused bool // every unfinished file is paused
	// DiskFull: the disk holding the journal is full; nothing starts until it has room.
	DiskFull bool
	// Limit is the bandwidth limit in force (bytes per second, 0 for none); LimitUntil,
	// when the bandwidth schedule changes it next (zero without a schedule).
	Limit      int64
	LimitUntil time.Time
}

// Rejection is a path that was not queued, and why.
type Rejection struct {
	Path   string
	Reason string
	// Existing is the file still in the queue that this path duplicates (0 if none).
	Existing FileID
	// UploadedAt is set when the same content was uploaded already (to the project
	// UploadedTo, when known); Add with force sends it again.
	UploadedAt time.Time
	UploadedTo string
	// LeftOut: the filter of the add left it out (Reason says which part); nothing is
	// wrong with it.
	LeftOut bool
}

// AlreadyUploaded tells whether the path was refused because its content was uploaded.
func (r Rejection) AlreadyUploaded() bool { return !r.UploadedAt.IsZero() }

// AddResult is what Add did with each path.
type AddResult struct {
	Added []FileView
	// Again are files of the queue that had failed or were cancelled, queued again
	// because they were named again.
	Again    []FileView
	Rejected []Rejection
	// HashListProblems say what of the offload's hash lists (ASC MHL) covering the files
	// could not be read or did not add up, one sentence each: the files are queued all
	// the same, compared with what could be read.
	HashListProblems []string
}

// AlertKind names the problems that need a person (docs/error-policy.md §9).
type AlertKind string

const (
	AlertChannelPaused   AlertKind = "channel-paused"
	AlertPaymentRequired AlertKind = "payment-required"
	AlertClientRejected  AlertKind = "client-rejected" // invalid client credentials
	AlertVersionRejected AlertKind = "version-rejected"
	// AlertOtherProject: files meant for another project are held (Redirect sends them
	// to the current one).
	AlertOtherProject AlertKind = "other-project"
	// AlertDiskFull: the journal's disk is full; uploads wait for room.
	AlertDiskFull AlertKind = "disk-full"
	// AlertDiffers: files reached the project but differ from the offload's hash list
	// (ASC MHL): they are failed.
	AlertDiffers AlertKind = "differs-from-hash-list"
)

// Event is one thing the engine tells the front ends. Exactly one field is set.
type Event struct {
	File    *FileView // a file changed state or made progress
	Removed FileID    // a file left the list
	Totals  *Totals
	Alert   *Alert
	// Finished is sent when the queue has nothing left to do (every file finished).
	Finished *Totals
}

// Alert is a problem that needs a person, with the files it concerns.
type Alert struct {
	Kind    AlertKind
	Message string
	Files   []string
}
