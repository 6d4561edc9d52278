package c2csim

import (
	"log/slog"
	"time"
)

// DemoClientSecret is the client secret the simulator accepts unless told otherwise. It is
// not a secret: demo mode and the tests use it, and it opens nothing but the simulator.
const DemoClientSecret = "c2csim-demo-client-secret"

// Limits from S3's multipart rules (docs/api-notes.md §3.2).
const (
	MinS3PartSize = 5 << 20             // every part but the last
	MaxParts      = 10000               // parts per object
	MaxObjectSize = 5497558138880       // 5 TiB
	DefaultPart   = 25 << 20            // the part size the simulator aims for
	maxBodyJSON   = 1 << 20             // API request bodies
	defaultStall  = 10 * time.Minute    // how long a stall fault holds a request at most
	requestLogCap = 200000              // entries kept in the request log
	idleReadLimit = 20 * time.Second    // S3 answers RequestTimeout after this long without a byte
	onlineAfter   = 300 * time.Second   // a device is offline after this long without a call
	defaultTTLURL = 24 * time.Hour      // presigned URL lifetime observed on the real service
	defaultTTLAT  = 8 * time.Hour       // access token
	defaultTTLRT  = 14 * 24 * time.Hour // refresh token
)

// Options configure a simulator. The zero value is a working simulator on a random
// loopback port that keeps its files in a temporary folder.
type Options struct {
	// Addr is the listening address; "" means 127.0.0.1:0 (a free port).
	Addr string
	// PublicURL is the base URL clients reach the simulator at, when that is not the
	// listening address (behind a proxy or in another network namespace): the pairing
	// page and the presigned upload URLs point there. "" means http://<Addr>.
	PublicURL string
	// DataDir holds received parts and assembled files; "" means a temporary folder that
	// Close removes.
	DataDir string
	// Discard keeps only each part's length and SHA-256, no bytes on disk, so multi-GiB
	// benchmarks do not fill the disk. Assembled files then have no SHA-256 of their own.
	Discard bool

	// ClientSecrets lists the accepted client secrets; nil means DemoClientSecret only.
	ClientSecrets []string

	// PartSize is the part size the simulator aims for when it chooses the number of
	// upload_urls: n = ceil(filesize / PartSize), at most 10,000. 0 means 25 MiB. Values
	// under 5 MiB are allowed so tests can use small files with many parts.
	PartSize int64
	// VaryPartSize picks each asset's part size at random in [PartSize/2, 3*PartSize/2], so
	// that a client can never get away with a hard-coded chunk size.
	VaryPartSize bool
	// MinPartSize is the smallest non-final part the real-time endpoint accepts and the
	// smallest chunk a custom `parts` request may produce; 0 means 5 MiB.
	MinPartSize int64

	DeviceCodeTTL   time.Duration // 0 means 120 s
	PollInterval    time.Duration // the pairing poll interval; 0 means 5 s
	AccessTokenTTL  time.Duration // 0 means 8 h
	RefreshTokenTTL time.Duration // 0 means 14 days
	URLTTL          time.Duration // presigned URL lifetime; 0 means 24 h
	// IdleReadTimeout is how long a chunk PUT may send nothing before S3's RequestTimeout;
	// 0 means 20 s.
	IdleReadTimeout time.Duration

	// AutoApprove approves every pairing code as soon as it is polled, for scripted runs.
	AutoApprove bool
	// ProjectName names the project approvals connect to when the approver gives none.
	ProjectName string

	// Logger receives one line per request; nil means no log.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if len(o.ClientSecrets) == 0 {
		o.ClientSecrets = []string{DemoClientSecret}
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPart
	}
	if o.MinPartSize <= 0 {
		o.MinPartSize = MinS3PartSize
	}
	if o.DeviceCodeTTL <= 0 {
		o.DeviceCodeTTL = 120 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = defaultTTLAT
	}
	if o.RefreshTokenTTL <= 0 {
		o.RefreshTokenTTL = defaultTTLRT
	}
	if o.URLTTL <= 0 {
		o.URLTTL = defaultTTLURL
	}
	if o.IdleReadTimeout <= 0 {
		o.IdleReadTimeout = idleReadLimit
	}
	if o.ProjectName == "" {
		o.ProjectName = "Demo Project"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
