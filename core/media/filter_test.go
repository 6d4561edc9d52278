package media

import (
	"strings"
	"testing"
)

func TestFilterLeavesOut(t *testing.T) {
	for _, tc := range []struct {
		spec FilterSpec
		rel  string
		cat  Category
		want string // "" taken; else a part of the reason
	}{
		{FilterSpec{}, "A001/C001.mov", Originals, ""},
		{FilterSpec{Only: "sound,proxies"}, "Sound/T001.WAV", Sound, ""},
		{FilterSpec{Only: "sound,proxies"}, "A001C001.mov", Originals, "not sound or proxies (only sound,proxies)"},
		{FilterSpec{Only: "stills"}, "x.mov", Originals, "not stills (only stills)"},
		{FilterSpec{Exclude: "*.tmp"}, "A001/deep/render.TMP", Other, "excluded by *.tmp"}, // any case, any depth
		{FilterSpec{Exclude: "Proxy/**"}, "Proxy/A001C001.mov", Proxies, "excluded by proxy/**"},
		{FilterSpec{Exclude: "Proxy/**"}, "A001/Proxy/A001C001.mov", Proxies, ""}, // a path pattern is anchored
		{FilterSpec{Exclude: "**/Proxy/**"}, "A001/Proxy/A001C001.mov", Proxies, "excluded by **/proxy/**"},
		{FilterSpec{Include: "*.wav, *.mov"}, "T001.wav", Sound, ""},
		{FilterSpec{Include: "*.wav"}, "notes.txt", Sidecars, "matches no include pattern (*.wav)"},
		{FilterSpec{Include: "*.mov", Exclude: "B*"}, "B001C001.mov", Originals, "excluded by b*"},
	} {
		f, err := tc.spec.Parse()
		if err != nil {
			t.Fatalf("%+v: %v", tc.spec, err)
		}
		got := f.LeftOut(tc.rel, tc.cat)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v on %s (%s): %q, want %q", tc.spec, tc.rel, tc.cat, got, tc.want)
		}
	}
}

func TestFilterSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec FilterSpec
		want string
	}{
		{FilterSpec{Only: "video"}, `only: no category is called "video"`},
		{FilterSpec{Include: "[abc"}, `include: "[abc" is not a valid pattern`},
		{FilterSpec{Exclude: "ok,{x"}, `exclude: "{x" is not a valid pattern`},
	} {
		if _, err := tc.spec.Parse(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
	if f, err := (FilterSpec{Only: " ", Exclude: " , "}).Parse(); err != nil || !f.Empty() {
		t.Errorf("blank parts: %v, empty %v", err, f.Empty())
	}
}
