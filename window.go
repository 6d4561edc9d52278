package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// runWindow opens the desktop window. Until it exists, the demo serves the simulator.
func runWindow(ctx context.Context, o options, stderr io.Writer) int {
	if !o.demo {
		fmt.Fprintln(stderr, "c2c-uploader: the desktop window is not built yet; use the headless commands (pair, upload, status, unpair) or --demo.")
		return 2
	}
	fmt.Fprintln(stderr, "c2c-uploader: the desktop window is not built yet, so --demo serves the C2C simulator alone.")
	return c2csim.RunCommand(nil, os.Stdout, stderr)
}
