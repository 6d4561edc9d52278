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
	"slices"
	"strings"
	"sync"
	"time"

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
// A file whose links cannot be opened comes back with N blank links; the engine asks
// again when it runs the file (UploadURLs): while the key's store cannot tell (a token
// file still locked, a keychain that does not answer) the file waits and keeps its
// asset; when the store has no key or another one, it starts over with a new asset, as
// for links that expired.

// A KeyStore keeps the key that seals the upload links.
type KeyStore interface {
	// LoadKey returns the key, or an error wrapping ErrNoKey when the store answers that
	// it has none. Any other error means the store cannot tell now (a locked keychain or
	// token file): links sealed with its key wait for it.
	LoadKey(ctx context.Context) ([]byte, error)
	// SaveKey keeps a new key.
	SaveKey(ctx context.Context, key []byte) error
}

// ErrNoKey: the key store holds no key for the upload links.
var ErrNoKey = errors.New("no key for the upload links")

// NewMemoryKey is a key store in the process's memory: what a journal opened without one
// uses (its links never reach the disk in the clear, and a journal opened again by
// another process cannot open them: its files start over with new assets), and what
// tests share between the opens of one journal.
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

// sealer seals and opens links with the key of its store, read (or made) once. When the
// store can neither give nor keep a key (a keychain that refuses to save, as the app
// allows for tokens too), new links are sealed with a key of this process alone, so that
// an asset just created is never lost to a failed write: after a restart those links
// cannot be opened and their files start over with new assets, as for links that expired.
type sealer struct {
	store     KeyStore
	mu        sync.Mutex // held while the store is asked: one key is made, once
	stored    cipher.AEAD
	noKey     bool // the store answered that it has none (until one is made)
	ephemeral cipher.AEAD
	asked     time.Time // when sealing last asked the store
}

// retryStore is how long new links go on being sealed with this process's own key before
// the store is asked again.
const retryStore = 30 * time.Second

// sealing is the cipher new links are sealed with.
func (s *sealer) sealing(ctx context.Context) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored != nil {
		return s.stored, nil
	}
	if s.ephemeral != nil && time.Since(s.asked) < retryStore {
		return s.ephemeral, nil
	}
	s.asked = time.Now()
	if !s.noKey {
		key, err := s.store.LoadKey(ctx)
		switch {
		case err == nil:
			return s.keep(key, &s.stored)
		case errors.Is(err, ErrNoKey):
			s.noKey = true
		}
		// A store that cannot tell now: not a new key, which would replace the one it
		// may hold.
	}
	if s.ephemeral == nil || s.noKey {
		key := make([]byte, chacha20poly1305.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if s.noKey && s.store.SaveKey(ctx, key) == nil {
			s.noKey = false
			return s.keep(key, &s.stored)
		}
		if s.ephemeral == nil {
			return s.keep(key, &s.ephemeral)
		}
	}
	return s.ephemeral, nil
}

// opening is the store's key, for links sealed earlier: an error wrapping
// upload.ErrLinksUnavailable while the store cannot tell, upload.ErrLinksLost when it has
// no key.
func (s *sealer) opening(ctx context.Context) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored != nil {
		return s.stored, nil
	}
	if s.noKey {
		return nil, fmt.Errorf("%w: %w", upload.ErrLinksLost, ErrNoKey)
	}
	key, err := s.store.LoadKey(ctx)
	switch {
	case errors.Is(err, ErrNoKey):
		s.noKey = true
		return nil, fmt.Errorf("%w: %w", upload.ErrLinksLost, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", upload.ErrLinksUnavailable, err)
	}
	return s.keep(key, &s.stored)
}

// durable tells whether new links are sealed with the store's key.
func (s *sealer) durable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored != nil
}

func (s *sealer) keep(key []byte, into *cipher.AEAD) (cipher.AEAD, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("the key of the upload links: %w", err)
	}
	*into = aead
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
		if slices.Contains(f.UploadURLs, "") {
			// Links that could not be opened are not known here: the row keeps the
			// sealed ones it holds rather than blanks (see Journal.fileArgs).
			return "", errBlankLinks
		}
		aead, err := s.sealing(ctx)
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

// open opens sealed links of assetID: with this process's own key if it sealed them,
// else with the store's.
func (s *sealer) open(ctx context.Context, assetID string, sl *storedLinks) ([]string, error) {
	raw, err := base64.StdEncoding.DecodeString(sl.Sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: damaged", upload.ErrLinksLost)
	}
	s.mu.Lock()
	ephemeral := s.ephemeral
	s.mu.Unlock()
	if ephemeral != nil {
		if urls, err := openWith(ephemeral, raw, assetID, sl.Parts); err == nil {
			return urls, nil
		}
	}
	aead, err := s.opening(ctx)
	if err != nil {
		return nil, err
	}
	return openWith(aead, raw, assetID, sl.Parts)
}

func openWith(aead cipher.AEAD, raw []byte, assetID string, parts int) ([]string, error) {
	if len(raw) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: damaged", upload.ErrLinksLost)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], linksAAD(assetID))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed with another key", upload.ErrLinksLost)
	}
	var urls []string
	if err := json.Unmarshal(plain, &urls); err != nil || len(urls) != parts {
		return nil, fmt.Errorf("%w: damaged", upload.ErrLinksLost)
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
// (the key was not there yet). It returns an error wrapping upload.ErrLinksUnavailable
// while the key store cannot tell, upload.ErrLinksLost when they cannot be opened, and
// ErrNotFound when the file no longer has that asset.
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
	if len(urls) == 0 || slices.Contains(urls, "") {
		return nil, fmt.Errorf("journal: file %d: %w: the journal keeps none", id, upload.ErrLinksLost)
	}
	return urls, nil
}

// SealLinks seals the links an older version kept in the clear, drops those of finished
// files, and rewrites the file (VACUUM with secure_delete, the write-ahead log emptied),
// so that no copy is left in free space; it returns how many rows it changed. It runs
// once for a journal made before schema version 4 (the note links_in_clear), and needs
// the key store (it makes the key if there is none).
func (j *Journal) SealLinks(ctx context.Context) (int, error) {
	if j.readOnly {
		return 0, ErrReadOnly
	}
	var pending int
	if err := j.rdb.QueryRowContext(ctx, `SELECT count(*) FROM notes WHERE name = 'links_in_clear'`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("journal: reading its notes: %w", err)
	}
	if pending == 0 {
		return 0, nil
	}
	// Sealed with a key of this process alone, the links would be lost at the next start:
	// wait for a store that keeps the key.
	if _, err := j.links.sealing(ctx); err != nil {
		return 0, fmt.Errorf("journal: sealing upload links: %w", err)
	}
	if !j.links.durable() {
		return 0, errors.New("journal: the key's store cannot keep a key now; the upload links are sealed at a later start")
	}
	rows, err := j.rdb.QueryContext(ctx, "SELECT "+selectColumns+
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
	err = j.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
	// Rows rewritten or dropped by older versions left their links in the free space of
	// pages and in the write-ahead log: rewrite the file.
	if err := j.rewriteFile(ctx); err != nil {
		return len(todo), fmt.Errorf("journal: the upload links are sealed, but old copies may remain in the file's free space: %w", err)
	}
	return len(todo), nil
}

// rewriteFile copies the database into a new file of its own pages only (VACUUM, with
// secure_delete so the pages it frees are zeroed), empties the write-ahead log, and
// removes the note links_in_clear. It runs on a connection of its own: VACUUM and a
// checkpoint cannot run inside the writer's transactions.
func (j *Journal) rewriteFile(ctx context.Context) error {
	db, err := sql.Open("sqlite", dsn(j.path, url.Values{"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "secure_delete(1)", "synchronous(FULL)"}}))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return err
	}
	var busy, logged, moved int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("the checkpoint was kept from finishing by a reader")
	}
	_, err = db.ExecContext(ctx, `DELETE FROM notes WHERE name = 'links_in_clear'`)
	return err
}
