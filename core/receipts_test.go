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
	sim := c2csim.Start(t, c2csim.Options{PollInterval: 200 * time.Millisecond})
	reports := t.TempDir()
	svc, _ := loadedService(t, sim, "report-after-clear", func(c *core.Config) {
		c.ReportsDir = reports
		c.Settings.ManualStart = true
	})
	coretest.Pair(t, svc, sim, "Receipts Project", time.Minute)
	running, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	if err := svc.Run(running); err != nil {
		t.Fatal(err)
	}

	card := t.TempDir()
	for _, name := range []string{"A001.mov", "A002.mov", "A003.mov"} {
		if err := os.WriteFile(filepath.Join(card, name), []byte("frames of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Add(ctx, []string{card}, core.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	views, _ := svc.Snapshot()
	ids := map[string]core.FileID{}
	for _, v := range views {
		ids[v.Name] = v.ID
	}
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
