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
)

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
	},
}

// chooseSize picks the full trial when C2C_FIELD=full (make field), the CI-sized one
// otherwise.
func chooseSize() (size, error) {
	switch v := strings.ToLower(os.Getenv("C2C_FIELD")); v {
	case "", "ci":
		return ciSize, nil
	case "full":
		return fullSize, nil
	default:
		return size{}, fmt.Errorf("C2C_FIELD=%q: want ci or full", v)
	}
}
