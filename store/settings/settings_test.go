package settings

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core"
)

func load(t *testing.T, s *Store) core.SavedSettings {
	t.Helper()
	got, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// No file is the defaults, and reading writes nothing.
func TestMissingFileIsTheDefaults(t *testing.T) {
	s := New(t.TempDir())
	got := load(t, s)
	if got.Settings != core.DefaultSettings() || len(got.Saved) != 0 || len(got.Problems) != 0 || got.CarriedOver {
		t.Errorf("Load of no file = %+v", got)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load made %s: %v", s.Path(), err)
	}
}

// What is set is read back by the next process, written as the command line writes it;
// reset keys follow the default again.
func TestSetLoadResetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := New(dir).Set(map[string]string{"bandwidth": " 5 MB/s", "parallel-files": "3", "api": "https://api.example.com/?x=1&y=2"}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got := load(t, New(dir))
	want := core.DefaultSettings()
	want.BandwidthLimit, want.ParallelFiles, want.APIURL = 5_000_000, 3, "https://api.example.com"
	if got.Settings != want {
		t.Errorf("read back %+v, want %+v", got.Settings, want)
	}
	if len(got.Saved) != 3 || got.Saved["bandwidth"] != "5MB/s" || got.Saved["parallel-files"] != "3" {
		t.Errorf("saved %v", got.Saved)
	}
	if text := readFile(t, New(dir).Path()); !strings.Contains(text, `"bandwidth": "5MB/s"`) {
		t.Errorf("the file does not read like the command line:\n%s", text)
	}

	if err := New(dir).Reset("bandwidth", "api"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	got = load(t, New(dir))
	want = core.DefaultSettings()
	want.ParallelFiles = 3
	if got.Settings != want || len(got.Saved) != 1 {
		t.Errorf("after reset %+v (saved %v), want %+v", got.Settings, got.Saved, want)
	}
}

// A wrong key or value writes nothing, not even the good values beside it.
func TestSetIsAllOrNothing(t *testing.T) {
	s := New(t.TempDir())
	if err := s.Set(map[string]string{"parallel-chunks": "8"}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, s.Path())
	var unknown *core.UnknownSettingError
	if err := s.Set(map[string]string{"bandwdith": "5MB/s", "parallel-files": "4"}); !errors.As(err, &unknown) || unknown.Nearest != "bandwidth" {
		t.Errorf("a wrong key: %v, want an unknown setting suggesting bandwidth", err)
	}
	var bad *core.SettingValueError
	if err := s.Set(map[string]string{"bandwidth": "fast", "parallel-files": "4"}); !errors.As(err, &bad) || bad.Key != "bandwidth" {
		t.Errorf("a wrong value: %v, want a value error for bandwidth", err)
	}
	if err := s.Reset("colour"); !errors.As(err, &unknown) {
		t.Errorf("reset of a wrong key: %v", err)
	}
	if after := readFile(t, s.Path()); after != before {
		t.Errorf("a refused change wrote the file:\n%s\nwas:\n%s", after, before)
	}
}

// Entries this version does not know, and values it does not understand, are kept for
// the version that wrote them; a value not understood is reported and its key is at the
// default meanwhile.
func TestUnknownEntriesAreKept(t *testing.T) {
	s := New(t.TempDir())
	if err := os.WriteFile(s.Path(), []byte(`{"values": {"bandwidth": "fast", "parallel-files": 4, "watch-folders": ["/media"], "parallel-chunks": "6"},
"window_preferences_carried_over": true, "schedule": {"night": "0"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got := load(t, s)
	want := core.DefaultSettings()
	want.ParallelChunks = 6
	if got.Settings != want || !got.CarriedOver {
		t.Errorf("read %+v (carried over %v), want %+v", got.Settings, got.CarriedOver, want)
	}
	if len(got.Problems) != 2 || !strings.Contains(got.Problems[0], `parallel-files`) || !strings.Contains(got.Problems[1], `bandwidth cannot be "fast"`) {
		t.Errorf("problems %q, want one about parallel-files and one about bandwidth", got.Problems)
	}
	if err := s.Set(map[string]string{"offset-from-now": "true"}); err != nil {
		t.Fatal(err)
	}
	text := readFile(t, s.Path())
	for _, kept := range []string{`"watch-folders": [`, `"/media"`, `"schedule": {`, `"bandwidth": "fast"`, `"parallel-files": 4`, `"offset-from-now": "true"`} {
		if !strings.Contains(text, kept) {
			t.Errorf("after a set, the file lost %s:\n%s", kept, text)
		}
	}
}

// A damaged file is kept beside as settings.json.damaged, byte for byte, and replaced
// by the defaults; that is said once, in one sentence.
func TestDamagedFileIsKeptBesideAndReplacedByDefaults(t *testing.T) {
	for name, content := range map[string]string{
		"garbage": "\x00\x01not json", "empty": "", "cut short": `{"values": {"bandwidth": "5MB`, "array": `[]`,
		"null": `null`, "values not an object": `{"values": 3}`, "flag not a bool": `{"window_preferences_carried_over": "yes"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := New(t.TempDir())
			if err := os.WriteFile(s.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			got := load(t, s)
			if got.Settings != core.DefaultSettings() || len(got.Saved) != 0 {
				t.Errorf("a damaged file gave %+v, saved %v", got.Settings, got.Saved)
			}
			if len(got.Problems) != 1 || !strings.Contains(got.Problems[0], s.Path()+DamagedSuffix) ||
				strings.Count(got.Problems[0], ". ") > 0 || !strings.HasSuffix(got.Problems[0], ".") {
				t.Errorf("problems %q, want one sentence naming %s", got.Problems, s.Path()+DamagedSuffix)
			}
			if kept := readFile(t, s.Path()+DamagedSuffix); kept != content {
				t.Errorf("the damaged file was kept as %q, want %q", kept, content)
			}
			again := load(t, s)
			if len(again.Problems) != 0 || again.Settings != core.DefaultSettings() || !again.CarriedOver {
				t.Errorf("the next start: %+v", again)
			}
		})
	}
	// A change made to a damaged file keeps it too.
	s := New(t.TempDir())
	if err := os.WriteFile(s.Path(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(map[string]string{"parallel-files": "5"}); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s); got.Settings.ParallelFiles != 5 || len(got.Problems) != 0 {
		t.Errorf("after a set over a damaged file: %+v", got)
	}
	if kept := readFile(t, s.Path()+DamagedSuffix); kept != "{" {
		t.Errorf("the damaged file was kept as %q", kept)
	}
}

// A write replaces the file whole (a new file renamed over it) instead of rewriting it
// in place: a reader that opened the file before reads the old file to its end, and no
// temporary file is left behind.
func TestWritesReplaceTheFileAtomically(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	if err := s.Set(map[string]string{"parallel-files": "3", "api": "https://api.example.com"}); err != nil {
		t.Fatal(err)
	}
	old := readFile(t, s.Path())
	reader, err := os.Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := s.Set(map[string]string{"parallel-files": "4"}); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(reader)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != old {
		t.Errorf("a reader of the old file read %q, want the old file whole %q", b, old)
	}
	if got := load(t, s); got.Settings.ParallelFiles != 4 || got.Settings.APIURL != "https://api.example.com" {
		t.Errorf("after the write: %+v", got.Settings)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// No temporary file is left behind: the settings and the lock that serialises writes.
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{FileName, FileName + ".lock"}) {
		t.Errorf("the data folder holds %v, want only %s and its lock", names, FileName)
	}
}

// The window's earlier preferences are carried over once; a key set on the command line
// before keeps its value, and a value no longer valid is reported, not taken.
func TestCarryOverHappensOnce(t *testing.T) {
	s := New(t.TempDir())
	if err := s.Set(map[string]string{"bandwidth": "1MB/s"}); err != nil {
		t.Fatal(err)
	}
	problems, err := s.CarryOver(map[string]string{"bandwidth": "2MiB/s", "parallel-files": "99", "parallel-chunks": "12", "notifications": "false"})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], `parallel-files cannot be "99"`) {
		t.Errorf("problems %q, want one about parallel-files", problems)
	}
	got := load(t, s)
	want := core.DefaultSettings()
	want.BandwidthLimit, want.ParallelChunks, want.Notifications = 1_000_000, 12, false
	if got.Settings != want || !got.CarriedOver {
		t.Errorf("after carrying over: %+v (carried over %v), want %+v", got.Settings, got.CarriedOver, want)
	}
	if err := s.Reset("parallel-chunks"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CarryOver(map[string]string{"parallel-chunks": "12"}); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s); got.Settings.ParallelChunks != core.DefaultSettings().ParallelChunks {
		t.Errorf("the preferences were carried over a second time: %+v", got.Settings)
	}
}

func TestStoreIsInTheDataFolder(t *testing.T) {
	dir := t.TempDir()
	if got := New(dir).Path(); got != filepath.Join(dir, "settings.json") {
		t.Errorf("Path = %s", got)
	}
}

// TestConcurrentChangesAllLand: changes of different keys made at once, by separate
// stores as separate processes would, all land: each reads the file after the last write.
func TestConcurrentChangesAllLand(t *testing.T) {
	dir := t.TempDir()
	keys := map[string]string{"parallel-files": "3", "parallel-chunks": "5", "bandwidth": "5MB/s", "notifications": "false", "offset-from-now": "true"}
	var wg sync.WaitGroup
	for k, v := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := New(dir).Set(map[string]string{k: v}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	saved, err := New(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Saved) != len(keys) {
		t.Fatalf("after %d changes at once the file holds %v", len(keys), saved.Saved)
	}
}
