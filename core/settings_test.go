package core

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// Every key reads what a person would write and refuses the rest with a reason that
// says what to give; a refused value leaves the settings as they were.
func TestSettingKeysParse(t *testing.T) {
	cases := []struct {
		key  string
		good map[string]func(Settings) bool
		bad  []string
	}{
		{"parallel-files", map[string]func(Settings) bool{
			"1": func(s Settings) bool { return s.ParallelFiles == 1 }, "16": func(s Settings) bool { return s.ParallelFiles == 16 },
			" 8 ": func(s Settings) bool { return s.ParallelFiles == 8 },
		}, []string{"0", "17", "-1", "", "two", "1.5", "2x"}},
		{"parallel-chunks", map[string]func(Settings) bool{
			"1": func(s Settings) bool { return s.ParallelChunks == 1 }, "32": func(s Settings) bool { return s.ParallelChunks == 32 },
		}, []string{"0", "33", "", "x"}},
		{"bandwidth", map[string]func(Settings) bool{
			"5MB/s":    func(s Settings) bool { return s.BandwidthLimit == 5_000_000 },
			"40Mbit/s": func(s Settings) bool { return s.BandwidthLimit == 5_000_000 },
			"500KB/s":  func(s Settings) bool { return s.BandwidthLimit == 500_000 },
			"1.5MiB/s": func(s Settings) bool { return s.BandwidthLimit == 3<<19 },
			"64KiB/s":  func(s Settings) bool { return s.BandwidthLimit == 64<<10 },
			"0":        func(s Settings) bool { return s.BandwidthLimit == 0 },
		}, []string{"", "fast", "5", "-1MB/s", "10KB/s", "65535B/s", "1bit/s", "5 mb/s"}},
		{"offset-from-now", map[string]func(Settings) bool{
			"true": func(s Settings) bool { return s.OffsetFromNow }, "false": func(s Settings) bool { return !s.OffsetFromNow },
			"yes": func(s Settings) bool { return s.OffsetFromNow }, "OFF": func(s Settings) bool { return !s.OffsetFromNow },
		}, []string{"", "maybe", "2"}},
		{"order", map[string]func(Settings) bool{
			"originals,sound": func(s Settings) bool {
				return s.Order == CategoryOrder{Originals, Sound, Proxies, Sidecars, Stills, Other}
			},
			"sound,proxies,sidecars,stills,originals,other": func(s Settings) bool { return s.Order == CategoryOrder{} },
			"Proxy, audio": func(s Settings) bool { return s.Order.Rank(Proxies) == 0 && s.Order.Rank(Sound) == 1 },
		}, []string{"", "video", "sound,sound", "proxys"}},
		{"start", map[string]func(Settings) bool{
			"manual": func(s Settings) bool { return s.ManualStart }, "Automatic": func(s Settings) bool { return !s.ManualStart },
		}, []string{"", "later", "true"}},
		{"only", map[string]func(Settings) bool{
			"sound,proxies": func(s Settings) bool { return s.Filter.Only == "sound,proxies" },
			" Proxy ,audio": func(s Settings) bool { return s.Filter.Only == "proxies,sound" },
			"":              func(s Settings) bool { return s.Filter.Only == "" },
		}, []string{"video", "sound,sound"}},
		{"include", map[string]func(Settings) bool{
			"*.mov, Sound/** ,": func(s Settings) bool { return s.Filter.Include == "*.mov,Sound/**" },
			"":                  func(s Settings) bool { return s.Filter.Include == "" },
		}, []string{"[abc", "*.{mov"}},
		{"exclude", map[string]func(Settings) bool{
			"*.tmp": func(s Settings) bool { return s.Filter.Exclude == "*.tmp" },
		}, []string{"Proxy/[", "{a,b"}},
		{"schedule", map[string]func(Settings) bool{
			"weekdays 08:00-19:00 2MB/s":      func(s Settings) bool { return s.Schedule == "weekdays 08:00-19:00 2MB/s" },
			"sat,SUN 10:00-16:00 40Mbit/s ; ": func(s Settings) bool { return s.Schedule == "weekends 10:00-16:00 5MB/s" },
			"":                                func(s Settings) bool { return s.Schedule == "" },
		}, []string{"weekdays 08:00-19:00", "mon 08:00-19:00 1MB/s; mon 18:00-20:00 2MB/s", "mon 08:00-19:00 10KB/s"}},
		{"hash", map[string]func(Settings) bool{
			"md5": func(s Settings) bool { return s.HashFormat == "md5" }, " XXH128 ": func(s Settings) bool { return s.HashFormat == "xxh128" },
			"c4": func(s Settings) bool { return s.HashFormat == "c4" },
		}, []string{"", "crc32", "sha256", "xxh"}},
		{"hash-lists", map[string]func(Settings) bool{
			"always": func(s Settings) bool { return s.HashLists == HashListsAlways }, "Reports": func(s Settings) bool { return s.HashLists == HashListsReports },
		}, []string{"", "card", "never"}},
		{"watch", map[string]func(Settings) bool{
			"/media/dit/offload": func(s Settings) bool { return s.Watch == "/media/dit/offload" },
			"/a, b" + string(os.PathListSeparator) + "/c" + string(os.PathListSeparator) + "/a, b": func(s Settings) bool {
				return slices.Equal(s.WatchFolders(), []string{"/a, b", "/c"}) // a comma is part of a name
			},
			"": func(s Settings) bool { return s.Watch == "" },
		}, nil},
		{"settle", map[string]func(Settings) bool{
			"5s": func(s Settings) bool { return s.Settle == 5*time.Second }, "100ms": func(s Settings) bool { return s.Settle == 100*time.Millisecond },
		}, []string{"", "0", "2", "50ms", "11m", "soon"}},
		{"realtime", map[string]func(Settings) bool{
			"false": func(s Settings) bool { return !s.Realtime }, "on": func(s Settings) bool { return s.Realtime },
		}, []string{"", "live"}},
		{"part-size", map[string]func(Settings) bool{
			"8": func(s Settings) bool { return s.PartSize == 8<<20 }, "64MiB": func(s Settings) bool { return s.PartSize == 64<<20 },
			"5120": func(s Settings) bool { return s.PartSize == 5<<30 },
		}, []string{"", "4", "5121", "8MB", "1.5", "-8"}},
		{"keep-awake", map[string]func(Settings) bool{
			"false": func(s Settings) bool { return !s.KeepAwake }, "ON": func(s Settings) bool { return s.KeepAwake },
			"no": func(s Settings) bool { return !s.KeepAwake },
		}, []string{"", "always", "2"}},
		{"cards", map[string]func(Settings) bool{
			"Always": func(s Settings) bool { return s.Cards == CardsAlways }, "never": func(s Settings) bool { return s.Cards == CardsNever },
			"ask": func(s Settings) bool { return s.Cards == CardsAsk },
		}, []string{"", "sometimes", "yes"}},
		{"card-roots", map[string]func(Settings) bool{
			"/mnt/cards": func(s Settings) bool { return s.CardRoots == "/mnt/cards" },
			"":           func(s Settings) bool { return s.CardRoots == "" },
		}, nil},
		{"keep-finished", map[string]func(Settings) bool{
			"7d": func(s Settings) bool { return s.KeepFinished == 7*24*time.Hour }, "12h": func(s Settings) bool { return s.KeepFinished == 12*time.Hour },
			"Forever": func(s Settings) bool { return s.KeepFinished == 0 }, "90m": func(s Settings) bool { return s.KeepFinished == 90*time.Minute },
			" 30d ": func(s Settings) bool { return s.KeepFinished == 30*24*time.Hour },
		}, []string{"", "0", "30m", "1.5d", "-7d", "0d", "week", "7 days", "3651d", "87624h"}},
		{"notifications", map[string]func(Settings) bool{
			"false": func(s Settings) bool { return !s.Notifications }, "on": func(s Settings) bool { return s.Notifications },
		}, []string{"", "loud"}},
		{"api", map[string]func(Settings) bool{
			"https://api.example.com/": func(s Settings) bool { return s.APIURL == "https://api.example.com" },
			"http://127.0.0.1:8080":    func(s Settings) bool { return s.APIURL == "http://127.0.0.1:8080" },
		}, []string{"", "http://example.com", "ftp://api.example.com", "not a url", "https://user:pw@api.example.com"}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.key] = true
		k, err := LookupSettingKey(c.key)
		if err != nil {
			t.Fatalf("no key %q: %v", c.key, err)
		}
		for v, ok := range c.good {
			s := DefaultSettings()
			if err := k.Set(&s, v); err != nil {
				t.Errorf("%s %q refused: %v", c.key, v, err)
				continue
			}
			if !ok(s) {
				t.Errorf("%s %q gave %+v", c.key, v, s)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("%s %q gave settings that do not validate: %v", c.key, v, err)
			}
		}
		for _, v := range c.bad {
			s := DefaultSettings()
			err := k.Set(&s, v)
			if err == nil {
				t.Errorf("%s %q accepted: %+v", c.key, v, s)
				continue
			}
			if s != DefaultSettings() {
				t.Errorf("%s %q was refused but changed the settings to %+v", c.key, v, s)
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("%s %q: reason %q is not one line", c.key, v, msg)
			}
		}
	}
	for _, k := range SettingKeys() {
		if !seen[k.Name] {
			t.Errorf("key %q has no cases here", k.Name)
		}
	}
}

// Each key writes its value the way it reads it, its default included, and changes
// only its own field.
func TestSettingKeysRoundTrip(t *testing.T) {
	odd := Settings{ParallelFiles: 7, ParallelChunks: 9, BandwidthLimit: 3 << 19, OffsetFromNow: true,
		Notifications: false, APIURL: "http://127.0.0.1:9000", Order: CategoryOrder{Stills, Sound, Proxies, Sidecars, Originals, Other}, ManualStart: true,
		Filter: FilterSpec{Only: "sound,stills", Include: "*.wav,*.jpg", Exclude: "*.tmp"}, Schedule: "daily 22:00-06:00 1MB/s",
		HashFormat: "sha1", HashLists: HashListsReports, Watch: "/srv/offload" + string(os.PathListSeparator) + "/media/dit/A001",
		Settle: 750 * time.Millisecond, Realtime: false, PartSize: 12 << 20, KeepAwake: false, Cards: CardsNever, CardRoots: "/mnt/cards"}
	for _, k := range SettingKeys() {
		if k.Description == "" || strings.Contains(k.Description, "\n") {
			t.Errorf("%s: the description is not one line: %q", k.Name, k.Description)
		}
		s := DefaultSettings()
		if err := k.Set(&s, k.Default()); err != nil || s != DefaultSettings() {
			t.Errorf("%s: its default %q does not read back (%v, %+v)", k.Name, k.Default(), err, s)
		}
		if err := k.Set(&s, k.Value(odd)); err != nil {
			t.Errorf("%s: %q does not read back: %v", k.Name, k.Value(odd), err)
		}
		if changed := ChangedSettings(DefaultSettings(), s); len(changed) != 1 || changed[k.Name] != k.Value(odd) {
			t.Errorf("%s: setting it changed %v", k.Name, changed)
		}
	}
	if len(ChangedSettings(DefaultSettings(), odd)) != len(SettingKeys()) {
		t.Errorf("a key shares a field with another: %v", ChangedSettings(DefaultSettings(), odd))
	}
}

func TestDefaultSettingsAreTheEngines(t *testing.T) {
	d := DefaultSettings()
	if d.Upload() != upload.DefaultSettings() || !d.Notifications || !d.KeepAwake || d.APIURL != DefaultAPIURL {
		t.Errorf("defaults %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

// The bandwidth key's floor is the engine's: a value the key takes never fails later.
func TestBandwidthFloorIsTheEngines(t *testing.T) {
	at := upload.Settings{ParallelFiles: 1, ParallelChunks: 1, BandwidthLimit: minBandwidthLimit}
	below := at
	below.BandwidthLimit--
	if at.Validate() != nil || below.Validate() == nil {
		t.Errorf("the engine's floor is not %d bytes/s", minBandwidthLimit)
	}
}

// A name that is no key is refused with the key most likely meant.
func TestUnknownSettingSuggestsTheNearest(t *testing.T) {
	for name, want := range map[string]string{
		"bandwdith": "did you mean bandwidth?", "parallel_files": "did you mean parallel-files?",
		"chunks": "did you mean parallel-chunks?", "colour": "the settings are parallel-files, parallel-chunks, bandwidth",
	} {
		_, err := LookupSettingKey(name)
		var unknown *UnknownSettingError
		if !errors.As(err, &unknown) || !strings.Contains(err.Error(), want) {
			t.Errorf("LookupSettingKey(%q) = %v, want an error saying %q", name, err, want)
		}
	}
}

// WithUpload puts back what Upload took out, and leaves the rest as it was.
func TestWithUploadIsUploadsInverse(t *testing.T) {
	s := DefaultSettings()
	s.Notifications, s.APIURL = false, "https://api.example.com"
	u := upload.Settings{ParallelFiles: 3, ParallelChunks: 7, BandwidthLimit: 1 << 20, OffsetFromNow: true}
	got := s.WithUpload(u)
	if got.Upload() != u || got.Notifications || got.APIURL != s.APIURL {
		t.Fatalf("WithUpload(%+v) = %+v", u, got)
	}
}
