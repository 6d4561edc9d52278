package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// displayProblem says why the window cannot open here, "" when it can: no display to
// show it on (a server, an ssh session), or one the graphics library (GLFW, under Fyne)
// cannot open. Without this check Fyne panics on its first window
// (TestWindowWithoutADisplaySaysSo). It leaves GLFW started for the window, so it runs
// on the main goroutine, which Fyne's driver keeps on the main thread as GLFW requires.
func displayProblem() string {
	switch runtime.GOOS {
	case "windows", "darwin":
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)"
		}
	}
	// GLFW logs why it could not start instead of returning it: that is the reason.
	out, flags := log.Writer(), log.Flags()
	var why bytes.Buffer
	log.SetOutput(&why)
	log.SetFlags(0)
	err := glfw.Init()
	started := err == nil && glfwStarted()
	log.SetOutput(out)
	log.SetFlags(flags)
	if started {
		return ""
	}
	reason := strings.TrimSpace(why.String())
	if err != nil {
		reason = err.Error()
	}
	if reason == "" {
		reason = "the graphics library did not start"
	}
	if d := os.Getenv("DISPLAY"); d != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		return fmt.Sprintf("the display %s cannot be opened (%s)", d, strings.ReplaceAll(reason, "\n", "; "))
	}
	return fmt.Sprintf("the display cannot be opened (%s)", strings.ReplaceAll(reason, "\n", "; "))
}

// glfwStarted tells whether GLFW is initialised: its calls panic when it is not.
func glfwStarted() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	glfw.GetTime()
	return true
}
