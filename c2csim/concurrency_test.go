package c2csim_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c2c-uploader/c2c-uploader/c2csim"
)

// Many chunk PUTs at once, plus admin reads and API calls, under -race: every asset must
// come out whole.
func TestConcurrentUploads(t *testing.T) {
	t.Parallel()
	const (
		assets  = 4
		parts   = 16
		workers = 16
		part    = 16 << 10
	)
	e := newEnv(t, c2csim.Options{PartSize: part})
	tok := e.pair("dev-1", c2csim.Approval{})

	// Create the assets in parallel too.
	type file struct {
		asset createdAsset
		data  []byte
	}
	files := make([]file, assets)
	responses := make([]response, assets)
	var wg sync.WaitGroup
	for i := range assets {
		data := testData(t, parts*part-100*i) // sizes that do not all divide evenly
		data[0] = byte(i)                     // and contents that differ
		files[i].data = data
		body := fmt.Sprintf(`{"name":"clip-%d.mov","filetype":%q,"filesize":%d}`, i, filetype, len(data))
		req := newRequest(t, http.MethodPost, e.url("/v2/devices/assets"), strings.NewReader(body),
			append(bearer(tok.Access), "Content-Type", "application/json")...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.c.Do(req)
			if err != nil {
				responses[i] = response{Body: []byte(err.Error())}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			responses[i] = response{Status: resp.StatusCode, Header: resp.Header, Body: b}
		}()
	}
	wg.Wait()
	for i, r := range responses {
		files[i].asset = assetFrom(t, r)
	}

	type job struct {
		url   string
		chunk []byte
	}
	var jobs []job
	for _, f := range files {
		if len(f.asset.URLs) != parts {
			t.Fatalf("%d urls, want %d", len(f.asset.URLs), parts)
		}
		for i, c := range chunks(f.data, parts) {
			jobs = append(jobs, job{f.asset.URLs[i], c})
		}
	}
	rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	queue := make(chan job)
	failures := make(chan string, len(jobs))
	client := newClient(t, false)
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = workers
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				req, err := http.NewRequestWithContext(e.ctx, http.MethodPut, j.url, bytes.NewReader(j.chunk))
				if err != nil {
					failures <- err.Error()
					continue
				}
				req.ContentLength = int64(len(j.chunk))
				req.Header.Set("Content-Type", filetype)
				req.Header.Set("x-amz-acl", "private")
				resp, err := client.Do(req)
				if err != nil {
					failures <- err.Error()
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures <- fmt.Sprintf("PUT %s: %d", j.url, resp.StatusCode)
				}
			}
		}()
	}

	// Readers of everything while the PUTs run.
	stop := make(chan struct{})
	var reads atomic.Int64
	var readers sync.WaitGroup
	for i := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch i {
				case 0:
					_, err = e.sim.Admin.Assets(e.ctx)
					if err == nil {
						_, err = e.sim.Admin.Requests(e.ctx, 0)
					}
				case 1:
					_, err = e.sim.Admin.Devices(e.ctx)
					if err == nil {
						_, err = e.sim.Admin.Faults(e.ctx)
					}
					_ = e.sim.Requests(0)
				case 2:
					resp, gerr := client.Do(mustRequest(e, "/v2/devices/me", tok.Access))
					if gerr == nil {
						resp.Body.Close()
						if resp.StatusCode != 200 {
							gerr = fmt.Errorf("me: %d", resp.StatusCode)
						}
					}
					err = gerr
				}
				if err != nil {
					failures <- err.Error()
					return
				}
				reads.Add(1)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	close(stop)
	readers.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if reads.Load() == 0 {
		t.Error("the readers never ran")
	}

	all, err := e.sim.Admin.Assets(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != assets {
		t.Fatalf("%d assets", len(all))
	}
	for _, f := range files {
		info := e.asset(f.asset.ID)
		if !info.Complete || info.SHA256 != sha(f.data) || info.BytesReceived != int64(len(f.data)) {
			t.Errorf("asset %s: state %q sha256 %s bytes %d, want %s and %d", info.Name, info.State, info.SHA256, info.BytesReceived, sha(f.data), len(f.data))
		}
		for _, p := range info.Parts {
			if p.Puts != 1 || p.ResentAfterAck != 0 {
				t.Errorf("asset %s part %+v", info.Name, p)
			}
		}
	}
	n := 0
	for _, q := range e.sim.Requests(0) {
		if q.Kind == "s3" && q.Status == 200 {
			n++
		}
	}
	if n != assets*parts {
		t.Errorf("%d PUTs logged, want %d", n, assets*parts)
	}
}

// The same part sent twice at the same moment: both are answered, one wins, the file is
// whole.
func TestConcurrentSamePart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, c2csim.Options{PartSize: 16 << 10})
	tok := e.pair("dev-1", c2csim.Approval{})
	data := testData(t, 64<<10)
	a := e.newAsset(tok.Access, "a.mov", len(data))
	cs := chunks(data, len(a.URLs))
	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.c.Do(putReq(t, a.URLs[0], cs[0]))
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("status %d", s)
		}
	}
	for i := 1; i < len(cs); i++ {
		wantStatus(t, e.put(a.URLs[i], cs[i]), http.StatusOK)
	}
	info := e.asset(a.ID)
	if !info.Complete || info.SHA256 != sha(data) || info.Parts[0].Puts != 8 || info.Parts[0].Attempts != 8 {
		t.Errorf("asset %+v", info)
	}
	if info.Parts[0].SHA256 != sha(cs[0]) {
		t.Errorf("part 1 sha256 %s", info.Parts[0].SHA256)
	}
}

func mustRequest(e *env, path, token string) *http.Request {
	req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}
