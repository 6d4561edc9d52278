package field

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// profile is a network the day's batches travel over.
type profile struct {
	Name     string
	RateBits int64         // link rate, bits per second, each direction
	RTT      time.Duration // round trip, split evenly between the directions
	Jitter   time.Duration // ± on the round trip
	Loss     float64       // per segment, each direction
	Target   float64       // goodput target, as a fraction of RateBits
}

func (p profile) String() string {
	s := fmt.Sprintf("%d Mbit/s, %d ms RTT", p.RateBits/1e6, p.RTT.Milliseconds())
	if p.Jitter > 0 {
		s += fmt.Sprintf(" ± %d ms", p.Jitter.Milliseconds())
	}
	if p.Loss > 0 {
		s += fmt.Sprintf(", %g %% loss", p.Loss*100)
	}
	return s
}

// The network profiles (docs/field-trial.md, "Profiles").
var (
	office   = profile{Name: "office", RateBits: 200e6, RTT: 20 * time.Millisecond, Target: 0.8}
	hotel    = profile{Name: "hotel Wi-Fi", RateBits: 20e6, RTT: 60 * time.Millisecond, Loss: 0.01, Target: 0.8}
	cellular = profile{Name: "cellular", RateBits: 10e6, RTT: 120 * time.Millisecond, Jitter: 40 * time.Millisecond, Loss: 0.02, Target: 0.6}
	// longFast is the long fast path: a fast link to a far region, where the
	// uploader must keep a large bandwidth-delay product (7.5 MB) in flight.
	longFast = profile{Name: "long fast path", RateBits: 500e6, RTT: 120 * time.Millisecond, Target: 0.9}
)

// longFastBatch is one 2 GiB clip over the long fast path, nothing else happening: its
// goodput is measured from the first chunk to the last.
var longFastBatch = batch{Profile: longFast, Clips: []int64{2 << 30}}

// eventKind is a scripted misfortune.
type eventKind string

const (
	evKill   eventKind = "SIGKILL + restart"
	evOutage eventKind = "outage"
	evRoam   eventKind = "roam (connections reset)"
	evSleep  eventKind = "laptop sleep (SIGSTOP)"
	evRevoke eventKind = "token revoked + re-pair"
)

// event happens once the batch has sent At of its bytes.
type event struct {
	At   float64
	Kind eventKind
	For  time.Duration // outage and sleep length
}

// batch is one card dropped on the uploader, uploaded over one profile.
type batch struct {
	Profile profile
	Clips   []int64 // sizes of the large clips
	Stills  int     // photos / frame grabs
	Sounds  int     // sound files
	// StillMin..StillMax and SoundMin..SoundMax bound the small files' sizes.
	StillMin, StillMax int64
	SoundMin, SoundMax int64
	// Paused of the stills were shot while the channel was paused.
	Paused int
	Events []event
}

func (b batch) files() int { return len(b.Clips) + b.Stills + b.Sounds }

// size is one version of the trial: the CI-sized one runs in `go test ./...`, the full
// one with `make field`.
type size struct {
	Name     string
	Batches  []batch
	TokenTTL time.Duration // the simulator's access token lifetime
	PartSize int64         // the simulator's part size (varied ±50 % per asset)
}

const (
	kB = 1000
	MB = 1000 * kB
)

var ciSize = size{
	Name:     "ci",
	TokenTTL: 20 * time.Second,
	PartSize: 5 << 20,
	Batches: []batch{
		{
			Profile: office, Clips: []int64{40 * MB, 30 * MB}, Stills: 20, Sounds: 8,
			StillMin: 1 * MB, StillMax: 3 * MB, SoundMin: 500 * kB, SoundMax: 3 * MB,
			Events: []event{{At: 0.5, Kind: evKill}},
		},
		{
			Profile: hotel, Clips: []int64{20 * MB}, Stills: 20, Sounds: 8, Paused: 4,
			StillMin: 500 * kB, StillMax: 2 * MB, SoundMin: 500 * kB, SoundMax: 2 * MB,
			Events: []event{
				{At: 0.3, Kind: evOutage, For: 20 * time.Second},
				{At: 0.5, Kind: evOutage, For: 6 * time.Second},
				{At: 0.6, Kind: evRoam},
				{At: 0.75, Kind: evKill},
			},
		},
		{
			Profile: cellular, Clips: []int64{12 * MB}, Stills: 18, Sounds: 8,
			StillMin: 300 * kB, StillMax: 1500 * kB, SoundMin: 300 * kB, SoundMax: 1500 * kB,
			Events: []event{
				{At: 0.35, Kind: evSleep, For: 25 * time.Second},
				{At: 0.5, Kind: evRoam},
				{At: 0.7, Kind: evRevoke},
			},
		},
	},
}

var fullSize = size{
	Name:     "full",
	TokenTTL: 60 * time.Second,
	PartSize: 25 << 20,
	Batches: []batch{
		{
			Profile: office, Clips: []int64{150 * MB, 120 * MB, 90 * MB}, Stills: 40, Sounds: 20,
			StillMin: 3 * MB, StillMax: 8 * MB, SoundMin: 1 * MB, SoundMax: 12 * MB,
			Events: []event{{At: 0.5, Kind: evKill}},
		},
		{
			Profile: hotel, Clips: []int64{80 * MB, 60 * MB}, Stills: 40, Sounds: 25, Paused: 10,
			StillMin: 1 * MB, StillMax: 4 * MB, SoundMin: 500 * kB, SoundMax: 4 * MB,
			Events: []event{
				{At: 0.25, Kind: evOutage, For: 60 * time.Second},
				{At: 0.4, Kind: evOutage, For: 10 * time.Second},
				{At: 0.5, Kind: evOutage, For: 20 * time.Second},
				{At: 0.6, Kind: evOutage, For: 40 * time.Second},
				{At: 0.7, Kind: evRoam},
				{At: 0.8, Kind: evKill},
			},
		},
		{
			Profile: cellular, Clips: []int64{50 * MB}, Stills: 45, Sounds: 24,
			StillMin: 500 * kB, StillMax: 3 * MB, SoundMin: 300 * kB, SoundMax: 3 * MB,
			Events: []event{
				{At: 0.3, Kind: evSleep, For: 75 * time.Second},
				{At: 0.5, Kind: evRoam},
				{At: 0.7, Kind: evRevoke},
			},
		},
		longFastBatch,
	},
}

// longSize is the long fast path alone (C2C_FIELD=long): the last batch of the full day,
// to try on its own.
var longSize = size{
	Name:     "long",
	TokenTTL: fullSize.TokenTTL,
	PartSize: fullSize.PartSize,
	Batches:  []batch{longFastBatch},
}

// chooseSize picks the full trial when C2C_FIELD=full (make field), the long fast path
// alone when C2C_FIELD=long, the CI-sized day otherwise.
func chooseSize() (size, error) {
	v := strings.ToLower(os.Getenv("C2C_FIELD"))
	if v == "" {
		v = ciSize.Name
	}
	if sz, ok := sizeNamed(v); ok {
		return sz, nil
	}
	return size{}, fmt.Errorf("C2C_FIELD=%q: want ci, full or long", v)
}

func sizeNamed(name string) (size, bool) {
	for _, sz := range []size{ciSize, fullSize, longSize} {
		if sz.Name == name {
			return sz, true
		}
	}
	return size{}, false
}
