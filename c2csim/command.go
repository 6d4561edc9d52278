package c2csim

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// RunCommand is `c2c-uploader sim`: it serves the simulator until interrupted, logging
// every request to stderr. It returns the process exit code.
func RunCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (keep it on loopback: the admin API has no password)")
	dataDir := fs.String("data-dir", "", "folder for received parts and assembled files (default: a temporary folder, removed on exit)")
	discard := fs.Bool("discard", false, "keep only each part's length and SHA-256, no bytes on disk (for benchmarks)")
	partSize := fs.Int64("part-size", DefaultPart, "part size the simulator aims for when it hands out upload URLs, in bytes")
	vary := fs.Bool("vary-part-size", false, "choose each asset's part size at random around --part-size")
	interval := fs.Duration("poll-interval", 5*time.Second, "pairing poll interval handed to devices")
	tokenTTL := fs.Duration("access-token-ttl", defaultTTLAT, "access token lifetime")
	autoApprove := fs.Bool("auto-approve", false, "approve every pairing code without asking")
	project := fs.String("project", "Demo Project", "project name approvals connect to by default")
	quiet := fs.Bool("quiet", false, "do not log every request")
	public := fs.String("public-url", "", "base URL clients reach the simulator at, if not --addr (behind a proxy); upload URLs point there")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: c2c-uploader sim [flags]\n\nServes a simulator of the C2C API and its S3 chunk endpoint.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *quiet {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := New(Options{
		Addr: *addr, PublicURL: *public, DataDir: *dataDir, Discard: *discard, PartSize: *partSize, VaryPartSize: *vary,
		PollInterval: *interval, AccessTokenTTL: *tokenTTL, AutoApprove: *autoApprove,
		ProjectName: *project, Logger: logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "sim: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "C2C simulator listening\n  API:        %s\n  admin API:  %s\n  pair page:  %s/pair\n  client secret accepted: %s\n  data dir:   %s\n",
		s.URL(), s.AdminURL(), s.URL(), DemoClientSecret, s.DataDir())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(stderr, "sim: shutting down")
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "sim: %v\n", err)
		return 1
	}
	return 0
}
