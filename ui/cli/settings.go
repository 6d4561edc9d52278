package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// Settings is `c2c-uploader settings [set KEY VALUE | reset KEY]`: every setting with its
// value and default (--json: one "setting" event each), or one changed. A wrong key or
// value is a usage error (exit 2) and writes nothing. The settings are not bound to the
// data folder's lock: they can be changed while the window runs, which takes them at its
// next start (store/settings).
func Settings(st core.SettingsStore, args []string, o Options) int {
	o.defaults()
	saved, err := st.Load()
	if err != nil {
		fmt.Fprintf(o.Stderr, "settings: %v\n", err)
		return ExitFailed
	}
	for _, p := range saved.Problems {
		fmt.Fprintf(o.Stderr, "warning: %s\n", p)
	}
	if len(args) == 0 {
		listSettings(saved, o)
		return ExitOK
	}
	name := args[1]
	switch args[0] {
	case "set":
		err = st.Set(map[string]string{name: args[2]})
	default: // reset
		err = st.Reset(name)
	}
	var unknown *core.UnknownSettingError
	var bad *core.SettingValueError
	switch {
	case errors.As(err, &unknown):
		fmt.Fprintf(o.Stderr, "c2c-uploader: %v; nothing was changed.\n", unknown)
		return ExitUsage
	case errors.As(err, &bad):
		fmt.Fprintf(o.Stderr, "c2c-uploader: %v; nothing was changed.\n", bad)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(o.Stderr, "settings: %v\n", err)
		return ExitFailed
	}
	now, err := st.Load()
	if err != nil {
		fmt.Fprintf(o.Stderr, "settings: %v\n", err)
		return ExitFailed
	}
	k, _ := core.LookupSettingKey(name)
	if o.JSON {
		newJSONWriter(o.Stdout).write(settingJSON(k, now))
	}
	was, is := shown(k.Value(saved.Settings)), shown(k.Value(now.Settings))
	change := fmt.Sprintf("%s is now %s (was %s)", name, is, was)
	if was == is {
		change = fmt.Sprintf("%s stays %s", name, is)
	}
	fmt.Fprintf(o.Stderr, "%s; the window and the commands use it from their next start.\n", change)
	return ExitOK
}

func listSettings(saved core.SavedSettings, o Options) {
	if o.JSON {
		jw := newJSONWriter(o.Stdout)
		for _, k := range core.SettingKeys() {
			jw.write(settingJSON(k, saved))
		}
		return
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tDEFAULT\tWHAT IT IS")
	for _, k := range core.SettingKeys() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, shown(k.Value(saved.Settings)), shown(k.Default()), k.Description)
	}
	_ = tw.Flush()
	fmt.Fprintln(o.Stderr, "Change one with `c2c-uploader settings set KEY VALUE`, or for one run with --KEY VALUE.")
}

// shown is a value as a person reads it: an empty one (no schedule, no filter) says so.
func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}

func settingJSON(k core.SettingKey, saved core.SavedSettings) map[string]any {
	_, own := saved.Saved[k.Name]
	return map[string]any{
		"type": "setting", "key": k.Name, "value": k.Value(saved.Settings), "default": k.Default(),
		"saved": own, "description": k.Description,
	}
}
