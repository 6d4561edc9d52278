package cli

import (
	"fmt"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Report is `c2c-uploader report [--last|BATCH]`: the batches' reports, newest first, or
// where one batch's report is (BATCH: its name as listed, or the start of it).
func Report(dir string, last bool, batch string, o Options) int {
	o.defaults()
	all, err := core.Reports(dir)
	if err != nil {
		fmt.Fprintf(o.Stderr, "report: the reports folder %s cannot be read: %v\n", dir, err)
		return ExitFailed
	}
	if len(all) == 0 {
		fmt.Fprintf(o.Stderr, "report: no batch has a report yet; each batch gets one in %s once its files have finished.\n", dir)
		return ExitFailed
	}
	pick := all
	switch {
	case last:
		pick = all[:1]
	case batch != "":
		pick = nil
		for _, r := range all {
			if r.ID == batch {
				pick = []core.ReportSummary{r}
				break
			}
			if strings.HasPrefix(r.ID, batch) {
				pick = append(pick, r)
			}
		}
		switch {
		case len(pick) == 0:
			fmt.Fprintf(o.Stderr, "report: no batch is called %q; `c2c-uploader report` lists them.\n", batch)
			return ExitFailed
		case len(pick) > 1:
			fmt.Fprintf(o.Stderr, "report: %s start with %q; give more of the name (`c2c-uploader report` lists them).\n",
				format.Counted(len(pick), "batch", "batches"), batch)
			return ExitFailed
		}
	}
	jw := o.events()
	for _, r := range pick {
		if jw != nil {
			jw.write(map[string]any{"type": "report", "batch": r.ID, "folder": r.Folder, "project": nilIfEmpty(r.Project),
				"added": ts(r.Added), "files": r.Totals.Files, "done": r.Totals.Done, "needs_attention": r.Totals.NeedsAttention,
				"differs": r.Totals.Differs, "html": r.Paths.HTML, "csv": r.Paths.CSV, "json": r.Paths.JSON, "hash_list": nilIfEmpty(r.HashList)})
			continue
		}
		if len(pick) == 1 {
			fmt.Fprintf(o.Stdout, "%s\n  page: %s\n  csv:  %s\n  json: %s\n", r.ID, r.Paths.HTML, r.Paths.CSV, r.Paths.JSON)
			if r.HashList != "" {
				fmt.Fprintf(o.Stdout, "  hash list: %s\n", r.HashList)
			}
			continue
		}
		attention := ""
		if r.Totals.NeedsAttention > 0 {
			attention = ", " + format.Counted(r.Totals.NeedsAttention, "needs", "need") + " attention"
		}
		fmt.Fprintf(o.Stdout, "%-40s %s%s  %s\n", r.ID, format.Count(r.Totals.Files, "file"), attention, r.Paths.HTML)
	}
	return ExitOK
}
