package core_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/auth/authtest"
	"github.com/c2c-uploader/c2c-uploader/core/coretest"
	"github.com/c2c-uploader/c2c-uploader/core/report"
	"github.com/c2c-uploader/c2c-uploader/internal/waitfor"
)

// TestABatchsReportKeepsTheFilesClearedFromTheList: a batch's report is written again
// when a file of it arrives later (one held back, then started); files cleared from the
// list in between are still the batch's, uploaded, and the report written again must
// name them as it did before — the report is the editor's proof of what arrived.
func TestABatchsReportKeepsTheFilesClearedFromTheList(t *testing.T) {
	ctx := t.Context()
	svc, _, ids := cardOnHold(t, "report-after-clear", "A001.mov", "A002.mov", "A003.mov")
	if err := svc.Start(ctx, core.Selector{IDs: []core.FileID{ids["A001.mov"], ids["A002.mov"]}}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, svc, "A001.mov", "A002.mov")
	first := receiptsOf(t, svc)
	if got := reportStates(t, first); !slices.Equal(got, []string{"A001.mov done", "A002.mov done", "A003.mov on-hold"}) {
		t.Fatalf("the first report: %v", got)
	}

	if err := svc.ClearFinished(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, core.Selector{ID: ids["A003.mov"]}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, svc, "A003.mov")
	again := receiptsOf(t, svc)
	if again.Report.JSON != first.Report.JSON {
		t.Fatalf("the batch's report was written to %s, then to %s: want the same batch", first.Report.JSON, again.Report.JSON)
	}
	if got := reportStates(t, again); !slices.Equal(got, []string{"A001.mov done", "A002.mov done", "A003.mov done"}) {
		t.Errorf("the report written again after the list was cleared: %v, want all three done", got)
	}
}

// TestFilesClearedBeforeTheirBatchSettledAreReceiptedOnce: files of a batch cleared
// from the list while another file of it still retries are named in its receipts once
// it settles, and recorded as written: the receipts are not written again and again
// (a cleared file's mark was passed over, so the batch stayed due, and every mark of the
// listed file set the writer going once more).
func TestFilesClearedBeforeTheirBatchSettledAreReceiptedOnce(t *testing.T) {
	ctx := t.Context()
	svc, sim, ids := cardOnHold(t, "cleared-before-settled", "A001.mov", "A002.mov", "A003.mov")
	// A003 goes first, and S3 refuses its part until told otherwise: it waits to try
	// again, holding its batch open, while the others go.
	everyPart, err := sim.AddFault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, core.Selector{ID: ids["A003.mov"]}); err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "A003.mov", core.Retrying)
	var itsPart string
	for _, q := range sim.Requests(0) {
		if q.Method == "PUT" {
			itsPart = q.Path
		}
	}
	if _, err := sim.AddFault(c2csim.Fault{Method: "PUT", Path: itsPart, Status: 503}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Admin.RemoveFault(ctx, everyPart.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, core.Selector{IDs: []core.FileID{ids["A001.mov"], ids["A002.mov"]}}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, svc, "A001.mov", "A002.mov")
	if err := svc.ClearFinished(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listedNames(svc); !slices.Equal(got, []string{"A003.mov"}) {
		t.Fatalf("listed after Clear finished: %v, want A003.mov alone, still to go", got)
	}
	if err := sim.Admin.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Retry(ctx, core.Selector{ID: ids["A003.mov"]}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, svc, "A003.mov")
	first, err := svc.WriteReceipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("no receipts written once the batch settled")
	}
	if got := reportStates(t, first[len(first)-1]); !slices.Equal(got, []string{"A001.mov done", "A002.mov done", "A003.mov done"}) {
		t.Errorf("the batch's report: %v, want all three done", got)
	}
	again, err := svc.WriteReceipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(first) {
		t.Errorf("the receipts were written %d times, then %d: a batch written is not due again until a file of it arrives", len(first), len(again))
	}
}

// TestABatchWhoseReceiptsFailedIsWrittenAtTheNextStartThoughCleared: a batch's report
// cannot be written (its folder cannot be made), the person clears the finished files,
// and the app starts again with a reports folder that works: the batch's receipts are
// written then, naming its files, though none of them is in the list any more.
func TestABatchWhoseReceiptsFailedIsWrittenAtTheNextStartThoughCleared(t *testing.T) {
	ctx := t.Context()
	sim := c2csim.Start(t, c2csim.Options{PollInterval: 200 * time.Millisecond})
	path := filepath.Join(t.TempDir(), "journal.db")
	tokens := &authtest.MemoryStore{}
	reports := filepath.Join(t.TempDir(), "reports")
	if err := os.WriteFile(reports, []byte("a file where the reports folder should be"), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, j := loadedServiceAt(t, sim, "receipts-failed", path, tokens, func(c *core.Config) { c.ReportsDir = reports })
	coretest.Pair(t, svc, sim, "Receipts Project", time.Minute)
	running, stop := context.WithCancel(ctx)
	if err := svc.Run(running); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, []string{cardOf(t, "A001.mov", "A002.mov")}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, svc, "A001.mov", "A002.mov")
	written, err := svc.WriteReceipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range written {
		if w.Report.JSON != "" {
			t.Fatalf("a report was written to %s, though its folder is a file", w.Report.JSON)
		}
	}
	if err := svc.ClearFinished(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := svc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(reports); err != nil {
		t.Fatal(err)
	}
	again, _ := loadedServiceAt(t, sim, "receipts-failed", path, tokens, func(c *core.Config) { c.ReportsDir = reports })
	runAgain, stopAgain := context.WithCancel(ctx)
	t.Cleanup(stopAgain)
	if err := again.Run(runAgain); err != nil {
		t.Fatal(err)
	}
	if got := listedNames(again); len(got) != 0 {
		t.Fatalf("listed at the next start: %v, want none (cleared)", got)
	}
	w := receiptsOf(t, again)
	if got := reportStates(t, w); !slices.Equal(got, []string{"A001.mov done", "A002.mov done"}) {
		t.Errorf("the report written at the next start: %v, want both done", got)
	}
}

// listedNames are the names of the files in the list, in its order.
func listedNames(svc *core.Service) []string {
	views, _ := svc.Snapshot()
	var out []string
	for _, v := range views {
		out = append(out, v.Name)
	}
	return out
}

// waitState waits until the named file is in state st.
func waitState(t *testing.T, svc *core.Service, name string, st core.State) {
	t.Helper()
	waitfor.Condition(t, name+" "+string(st), func() bool {
		views, _ := svc.Snapshot()
		for _, v := range views {
			if v.Name == name {
				return v.State == st
			}
		}
		return false
	})
}

// cardOnHold is a running service, paired, that writes receipts and starts files by
// hand, with a card of the named clips added (on hold); ids are the clips' by name.
func cardOnHold(t *testing.T, clientID string, names ...string) (svc *core.Service, sim *c2csim.Sim, ids map[string]core.FileID) {
	t.Helper()
	ctx := t.Context()
	sim = c2csim.Start(t, c2csim.Options{PollInterval: 200 * time.Millisecond})
	svc, _ = loadedService(t, sim, clientID, func(c *core.Config) {
		c.ReportsDir = t.TempDir()
		c.Settings.ManualStart = true
	})
	coretest.Pair(t, svc, sim, "Receipts Project", time.Minute)
	running, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	if err := svc.Run(running); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, []string{cardOf(t, names...)}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	views, _ := svc.Snapshot()
	ids = map[string]core.FileID{}
	for _, v := range views {
		ids[v.Name] = v.ID
	}
	return svc, sim, ids
}

// cardOf is a folder holding the named clips.
func cardOf(t *testing.T, names ...string) string {
	t.Helper()
	card := t.TempDir()
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(card, name), []byte("frames of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return card
}

// waitDone waits until the named files are done.
func waitDone(t *testing.T, svc *core.Service, names ...string) {
	t.Helper()
	waitfor.Condition(t, "files "+strings.Join(names, ", ")+" done", func() bool {
		views, _ := svc.Snapshot()
		done := 0
		for _, v := range views {
			if slices.Contains(names, v.Name) && v.State == core.Done {
				done++
			}
		}
		return done == len(names)
	})
}

// receiptsOf writes the receipts due now and returns the newest written.
func receiptsOf(t *testing.T, svc *core.Service) core.Receipts {
	t.Helper()
	written, err := svc.WriteReceipts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(written) == 0 {
		t.Fatal("no receipts written")
	}
	return written[len(written)-1]
}

// reportStates are the report's files as "name state", in the report's order.
func reportStates(t *testing.T, w core.Receipts) []string {
	t.Helper()
	b, err := report.Read(w.Report.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range b.Files {
		out = append(out, f.Name+" "+f.State)
	}
	return out
}
