// Command c2c-uploader uploads media to a project through the Camera to Cloud API.
package main

import (
	"fmt"
	"os"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "c2c-uploader: the desktop window is not built yet; run `c2c-uploader --demo` or `c2c-uploader sim`.")
		return 2
	}
	switch args[0] {
	case "sim":
		return c2csim.RunCommand(args[1:], os.Stdout, os.Stderr)
	case "--version", "-version", "version":
		fmt.Println(appVersion())
		return 0
	case "--demo":
		fmt.Fprintln(os.Stderr, "c2c-uploader: the desktop window is not built yet, so the demo starts the C2C simulator alone.\n"+
			"Pair and upload against it with curl as the README shows; stop it with Ctrl-C.")
		return c2csim.RunCommand(args[1:], os.Stdout, os.Stderr)
	default:
		fmt.Fprintf(os.Stderr, "c2c-uploader: unknown command %q (try sim, --demo or --version)\n", args[0])
		return 2
	}
}
