package core_test

import (
	"path/filepath"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/api"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

// loadedService is a service over the simulator, with a real journal and its tokens in
// memory, loaded; change adjusts its configuration first. The journal is closed when
// the test ends, after the clean-ups the test registers later (which stop the service):
// a write the engine still attempts then fails as in a crash, which the journal's
// promises cover.
func loadedService(t *testing.T, sim *c2csim.Sim, clientID string, change func(*core.Config)) (*core.Service, *authtest.MemoryStore) {
	t.Helper()
	tokens := &authtest.MemoryStore{}
	svc, _ := loadedServiceAt(t, sim, clientID, filepath.Join(t.TempDir(), "journal.db"), tokens, change)
	return svc, tokens
}

// loadedServiceAt is loadedService with its journal at path and its tokens in tokens: a
// later service on the same ones is the app started again. It returns the journal too,
// for the test to close before starting the next.
func loadedServiceAt(t *testing.T, sim *c2csim.Sim, clientID, path string, tokens *authtest.MemoryStore, change func(*core.Config)) (*core.Service, *journal.Journal) {
	t.Helper()
	j, err := journal.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	cfg := core.Config{
		APIURL: sim.URL(), ClientVersion: "1.0.0-test",
		Credentials: api.Credentials{ClientID: clientID, ClientSecret: c2csim.DemoClientSecret},
		Tokens:      tokens, Journal: j, Settings: core.DefaultSettings(),
	}
	if change != nil {
		change(&cfg)
	}
	svc, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc, j
}
