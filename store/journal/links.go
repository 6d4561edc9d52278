package journal

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// The upload links of an asset (its presigned URLs) each carry a signature that lets
// whoever holds it write into a part of the asset for a day. The journal keeps them
// sealed (XChaCha20-Poly1305, bound to the asset id) under a key kept where the tokens
// are (a KeyStore), never in the database; a finished file keeps only how many parts it
// had. The column upload_urls holds one of:
//
//	[]                               no asset, no links
//	{"parts":N}                      a finished file's asset of N parts
//	{"parts":N,"sealed":"…"}         N links, sealed (base64 of nonce and ciphertext)
//	["https://…", …]                 links written by a version before sealing (SealLinks)
//
// A file whose links cannot be opened (the key is gone, or not there yet: a token file
// still locked) comes back with N blank links; the engine asks again when it runs the
// file (UploadURLs) and starts it over with a new asset if they still cannot be opened.

// A KeyStore keeps the key that seals the upload links.
type KeyStore interface {
	// LoadKey returns the key, or an error wrapping ErrNoKey when none was made yet.
	LoadKey(ctx context.Context) ([]byte, error)
	// SaveKey keeps a new key.
	SaveKey(ctx context.Context, key []byte) error
}

// ErrNoKey: the key store holds no key for the upload links yet.
var ErrNoKey = errors.New("no key for the upload links")

// ErrLinksUnreadable: the links of a file cannot be opened with the key at hand.
var ErrLinksUnreadable = errors.New("the upload links in the journal cannot be opened")

// NewMemoryKey is a key store in the process's memory: what a journal opened without one
// uses (its links never reach the disk in the clear, and a journal opened again by
// another process has blanks: its files start over with new assets), and what tests
// share between the opens of one journal.
func NewMemoryKey() KeyStore { return &memoryKey{} }

type memoryKey struct {
	mu  sync.Mutex
	key []byte
}

func (m *memoryKey) LoadKey(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.key == nil {
		return nil, ErrNoKey
	}
	return m.key, nil
}

func (m *memoryKey) SaveKey(_ context.Context, key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.key = key
	return nil
}

// sealer seals and opens links with the key of its store, read (or made) once.
type sealer struct {
	store KeyStore
	mu    sync.Mutex
	aead  cipher.AEAD
}

// cipher is the key's AEAD; with create, a key is made and saved when the store has none.
func (s *sealer) cipher(ctx context.Context, create bool) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	key, err := s.store.LoadKey(ctx)
	if errors.Is(err, ErrNoKey) && create {
		key = make([]byte, chacha20poly1305.KeySize)
		if _, err = rand.Read(key); err == nil {
			err = s.store.SaveKey(ctx, key)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the key of the upload links: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("the key of the upload links: %w", err)
	}
	s.aead = aead
	return aead, nil
}

// storedLinks is the sealed form of upload_urls.
type storedLinks struct {
	Parts  int    `json:"parts"`
	Sealed string `json:"sealed,omitempty"`
}

func linksAAD(assetID string) []byte { return []byte("c2c-uploader upload links\x00" + assetID) }

// encode is the upload_urls value of f.
func (s *sealer) encode(ctx context.Context, f *upload.File) (string, error) {
	if len(f.UploadURLs) == 0 {
		return "[]", nil
	}
	sl := storedLinks{Parts: len(f.UploadURLs)}
	if f.State != upload.Done {
		if hasBlank(f.UploadURLs) {
			// Links that could not be opened are not known here: the row keeps the
			// sealed ones it holds rather than blanks (see Journal.fileArgs).
			return "", errBlankLinks
		}
		aead, err := s.cipher(ctx, true)
		if err != nil {
			return "", err
		}
		plain, err := json.Marshal(f.UploadURLs)
		if err != nil {
			return "", err
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return "", err
		}
		sl.Sealed = base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, linksAAD(f.AssetID)))
	}
	b, err := json.Marshal(sl)
	return string(b), err
}

// maxStoredParts bounds the parts a stored asset may claim (S3 takes 10,000 at most).
const maxStoredParts = 10000

// errBlankLinks: a file whose links are blanks (unopened) is written; its row keeps the
// links it has.
var errBlankLinks = errors.New("blank links")

func hasBlank(urls []string) bool {
	for _, u := range urls {
		if u == "" {
			return true
		}
	}
	return false
}

// decode reads upload_urls: the links when they are in the clear (an older version
// wrote them), else one blank per part and the sealed form to open.
func decode(stored string) (urls []string, sealed *storedLinks, err error) {
	switch {
	case strings.HasPrefix(stored, "{"):
		var sl storedLinks
		if err := json.Unmarshal([]byte(stored), &sl); err != nil {
			return nil, nil, fmt.Errorf("upload links: %w", err)
		}
		if sl.Parts < 0 || sl.Parts > maxStoredParts {
			return nil, nil, fmt.Errorf("upload links: %d parts", sl.Parts)
		}
		if sl.Parts > 0 {
			urls = make([]string, sl.Parts)
		}
		if sl.Sealed != "" {
			sealed = &sl
		}
		return urls, sealed, nil
	default:
		if err := json.Unmarshal([]byte(stored), &urls); err != nil {
			return nil, nil, fmt.Errorf("upload links: %w", err)
		}
		if len(urls) == 0 {
			urls = nil
		}
		return urls, nil, nil
	}
}

// open opens sealed links of assetID with the key the store has (none is made).
func (s *sealer) open(ctx context.Context, assetID string, sl *storedLinks) ([]string, error) {
	aead, err := s.cipher(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLinksUnreadable, err)
	}
	raw, err := base64.StdEncoding.DecodeString(sl.Sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: damaged", ErrLinksUnreadable)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], linksAAD(assetID))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed with another key", ErrLinksUnreadable)
	}
	var urls []string
	if err := json.Unmarshal(plain, &urls); err != nil || len(urls) != sl.Parts {
		return nil, fmt.Errorf("%w: damaged", ErrLinksUnreadable)
	}
	return urls, nil
}

// openLinks puts the links of a file just read into f: a finished file keeps blanks
// (its links serve no more), and links that cannot be opened stay blanks.
func (j *Journal) openLinks(ctx context.Context, f *upload.File, sealed *storedLinks) {
	switch {
	case f.State == upload.Done:
		if len(f.UploadURLs) > 0 && f.UploadURLs[0] != "" {
			f.UploadURLs = make([]string, len(f.UploadURLs))
		}
	case sealed != nil:
		if urls, err := j.links.open(ctx, f.AssetID, sealed); err == nil {
			f.UploadURLs = urls
		}
	}
}

// UploadURLs opens the links of a file's asset again: for a file read back with blanks
// (the key was not there yet). It returns an error wrapping ErrLinksUnreadable when they
// still cannot be opened, and one wrapping ErrNotFound when the file no longer has that
// asset.
func (j *Journal) UploadURLs(ctx context.Context, id upload.FileID, assetID string) ([]string, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, ErrClosed
	}
	var asset, stored string
	err := j.rdb.QueryRowContext(ctx, `SELECT asset_id, upload_urls FROM files WHERE id = ?`, int64(id)).Scan(&asset, &stored)
	if errors.Is(err, sql.ErrNoRows) || err == nil && asset != assetID {
		return nil, fmt.Errorf("journal: file %d with asset %s: %w", id, assetID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: upload links of file %d: %w", id, err)
	}
	urls, sealed, err := decode(stored)
	if err != nil {
		return nil, fmt.Errorf("journal: file %d: %w", id, err)
	}
	if sealed != nil {
		if urls, err = j.links.open(ctx, assetID, sealed); err != nil {
			return nil, fmt.Errorf("journal: file %d: %w", id, err)
		}
	}
	if hasBlank(urls) || len(urls) == 0 {
		return nil, fmt.Errorf("journal: file %d: %w: the journal keeps none", id, ErrLinksUnreadable)
	}
	return urls, nil
}

// SealLinks seals the links an older version kept in the clear, and drops those of
// finished files; it returns how many rows it changed. It needs the key store (it makes
// the key if there is none).
func (j *Journal) SealLinks(ctx context.Context) (int, error) {
	if j.readOnly {
		return 0, ErrReadOnly
	}
	rows, err := j.rdb.QueryContext(ctx, "SELECT id, "+strings.Join(fileColumns, ", ")+
		" FROM files WHERE upload_urls LIKE '[%' AND upload_urls != '[]'")
	if err != nil {
		return 0, fmt.Errorf("journal: reading upload links: %w", err)
	}
	type sealedRow struct {
		id    upload.FileID
		links string
	}
	var todo []sealedRow
	for rows.Next() {
		f, _, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("journal: reading upload links: %w", err)
		}
		links, err := j.links.encode(ctx, &f)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("journal: sealing the upload links of file %d: %w", f.ID, err)
		}
		todo = append(todo, sealedRow{f.ID, links})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("journal: reading upload links: %w", err)
	}
	if len(todo) == 0 {
		return 0, nil
	}
	err = j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The rows' old bytes are zeroed in their pages, not merely freed.
		if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return err
		}
		defer tx.ExecContext(ctx, `PRAGMA secure_delete = OFF`) //nolint:errcheck // a setting of this connection only
		for _, r := range todo {
			// Only where the row still holds links in the clear: a write since the read
			// sealed them already.
			if _, err := tx.ExecContext(ctx, `UPDATE files SET upload_urls = ? WHERE id = ? AND upload_urls LIKE '[%'`, r.links, int64(r.id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("journal: sealing upload links: %w", err)
	}
	// The write-ahead log still holds the pages as they were: copy it into the database
	// and empty it.
	if err := j.truncateWAL(ctx); err != nil {
		return len(todo), fmt.Errorf("journal: the upload links are sealed, but the old pages are still in the write-ahead log: %w", err)
	}
	return len(todo), nil
}

// truncateWAL checkpoints the write-ahead log into the database and truncates it, on a
// connection of its own (a checkpoint cannot run inside the writer's transactions).
func (j *Journal) truncateWAL(ctx context.Context) error {
	db, err := sql.Open("sqlite", dsn(j.path, url.Values{"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())}}))
	if err != nil {
		return err
	}
	defer db.Close()
	var busy, logged, moved int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("the checkpoint was kept from finishing by a reader")
	}
	return nil
}
