package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/format"
	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/receipt"
	"github.com/c2c-uploader/c2c-uploader/core/schedule"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Limits of the settings.
const (
	MaxParallelFiles  = upload.MaxParallelFiles
	MaxParallelChunks = upload.MaxParallelChunks
)

// DefaultAPIURL is the real service.
const DefaultAPIURL = "https://api.frame.io"

// minBandwidthLimit is the engine's floor for a limit (upload.Settings.Validate; below
// it server timeouts would trip), said here in the key's own words
// (TestBandwidthFloorIsTheEngines keeps the two equal).
const minBandwidthLimit = 64 << 10

// Settings are the person's choices, the same for the window and every headless
// command: kept in the data folder (store/settings), overridden for one run by the
// command-line flag named like each key (SettingKeys).
type Settings struct {
	ParallelFiles  int   // large files uploaded at once
	ParallelChunks int   // parts of each file in flight
	BandwidthLimit int64 // bytes per second over all uploads; 0: no limit
	// OffsetFromNow files everything under the day it is uploaded instead of the day it
	// was shot (upload.Settings).
	OffsetFromNow bool
	Notifications bool   // the window tells when a batch ends or needs attention
	APIURL        string // the API's base URL
	// Order is the order categories go in (README, "What goes first"); the zero value is
	// the default: sound, proxies, sidecars, stills, originals, other.
	Order CategoryOrder
	// ManualStart: files added wait on hold until the person starts them (Start);
	// otherwise they go as soon as they are added.
	ManualStart bool
	// Filter is which files of a card are queued (only some kinds, include and exclude
	// patterns); the others are listed as left out.
	Filter FilterSpec
	// Schedule is the bandwidth schedule: limits by time of day and weekday, with
	// BandwidthLimit outside its periods ("" for none; core/schedule).
	Schedule string
	// HashFormat is the format every file sent is hashed in for its receipt (xxh64 by
	// default); a file an offload's hash list covers is hashed in that list's format too.
	HashFormat HashFormat
	// HashLists is where a batch's ASC MHL generation is written (HashListsExisting,
	// HashListsAlways, HashListsReports).
	HashLists string
	// Watch is the folders watched for new files, absolute, separated by the system's
	// list separator (os.PathListSeparator: a folder's name may hold a comma); "" none.
	Watch string
	// Settle is how long a file found in a watched folder must stay unchanged before it
	// is queued.
	Settle time.Duration
	// Realtime: a file in a watched folder seen growing past one part is uploaded as it
	// is written (a clip while it is recorded), part by part, the final part once it has
	// settled; otherwise it is queued once it settles.
	Realtime bool
	// PartSize is the size of each part of a file uploaded as it is written (at least
	// 5 MiB, S3's least part).
	PartSize int64
	// KeepAwake: the computer is kept from sleeping while files upload (Config.Awake).
	KeepAwake bool
	// Cards is what happens when a camera card is mounted: CardsAsk (the window offers
	// to upload it), CardsAlways (it is uploaded), CardsNever.
	Cards string
	// CardRoots are folders where volumes are mounted besides the system's
	// (ingest.DefaultMountRoots), separated by the system's list separator.
	CardRoots string
	// KeepFinished is how long an uploaded file stays in the list; then it leaves it as
	// if cleared (still known as uploaded, still in its batch's receipts). 0 keeps it
	// until it is cleared.
	KeepFinished time.Duration
}

// What happens when a camera card is mounted.
const (
	CardsAsk    = "ask"
	CardsAlways = "always"
	CardsNever  = "never"
)

// CardRootFolders are the folders of s.CardRoots.
func (s Settings) CardRootFolders() []string { return splitFolders(s.CardRoots) }

// foldersSetting reads a list of folders into the field: absolute, each once, separated
// by the system's list separator (a folder's name may hold a comma).
func foldersSetting(field func(*Settings) *string) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		var folders []string
		for _, f := range splitFolders(v) {
			abs, err := filepath.Abs(f)
			if err != nil {
				return fmt.Errorf("give folders (%s cannot be resolved)", f)
			}
			if !slices.Contains(folders, abs) {
				folders = append(folders, abs)
			}
		}
		*field(s) = strings.Join(folders, string(os.PathListSeparator))
		return nil
	}
}

// WatchFolders are the folders of s.Watch.
func (s Settings) WatchFolders() []string { return splitFolders(s.Watch) }

func splitFolders(v string) []string {
	var out []string
	for _, f := range filepath.SplitList(v) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// DefaultSettle is how long a file in a watched folder must stay unchanged before it is
// queued, unless the settle setting says otherwise.
const DefaultSettle = 2 * time.Second // upload.DefaultSettings' (TestDefaultSettingsAreTheEngines)

// Where hash lists go: appended to the history already beside the media (else into the
// reports folder); also started beside media that has none; only in the reports folder.
// Never onto a camera card or a volume that cannot be written.
const (
	HashListsExisting = receipt.HashListsExisting
	HashListsAlways   = receipt.HashListsAlways
	HashListsReports  = receipt.HashListsReports
)

// DefaultSettings are the settings nobody changed.
func DefaultSettings() Settings {
	u := upload.DefaultSettings()
	return Settings{
		ParallelFiles: u.ParallelFiles, ParallelChunks: u.ParallelChunks, BandwidthLimit: u.BandwidthLimit,
		OffsetFromNow: u.OffsetFromNow, Notifications: true, APIURL: DefaultAPIURL,
		HashFormat: hashes.Default, HashLists: HashListsExisting, Settle: DefaultSettle,
		Realtime: u.Realtime, PartSize: u.PartSize, KeepAwake: true, Cards: CardsAsk, KeepFinished: u.KeepFinished,
	}
}

// Upload is what of the settings the engine runs with.
func (s Settings) Upload() upload.Settings {
	return upload.Settings{
		ParallelFiles: s.ParallelFiles, ParallelChunks: s.ParallelChunks,
		BandwidthLimit: s.BandwidthLimit, OffsetFromNow: s.OffsetFromNow, Order: s.Order,
		ManualStart: s.ManualStart, Filter: s.Filter, Schedule: s.Schedule, HashFormat: s.HashFormat,
		Realtime: s.Realtime, PartSize: s.PartSize, Settle: s.Settle, KeepFinished: s.KeepFinished,
	}
}

// WithUpload is s with the engine's part u (the inverse of Upload).
func (s Settings) WithUpload(u upload.Settings) Settings {
	s.ParallelFiles, s.ParallelChunks, s.BandwidthLimit, s.OffsetFromNow = u.ParallelFiles, u.ParallelChunks, u.BandwidthLimit, u.OffsetFromNow
	s.Order, s.ManualStart, s.Filter, s.Schedule = u.Order, u.ManualStart, u.Filter, u.Schedule
	s.HashFormat, s.Realtime, s.PartSize, s.Settle = u.HashFormat, u.Realtime, u.PartSize, u.Settle
	s.KeepFinished = u.KeepFinished
	return s
}

// Validate explains what is wrong with s, in words for a form.
func (s Settings) Validate() error {
	if err := s.Upload().Validate(); err != nil {
		return err
	}
	_, err := api.ValidateBaseURL(s.APIURL)
	return err
}

// SettingKey is one setting as the command line and the settings file name it. Its
// Name is also the flag that overrides it for one run (--bandwidth 5MB/s).
type SettingKey struct {
	Name        string
	Description string
	// Switch: the flag may stand alone for true (--offset-from-now).
	Switch bool
	// List: the value is a list separated by commas (or Separator), and the flag may be
	// given more than once (--exclude '*.tmp' --exclude 'Proxy/**'), each adding to it.
	List      bool
	Separator string
	parse     func(s *Settings, value string) error
	format    func(s Settings) string
}

// Set reads value into s. The error is the reason, worded to follow "KEY cannot be
// VALUE": "give a whole number from 1 to 16".
func (k SettingKey) Set(s *Settings, value string) error { return k.parse(s, strings.TrimSpace(value)) }

// Value is the key's value in s, written the way Set reads it.
func (k SettingKey) Value(s Settings) string { return k.format(s) }

// Default is the key's default, written the way Set reads it.
func (k SettingKey) Default() string { return k.format(DefaultSettings()) }

// settingKeys is every setting there is; adding one is a row here (and a field above).
var settingKeys = []SettingKey{
	{
		Name: "parallel-files", Description: fmt.Sprintf("large files uploaded at once (1–%d); small files share their slots", upload.MaxParallelFiles),
		parse:  intSetting(func(s *Settings) *int { return &s.ParallelFiles }, upload.MaxParallelFiles),
		format: func(s Settings) string { return strconv.Itoa(s.ParallelFiles) },
	},
	{
		Name: "parallel-chunks", Description: fmt.Sprintf("parts of each file in flight (1–%d); files × chunks is the most parts in flight", upload.MaxParallelChunks),
		parse:  intSetting(func(s *Settings) *int { return &s.ParallelChunks }, upload.MaxParallelChunks),
		format: func(s Settings) string { return strconv.Itoa(s.ParallelChunks) },
	},
	{
		Name: "bandwidth", Description: "the most all uploads send together, like 5MB/s or 40Mbit/s; 0 for no limit",
		parse: func(s *Settings, v string) error {
			n, err := format.ParseBandwidth(v)
			if err != nil {
				return err
			}
			if n > 0 && n < minBandwidthLimit {
				return fmt.Errorf("give at least %s, or 0 for no limit", format.Bandwidth(minBandwidthLimit))
			}
			s.BandwidthLimit = n
			return nil
		},
		format: func(s Settings) string { return format.Bandwidth(s.BandwidthLimit) },
	},
	{
		Name: "schedule", Description: "bandwidth limits by time of day, like “weekdays 08:00-19:00 2MB/s; weekends 10:00-16:00 5MB/s” (bandwidth applies outside them); empty for none",
		parse: func(s *Settings, v string) error {
			sched, err := schedule.Parse(v, minBandwidthLimit)
			if err != nil {
				return err
			}
			s.Schedule = sched.String()
			return nil
		},
		format: func(s Settings) string { return s.Schedule },
	},
	{
		Name: "offset-from-now", Description: "true: date media by the day it is uploaded; false: by the day it was shot (recommended)",
		Switch: true,
		parse:  boolSetting(func(s *Settings) *bool { return &s.OffsetFromNow }),
		format: func(s Settings) string { return strconv.FormatBool(s.OffsetFromNow) },
	},
	{
		Name: "order", Description: "the order the kinds of file go in, first first: " + media.DefaultOrder().String() + " (those not named follow)",
		parse: func(s *Settings, v string) error {
			o, err := media.ParseOrder(v)
			if err != nil {
				return err
			}
			s.Order = o
			return nil
		},
		format: func(s Settings) string { return s.Order.String() },
	},
	{
		Name: "start", Description: "automatic: files upload as soon as they are added; manual: they wait on hold until started (c2c-uploader start, or Start in the window)",
		parse: func(s *Settings, v string) error {
			switch strings.ToLower(v) {
			case "automatic", "auto":
				s.ManualStart = false
			case "manual":
				s.ManualStart = true
			default:
				return errors.New("give automatic or manual")
			}
			return nil
		},
		format: func(s Settings) string {
			if s.ManualStart {
				return "manual"
			}
			return "automatic"
		},
	},
	{
		Name: "only", Description: "queue only these kinds of file, like sound,proxies (" + strings.Join(media.Names(), ", ") + "); empty for all",
		List: true,
		parse: func(s *Settings, v string) error {
			cs, err := media.ParseList(v)
			if err != nil {
				return err
			}
			s.Filter.Only = media.Join(cs)
			return nil
		},
		format: func(s Settings) string { return s.Filter.Only },
	},
	{
		Name: "include", Description: "queue only paths matching one of these patterns, like *.mov,Sound/** (below the folder added; any case); empty for all",
		List:   true,
		parse:  patternSetting(func(s *Settings) *string { return &s.Filter.Include }),
		format: func(s Settings) string { return s.Filter.Include },
	},
	{
		Name: "exclude", Description: "leave out paths matching any of these patterns, like *.tmp,Proxy/** (below the folder added; any case)",
		List:   true,
		parse:  patternSetting(func(s *Settings) *string { return &s.Filter.Exclude }),
		format: func(s Settings) string { return s.Filter.Exclude },
	},
	{
		Name: "hash", Description: "the hash of every file sent, for its receipt: " + hashes.Names() + " (a file an offload's hash list covers is hashed in that list's format too)",
		parse: func(s *Settings, v string) error {
			f, err := hashes.Parse(v)
			if err != nil {
				return fmt.Errorf("give one of %s", hashes.Names())
			}
			s.HashFormat = f
			return nil
		},
		format: func(s Settings) string { return string(s.HashFormat) },
	},
	{
		Name: "hash-lists", Description: "where a batch's ASC MHL hash list goes: existing (added to the offload's history beside the media, else the reports folder), always (also started beside media without one), reports (the reports folder only); never onto a camera card or read-only volume",
		parse: func(s *Settings, v string) error {
			switch v = strings.ToLower(v); v {
			case HashListsExisting, HashListsAlways, HashListsReports:
				s.HashLists = v
				return nil
			}
			return errors.New("give existing, always or reports")
		},
		format: func(s Settings) string { return s.HashLists },
	},
	{
		Name: "watch", Description: "folders watched for new files, queued as they settle (separated by " + string(os.PathListSeparator) + "); c2c-uploader watch DIR watches others for one run",
		List: true, Separator: string(os.PathListSeparator),
		parse:  foldersSetting(func(s *Settings) *string { return &s.Watch }),
		format: func(s Settings) string { return s.Watch },
	},
	{
		Name: "settle", Description: "how long a file in a watched folder must stay unchanged before it is queued, like 2s (from 100ms to 10m)",
		parse: func(s *Settings, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 100*time.Millisecond || d > 10*time.Minute {
				return errors.New("give a duration from 100ms to 10m, like 2s")
			}
			s.Settle = d
			return nil
		},
		format: func(s Settings) string { return s.Settle.String() },
	},
	{
		Name: "realtime", Description: "a file in a watched folder that grows past one part (a clip being recorded) is uploaded as it is written, its final part once it settles (true or false)",
		Switch: true,
		parse:  boolSetting(func(s *Settings) *bool { return &s.Realtime }),
		format: func(s Settings) string { return strconv.FormatBool(s.Realtime) },
	},
	{
		Name: "part-size", Description: fmt.Sprintf("the size of each part of a file uploaded as it is written, in MiB (%d to %d)", upload.MinPartSize>>20, upload.MaxPartSize>>20),
		parse: func(s *Settings, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "MiB")), 10, 64)
			if err != nil || n < upload.MinPartSize>>20 || n > upload.MaxPartSize>>20 {
				return fmt.Errorf("give a whole number of MiB from %d to %d, like 8", upload.MinPartSize>>20, upload.MaxPartSize>>20)
			}
			s.PartSize = n << 20
			return nil
		},
		format: func(s Settings) string { return strconv.FormatInt(s.PartSize>>20, 10) },
	},
	{
		Name: "keep-awake", Description: "keep the computer from sleeping while files upload (true or false)",
		Switch: true,
		parse:  boolSetting(func(s *Settings) *bool { return &s.KeepAwake }),
		format: func(s Settings) string { return strconv.FormatBool(s.KeepAwake) },
	},
	{
		Name: "cards", Description: "when a camera card is mounted: ask (the window offers to upload it), always (it is uploaded), never",
		parse: func(s *Settings, v string) error {
			switch v = strings.ToLower(v); v {
			case CardsAsk, CardsAlways, CardsNever:
				s.Cards = v
				return nil
			}
			return errors.New("give ask, always or never")
		},
		format: func(s Settings) string { return s.Cards },
	},
	{
		Name: "card-roots", Description: "folders where volumes are mounted besides the system's (/media/USER, /run/media/USER, /Volumes, drive letters), separated by " + string(os.PathListSeparator),
		List: true, Separator: string(os.PathListSeparator),
		parse:  foldersSetting(func(s *Settings) *string { return &s.CardRoots }),
		format: func(s Settings) string { return s.CardRoots },
	},
	{
		Name: "keep-finished", Description: "how long an uploaded file stays in the list, like 12h, 7d or 30d (from 1h to 3650d); then it leaves it as if cleared, still known as uploaded and in its batch's report; forever keeps it until cleared",
		parse: func(s *Settings, v string) error {
			d, err := parseKeep(v)
			if err != nil {
				return err
			}
			s.KeepFinished = d
			return nil
		},
		format: func(s Settings) string { return formatKeep(s.KeepFinished) },
	},
	{
		Name: "notifications", Description: "the window tells when a batch finishes or needs attention (true or false)",
		Switch: true,
		parse:  boolSetting(func(s *Settings) *bool { return &s.Notifications }),
		format: func(s Settings) string { return strconv.FormatBool(s.Notifications) },
	},
	{
		Name: "api", Description: "the API's base URL (https; http only for this computer); a paired data folder keeps its own",
		parse: func(s *Settings, v string) error {
			u, err := api.ValidateBaseURL(v)
			if err != nil {
				return err
			}
			s.APIURL = u.String()
			return nil
		},
		format: func(s Settings) string { return s.APIURL },
	},
}

// SettingKeys are every setting, in the order they are listed.
func SettingKeys() []SettingKey { return append([]SettingKey(nil), settingKeys...) }

// SettingKeyNames are the keys' names, in order.
func SettingKeyNames() []string {
	names := make([]string, len(settingKeys))
	for i, k := range settingKeys {
		names[i] = k.Name
	}
	return names
}

// UnknownSettingError: no setting has that name. Nearest is the key most likely meant
// ("" when none is near).
type UnknownSettingError struct{ Name, Nearest string }

func (e *UnknownSettingError) Error() string {
	if e.Nearest != "" {
		return fmt.Sprintf("there is no setting %q (did you mean %s?)", e.Name, e.Nearest)
	}
	return fmt.Sprintf("there is no setting %q (the settings are %s)", e.Name, strings.Join(SettingKeyNames(), ", "))
}

// SettingValueError: a value a key does not take. Err is the reason ("give a whole
// number from 1 to 16").
type SettingValueError struct {
	Key, Value string
	Err        error
}

func (e *SettingValueError) Error() string {
	return fmt.Sprintf("%s cannot be %q (%v)", e.Key, e.Value, e.Err)
}

func (e *SettingValueError) Unwrap() error { return e.Err }

// ApplySettings reads values (key → value) into s: an *UnknownSettingError or a
// *SettingValueError for the first that is wrong, and then s is as it was.
func ApplySettings(s *Settings, values map[string]string) error {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names) // the same mistake is told first each time
	for _, name := range names {
		if _, err := LookupSettingKey(name); err != nil {
			return err
		}
	}
	next := *s
	for _, k := range settingKeys {
		if v, ok := values[k.Name]; ok {
			if err := k.Set(&next, v); err != nil {
				return &SettingValueError{Key: k.Name, Value: v, Err: err}
			}
		}
	}
	*s = next
	return nil
}

// LookupSettingKey finds a key by name (an *UnknownSettingError when there is none).
func LookupSettingKey(name string) (SettingKey, error) {
	for _, k := range settingKeys {
		if k.Name == name {
			return k, nil
		}
	}
	return SettingKey{}, &UnknownSettingError{Name: name, Nearest: format.Nearest(name, SettingKeyNames())}
}

func intSetting(field func(*Settings) *int, most int) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > most {
			return fmt.Errorf("give a whole number from 1 to %d", most)
		}
		*field(s) = n
		return nil
	}
}

// patternSetting reads glob patterns separated by commas into field, tidied.
func patternSetting(field func(*Settings) *string) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		tidy, err := media.TidyPatterns(v)
		if err != nil {
			return err
		}
		*field(s) = tidy
		return nil
	}
}

func boolSetting(field func(*Settings) *bool) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		switch strings.ToLower(v) {
		case "true", "yes", "on", "1":
			*field(s) = true
		case "false", "no", "off", "0":
			*field(s) = false
		default:
			return errors.New("give true or false")
		}
		return nil
	}
}

// SavedSettings are the settings as a store holds them.
type SavedSettings struct {
	// Settings are the saved values over the defaults.
	Settings Settings
	// Saved are the keys that have a value of their own, written the way Set reads it;
	// the others follow the default.
	Saved map[string]string
	// Problems are sentences to show once: a damaged file replaced by the defaults, a
	// value not understood (that key is at its default).
	Problems []string
	// CarriedOver: the window's earlier preferences were carried over (once).
	CarriedOver bool
}

// SettingsStore keeps the settings between runs (store/settings, in the data folder).
// It needs no lock on the data folder: a process reads the settings when it starts, so
// a change made while the window runs takes effect at the window's next start.
type SettingsStore interface {
	Load() (SavedSettings, error)
	// Set saves values (key → value as Set reads it): all, or none when one is wrong.
	Set(values map[string]string) error
	// Reset takes the keys back to their defaults.
	Reset(keys ...string) error
}

// ChangedSettings are the keys whose values differ between before and after, written
// the way Set reads them: what a settings form saves, so that it leaves alone what it
// did not change (a value set on the command line meanwhile).
func ChangedSettings(before, after Settings) map[string]string {
	out := map[string]string{}
	for _, k := range settingKeys {
		if v := k.Value(after); v != k.Value(before) {
			out[k.Name] = v
		}
	}
	return out
}

// keepForever is the keep-finished value that keeps uploaded files until cleared.
const keepForever = "forever"

// maxKeepDays is the longest time keep-finished takes short of forever: ten years.
const maxKeepDays = 3650

// parseKeep reads how long uploaded files stay in the list: a number of days (7d) or
// hours (12h), a Go duration (90m), or forever (0).
func parseKeep(v string) (time.Duration, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == keepForever {
		return 0, nil
	}
	bad := fmt.Errorf("give a time from 1h to %dd, like 12h, 7d or 30d, or %s", maxKeepDays, keepForever)
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || days < 1 || days > maxKeepDays {
			return 0, bad
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, bad
		}
	}
	// One bound for both spellings: what is saved is written back in days (formatKeep).
	if d < upload.MinKeepFinished || d > maxKeepDays*24*time.Hour {
		return 0, bad
	}
	return d, nil
}

// formatKeep writes d as parseKeep reads it: in days or hours when whole.
func formatKeep(d time.Duration) string {
	switch {
	case d == 0:
		return keepForever
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}
