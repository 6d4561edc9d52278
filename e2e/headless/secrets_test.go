package headless

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/e2e/e2etest"
)

func randomSecret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

var (
	alnumRun = regexp.MustCompile(`[A-Za-z0-9]{16,}`)
	uuidText = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
)

// credentialFingerprints are the fingerprints of every credential the simulator's
// request log saw: each bearer token used, each device code and refresh token sent to
// the token endpoint, each token revoked, and the signature of each presigned URL a chunk
// was sent to (it lets whoever holds it write into the asset for a day).
func credentialFingerprints(ctx context.Context, t *testing.T, e *e2etest.Env) map[string]bool {
	t.Helper()
	fps := map[string]bool{}
	for fp := range allFingerprints(ctx, t, e) {
		fps[fp] = true
	}
	return fps
}

// allFingerprints is credentialFingerprints, each with what it is.
func allFingerprints(ctx context.Context, t *testing.T, e *e2etest.Env) map[string]string {
	t.Helper()
	fps := map[string]string{}
	for _, rq := range requests(ctx, t, e) {
		if rq.TokenFP != "" {
			fps[rq.TokenFP] = "token"
		}
		if q, err := url.ParseQuery(rq.Query); err == nil {
			if sig, ok := strings.CutPrefix(q.Get("X-Amz-Signature"), "fp:"); ok {
				fps[sig] = "signature"
			}
		}
	}
	return fps
}

// leakedCredentials finds in data any token-like string (a UUID, or any run of 16 to 128
// letters and digits within a longer run) whose fingerprint is one of fps.
func leakedCredentials(data []byte, fps map[string]bool) int {
	found := 0
	check := func(b []byte) {
		if fps[c2csim.Fingerprint(string(b))] {
			found++
		}
	}
	for _, m := range uuidText.FindAll(data, -1) {
		check(m)
	}
	for _, run := range alnumRun.FindAll(data, -1) {
		for n := 16; n <= min(len(run), 128); n++ {
			for i := 0; i+n <= len(run); i++ {
				check(run[i : i+n])
			}
		}
	}
	return found
}

// noSecretsIn fails the test when any of secrets, or any credential whose fingerprint is
// in fps, appears in any file under dir or in any of outputs. It returns the files it
// read.
func noSecretsIn(t *testing.T, step, dir string, secrets map[string]string, fps map[string]bool, outputs ...e2etest.Result) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel)
		for what, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("after %s: %s holds the %s", step, rel, what)
			}
		}
		if n := leakedCredentials(data, fps); n > 0 {
			t.Errorf("after %s: %s holds %d credentials the simulator issued (found by fingerprint)", step, rel, n)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the data dir: %v", err)
	}
	for _, r := range outputs {
		out := []byte(r.Stdout + r.Stderr)
		for what, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("after %s: the command's output shows the %s", step, what)
			}
		}
		if n := leakedCredentials(out, fps); n > 0 {
			t.Errorf("after %s: the command's output shows %d credentials the simulator issued (found by fingerprint)", step, n)
		}
	}
	return files
}

// TestNoSecretsOnDisk: through a pairing, an upload that refreshes the tokens (on a 401,
// and again before they expire), error paths whose answers echo the credentials sent,
// status and unpair (all at debug level with --verbose, so every request attempt is
// logged and the log goes to stderr too), neither the client secret nor any access or
// refresh token, nor the signature of a presigned URL, appears in any file of the data
// dir (journal, logs, identity) or in the commands' output. The tokens are read from the real Secret Service with secret-tool,
// since the simulator never tells them; every other credential the simulator saw
// (device codes, the tokens in between) is looked for by its fingerprint in the
// simulator's request log. The echoing answers put bare tokens into error details the
// app logs: only the log's redactor, with every token registered, keeps them out (a
// logger without the redactor, or a token never registered with it, fails here).
func TestNoSecretsOnDisk(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	clientSecret := randomSecret(t, "cs-")
	opts := simOptions()
	opts.ClientSecrets = []string{clientSecret}
	e := newEnv(t, opts)
	env := []cmdOpt{withEnv("C2C_CLIENT_SECRET="+clientSecret, "C2C_LOG_LEVEL=debug")}
	secrets := map[string]string{"client secret": clientSecret}
	collect := func(gen string) (access, refresh string) {
		access, refresh = keychainSecret(ctx, t, e, "access_token"), keychainSecret(ctx, t, e, "refresh_token")
		if len(access) < 8 || len(refresh) < 8 {
			t.Fatalf("the keychain does not hold the %s tokens (access %d bytes, refresh %d bytes)", gen, len(access), len(refresh))
		}
		secrets[gen+" access token"], secrets[gen+" refresh token"] = access, refresh
		return access, refresh
	}

	pr := pair(ctx, t, e, "Secret Project", env, "--verbose")
	access1, refresh1 := collect("first")
	noSecretsIn(t, "pair", e.DataDir, secrets, credentialFingerprints(ctx, t, e), pr)

	// The access token dies at the API: the next upload's first call gets 401, and the
	// app refreshes. The new tokens live 2 s and the upload is slowed down, so the app
	// also renews them on its own while uploading. Once it has, tokens go back to a long
	// life, so that the upload does not end in the middle of a refresh, and the upload
	// is let go.
	setTTL := func(d time.Duration) {
		cfg, err := e.Sim.Admin.Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg.AccessTokenTTL = c2csim.Duration(d)
		if _, err := e.Sim.Admin.SetConfig(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	refreshes := func(atLeast int) func() (bool, error) {
		return func() (bool, error) { return device(ctx, t, e).RefreshesSpent >= atLeast, nil }
	}
	setTTL(2 * time.Second)
	for _, f := range []c2csim.Fault{
		{Method: "PUT", Path: "/s3/*", Bandwidth: 64 << 10},
		// The first refresh is answered with an error that echoes the refresh token (a
		// retried failure the app logs with the server's words).
		{Method: "POST", Path: "/v2/auth/token", Times: 1, Status: 503,
			Body: `{"code":503,"errors":[{"code":503,"detail":"refresh {form:refresh_token} failed","status":503,"title":"Unavailable"}],"message":"Unavailable"}`},
	} {
		if _, err := e.Sim.Admin.AddFault(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Sim.Admin.ExpireAccess(ctx, clientID(t, e)); err != nil {
		t.Fatal(err)
	}
	path, sum := writeFile(t, t.TempDir(), "secret.mov", 4<<20)
	upload := start(ctx, t, e, env, "upload", "--verbose", path)
	stillUploading := func(cond func() (bool, error)) func() (bool, error) {
		return func() (bool, error) {
			select {
			case <-upload.done:
				t.Fatalf("the upload ended too soon (exit %d):\n%s", upload.res.Code, upload.res.Stderr)
			default:
			}
			return cond()
		}
	}
	waitFor(ctx, t, "a refresh on 401 and one before expiry", stillUploading(refreshes(2)))
	setTTL(8 * time.Hour)
	// Every refresh the simulator counts from now on hands out long-lived tokens.
	spent := device(ctx, t, e).RefreshesSpent
	waitFor(ctx, t, "a refresh that brings long-lived tokens", stillUploading(refreshes(spent+1)))
	if err := e.Sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	up := upload.wait(ctx)
	expectCode(t, "upload with refreshes", up, 0)
	expectArrived(ctx, t, e, map[string]string{"secret.mov": sum})
	// The echoed refresh token was logged, and scrubbed.
	expectContains(t, "upload's log on stderr", up.Stderr, "access token refreshed", "refresh REDACTED failed", "level=DEBUG")
	access2, refresh2 := collect("second")
	if access2 == access1 || refresh2 == refresh1 {
		t.Fatalf("the keychain still holds the first tokens after the refresh")
	}
	noSecretsIn(t, "upload with a refresh", e.DataDir, secrets, credentialFingerprints(ctx, t, e), up)

	// An asset creation refused with an answer that echoes the bearer token: the file
	// fails, and the app logs why, in the server's words.
	if _, err := e.Sim.Admin.AddFault(ctx, c2csim.Fault{Method: "POST", Path: "/v2/devices/assets", Times: 1, Status: 422,
		Body: `{"code":422,"errors":[{"code":422,"detail":"token {bearer} may not create this","status":422,"title":"Invalid Argument"}],"message":"Invalid Argument"}`}); err != nil {
		t.Fatal(err)
	}
	refusedPath, _ := writeFile(t, t.TempDir(), "refused.mov", 10<<10)
	rf := run(ctx, t, e, env, "upload", "--verbose", refusedPath)
	expectCode(t, "upload refused with an echoing answer", rf, 1)
	expectContains(t, "the refused upload's log on stderr", rf.Stderr, "upload stopped", "may not create this")
	noSecretsIn(t, "an error answer echoing the bearer token", e.DataDir, secrets, credentialFingerprints(ctx, t, e), rf)

	st := run(ctx, t, e, env, "status", "--verbose")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout, "paired with the project “Secret Project”")
	noSecretsIn(t, "status", e.DataDir, secrets, credentialFingerprints(ctx, t, e), st)

	// The fingerprint scan would find the tokens read from the keychain, were they there,
	// and it knows the signatures of the links the chunks went to.
	signatures := 0
	for _, what := range allFingerprints(ctx, t, e) {
		if what == "signature" {
			signatures++
		}
	}
	if signatures == 0 {
		t.Error("the simulator's log has no signature of a presigned URL to look for")
	}
	fps := credentialFingerprints(ctx, t, e)
	for what, tok := range map[string]string{"first access token": access1, "first refresh token": refresh1, "second access token": access2} {
		if leakedCredentials([]byte("token="+tok+"."), fps) != 1 {
			t.Errorf("the fingerprint scan does not find the %s", what)
		}
	}

	sj := run(ctx, t, e, env, "status", "--json", "--verbose")
	expectCode(t, "status --json", sj, 0)
	noSecretsIn(t, "status --json", e.DataDir, secrets, credentialFingerprints(ctx, t, e), sj)

	un := run(ctx, t, e, env, "unpair", "--verbose")
	expectCode(t, "unpair", un, 0)
	files := noSecretsIn(t, "unpair", e.DataDir, secrets, credentialFingerprints(ctx, t, e), un)

	// The scan must have read what matters.
	seen := map[string]bool{}
	for _, f := range files {
		seen[f] = true
	}
	for _, want := range []string{"client_id", "journal.db", "uploads.jsonl", filepath.Join("logs", "c2c-uploader.log")} {
		if !seen[want] {
			t.Errorf("the data dir has no %s to check (files: %v)", want, files)
		}
	}
}

// TestClientIDPersists: the client_id is made once and kept; the simulator sees that
// same client_id on the code request, the polls, the project look-up, the uploads and
// later runs.
func TestClientIDPersists(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	e := newEnv(t, simOptions())

	pair(ctx, t, e, "Identity Project", nil)
	id := clientID(t, e)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("client_id %q is not a UUID: %v", id, err)
	}
	path, _ := writeFile(t, t.TempDir(), "id.mov", 20<<10)
	expectCode(t, "upload", run(ctx, t, e, nil, "upload", path), 0)
	expectCode(t, "status", run(ctx, t, e, nil, "status"), 0)
	if again := clientID(t, e); again != id {
		t.Fatalf("client_id changed from %s to %s", id, again)
	}

	paths := map[string]bool{}
	for _, rq := range requests(ctx, t, e) {
		if rq.ClientID == "" {
			continue
		}
		paths[rq.Path] = true
		if rq.ClientID != id {
			t.Errorf("%s %s carried client_id %s, want %s", rq.Method, rq.Path, rq.ClientID, id)
		}
	}
	for _, want := range []string{"/v2/auth/device/code", "/v2/auth/token", "/v2/devices/me", "/v2/devices/assets"} {
		if !paths[want] {
			t.Errorf("the simulator saw no %s with the client_id (saw %v)", want, paths)
		}
	}
	if ds, err := e.Sim.Admin.Devices(ctx); err != nil || len(ds) != 1 || ds[0].ClientID != id {
		t.Errorf("simulator devices %+v (%v), want one with client_id %s", ds, err, id)
	}
}

// TestClientSecretFromFile: without C2C_CLIENT_SECRET the secret comes from
// <data-dir>/client_secret; with neither, the commands say how to give one; the
// environment wins over the file.
func TestClientSecretFromFile(t *testing.T) {
	t.Parallel()
	e2etest.RequireKeychain(t)
	ctx := testContext(t)
	clientSecret := randomSecret(t, "file-")
	opts := simOptions()
	opts.ClientSecrets = []string{clientSecret}
	e := newEnv(t, opts)
	noEnv := []cmdOpt{withoutEnv("C2C_CLIENT_SECRET")}

	r := run(ctx, t, e, noEnv, "pair")
	expectCode(t, "pair without any client secret", r, 1)
	expectContains(t, "pair's stderr", r.Stderr, "no client secret", "C2C_CLIENT_SECRET", filepath.Join(e.DataDir, "client_secret"))

	if err := os.WriteFile(filepath.Join(e.DataDir, "client_secret"), []byte(clientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(ctx, t, e, []cmdOpt{withEnv("C2C_CLIENT_SECRET=" + randomSecret(t, "env-"))}, "pair")
	expectCode(t, "pair with a wrong secret in the environment and the right one in the file", r, 1)
	expectContains(t, "pair's stderr", r.Stderr, "client credentials")

	pair(ctx, t, e, "File Secret Project", noEnv)
	st := run(ctx, t, e, noEnv, "status")
	expectCode(t, "status", st, 0)
	expectContains(t, "status", st.Stdout, "paired with the project “File Secret Project”", "Connection:  online")
}
