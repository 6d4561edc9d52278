package upload

import (
	"fmt"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/schedule"
)

// Settings are the user's choices for the engine; they can change while it runs.
type Settings struct {
	ParallelFiles  int   // files uploaded at once (default 2)
	ParallelChunks int   // chunks in flight per file (default 4)
	BandwidthLimit int64 // bytes per second over all uploads; 0 = unlimited
	// OffsetFromNow sends offset 0 instead of the media's age, filing everything under
	// today (and letting the server judge pause windows by the upload time).
	OffsetFromNow bool
	// Order is the order categories go in; the zero Order is the default (sound,
	// proxies, sidecars, stills, originals, other).
	Order media.Order
	// ManualStart: files added wait on hold until the person starts them (Start).
	ManualStart bool
	// Filter is which files of an add are queued, unless the add says otherwise
	// (AddOptions.Filter).
	Filter media.FilterSpec
	// Schedule is the bandwidth schedule (core/schedule): limits by time of day, with
	// BandwidthLimit outside its periods; "" for none.
	Schedule string
	// HashFormat is the format every file sent is hashed in for its receipt; "" is
	// hashes.Default (xxh64).
	HashFormat hashes.Format
	// Realtime: a file queued while it is still being written (AddOptions.Growing) is
	// uploaded as it grows, part by part, rather than once it has settled.
	Realtime bool
	// PartSize is the size of each part of a file uploaded as it is written (all but
	// the final one); 0 is MinPartSize.
	PartSize int64
	// Settle is how long a file uploaded as it is written must stop growing before its
	// final part goes; 0 is the engine's SettleTime.
	Settle time.Duration
	// KeepFinished is how long a file stays in the list once uploaded: then it leaves it
	// as if cleared (prune.go). 0 keeps it until it is cleared.
	KeepFinished time.Duration
}

// MinPartSize is the least a part of a file uploaded as it is written may hold (but the
// final one): S3's least part of a multipart upload, which real-time parts are
// (docs/api-notes.md §3.6).
const MinPartSize = 5 << 20

// MaxPartSize is the most a part may hold: S3's greatest part.
const MaxPartSize = 5 << 30

// DefaultSettings: two files at a time, four chunks of each, no bandwidth limit, offsets
// from the media's capture time, files hashed in xxh64, files still being written
// uploaded as they grow in parts of 5 MiB, finished once still for 2 s, uploaded files
// listed for a week.
func DefaultSettings() Settings {
	return Settings{ParallelFiles: 2, ParallelChunks: 4, HashFormat: hashes.Default, Realtime: true, PartSize: MinPartSize, Settle: 2 * time.Second,
		KeepFinished: DefaultKeepFinished}
}

// DefaultKeepFinished is how long an uploaded file stays in the list unless the settings
// say otherwise: a week of shooting.
const DefaultKeepFinished = 7 * 24 * time.Hour

// MinKeepFinished is the least time an uploaded file stays in the list (when it is not
// kept until cleared).
const MinKeepFinished = time.Hour

// Limits of the settings.
const (
	MaxParallelFiles  = 16
	MaxParallelChunks = 32
	minBandwidth      = 64 << 10 // below this, server timeouts would trip
)

// Validate explains what is wrong with s, in words for a settings form.
func (s Settings) Validate() error {
	switch {
	case s.ParallelFiles < 1 || s.ParallelFiles > MaxParallelFiles:
		return fmt.Errorf("parallel files must be between 1 and %d", MaxParallelFiles)
	case s.ParallelChunks < 1 || s.ParallelChunks > MaxParallelChunks:
		return fmt.Errorf("parallel chunks per file must be between 1 and %d", MaxParallelChunks)
	case s.BandwidthLimit < 0:
		return fmt.Errorf("the bandwidth limit cannot be negative")
	case s.BandwidthLimit > 0 && s.BandwidthLimit < minBandwidth:
		return fmt.Errorf("the bandwidth limit must be at least %d KiB/s (or 0 for none)", minBandwidth>>10)
	case s.PartSize != 0 && (s.PartSize < MinPartSize || s.PartSize > MaxPartSize):
		return fmt.Errorf("the part size must be between %d MiB and %d GiB", MinPartSize>>20, MaxPartSize>>30)
	case s.KeepFinished != 0 && s.KeepFinished < MinKeepFinished:
		return fmt.Errorf("uploaded files must stay in the list at least an hour (or until cleared)")
	case s.Settle < 0:
		return fmt.Errorf("the settle time cannot be negative")
	}
	if _, err := s.Filter.Parse(); err != nil {
		return fmt.Errorf("the filter's %w", err)
	}
	if _, err := schedule.Parse(s.Schedule, minBandwidth); err != nil {
		return fmt.Errorf("the bandwidth schedule: %w", err)
	}
	return nil
}
