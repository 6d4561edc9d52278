package upload_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
	"github.com/c2c-uploader/c2c-uploader/core"
)

// BenchmarkGlassToCloud records a 40 MiB clip at 4 MiB/s, a camera's bitrate, into a
// watched folder, uploaded as it is written against the simulator on loopback, and
// reports how long after the clip's last write the upload was done (its final part in,
// the asset complete): the settle time, then reading the clip through and sending the
// final part. Each settle time is a sub-benchmark; the target (README, "Clips uploaded
// while they are recorded") is 2 s, settle included:
//
//	go test -run '^$' -bench GlassToCloud -benchtime 2x ./core/upload/
func BenchmarkGlassToCloud(b *testing.B) {
	for _, settle := range []time.Duration{time.Second, 2 * time.Second} {
		b.Run(fmt.Sprintf("settle=%s", settle), func(b *testing.B) {
			r := newRig(b, rigConfig{sim: c2csim.Options{PartSize: c2csim.DefaultPart}})
			r.watchRealtime(settle)
			const size, rate = 40 << 20, 4 << 20 // bytes, bytes per second
			b.SetBytes(size)
			var total time.Duration
			for i := range b.N {
				clip := record(b, r.dir, fmt.Sprintf("A001C%03d.mov", i+1), size)
				start := time.Now()
				// Blocks of 256 KiB on a schedule, as a camera writes: no drift.
				const block = 256 << 10
				for k := 0; clip.pos < size; k++ {
					if d := time.Until(start.Add(time.Duration(k) * time.Second * block / rate)); d > 0 {
						time.Sleep(d)
					}
					clip.write(block)
				}
				lastWrite := time.Now()
				clip.close()
				v := r.waitState(clip.path, core.Done)
				after := v.DoneAt.Sub(lastWrite)
				total += after
				b.Logf("%s: done %.2f s after its last write (settle %s)", v.Name, after.Seconds(), settle)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s-after-last-write")
		})
	}
}
