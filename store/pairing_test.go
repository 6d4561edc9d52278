package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

func loadPairingT(t *testing.T, dir string) PairingRecord {
	t.Helper()
	rec, ok, err := LoadPairing(dir)
	if err != nil || !ok {
		t.Fatalf("LoadPairing = %+v, %v, %v; want a record", rec, ok, err)
	}
	return rec
}

func statT(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestPairingRecordRoundTrips(t *testing.T) {
	dir := t.TempDir()
	want := PairingRecord{
		APIURL: "https://api.example.test/v1", APIOrigin: "https://api.example.test",
		ProjectID: "proj-1", ProjectName: "Été ✓ shoot", DeviceName: "Camera cart",
		TokenStore: TokenStoreFile, PairedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	}
	if err := SavePairing(dir, want); err != nil {
		t.Fatalf("SavePairing: %v", err)
	}
	if got := loadPairingT(t, dir); got != want {
		t.Errorf("LoadPairing = %+v, want %+v", got, want)
	}
	if fi := statT(t, filepath.Join(dir, pairingFileName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("the pairing record has mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestLoadPairingOfAnUnpairedFolderIsNotAnError(t *testing.T) {
	rec, ok, err := LoadPairing(t.TempDir())
	if ok || err != nil || rec != (PairingRecord{}) {
		t.Errorf("LoadPairing of a folder never paired = %+v, %v, %v; want not ok and no error", rec, ok, err)
	}
}

// A record that cannot be read is an error that tells the person what to do, never a
// silent "not paired" (which would pair the folder with whatever API is asked next).
func TestDamagedPairingRecordSaysToDeleteIt(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":     `{"api_url": "https://api.exa`,
		"no origin":    `{"api_url": "https://api.example.test/v1", "token_store": "file"}`,
		"wrong shapes": `{"api_origin": 42}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, pairingFileName)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, ok, err := LoadPairing(dir)
			if err == nil || ok {
				t.Fatalf("LoadPairing of a damaged record = ok %v, %v; want an error", ok, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "delete it") || !strings.Contains(msg, path) {
				t.Errorf("error %q does not say to delete %s", msg, path)
			}
		})
	}
}

func TestPairingBookRecordsThePairingAndRewritesOnlyOnChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, pairingFileName)
	book := NewPairingBook(dir, "https://api.example.test/v1", "https://api.example.test", TokenStoreKeychain)
	start := time.Now().UTC()
	project := auth.Project{ID: "proj-1", Name: "Shoot", DeviceName: "Camera cart"}

	if err := book.Paired(project); err != nil {
		t.Fatalf("Paired: %v", err)
	}
	rec := loadPairingT(t, dir)
	want := PairingRecord{APIURL: book.APIURL, APIOrigin: book.APIOrigin, ProjectID: project.ID,
		ProjectName: project.Name, DeviceName: project.DeviceName, TokenStore: TokenStoreKeychain, PairedAt: rec.PairedAt}
	if rec != want {
		t.Errorf("record = %+v, want %+v", rec, want)
	}
	if rec.PairedAt.Before(start) || rec.PairedAt.After(time.Now()) {
		t.Errorf("PairedAt = %v, want the time of Paired (after %v)", rec.PairedAt, start)
	}

	// Set an old pairing time, so that "kept" and "new" cannot be confused.
	long := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	rec.PairedAt = long
	if err := SavePairing(dir, rec); err != nil {
		t.Fatal(err)
	}
	before := statT(t, path)

	// Every lookup reports the project: unchanged, the file is not written (a write
	// replaces the file, so the same file means no write).
	if err := book.Paired(project); err != nil {
		t.Fatalf("Paired again: %v", err)
	}
	if !os.SameFile(before, statT(t, path)) {
		t.Error("Paired rewrote the record although nothing changed")
	}
	if got := loadPairingT(t, dir); !got.PairedAt.Equal(long) {
		t.Errorf("PairedAt = %v after the same project, want it kept (%v)", got.PairedAt, long)
	}

	// The project renamed: written, the pairing time kept.
	renamed := project
	renamed.Name = "Shoot (final)"
	if err := book.Paired(renamed); err != nil {
		t.Fatal(err)
	}
	got := loadPairingT(t, dir)
	if got.ProjectName != renamed.Name || !got.PairedAt.Equal(long) {
		t.Errorf("after a rename: %+v, want the new name and PairedAt %v", got, long)
	}

	// The tokens moved into a token file: written, the pairing time kept.
	book.SetTokenStore(TokenStoreFile)
	if err := book.Paired(renamed); err != nil {
		t.Fatal(err)
	}
	if got := loadPairingT(t, dir); got.TokenStore != TokenStoreFile || !got.PairedAt.Equal(long) {
		t.Errorf("after the tokens moved: %+v, want token store %q and PairedAt %v", got, TokenStoreFile, long)
	}

	// Another project: a new pairing time.
	other := auth.Project{ID: "proj-2", Name: "Other shoot"}
	if err := book.Paired(other); err != nil {
		t.Fatal(err)
	}
	got = loadPairingT(t, dir)
	if got.ProjectID != other.ID || got.ProjectName != other.Name || !got.PairedAt.After(long) || got.PairedAt.Before(start) {
		t.Errorf("after another project: %+v, want proj-2 and a new PairedAt", got)
	}

	if err := book.Unpaired(); err != nil {
		t.Fatalf("Unpaired: %v", err)
	}
	if _, ok, err := LoadPairing(dir); ok || err != nil {
		t.Errorf("LoadPairing after Unpaired = ok %v, %v; want not paired", ok, err)
	}
	if err := book.Unpaired(); err != nil {
		t.Errorf("Unpaired of an unpaired folder = %v, want nil", err)
	}
}

// The same project through another API (a test server, say) is another pairing.
func TestPairingBookNewOriginIsANewPairing(t *testing.T) {
	dir := t.TempDir()
	long := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if err := SavePairing(dir, PairingRecord{APIURL: "https://api.example.test/v1", APIOrigin: "https://api.example.test",
		ProjectID: "proj-1", TokenStore: TokenStoreKeychain, PairedAt: long}); err != nil {
		t.Fatal(err)
	}
	book := NewPairingBook(dir, "https://staging.example.test/v1", "https://staging.example.test", TokenStoreFile)
	if err := book.Paired(auth.Project{ID: "proj-1"}); err != nil {
		t.Fatal(err)
	}
	got := loadPairingT(t, dir)
	if got.APIOrigin != book.APIOrigin || got.APIURL != book.APIURL || got.TokenStore != TokenStoreFile || !got.PairedAt.After(long) {
		t.Errorf("record = %+v, want the new API and token store and a new PairedAt", got)
	}
}

// A damaged record is replaced by what is known now, not left in the way.
func TestPairingBookReplacesADamagedRecord(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, pairingFileName), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	book := NewPairingBook(dir, "https://api.example.test/v1", "https://api.example.test", TokenStoreKeychain)
	if err := book.Paired(auth.Project{ID: "proj-1"}); err != nil {
		t.Fatalf("Paired over a damaged record: %v", err)
	}
	if got := loadPairingT(t, dir); got.ProjectID != "proj-1" || got.PairedAt.IsZero() {
		t.Errorf("record = %+v, want proj-1 with a pairing time", got)
	}
}
