package c2csim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

const amzDate = "20060102T150405Z"

// signURL makes the presigned URL of one part, in the shape of S3's query-signed URLs:
// the signature is an HMAC over the method, the path, the issue time, the lifetime and
// the two signed headers (content-type = the asset's filetype, x-amz-acl = private), so a
// client that changes any of them gets SignatureDoesNotMatch.
func (s *Server) signURL(a *asset, number, total int, issued time.Time) string {
	p := fmt.Sprintf("/s3/%s/%d", a.ID, number)
	q := url.Values{}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Credential", "C2CSIM/"+issued.UTC().Format("20060102")+"/us-east-1/s3/aws4_request")
	q.Set("X-Amz-Date", issued.UTC().Format(amzDate))
	q.Set("X-Amz-Expires", strconv.Itoa(int(s.opts.URLTTL/time.Second)))
	q.Set("X-Amz-SignedHeaders", "content-type;host;x-amz-acl")
	q.Set("x-amz-meta-asset_id", a.ID)
	q.Set("x-amz-meta-part_number", strconv.Itoa(number))
	q.Set("x-amz-meta-total_parts", strconv.Itoa(total))
	q.Set("X-Amz-Signature", s.signature(http.MethodPut, p, q, a.Filetype, "private"))
	return s.publicURL + p + "?" + q.Encode()
}

func (s *Server) signature(method, p string, q url.Values, contentType, acl string) string {
	m := hmac.New(sha256.New, s.signKey)
	for _, f := range []string{method, p, q.Get("X-Amz-Date"), q.Get("X-Amz-Expires"),
		q.Get("X-Amz-SignedHeaders"), q.Get("x-amz-meta-asset_id"), q.Get("x-amz-meta-part_number"),
		q.Get("x-amz-meta-total_parts"), contentType, acl} {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func (s *Server) handlePutPart(w http.ResponseWriter, r *http.Request) {
	rid := randomString(16)
	assetID := r.PathValue("asset")
	number, _ := strconv.Atoi(r.PathValue("part"))
	entry := entryOf(w)
	entry.AssetID, entry.Part = assetID, number
	q := r.URL.Query()
	if r.ContentLength < 0 {
		s3Error(w, "MissingContentLength", "", rid)
		return
	}
	want := s.signature(http.MethodPut, r.URL.Path, q, r.Header.Get("Content-Type"), r.Header.Get("x-amz-acl"))
	if !hmac.Equal([]byte(want), []byte(q.Get("X-Amz-Signature"))) {
		s3Error(w, "SignatureDoesNotMatch", "", rid)
		return
	}
	issued, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	lifetime, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil {
		s3Error(w, "AccessDenied", "", rid)
		return
	}
	now := s.now()
	if expires := issued.Add(time.Duration(lifetime) * time.Second); now.After(expires) {
		s3Error(w, "AccessDenied", "Request has expired", rid,
			[2]string{"X-Amz-Expires", strconv.Itoa(lifetime)},
			[2]string{"Expires", expires.UTC().Format(time.RFC3339)},
			[2]string{"ServerTime", now.UTC().Format(time.RFC3339)})
		return
	}

	s.mu.Lock()
	a := s.assets[assetID]
	var p *part
	if a != nil {
		p = a.Parts[number]
	}
	if p == nil {
		s.mu.Unlock()
		s3Error(w, "NoSuchUpload", "", rid)
		return
	}
	p.Attempts++
	if p.Received {
		p.ResentAfterAck++
	}
	if a.State == "created" {
		a.State = "uploading"
	}
	expected := p.Size
	// The object is already put together: S3 would still take the bytes (and answer 200);
	// keep only their hash, since the parts folder is going or gone.
	assembled := a.State == "assembling" || a.State == "complete"
	s.mu.Unlock()

	if r.ContentLength != expected {
		code := "InvalidArgument"
		if r.ContentLength > 5<<30 {
			code = "EntityTooLarge"
		}
		s3Error(w, code, fmt.Sprintf("part %d takes exactly %d bytes, the request declares %d", number, expected, r.ContentLength), rid)
		return
	}

	sum, file, n, err := s.receivePart(w, r, a.ID, number, expected, s.opts.Discard || assembled)
	s.mu.Lock()
	a.BytesReceived += n
	s.mu.Unlock()
	if err != nil {
		var timeout interface{ Timeout() bool }
		switch {
		case errors.As(err, &timeout) && timeout.Timeout():
			s3Error(w, "RequestTimeout", "", rid)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errShortBody):
			s3Error(w, "IncompleteBody", "", rid)
		case errors.Is(err, fs.ErrNotExist) && s.assembledAlready(a):
			// The assembly finished while this PUT was arriving and took the parts
			// folder away: the bytes arrived, as S3 would say.
			err = nil
		default:
			s3Error(w, "InternalError", "", rid)
			s.opts.Logger.Error("c2csim: storing a part failed", "asset", a.ID, "part", number, "err", err)
		}
		if err != nil {
			return
		}
	}

	received := s.now()
	s.mu.Lock()
	switch {
	case a.State == "assembling" || a.State == "complete":
		// S3 would take the new bytes, but the file is already put together: keep what
		// the assembler reads, and count the PUT.
		if file != "" {
			_ = os.Remove(file)
		}
	case p.Size != expected:
		// A real-time part registered again with another size while these bytes came
		// in: they are no longer the part's, as if the PUT had begun after.
		s.mu.Unlock()
		if file != "" {
			_ = os.Remove(file)
		}
		s3Error(w, "InvalidArgument", fmt.Sprintf("part %d takes exactly %d bytes, the request declares %d", number, p.Size, expected), rid)
		return
	default:
		// The last PUT of a part number is the part, as in S3: a part sent again before
		// the file is put together replaces the bytes sent before.
		if p.file != "" && p.file != file {
			_ = os.Remove(p.file)
		}
		p.Received, p.SHA256, p.file = true, sum, file
	}
	p.Puts++
	if p.FirstReceivedAt.IsZero() {
		p.FirstReceivedAt = received
	}
	p.LastReceivedAt = received
	s.maybeAssembleLocked(a)
	s.mu.Unlock()
	if len(sum) >= 32 {
		w.Header().Set("ETag", `"`+sum[:32]+`"`)
	}
	w.Header().Set("x-amz-request-id", rid)
	w.WriteHeader(http.StatusOK)
}

var errShortBody = errors.New("body shorter than Content-Length")

func (s *Server) assembledAlready(a *asset) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.State == "assembling" || a.State == "complete"
}

// receivePart streams the body to disk (or only through the hash in discard mode),
// answering S3's RequestTimeout when the client sends nothing for IdleReadTimeout. n is
// the number of body bytes read, whether or not the part was stored.
func (s *Server) receivePart(w http.ResponseWriter, r *http.Request, assetID string, number int, size int64, discard bool) (sum, file string, n int64, err error) {
	h := sha256.New()
	var dst io.Writer = h
	var f *os.File
	if !discard {
		dir := filepath.Join(s.dataDir, "parts", assetID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", "", 0, err
		}
		f, err = os.CreateTemp(dir, fmt.Sprintf("part-%05d-*.tmp", number))
		if err != nil {
			return "", "", 0, err
		}
		defer func() {
			if err != nil {
				_ = f.Close()
				_ = os.Remove(f.Name())
			}
		}()
		dst = io.MultiWriter(f, h)
	}
	rc := http.NewResponseController(w)
	body := &idleReader{r: r.Body, rc: rc, idle: s.opts.IdleReadTimeout}
	bufp := copyBuffers.Get().(*[]byte)
	n, err = io.CopyBuffer(dst, io.LimitReader(body, size), *bufp)
	copyBuffers.Put(bufp)
	if err != nil {
		// The deadline stays: net/http then closes the connection after the answer instead
		// of waiting, without a deadline, for the rest of a body that is not coming.
		return "", "", n, err
	}
	_ = rc.SetReadDeadline(time.Time{})
	if n != size {
		return "", "", n, errShortBody
	}
	if f == nil {
		return hex.EncodeToString(h.Sum(nil)), "", n, nil
	}
	if err := f.Close(); err != nil {
		return "", "", n, err
	}
	final := filepath.Join(filepath.Dir(f.Name()), fmt.Sprintf("part-%05d-%s", number, randomString(6)))
	if err := os.Rename(f.Name(), final); err != nil {
		return "", "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), final, n, nil
}

// idleReader moves the read deadline forward before each read: a body may take as long
// as it likes, but not stop.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	_ = ir.rc.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.r.Read(p)
}

// maybeAssembleLocked starts the assembly once every part is in: all URLs of a normal
// upload, or the final part and every registered part below it for a real-time one.
func (s *Server) maybeAssembleLocked(a *asset) {
	if a.State == "assembling" || a.State == "complete" || a.State == "failed" {
		return
	}
	var numbers []int
	if a.Realtime {
		if a.FinalPart == 0 {
			return
		}
		for n, p := range a.Parts {
			if n <= a.FinalPart {
				if !p.Received {
					return
				}
				numbers = append(numbers, n)
			}
		}
	} else {
		for n := 1; n <= a.PartCount; n++ {
			if !a.Parts[n].Received {
				return
			}
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	var total int64
	files := make([]string, len(numbers))
	for i, n := range numbers {
		total += a.Parts[n].Size
		files[i] = a.Parts[n].file
	}
	if total != a.Filesize {
		a.State, a.Error = "failed", fmt.Sprintf("parts add up to %d bytes, the asset is %d", total, a.Filesize)
		return
	}
	a.State = "assembling"
	if s.opts.Discard {
		a.State, a.CompletedAt = "complete", s.now()
		return
	}
	s.assembling.Add(1)
	go s.assemble(a, files)
}

func (s *Server) assemble(a *asset, files []string) {
	defer s.assembling.Done()
	dir := filepath.Join(s.dataDir, "assets", a.ID)
	dst := filepath.Join(dir, safeName(a.Name))
	sum, err := concatenate(dst, files, sha256.New())
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		a.State, a.Error = "failed", err.Error()
		s.opts.Logger.Error("c2csim: assembling failed", "asset", a.ID, "err", err)
		return
	}
	a.State, a.SHA256, a.Path, a.CompletedAt = "complete", sum, dst, s.now()
	_ = os.RemoveAll(filepath.Join(s.dataDir, "parts", a.ID))
	s.opts.Logger.Info("asset assembled", "asset", a.ID, "name", a.Name, "bytes", a.Filesize, "sha256", sum)
}

func concatenate(dst string, files []string, h hash.Hash) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	w := io.MultiWriter(out, h)
	for _, name := range files {
		in, err := os.Open(name)
		if err != nil {
			_ = out.Close()
			return "", err
		}
		_, err = io.Copy(w, in)
		_ = in.Close()
		if err != nil {
			_ = out.Close()
			return "", err
		}
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// safeName keeps an asset's name as a single path element.
func safeName(name string) string {
	name = filepath.Base(filepath.Clean("/" + name))
	if name == "/" || name == "." || name == "" {
		return "unnamed"
	}
	return name
}

// inFlight counts assemblies under way. Unlike a WaitGroup it may gain work while
// somebody waits, which is the normal case here (a test reads assets while parts arrive).
type inFlight struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (f *inFlight) Add(delta int) {
	f.mu.Lock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	f.n += delta
	if f.n == 0 {
		f.cond.Broadcast()
	}
	f.mu.Unlock()
}

func (f *inFlight) Done() { f.Add(-1) }

func (f *inFlight) Wait() {
	f.mu.Lock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	for f.n > 0 {
		f.cond.Wait()
	}
	f.mu.Unlock()
}
