package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/redact"
)

// redactorExempt are the folders whose logs are not the app's: the simulator plays the
// server (its log is the server's), and the redactor itself builds the one handler that
// writes.
var redactorExempt = []string{"c2csim", filepath.Join("core", "redact")}

// TestNoLogHandlerBypassesTheRedactor: the only code that makes a log handler that writes
// is core/redact's NewTextHandler, so no log line can be written around the redactor. The
// standard library's log package, which writes through slog's default logger once main has
// set it, may not be pointed elsewhere either. Loggers that discard are fine.
func TestNoLogHandlerBypassesTheRedactor(t *testing.T) {
	forbidden := map[string]map[string]bool{
		"slog": {"NewTextHandler": true, "NewJSONHandler": true, "NewLogLogger": true},
		"log":  {"New": true, "SetOutput": true, "Default": true},
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			for _, ex := range redactorExempt {
				if path == ex {
					return filepath.SkipDir
				}
			}
			if strings.HasPrefix(d.Name(), ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		imported := map[string]string{} // local name → import path
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			name := filepath.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imported[name] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch imported[pkg.Name] {
			case "log/slog":
				if forbidden["slog"][sel.Sel.Name] {
					t.Errorf("%s: slog.%s makes a log handler that does not go through core/redact", fset.Position(call.Pos()), sel.Sel.Name)
				}
				if sel.Sel.Name == "New" && len(call.Args) == 1 && !redactingOrDiscarding(call.Args[0], imported) {
					t.Errorf("%s: slog.New with a handler that is neither core/redact's nor slog.DiscardHandler", fset.Position(call.Pos()))
				}
			case "log":
				if forbidden["log"][sel.Sel.Name] {
					t.Errorf("%s: log.%s would write the standard logger around the redactor", fset.Position(call.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d source files checked: the walk missed the module", checked)
	}
}

func redactingOrDiscarding(arg ast.Expr, imported map[string]string) bool {
	switch a := arg.(type) {
	case *ast.SelectorExpr:
		pkg, ok := a.X.(*ast.Ident)
		return ok && imported[pkg.Name] == "log/slog" && a.Sel.Name == "DiscardHandler"
	case *ast.CallExpr:
		sel, ok := a.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && strings.HasSuffix(imported[pkg.Name], "/core/redact")
	}
	return false
}

// TestTheLogWritesThroughTheRedactor: the logger main makes, slog's default logger and
// the standard library's log package all write the log file through the redactor: a
// registered secret and a bearer token never reach it, whichever of them logs.
func TestTheLogWritesThroughTheRedactor(t *testing.T) {
	before := slog.Default()
	t.Cleanup(func() { slog.SetDefault(before) })
	dir := t.TempDir()
	secrets := &redact.Secrets{}
	const secret = "s3cr3t-registered-value-0123456789"
	secrets.Add(secret)
	var stderr bytes.Buffer
	logger, closer, err := openLog(dir, secrets, true, false, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for what, h := range map[string]slog.Handler{"main's logger": logger.Handler(), "slog's default": slog.Default().Handler()} {
		if !redact.IsRedacting(h) {
			t.Errorf("%s writes through %T, not the redactor", what, h)
		}
	}
	logger.Info("through the app's logger", "token", secret, "detail", "echo "+secret)
	slog.Info("through slog's default", "detail", "Authorization: Bearer abcdefabcdefabcdef0123 and "+secret)
	log.Printf("through the log package: %s", secret)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(dir, "logs", logFileName))
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"the log file": string(written), "stderr (--verbose)": stderr.String()} {
		for _, want := range []string{"through the app's logger", "through slog's default", "through the log package"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, out)
			}
		}
		for _, leak := range []string{secret, "abcdefabcdefabcdef0123"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s holds %q:\n%s", what, leak, out)
			}
		}
	}
}

// TestLogsAppendAcrossRuns: a second run appends to the log rather than rotating it away
// (two `status` calls must not erase the log of the upload that failed); it is rotated
// by size only.
func TestLogsAppendAcrossRuns(t *testing.T) {
	before := slog.Default()
	t.Cleanup(func() { slog.SetDefault(before) })
	dir := t.TempDir()
	for run := range 3 {
		logger, closer, err := openLog(dir, &redact.Secrets{}, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("run", "n", run)
		if err := closer.Close(); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("%d log files after three short runs, want one", len(entries))
	}
	written, _ := os.ReadFile(filepath.Join(dir, "logs", logFileName))
	for _, want := range []string{"n=0", "n=1", "n=2"} {
		if !strings.Contains(string(written), want) {
			t.Errorf("the log lost run %s:\n%s", want, written)
		}
	}
}
