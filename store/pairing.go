package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// pairingFileName is the data folder's record of its pairing.
const pairingFileName = "pairing.json"

// Token stores a pairing's tokens can live in.
const (
	TokenStoreKeychain = "keychain"
	TokenStoreFile     = "file"
)

// PairingRecord is what a data folder remembers of its pairing: the API it was paired
// with (its tokens go nowhere else), the project, and where the tokens are kept. It holds
// no secret.
type PairingRecord struct {
	APIURL      string    `json:"api_url"`
	APIOrigin   string    `json:"api_origin"`
	ProjectID   string    `json:"project_id,omitempty"`
	ProjectName string    `json:"project_name,omitempty"`
	DeviceName  string    `json:"device_name,omitempty"`
	TokenStore  string    `json:"token_store"`
	PairedAt    time.Time `json:"paired_at"`
}

// LoadPairing reads the record; ok is false when the folder is not paired.
func LoadPairing(dir string) (rec PairingRecord, ok bool, err error) {
	path := filepath.Join(dir, pairingFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return PairingRecord{}, false, nil
	}
	if err != nil {
		return PairingRecord{}, false, fmt.Errorf("reading the pairing record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.APIOrigin == "" {
		return PairingRecord{}, false, fmt.Errorf("the pairing record %s is damaged; delete it and pair again", path)
	}
	return rec, true, nil
}

// SavePairing writes the record.
func SavePairing(dir string, rec PairingRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, pairingFileName), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the pairing record: %w", err)
	}
	return nil
}

// DeletePairing forgets the pairing (after unpair).
func DeletePairing(dir string) error {
	err := os.Remove(filepath.Join(dir, pairingFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the pairing record: %w", err)
	}
	return nil
}

// PairingBook keeps the data folder's record of its pairing up to date: it is the
// auth.Recorder main gives core.
type PairingBook struct {
	Dir, APIURL, APIOrigin string

	mu         sync.Mutex
	tokenStore string
}

// NewPairingBook records pairings of dir with the API at apiURL (origin), kept in
// tokenStore.
func NewPairingBook(dir, apiURL, origin, tokenStore string) *PairingBook {
	return &PairingBook{Dir: dir, APIURL: apiURL, APIOrigin: origin, tokenStore: tokenStore}
}

// SetTokenStore notes that the tokens moved (the window moved them into a token file).
func (b *PairingBook) SetTokenStore(kind string) {
	b.mu.Lock()
	b.tokenStore = kind
	b.mu.Unlock()
}

// Paired records the project the tokens upload to (after every lookup; the file is
// written only when something changed).
func (b *PairingBook) Paired(p auth.Project) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	rec, ok, err := LoadPairing(b.Dir)
	if err != nil {
		ok = false // a damaged record is replaced by what is known now
	}
	next := PairingRecord{APIURL: b.APIURL, APIOrigin: b.APIOrigin, ProjectID: p.ID, ProjectName: p.Name,
		DeviceName: p.DeviceName, TokenStore: b.tokenStore, PairedAt: rec.PairedAt}
	if !ok || rec.ProjectID != p.ID || rec.APIOrigin != b.APIOrigin {
		next.PairedAt = time.Now().UTC()
	}
	if ok && next == rec {
		return nil
	}
	return SavePairing(b.Dir, next)
}

// Last is the project recorded for this API, if any.
func (b *PairingBook) Last() (auth.Project, bool) {
	rec, ok, err := LoadPairing(b.Dir)
	if err != nil || !ok || rec.APIOrigin != b.APIOrigin || rec.ProjectID == "" {
		return auth.Project{}, false
	}
	return auth.Project{ID: rec.ProjectID, Name: rec.ProjectName, DeviceName: rec.DeviceName}, true
}

// Unpaired forgets the pairing.
func (b *PairingBook) Unpaired() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return DeletePairing(b.Dir)
}
