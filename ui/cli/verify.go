package cli

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Verify is `c2c-uploader verify PATH...`: the files are hashed again and compared with
// what their uploads sent and the offload's hash lists. Exit 0 when every file matches;
// 1 when any differs, is missing, cannot be read or has nothing to compare with, each
// listed.
func Verify(ctx context.Context, svc *core.Service, paths []string, o Options) int {
	o.defaults()
	results, problems, err := svc.Verify(ctx, paths)
	if err != nil {
		fmt.Fprintf(o.Stderr, "verify: %v\n", err)
		return ExitFailed
	}
	jw := o.events()
	for _, p := range problems {
		if jw != nil {
			jw.write(map[string]any{"type": "hash_list_problem", "problem": p})
		} else {
			fmt.Fprintf(o.Stderr, "  the offload's hash list: %s\n", p)
		}
	}
	bad := 0
	for _, r := range results {
		if !r.OK() {
			bad++
		}
		if jw != nil {
			m := map[string]any{"type": "verified", "verdict": r.Verdict, "detail": r.Detail}
			pathJSON(m, r.Path)
			jw.write(m)
			continue
		}
		if !r.OK() {
			fmt.Fprintf(o.Stdout, "%-10s %s: %s\n", r.Verdict, oneLine(r.Path), r.Detail)
		}
	}
	if jw != nil {
		jw.write(map[string]any{"type": "result", "files": len(results), "not_matching": bad})
	}
	switch {
	case len(results) == 0:
		fmt.Fprintln(o.Stderr, "verify: no file was found there.")
		return ExitFailed
	case bad > 0:
		fmt.Fprintf(o.Stderr, "%d of %s %s not match what was sent and the hash lists (listed above).\n", bad, format.Count(len(results), "file"),
			map[bool]string{true: "does", false: "do"}[bad == 1])
		return ExitFailed
	}
	if len(results) == 1 {
		fmt.Fprintln(o.Stderr, "The file matches what was sent.")
	} else {
		fmt.Fprintf(o.Stderr, "All %d files match what was sent.\n", len(results))
	}
	return ExitOK
}
