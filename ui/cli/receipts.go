package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"unicode/utf8"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// receiptWriter is a queue that writes its batches' receipts in this process.
type receiptWriter interface {
	WriteReceipts(ctx context.Context) ([]core.Receipts, error)
}

// writeReceipts has the receipts of the batches that settled written before the command
// ends, and says where they are: on a terminal of columns (0: any width), in a sentence
// when a path would not fit. A queue in another process (the window) writes its own.
func writeReceipts(ctx context.Context, svc core.Queue, jw *jsonWriter, o Options, columns int) {
	rw, ok := svc.(receiptWriter)
	if !ok {
		if !o.JSON {
			fmt.Fprintf(o.Stderr, "%s writes the receipts once the batch has finished: `c2c-uploader report --last` says where.\n", upperFirst(o.through))
		}
		return
	}
	written, err := rw.WriteReceipts(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Fprintf(o.Stderr, "%s: the receipts could not be written: %v\n", o.name(), err)
		return
	}
	for _, w := range written {
		if jw != nil {
			jw.write(map[string]any{"type": "receipts", "batch": w.Batch, "folder": w.Folder,
				"report_html": nilIfEmpty(w.Report.HTML), "report_csv": nilIfEmpty(w.Report.CSV), "report_json": nilIfEmpty(w.Report.JSON),
				"hash_lists": w.HashLists, "problems": w.Problems})
			continue
		}
		lines := []string{}
		if w.Report.HTML != "" {
			lines = append(lines, "Report: "+w.Report.HTML)
		}
		for _, p := range w.HashLists {
			lines = append(lines, "Hash list: "+p)
		}
		if fits(lines, columns) {
			for _, l := range lines {
				fmt.Fprintln(o.Stderr, l)
			}
		} else {
			fmt.Fprintf(o.Stderr, "Receipts of %s written (`c2c-uploader report --last` says where).\n", filepath.Base(w.Folder))
		}
		for _, p := range w.Problems {
			fmt.Fprintf(o.Stderr, "  ! %s\n", p)
		}
	}
}

// fits tells whether every line fits in columns (0: any width).
func fits(lines []string, columns int) bool {
	for _, l := range lines {
		if columns > 0 && utf8.RuneCountInString(l) > columns {
			return false
		}
	}
	return true
}
