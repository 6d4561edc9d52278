package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// Without a display Fyne panics on its first window; the window checks first
// (TestWindowWithoutADisplaySaysSo) and names the headless commands instead.

// noDisplayNamed says why there is no display to open the window on ("" when one is
// named): on Linux and the BSDs, a server or an ssh session names none.
func noDisplayNamed() string {
	switch runtime.GOOS {
	case "windows", "darwin":
		return ""
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)"
	}
	return ""
}

// displayFails says why the display named cannot be opened ("" when it can): the
// graphics library under Fyne (GLFW) does not start on it. GLFW writes its reason to the
// standard log, which once the run is set up goes through the redactor into logFile
// ("": not set up yet). It leaves GLFW
// started for the window, so it runs on the main goroutine, which Fyne's driver keeps on
// the main thread as GLFW requires.
func displayFails(logFile string) string {
	if err := glfw.Init(); err == nil && glfwStarted() {
		return ""
	}
	display := "the display"
	if d := os.Getenv("DISPLAY"); d != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		display += " " + d
	}
	if logFile == "" {
		return display + " cannot be opened"
	}
	return fmt.Sprintf("%s cannot be opened (the log says why: %s)", display, logFile)
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
