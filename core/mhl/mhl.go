// Package mhl reads and appends ASC MHL v2 histories: the "ascmhl" folder a camera card
// or a copy of one carries at its root, holding one manifest (a .mhl file) per generation
// and a chain file (ascmhl_chain.xml) listing every manifest with the C4 ID of its bytes.
//
// The app reads a card's history to compare the hashes it computes while uploading with
// the ones the history already holds, and appends a generation of its own recording what
// it uploaded. Everything written follows the ASC MHL specification and validates against
// its XML schemas (the tests check that with xmllint against testdata/xsd).
package mhl

import (
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
)

// The names the specification fixes.
const (
	Folder     = "ascmhl"           // the folder at the root of a history's scope
	ChainFile  = "ascmhl_chain.xml" // the chain inside that folder
	Extension  = ".mhl"             // a manifest's file name extension
	manifestNS = "urn:ASC:MHL:v2.0"
	chainNS    = "urn:ASC:MHL:DIRECTORY:v2.0"
	version    = "2.0"
)

// Action qualifies a hash in a manifest.
type Action string

const (
	Original Action = "original" // the first hash of the file in the history
	Verified Action = "verified" // computed from the file and equal to the history's hash
	Failed   Action = "failed"   // computed from the file and different from the history's hash
)

func (a Action) valid() bool { return a == Original || a == Verified || a == Failed }

// Process is how the files of a generation came to be hashed.
type Process string

const (
	InPlace  Process = "in-place" // hashed where they lie, nothing copied
	Transfer Process = "transfer" // hashed while copied; an upload is one
	Flatten  Process = "flatten"  // copied from other manifests, not hashed
)

func (p Process) valid() bool { return p == InPlace || p == Transfer || p == Flatten }

// History is one ASC MHL history: the folder Root (its scope) with an ascmhl folder in it.
//
// A History may be shared between goroutines: Newest and Rel may run alongside each other
// and alongside Append. The exported fields are for reading once the History is no longer
// appended to.
type History struct {
	Root        string       // absolute path of the folder the history describes
	Generations []Generation // in sequence-number order
	// Problems is what could not be read or did not match, one plain sentence each naming
	// its file; reading goes on past every one of them.
	Problems []Problem
	// Children are the histories nested below Root (folders with an ascmhl folder of their
	// own), each with its own Problems. Open looks for them; Find does not.
	Children []*History

	rel string       // Root relative to the parent history's Root, "/"-separated
	mu  sync.RWMutex // guards Generations and Children
}

// Generation is one manifest of the history.
type Generation struct {
	Number      int    // the sequence number its file name starts with
	File        string // its file name in the ascmhl folder
	Created     time.Time
	Hostname    string
	Tool        string
	ToolVersion string
	Location    string
	Comment     string
	Process     Process
	Ignore      []string    // the ignore patterns it recorded
	Entries     []Entry     // its file hash records, as listed
	References  []Reference // the manifests of nested histories it refers to

	byPath      map[string]int    // Entries' index by path
	movedAway   map[string]bool   // previous paths (of files and folders) renamed in it
	folderMoves map[string]string // a renamed folder's new path → its previous path
}

// Entry is a manifest's record of one file.
type Entry struct {
	Path         string // relative to the history's Root, "/"-separated
	PreviousPath string // the path the file had before it was renamed in this generation
	Size         int64
	ModTime      time.Time // zero when not recorded
	Hashes       []Hash
}

// Hash is one hash of a file.
type Hash struct {
	Format hashes.Format
	Value  string
	Action Action
	Date   time.Time // when it was computed; zero when not recorded
}

// Reference is a manifest's pointer to a manifest of a nested history.
type Reference struct {
	Path string // relative to the referring history's Root
	C4   string // the C4 ID of the referenced file's bytes
}

// Problem is something in a history that could not be read or did not match.
type Problem struct {
	File string // the file it concerns
	Text string // one plain sentence naming the file
}

func (p Problem) String() string { return p.Text }

// Creator says who writes a generation and how.
type Creator struct {
	Tool        string // e.g. "C2C Uploader"; required
	ToolVersion string // e.g. "1.4.0"
	Hostname    string // os.Hostname() when empty
	Created     time.Time
	Process     Process  // Transfer when empty: an upload copies the files
	Location    string   // where it happened, free text (creatorinfo's location)
	Comment     string   // the purpose and context, free text (creatorinfo's comment)
	Authors     []Author // who ran or oversaw it
}

// Author is a person behind a generation.
type Author struct {
	Name  string
	Email string // must look like an address (the schema's pattern) when given
	Phone string
	Role  string
}
