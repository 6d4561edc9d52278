package core

import (
	"errors"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"slices"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// What the front ends see. They import core (and core/format) and nothing else of core:
// these are the words of the service's signatures and events. The names of states are
// the engine's own (aliases); the records are core's, converted at the door, so a field
// added inside the engine reaches a front end only when core says so.

// FileID identifies a file in the queue.
type FileID = upload.FileID

// State is where a file is in its life (docs/architecture.md, "The life of a file").
type State = upload.State

const (
	Queued    = upload.Queued
	Waiting   = upload.Waiting
	Creating  = upload.Creating
	Uploading = upload.Uploading
	Retrying  = upload.Retrying
	Paused    = upload.Paused
	Done      = upload.Done
	Failed    = upload.Failed
	Skipped   = upload.Skipped
	Cancelled = upload.Cancelled
	Held      = upload.Held
	OnHold    = upload.OnHold
)

// Category is what a file is for the people waiting for it (core/media): it decides
// what goes first.
type Category = media.Category

const (
	Sound     = media.Sound
	Proxies   = media.Proxies
	Sidecars  = media.Sidecars
	Stills    = media.Stills
	Originals = media.Originals
	Other     = media.Other
)

// FilterSpec is which files of an add are queued (core/media).
type FilterSpec = media.FilterSpec

// CategoryOrder is the order categories go in (Settings.Order); its zero value is the
// default.
type CategoryOrder = media.Order

// Place is where Move puts files: Top or Bottom.
type Place = upload.Place

const (
	Top    = upload.Top
	Bottom = upload.Bottom
)

// ParsePlace reads "top" or "bottom".
func ParsePlace(s string) (Place, error) { return upload.ParsePlace(s) }

// SortByRun sorts views into the order the queue runs them: files running, then those
// waiting to run in the order they will, then the finished.
func SortByRun(views []FileView, order CategoryOrder) {
	// The engine's rule, read from core's own views.
	upload.SortViews(views, order, func(v *FileView) upload.RunPlace {
		return upload.RunPlace{Key: v.RunKey(), State: v.State, Sending: v.Sending, DoneAt: v.DoneAt}
	})
}

// RunKey is what a file's place in the queue depends on (moves, category, time shot,
// name); its Compare orders two, whatever their state, for a list whose rows should not
// jump as files start and finish.
type RunKey = upload.RunKey

// MovedTo is where the person moved the file: Top, Bottom, or "" where its kind puts it.
func (v *FileView) MovedTo() Place {
	switch {
	case v.Rank < 0:
		return Top
	case v.Rank > 0:
		return Bottom
	}
	return ""
}

// RunKey is the file's place in the queue.
func (v *FileView) RunKey() RunKey {
	return RunKey{Rank: v.Rank, Category: v.Category, Shot: v.Shot, Name: v.Name, ID: v.ID}
}

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
	// Sending is true while the file's chunks go to presigned URLs: it goes on while the
	// device needs reconnecting, although State may say waiting.
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
	// (Move); Shot when it was shot. SortByRun puts views in the order the queue runs
	// them.
	Category Category
	Rank     int64
	Shot     time.Time
	// Realtime: it is uploaded as it is written (a clip being recorded): Size is what it
	// holds so far, and nothing can say how long it has left.
	Realtime bool
	// Hashes are the hashes of the bytes sent, once it is done; HashList the folder of the
	// offload's hash list (ASC MHL) that covers it, Offload the hash that list gives it
	// (Verdict compares them).
	Hashes   Hashes
	HashList string
	Offload  Hash
	// For its receipt: the folder it was added with, its mtime, its failed tries, when its
	// upload started and when it was last written into its batch's receipts.
	Root      string
	ModTime   time.Time
	Attempts  int
	StartedAt time.Time
	Receipted time.Time
}

// Hashes are a file's hashes, one per format; Hash is one of them; HashFormat names a
// format (xxh64, md5, …).
type (
	Hashes     = hashes.Sums
	Hash       = hashes.Sum
	HashFormat = hashes.Format
)

// DefaultHashFormat is the format files are hashed in unless the settings say otherwise.
const DefaultHashFormat = hashes.Default

// HashFormats are the formats files can be hashed in, fastest first.
func HashFormats() []HashFormat { return slices.Clone(hashes.Formats) }

// Verdicts of a file against the offload's hash list (FileView.Verdict).
const (
	VerdictMatched   = upload.VerdictMatched
	VerdictDiffers   = upload.VerdictDiffers
	VerdictNotListed = upload.VerdictNotListed
)

// Verdict compares the file's hashes with the offload's hash list: "" when no list
// covers it or it is not hashed yet.
func (v *FileView) Verdict() string { return upload.FileView(*v).Verdict() }

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

// LeftOutGroup is the files an add's filter left out for one reason.
type LeftOutGroup struct {
	Reason string
	Paths  []string
}

// LeftOut groups the files the filter left out by reason, in the order first met: a
// card's hundreds of originals are one line, not hundreds.
func LeftOut(rs []Rejection) []LeftOutGroup {
	var out []LeftOutGroup
	at := map[string]int{}
	for _, r := range rs {
		if !r.LeftOut {
			continue
		}
		i, ok := at[r.Reason]
		if !ok {
			i = len(out)
			at[r.Reason] = i
			out = append(out, LeftOutGroup{Reason: r.Reason})
		}
		out[i].Paths = append(out[i].Paths, r.Path)
	}
	return out
}

// AddOptions say how Add queues files: Force queues again files uploaded already; Hold
// keeps them on hold until started, whatever the start setting; Filter leaves some out.
type AddOptions struct {
	Force bool `json:"force,omitempty"`
	Hold  bool `json:"hold,omitempty"`
	// Filter, when set, is which files are queued instead of the settings' filter.
	Filter *FilterSpec `json:"filter,omitempty"`
}

func (a AddOptions) engine() upload.AddOptions {
	return upload.AddOptions{Force: a.Force, Hold: a.Hold, Filter: a.Filter}
}

// AddResult is what Add did with each path.
type AddResult struct {
	Added []FileView
	// Again are files of the queue that had failed or were cancelled, queued again
	// because they were named again.
	Again    []FileView
	Rejected []Rejection
	// HashListProblems say what of the offload's hash lists (ASC MHL) covering the files
	// could not be read or did not add up, one sentence each; the files are queued all
	// the same.
	HashListProblems []string
}

// Selector picks the files a command applies to: one id, or All.
type Selector struct {
	ID FileID
	// IDs are several files (the rows a person picked); those no longer in the queue
	// are passed over.
	IDs []FileID
	All bool
}

// ErrUnknownFile is returned by commands for an id that is not in the queue (removed
// meanwhile).
var ErrUnknownFile = upload.ErrUnknownFile

// One selects a single file.
func One(id FileID) Selector { return Selector{ID: id} }

// Some selects several files.
func Some(ids ...FileID) Selector { return Selector{IDs: ids} }

// All selects every file.
var All = Selector{All: true}

// AuthState is whether the device is paired.
type AuthState = auth.State

const (
	Unpaired       = auth.Unpaired
	Paired         = auth.Paired
	Refreshing     = auth.Refreshing
	NeedsReconnect = auth.NeedsReconnect
)

// AuthStatus is the pairing as the front ends see it.
type AuthStatus struct {
	State       AuthState
	ProjectName string
	ProjectID   string
	DeviceName  string
	// Reason says in plain words why a reconnect is needed.
	Reason string
	// CauseKind is the kind of error that led to NeedsReconnect (it picks the dialog).
	CauseKind string
	// StorageWarning is set while the tokens live only in memory (the keychain refused
	// them): pairing will not survive a restart.
	StorageWarning string
	AccessExpires  time.Time
}

// PairState is where a pairing under way is.
type PairState = auth.PairState

const (
	PairRequesting = auth.PairRequesting
	PairPending    = auth.PairPending
	PairApproved   = auth.PairApproved
	PairPaired     = auth.PairPaired
	PairDeclined   = auth.PairDeclined
	PairFailed     = auth.PairFailed
	PairCancelled  = auth.PairCancelled
)

// ErrDeclined is what Pair returns when the pairing was declined in the project.
var ErrDeclined = auth.ErrDeclined

// Pairing is what a front end shows while pairing.
type Pairing struct {
	State    PairState
	UserCode string
	// VerificationURI is where the code is typed; VerificationURIComplete (may be "")
	// has it filled in, for a link or a QR code.
	VerificationURI         string
	VerificationURIComplete string
	DeviceName              string
	ExpiresAt               time.Time
	Interval                time.Duration
	// Codes counts the codes issued in this pairing (a new one each time one expires).
	Codes int
	// Message says in plain words what is happening.
	Message string
	// ErrKind is the kind of the fatal answer of a failed pairing ("" otherwise).
	ErrKind string
}

// ConnState is the state of the connection to the API.
type ConnState = conn.State

const (
	Online       = conn.Online
	Offline      = conn.Offline      // waiting for the next health check
	Reconnecting = conn.Reconnecting // a health check is under way
)

// Connection is the connection as the front ends see it.
type Connection struct {
	State ConnState
	Since time.Time // when State began
	// NextCheck is when the next health check is due (zero unless Offline).
	NextCheck time.Time
	// Reason says, in plain words, why the connection is considered down.
	Reason string
	// Checks counts the failed health checks since the connection went down.
	Checks int
}

// UnpairResult says how an unpair went.
type UnpairResult struct {
	// Revoked: the API ended the pairing (or it had already ended there).
	Revoked bool
	// Pending: the API could not be reached; the revocation is kept and sent when the
	// app next reaches it.
	Pending bool
	// Reason says why the revocation is pending.
	Reason string
}

// UserText is an error in the words the app shows a person: the API's errors and the
// store's say what to do without their technical cause (which the log has).
func UserText(err error) string {
	if e, ok := api.AsError(err); ok {
		return e.UserMessage()
	}
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return u.UserMessage()
	}
	return err.Error()
}

// ValidateAPIURL checks an API URL a person typed: nil when the app can use it.
func ValidateAPIURL(s string) error {
	_, err := api.ValidateBaseURL(s)
	return err
}

// The conversions at the door.

func fileView(v upload.FileView) FileView { return FileView(v) }

func fileViews(vs []upload.FileView) []FileView {
	out := make([]FileView, len(vs))
	for i, v := range vs {
		out[i] = FileView(v)
	}
	return out
}

func totals(t upload.Totals) Totals { return Totals(t) }

func addResult(r upload.AddResult) AddResult {
	out := AddResult{Added: fileViews(r.Added), Again: fileViews(r.Again), Rejected: make([]Rejection, len(r.Rejected)),
		HashListProblems: r.HashListProblems}
	for i, rej := range r.Rejected {
		out.Rejected[i] = Rejection(rej)
	}
	return out
}

func (s Selector) engine() upload.Selector {
	return upload.Selector{ID: s.ID, IDs: s.IDs, All: s.All}
}

func authStatus(st auth.Status) AuthStatus {
	out := AuthStatus{
		State: st.State, ProjectName: st.ProjectName, ProjectID: st.ProjectID, DeviceName: st.DeviceName,
		Reason: st.Reason, StorageWarning: st.StorageWarning, AccessExpires: st.AccessExpires,
	}
	if st.Cause != nil {
		out.CauseKind = string(st.Cause.Kind)
	}
	return out
}

func pairing(p auth.Pairing) Pairing {
	out := Pairing{
		State: p.State, UserCode: p.UserCode, VerificationURI: p.VerificationURI,
		VerificationURIComplete: p.VerificationURIComplete, DeviceName: p.DeviceName,
		ExpiresAt: p.ExpiresAt, Interval: p.Interval, Codes: p.Codes, Message: p.Message,
	}
	if p.Err != nil {
		out.ErrKind = string(p.Err.Kind)
	}
	return out
}

func connection(c conn.Status) Connection { return Connection(c) }
