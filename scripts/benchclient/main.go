// Command benchclient is the baseline of scripts/bench.sh: the plainest Go client of the
// C2C API that uploads well, with nothing of the app's (no journal, no retries, no
// progress, no keychain), to measure the uploader against on the same simulator.
//
//	benchclient pair  -api URL -token FILE              pair (the simulator must auto-approve)
//	benchclient files -api URL -token FILE -ids FILE -parallel N DIR
//	                                                    each file of DIR: create its asset, PUT
//	                                                    its chunks; N files at a time
//	benchclient file  -api URL -token FILE -ids FILE -parallel N FILE
//	                                                    one file: create its asset, PUT its
//	                                                    chunks N at a time
//	benchclient check -api URL -ids FILE                every asset listed is complete
//
// Chunks are streamed from the file (an io.SectionReader with an exact Content-Length),
// over kept-alive connections, as the uploader sends them. The ids of the assets it made
// go to -ids, for `check` to ask the simulator's admin API, after the timed run, that each
// was assembled: a baseline that lost a chunk measures nothing. It prints nothing on
// success; bench.sh times it from outside (under /usr/bin/time, as the uploader).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	clientVersion = "1.0.0"
	clientSecret  = "c2csim-demo-client-secret"
	contentType   = "video/quicktime"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	api := fs.String("api", "", "the simulator's base URL")
	tokenFile := fs.String("token", "", "where the access token is kept")
	idsFile := fs.String("ids", "", "where the ids of the assets made are written (read by check)")
	parallel := fs.Int("parallel", 8, "files (files) or chunks (file) in flight")
	_ = fs.Parse(os.Args[2:])
	if *api == "" {
		usage()
	}
	c := newClient(*api, *parallel)
	var err error
	switch os.Args[1] {
	case "pair":
		if *tokenFile == "" {
			usage()
		}
		err = c.pair(*tokenFile)
	case "files", "file":
		if fs.NArg() != 1 || *tokenFile == "" || *idsFile == "" {
			usage()
		}
		if err = c.loadToken(*tokenFile); err != nil {
			break
		}
		var ids []string
		if os.Args[1] == "files" {
			ids, err = c.uploadFiles(fs.Arg(0), *parallel)
		} else {
			var id string
			id, err = c.uploadFile(fs.Arg(0), *parallel)
			ids = []string{id}
		}
		if err == nil {
			err = os.WriteFile(*idsFile, []byte(strings.Join(ids, "\n")+"\n"), 0o644)
		}
	case "check":
		if *idsFile == "" {
			usage()
		}
		var b []byte
		if b, err = os.ReadFile(*idsFile); err == nil {
			err = c.checkComplete(strings.Fields(string(b)))
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchclient: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchclient pair|files|file|check -api URL [-token FILE] [-ids FILE] [-parallel N] [DIR|FILE]")
	os.Exit(2)
}

type client struct {
	base  string
	http  *http.Client
	token string
}

func newClient(base string, parallel int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// One kept-alive connection per request in flight (the default keeps 2 per host).
	tr.MaxIdleConnsPerHost = max(parallel, 2) * 2
	return &client{base: strings.TrimSuffix(base, "/"), http: &http.Client{Transport: tr}}
}

// post sends a request to the API and decodes its JSON answer into out.
func (c *client) post(path, contentType string, body []byte, out any) error {
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("x-client-version", clientVersion)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

// pair runs the device-code flow against a simulator that approves every code, and keeps
// the access token in file.
func (c *client) pair(file string) error {
	form := url.Values{"client_id": {"bench-client"}, "client_secret": {clientSecret}, "scope": {"asset_create offline"}}
	var code struct {
		DeviceCode string  `json:"device_code"`
		Interval   float64 `json:"interval"`
	}
	if err := c.post("/v2/auth/device/code", "application/x-www-form-urlencoded", []byte(form.Encode()), &code); err != nil {
		return err
	}
	form = url.Values{"client_id": {"bench-client"}, "client_secret": {clientSecret},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {code.DeviceCode}}
	for range 10 {
		time.Sleep(time.Duration(code.Interval * float64(time.Second)))
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		err := c.post("/v2/auth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), &tok)
		if err == nil && tok.AccessToken != "" {
			return os.WriteFile(file, []byte(tok.AccessToken), 0o600)
		}
	}
	return errors.New("the simulator did not approve the pairing (run it with --auto-approve)")
}

func (c *client) loadToken(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	c.token = strings.TrimSpace(string(b))
	return nil
}

// createAsset creates the asset of a file of size bytes and returns its id and chunk URLs.
func (c *client) createAsset(name string, size int64) (string, []string, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "filetype": contentType, "filesize": size, "offset": 0})
	var a struct {
		ID         string   `json:"id"`
		UploadURLs []string `json:"upload_urls"`
	}
	if err := c.post("/v2/devices/assets", "application/json", body, &a); err != nil {
		return "", nil, err
	}
	if a.ID == "" || len(a.UploadURLs) == 0 {
		return "", nil, fmt.Errorf("creating %s: no id or upload URLs", name)
	}
	return a.ID, a.UploadURLs, nil
}

// put sends length bytes of f from off to a presigned URL.
func (c *client) put(u string, f *os.File, off, length int64) error {
	req, err := http.NewRequest(http.MethodPut, u, io.NewSectionReader(f, off, length))
	if err != nil {
		return err
	}
	req.ContentLength = length
	if length == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("x-amz-acl", "private")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s: %s", req.URL.Path, resp.Status)
	}
	return nil
}

// sendChunks PUTs the file's chunks, parallel at a time: chunk i of ceil(size/n) bytes
// goes to urls[i].
func (c *client) sendChunks(f *os.File, size int64, urls []string, parallel int) error {
	n := int64(len(urls))
	chunk := (size + n - 1) / n
	work := make(chan int)
	errc := make(chan error, len(urls))
	var wg sync.WaitGroup
	for range min(parallel, len(urls)) {
		wg.Go(func() {
			for i := range work {
				off := int64(i) * chunk
				errc <- c.put(urls[i], f, off, max(0, min(chunk, size-off)))
			}
		})
	}
	for i := range urls {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

// uploadFile sends one file, its chunks parallel at a time.
func (c *client) uploadFile(path string, parallel int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	id, urls, err := c.createAsset(filepath.Base(path), st.Size())
	if err != nil {
		return "", err
	}
	return id, c.sendChunks(f, st.Size(), urls, parallel)
}

// uploadFiles sends every file of dir, parallel files at a time, each file's chunks one
// after the other.
func (c *client) uploadFiles(dir string, parallel int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(paths)
	ids := make([]string, len(paths))
	errs := make([]error, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range work {
				ids[i], errs[i] = c.uploadFile(paths[i], 1)
			}
		})
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	return ids, errors.Join(errs...)
}

// checkComplete asks the simulator's admin API whether every asset in ids was assembled.
func (c *client) checkComplete(ids []string) error {
	resp, err := c.http.Get(c.base + "/_sim/assets")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var assets []struct {
		ID       string `json:"id"`
		Complete bool   `json:"complete"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&assets); err != nil {
		return fmt.Errorf("reading the simulator's assets: %w", err)
	}
	complete := map[string]bool{}
	for _, a := range assets {
		complete[a.ID] = a.Complete
	}
	if len(ids) == 0 {
		return errors.New("no asset to check")
	}
	for _, id := range ids {
		if !complete[id] {
			return fmt.Errorf("asset %s was not assembled", id)
		}
	}
	return nil
}
