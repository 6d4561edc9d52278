package upload_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// A card removed mid-upload: its files not finished are paused "card removed" (not
// failed), the one sending chunks stopped with its finished chunks kept; when the card is
// back they go on, each arriving once, intact, without a chunk the journal holds finished
// sent again. A file of another folder is left alone.
func TestCardRemovedPausesItsFilesAndTheyGoOnWhenItIsBack(t *testing.T) {
	r := newRig(t, rigConfig{settings: slowSettings()})
	card, sound := filepath.Join(r.dir, "A001"), filepath.Join(r.dir, "Sound")
	for _, d := range []string{card, sound} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var clips []string
	for _, name := range []string{"C0001.MP4", "C0002.MP4", "C0003.MP4"} {
		clips = append(clips, writeFile(t, card, name, 6*rigPartSize+100))
	}
	other := writeFile(t, sound, "T001.WAV", 2*rigPartSize)
	// Each chunk is held a while: the first clip is mid-way when the card goes.
	r.fault(c2csim.Fault{Method: "PUT", Path: "/s3/*", Delay: c2csim.Duration(150 * time.Millisecond)})
	r.add(card, other)
	r.waitChunks(clips[0], 2)

	ctx := context.Background()
	if err := r.svc.CardRemoved(ctx, card); err != nil {
		t.Fatal(err)
	}
	// The clip mid-way and the one not started (one file at a time) cannot have
	// finished: they wait for the card.
	r.waitFor("the clips of the card paused, card removed", func(vs map[string]core.FileView) bool {
		for _, c := range []string{clips[0], clips[2]} {
			if v := vs[c]; v.State != core.Paused || v.ErrorKind != core.CardRemovedKind {
				return false
			}
		}
		return true
	})
	for _, c := range clips {
		if v, _ := r.view(c); v.State == core.Failed {
			t.Errorf("%s failed (%s) when its card was removed", v.Name, v.Error)
		}
	}
	if v, _ := r.view(clips[0]); v.State == core.Paused && v.ChunksDone == 0 {
		t.Errorf("the clip mid-way lost its finished chunks when its card was removed")
	}
	r.waitState(other, core.Done)

	if err := r.svc.CardBack(ctx, card); err != nil {
		t.Fatal(err)
	}
	r.waitFinished()
	r.checkIntact(append(clips, other)...)
	r.noResendAfterJournal()
	// The chunks in flight as the card went were let end, and journaled: none was sent
	// again once it was back.
	byName := r.assetsByName()
	for _, c := range clips {
		for _, a := range byName[filepath.Base(c)] {
			for _, p := range a.Parts {
				if p.ResentAfterAck > 0 {
					t.Errorf("part %d of %s was sent again after S3 had taken it", p.Number, a.Name)
				}
			}
		}
	}
}

// slowSettings upload one file at a time, two chunks in flight: a test can stop it
// mid-way.
func slowSettings() upload.Settings {
	s := upload.DefaultSettings()
	s.ParallelFiles, s.ParallelChunks = 1, 2
	return s
}
