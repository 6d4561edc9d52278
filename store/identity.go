package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// DefaultDataDir is where the app keeps its identity, journal and logs:
// <user config dir>/c2c-uploader, or c2c-uploader-demo in demo mode.
func DefaultDataDir(demo bool) (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the app's data: %w (set --data-dir or C2C_DATA_DIR)", err)
	}
	name := "c2c-uploader"
	if demo {
		name = "c2c-uploader-demo"
	}
	return filepath.Join(base, name), nil
}

// ClientID returns this installation's client_id: a UUID made on first run and kept in
// dir/client_id. It is not a secret; it must only stay the same for pairing, refresh and
// revoke (docs/api-notes.md §2.2).
func ClientID(dir string) (string, error) {
	path := filepath.Join(dir, "client_id")
	data, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if _, perr := uuid.Parse(id); perr == nil {
			return id, nil
		}
		return "", fmt.Errorf("%s does not hold a UUID; delete it to make a new identity (the device must then be paired again)", path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading the installation id: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the data folder: %w", err)
	}
	id := uuid.NewString()
	if err := writeFileAtomic(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving the installation id: %w", err)
	}
	return id, nil
}

// ClientSecret finds the client secret issued for this app: the C2C_CLIENT_SECRET
// environment variable, else dir/client_secret (a file only its owner can read), else the
// one built in (-ldflags -X). It is never logged, never a flag (flags show in ps).
func ClientSecret(dir, builtIn string) (string, error) {
	if s := strings.TrimSpace(os.Getenv("C2C_CLIENT_SECRET")); s != "" {
		return s, nil
	}
	path := filepath.Join(dir, "client_secret")
	if data, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(data)); s != "" {
			return s, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading the client secret: %w", err)
	}
	if builtIn != "" {
		return builtIn, nil
	}
	return "", fmt.Errorf("no client secret: set C2C_CLIENT_SECRET, put it in %s, or use a release build that has one", path)
}

// writeFileAtomic writes through a temporary file and a rename, so a crash leaves the
// old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
