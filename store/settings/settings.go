// Package settings keeps the person's settings in the data folder (settings.json), the
// same for the window and every headless command (core.SettingsStore).
//
// The file holds only the values someone chose, as the command line writes them
// ("bandwidth": "5MB/s"); the others follow the defaults of the version that runs.
// Entries this version does not know are kept as they are: a newer version's settings
// survive a run of an older one (the window of one release beside the command line of
// another), and a value this version does not understand is reported and left for
// the version that wrote it.
//
// Writes need no lock on the data folder: each one writes a new file, syncs it and
// renames it over the old one, so a reader sees the old file or the new one, never half
// of one, and `settings set` works while the window runs. A process reads the settings
// when it starts; the window takes a change made meanwhile at its next start. Two
// writes at the very same moment may lose one of the two changes (each rewrites the
// file it read); a settings form saves only the keys it changed, to keep that rare.
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/gofrs/flock"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/internal/atomicfile"
)

// FileName is the settings file in the data folder; DamagedSuffix names the copy a
// damaged one is kept as.
const (
	FileName      = "settings.json"
	DamagedSuffix = ".damaged"
)

// The file's fields.
const (
	fieldValues      = "values"
	fieldCarriedOver = "window_preferences_carried_over"
)

// Store is the settings file of one data folder.
type Store struct{ path string }

var _ core.SettingsStore = (*Store)(nil)

// New is the store of the data folder dir.
func New(dir string) *Store { return &Store{path: filepath.Join(dir, FileName)} }

// Path is the settings file.
func (s *Store) Path() string { return s.path }

// file is settings.json as read: the values by key, and every other field kept raw.
type file struct {
	values      map[string]json.RawMessage
	carriedOver bool
	other       map[string]json.RawMessage
}

// damagedError: the file is not settings JSON.
type damagedError struct{ err error }

func (e *damagedError) Error() string { return e.err.Error() }

// Load reads the settings over the defaults. A missing file is the defaults. A damaged
// one is moved aside (settings.json.damaged) and replaced by the defaults, which
// Problems says; a value not understood is reported and its key left at the default.
func (s *Store) Load() (core.SavedSettings, error) {
	out := core.SavedSettings{Settings: core.DefaultSettings(), Saved: map[string]string{}}
	f, err := s.read()
	var damaged *damagedError
	if errors.As(err, &damaged) {
		problem, err := s.replaceDamaged()
		if err != nil {
			return out, err
		}
		out.Problems = append(out.Problems, problem)
		out.CarriedOver = true
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.CarriedOver = f.carriedOver
	for _, k := range core.SettingKeys() {
		raw, ok := f.values[k.Name]
		if !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("In %s, %s is %s, not text like %q; the default %s is used until it is set again.",
				s.path, k.Name, raw, k.Default(), k.Default()))
			continue
		}
		if err := k.Set(&out.Settings, v); err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("In %s, %s cannot be %q (%v); the default %s is used until it is set again.",
				s.path, k.Name, v, err, k.Default()))
			continue
		}
		out.Saved[k.Name] = k.Value(out.Settings)
	}
	return out, nil
}

// Set saves values (key → value as the command line writes it), all or none: an
// *core.UnknownSettingError or a *core.SettingValueError writes nothing.
func (s *Store) Set(values map[string]string) error {
	check := core.DefaultSettings()
	if err := core.ApplySettings(&check, values); err != nil {
		return err
	}
	return s.update(func(f *file) {
		for name, v := range values {
			k, _ := core.LookupSettingKey(name)
			one := core.DefaultSettings()
			_ = k.Set(&one, v)
			f.values[name] = jsonString(k.Value(one)) // as the key writes it: "5 MB/s" is kept as "5MB/s"
		}
	})
}

// Reset takes keys back to their defaults (an *core.UnknownSettingError for a name that
// is no key, and nothing written).
func (s *Store) Reset(keys ...string) error {
	for _, name := range keys {
		if _, err := core.LookupSettingKey(name); err != nil {
			return err
		}
	}
	return s.update(func(f *file) {
		for _, name := range keys {
			delete(f.values, name)
		}
	})
}

// CarryOver saves the window's earlier preferences (key → value), once: when the file
// says they were carried over already, it does nothing. A key set since (on the command
// line) keeps its value. It returns a sentence for each value not taken.
func (s *Store) CarryOver(values map[string]string) ([]string, error) {
	var problems []string
	err := s.update(func(f *file) {
		if f.carriedOver {
			return
		}
		f.carriedOver = true
		for _, name := range slices.Sorted(maps.Keys(values)) {
			if _, ok := f.values[name]; ok {
				continue
			}
			one := core.DefaultSettings()
			if err := core.ApplySettings(&one, map[string]string{name: values[name]}); err != nil {
				problems = append(problems, fmt.Sprintf("A setting saved by an earlier version was not kept: %v; the default is used.", err))
				continue
			}
			k, _ := core.LookupSettingKey(name)
			f.values[name] = jsonString(k.Value(one))
		}
	})
	return problems, err
}

// update reads the file, changes it and writes it back; a damaged file is moved aside
// first and the change made to an empty one.
//
// Changes are serialised by an OS lock on a file beside it (gofrs/flock), so that two
// `settings set` at once both land (TestConcurrentChangesAllLand); readers need none, as
// every write replaces the file whole.
func (s *Store) update(change func(*file)) error {
	fl := flock.New(s.path + ".lock")
	if err := fl.Lock(); err != nil {
		return fmt.Errorf("settings: locking %s: %w", fl.Path(), err)
	}
	defer func() { _ = fl.Unlock() }()
	f, err := s.read()
	var damaged *damagedError
	if errors.As(err, &damaged) {
		if _, err = s.replaceDamaged(); err != nil {
			return err
		}
		f, err = s.read()
	}
	if err != nil {
		return err
	}
	change(f)
	return s.write(f)
}

// read reads the file; a missing one is empty. A *damagedError when it is not a JSON
// object with the fields of a settings file.
func (s *Store) read() (*file, error) {
	f := &file{values: map[string]json.RawMessage{}, other: map[string]json.RawMessage{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the settings: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return nil, &damagedError{fmt.Errorf("not a JSON object: %v", err)}
	}
	for name, raw := range top {
		switch name {
		case fieldValues:
			if err := json.Unmarshal(raw, &f.values); err != nil || f.values == nil {
				return nil, &damagedError{fmt.Errorf("%s is not an object: %v", fieldValues, err)}
			}
		case fieldCarriedOver:
			if err := json.Unmarshal(raw, &f.carriedOver); err != nil {
				return nil, &damagedError{fmt.Errorf("%s is not true or false: %v", fieldCarriedOver, err)}
			}
		default:
			f.other[name] = raw
		}
	}
	return f, nil
}

// replaceDamaged keeps the damaged file beside (settings.json.damaged, the newest
// damage) and writes the defaults in its place. The defaults count as carried over: the
// window's earlier preferences are older than what was lost, and coming back now they
// would contradict "back to the defaults".
func (s *Store) replaceDamaged() (string, error) {
	aside := s.path + DamagedSuffix
	if err := os.Rename(s.path, aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("moving the damaged settings aside: %w", err)
	}
	fresh := &file{values: map[string]json.RawMessage{}, carriedOver: true, other: map[string]json.RawMessage{}}
	if err := s.write(fresh); err != nil {
		return "", err
	}
	return fmt.Sprintf("The settings file %s was damaged, so every setting is back to its default; the damaged file is kept as %s.",
		s.path, aside), nil
}

// write replaces the file atomically: a new file beside it, synced, renamed over it,
// and the folder synced so the rename itself survives a power cut.
func (s *Store) write(f *file) error {
	top := maps.Clone(f.other)
	if top == nil {
		top = map[string]json.RawMessage{}
	}
	values, err := encode(f.values, "")
	if err != nil {
		return err
	}
	top[fieldValues] = values
	if f.carriedOver {
		top[fieldCarriedOver] = json.RawMessage("true")
	} else {
		delete(top, fieldCarriedOver)
	}
	b, err := encode(top, "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(s.path, 0o600, b); err != nil {
		return fmt.Errorf("saving the settings: %w", err)
	}
	return nil
}

func jsonString(v string) json.RawMessage {
	b, _ := encode(v, "")
	return bytes.TrimRight(b, "\n")
}

// encode is JSON that keeps URLs readable (no \u0026 for &), one value a line.
func encode(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	err := enc.Encode(v)
	return b.Bytes(), err
}
