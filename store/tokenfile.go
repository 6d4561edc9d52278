package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// TokenFileName is the encrypted token file in the data folder.
const TokenFileName = "tokens.enc"

// PassphraseEnv holds the passphrase of the token file.
const PassphraseEnv = "C2C_TOKEN_PASSPHRASE"

// ErrWrongPassphrase: the passphrase does not open the token file.
var ErrWrongPassphrase = errors.New("the passphrase does not open the token file")

// kdfParams are Argon2id's costs (RFC 9106's second recommended option: 64 MiB, one
// pass). The key is derived once per process, not per read or write.
type kdfParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

var defaultKDF = kdfParams{Time: 1, MemoryKiB: 64 << 10, Threads: 4}

// tokenFileFormat is the file: the key derivation's salt and costs, what the file is
// bound to (the installation and the API, as Account names them), and one sealed box
// per slot ("tokens", and the pairing an unpair could not revoke yet).
type tokenFileFormat struct {
	Version int                  `json:"version"`
	KDF     string               `json:"kdf"`
	Params  kdfParams            `json:"params"`
	Salt    []byte               `json:"salt"`
	Binding string               `json:"binding"`
	Slots   map[string]sealedBox `json:"slots"`
}

type sealedBox struct {
	Nonce  []byte `json:"nonce"`
	Sealed []byte `json:"sealed"`
}

// sealedTokens is what a box holds.
type sealedTokens struct {
	Access      string    `json:"access_token"`
	Refresh     string    `json:"refresh_token"`
	ExpiresIn   float64   `json:"expires_in_s"`
	RequestedAt time.Time `json:"received_at"`
}

// TokenFile keeps the tokens in a file of the data folder, for machines without a
// keychain, when the user asks for it (--token-store file). The tokens are sealed with
// XChaCha20-Poly1305 under a key derived from a passphrase with Argon2id
// (golang.org/x/crypto); the file names the installation and the API it belongs to, and
// that name is authenticated with every box, so a copy in another data folder, or read
// for another API, does not open.
type TokenFile struct {
	path    string
	binding string
	slot    string
	shared  *tokenFileKey
}

// tokenFileKey is the key, derived once and shared by the slots of one file.
type tokenFileKey struct {
	mu     sync.Mutex
	pass   []byte
	params kdfParams
	salt   []byte
	key    []byte
}

var _ auth.TokenStore = (*TokenFile)(nil)

// OpenTokenFile prepares the token file at path, bound to binding (see Account). The
// passphrase must not be empty. The key is derived when the file is first read or
// written.
func OpenTokenFile(path, passphrase, binding string) (*TokenFile, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("the token file needs a passphrase: set %s", PassphraseEnv)
	}
	return &TokenFile{path: path, binding: binding, slot: "tokens",
		shared: &tokenFileKey{pass: []byte(passphrase), params: defaultKDF}}, nil
}

// Sub is another slot of the same file (see Keychain.Sub).
func (f *TokenFile) Sub(name string) *TokenFile {
	c := *f
	c.slot = f.slot + " " + name
	return &c
}

// Path is the file.
func (f *TokenFile) Path() string { return f.path }

// Load reads the tokens; auth.ErrNoTokens when the file holds none for this
// installation and API.
func (f *TokenFile) Load(context.Context) (api.Tokens, error) {
	f.shared.mu.Lock()
	defer f.shared.mu.Unlock()
	ff, err := f.read()
	if err != nil {
		return api.Tokens{}, err
	}
	box, ok := ff.Slots[f.slot]
	if !ok || ff.Binding != f.binding {
		return api.Tokens{}, auth.ErrNoTokens
	}
	key, err := f.shared.derive(ff)
	if err != nil {
		return api.Tokens{}, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return api.Tokens{}, err
	}
	plain, err := aead.Open(nil, box.Nonce, box.Sealed, f.aad())
	if err != nil {
		return api.Tokens{}, fmt.Errorf("%w %s (check %s)", ErrWrongPassphrase, f.path, PassphraseEnv)
	}
	var st sealedTokens
	if err := json.Unmarshal(plain, &st); err != nil {
		return api.Tokens{}, fmt.Errorf("the token file %s is damaged: %w", f.path, err)
	}
	return api.Tokens{AccessToken: st.Access, RefreshToken: st.Refresh,
		ExpiresIn: time.Duration(st.ExpiresIn * float64(time.Second)), RequestedAt: st.RequestedAt}, nil
}

// Save seals the tokens into the file (written whole through a temporary file).
func (f *TokenFile) Save(_ context.Context, t api.Tokens) error {
	f.shared.mu.Lock()
	defer f.shared.mu.Unlock()
	ff, err := f.readOrNew()
	if err != nil {
		return err
	}
	key, err := f.shared.derive(ff)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(sealedTokens{Access: t.AccessToken, Refresh: t.RefreshToken,
		ExpiresIn: t.ExpiresIn.Seconds(), RequestedAt: t.RequestedAt.UTC()})
	if err != nil {
		return err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	ff.Slots[f.slot] = sealedBox{Nonce: nonce, Sealed: aead.Seal(nil, nonce, plain, f.aad())}
	return f.write(ff)
}

// Delete removes this slot's tokens; the file goes when it holds none.
func (f *TokenFile) Delete(context.Context) error {
	f.shared.mu.Lock()
	defer f.shared.mu.Unlock()
	ff, err := f.read()
	if errors.Is(err, auth.ErrNoTokens) {
		return nil
	}
	if err != nil {
		return err
	}
	if ff.Binding != f.binding {
		return nil // another installation's or API's tokens: not ours to delete
	}
	delete(ff.Slots, f.slot)
	if len(ff.Slots) == 0 {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the token file: %w", err)
		}
		return nil
	}
	return f.write(ff)
}

// aad binds a box to the installation, the API and its slot.
func (f *TokenFile) aad() []byte { return []byte(f.binding + "\x00" + f.slot) }

// read returns the file; auth.ErrNoTokens when there is none.
func (f *TokenFile) read() (*tokenFileFormat, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, auth.ErrNoTokens
	}
	if err != nil {
		return nil, fmt.Errorf("reading the token file: %w", err)
	}
	var ff tokenFileFormat
	if err := json.Unmarshal(b, &ff); err != nil || ff.Version != 1 || ff.KDF != "argon2id" || len(ff.Salt) < 16 {
		return nil, fmt.Errorf("the token file %s is damaged or from a newer version; delete it and pair again", f.path)
	}
	if ff.Slots == nil {
		ff.Slots = map[string]sealedBox{}
	}
	return &ff, nil
}

// readOrNew returns the file, or a new one for this installation and API (a file bound
// to another is replaced: its tokens belong to a pairing this folder no longer has).
func (f *TokenFile) readOrNew() (*tokenFileFormat, error) {
	ff, err := f.read()
	if err == nil && ff.Binding == f.binding {
		return ff, nil
	}
	if err != nil && !errors.Is(err, auth.ErrNoTokens) {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return &tokenFileFormat{Version: 1, KDF: "argon2id", Params: f.shared.params, Salt: salt,
		Binding: f.binding, Slots: map[string]sealedBox{}}, nil
}

func (f *TokenFile) write(ff *tokenFileFormat) error {
	b, err := json.Marshal(ff)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(f.path, b, 0o600); err != nil {
		return fmt.Errorf("writing the token file: %w", err)
	}
	return nil
}

// derive returns the key for the file's salt and costs, deriving it only when they
// changed since the last call.
func (k *tokenFileKey) derive(ff *tokenFileFormat) ([]byte, error) {
	if k.key != nil && string(k.salt) == string(ff.Salt) && k.params == ff.Params {
		return k.key, nil
	}
	p := ff.Params
	if p.Time == 0 || p.Time > 16 || p.MemoryKiB < 8 || p.MemoryKiB > 1<<21 || p.Threads == 0 {
		return nil, errors.New("the token file asks for key derivation costs this version does not accept")
	}
	k.key = argon2.IDKey(k.pass, ff.Salt, p.Time, p.MemoryKiB, p.Threads, chacha20poly1305.KeySize)
	k.salt, k.params = append([]byte(nil), ff.Salt...), p
	return k.key, nil
}

// Check tells whether the passphrase opens the file (when there is one).
func (f *TokenFile) Check(ctx context.Context) error {
	_, err := f.Load(ctx)
	if errors.Is(err, auth.ErrNoTokens) {
		return nil
	}
	return err
}
