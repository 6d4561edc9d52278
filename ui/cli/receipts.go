package cli

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// receiptWriter is a queue that writes its batches' receipts in this process.
type receiptWriter interface {
	WriteReceipts(ctx context.Context) ([]core.Receipts, error)
}

// writeReceipts has the receipts of the batches that settled written before the command
// ends, and says where they are. A queue in another process (the window) writes its own.
func writeReceipts(ctx context.Context, svc core.Queue, jw *jsonWriter, o Options) {
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
		if w.Report.HTML != "" {
			fmt.Fprintf(o.Stderr, "Report: %s\n", w.Report.HTML)
		}
		for _, p := range w.HashLists {
			fmt.Fprintf(o.Stderr, "Hash list: %s\n", p)
		}
		for _, p := range w.Problems {
			fmt.Fprintf(o.Stderr, "  ! %s\n", p)
		}
	}
}
