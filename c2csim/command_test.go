package c2csim_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

func TestRunCommandHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := c2csim.RunCommand([]string{"--help"}, &out, &errb); code != 0 {
		t.Errorf("--help exited %d", code)
	}
	for _, s := range []string{"Usage: c2c-uploader sim", "-addr", "-part-size", "-discard", "-auto-approve"} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("help lacks %q:\n%s", s, errb.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("help wrote to stdout: %q", out.String())
	}
}

func TestRunCommandBadArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
		{[]string{"--part-size", "big"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := c2csim.RunCommand(tc.args, &out, &errb); code != 2 {
			t.Errorf("%v exited %d, want 2", tc.args, code)
		}
		if !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: stderr %q, want %q", tc.args, errb.String(), tc.msg)
		}
	}
}

func TestRunCommandAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errb bytes.Buffer
	if code := c2csim.RunCommand([]string{"--addr", ln.Addr().String(), "--quiet"}, &out, &errb); code != 1 {
		t.Errorf("exited %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "sim: ") || !strings.Contains(errb.String(), ln.Addr().String()) {
		t.Errorf("stderr %q", errb.String())
	}
}
