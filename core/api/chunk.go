package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Chunk is one part of a file, PUT to its presigned URL (docs/api-notes.md §3.4).
type Chunk struct {
	URL         string
	File        io.ReaderAt
	Path        string // the file's path, for messages
	Offset      int64
	Length      int64
	ContentType string // the asset's filetype: part of the URL's signature
	// Progress, when set, is told of every run of bytes the transport takes from the
	// file for this attempt. The transport reads only as its socket accepts writes
	// (through a 64 KiB buffer), so this is the bytes sent, not bytes buffered.
	Progress func(n int64)
	// Throttle, when set, is waited on before n bytes are handed to the transport: the
	// bandwidth limit.
	Throttle func(ctx context.Context, n int) error
	// Unchanged, when set, is asked before the request and again before the chunk's
	// last bytes are handed to the transport; an error (ErrFileChanged) stops the PUT
	// short of its Content-Length, so S3 never stores the part. The part that completes
	// an asset is thus never sent from a file that changed while it was read.
	Unchanged func() error
	// Reads, when set, is called for every body the request is given (a retry of the
	// transport gets a fresh one); that body writes to the writer returned every byte it
	// hands to the transport, in order. When PutChunk succeeds, the last writer returned
	// has seen exactly the chunk that was sent: its hash is the receipt of the part.
	Reads func() io.Writer
}

// ErrFileChanged: the file changed on disk while its upload was under way.
var ErrFileChanged = errors.New("the file changed while it was being uploaded")

// PutChunk sends one chunk, streamed from the file through an io.SectionReader with an
// exact Content-Length: nothing is buffered whole, and a retry is a fresh reader from the
// chunk's start. No API header and no bearer token go to S3.
func (c *Client) PutChunk(ctx context.Context, ch Chunk) error {
	start := time.Now()
	err := c.putChunk(ctx, ch)
	path := ""
	if u, perr := url.Parse(ch.URL); perr == nil {
		path = u.Path // never the query: it holds the signature
	}
	c.finished(EndpointChunk, path, start, err)
	return err
}

func (c *Client) putChunk(ctx context.Context, ch Chunk) error {
	u, err := url.Parse(ch.URL)
	if err != nil || u.Host == "" {
		e := newError(EndpointChunk, InternalRule)
		e.Detail = "the upload URL from the API is not a URL"
		return e
	}
	if err := checkScheme(u); err != nil {
		e := newError(EndpointChunk, InsecureURLRule)
		e.Detail = err.Error()
		return e
	}
	if c.online != nil {
		if err := c.online.Wait(ctx); err != nil {
			return Classify(ctx, EndpointChunk, err)
		}
	}
	if ch.Unchanged != nil {
		if err := ch.Unchanged(); err != nil {
			return Classify(ctx, EndpointChunk, &LocalFileError{Path: ch.Path, Err: err})
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout.Chunk, errDeadline)
	defer cancel()
	newBody := func() io.ReadCloser {
		if ch.Length == 0 {
			return http.NoBody
		}
		cr := &chunkReader{
			ctx: ctx, r: io.NewSectionReader(ch.File, ch.Offset, ch.Length), path: ch.Path,
			progress: ch.Progress, throttle: ch.Throttle, unchanged: ch.Unchanged,
		}
		if ch.Reads != nil {
			cr.seen = ch.Reads()
		}
		return cr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, ch.URL, nil)
	if err != nil {
		return Classify(ctx, EndpointChunk, err)
	}
	req.Body = newBody()
	req.GetBody = func() (io.ReadCloser, error) { return newBody(), nil }
	req.ContentLength = ch.Length
	req.Header.Set("Content-Type", ch.ContentType)
	req.Header.Set("x-amz-acl", "private")
	resp, err := c.s3.Do(req)
	if err != nil {
		return Classify(ctx, EndpointChunk, err)
	}
	if err := CheckResponse(EndpointChunk, resp, http.StatusOK, true); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.Body.Close()
}

// chunkReader reads one chunk from the file, counting progress, applying the bandwidth
// limit and marking read errors as the local file's.
type chunkReader struct {
	ctx       context.Context
	r         *io.SectionReader
	path      string
	progress  func(int64)
	throttle  func(context.Context, int) error
	unchanged func() error
	seen      io.Writer // every byte handed to the transport (Chunk.Reads)
	read      int64
}

func (cr *chunkReader) Read(p []byte) (int, error) {
	if cr.throttle != nil {
		// Small slices keep the limiter smooth and its waits short.
		if len(p) > 32<<10 {
			p = p[:32<<10]
		}
		if err := cr.throttle(cr.ctx, len(p)); err != nil {
			return 0, err
		}
	}
	n, err := cr.r.Read(p)
	if cr.unchanged != nil && n > 0 && cr.read+int64(n) >= cr.r.Size() {
		// The last bytes wait until the file is known not to have changed while its
		// earlier bytes were read; without them the PUT is incomplete and S3 drops it.
		if cerr := cr.unchanged(); cerr != nil {
			return 0, &LocalFileError{Path: cr.path, Err: cerr}
		}
	}
	cr.read += int64(n)
	if n > 0 && cr.seen != nil {
		cr.seen.Write(p[:n])
	}
	if n > 0 && cr.progress != nil {
		cr.progress(int64(n))
	}
	switch {
	case err == io.EOF && cr.read < cr.r.Size():
		return n, &LocalFileError{Path: cr.path, Err: errFileShrank}
	case err != nil && err != io.EOF:
		return n, &LocalFileError{Path: cr.path, Err: err}
	}
	return n, err
}

var errFileShrank = errors.New("the file is shorter than when it was queued")

func (cr *chunkReader) Close() error { return nil }
