package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"
)

// ErrUserCancelled is the cancel cause for a pause, cancel or quit by the user.
var ErrUserCancelled = errors.New("cancelled by the user")

// ErrStalled is the cancel cause the upload watchdog uses when no byte moved for too
// long; it is classified like a per-request deadline.
var ErrStalled = errors.New("no byte moved for too long")

// LocalFileError marks an error that came from reading the local file, so a failing
// disk is not mistaken for a failing network. Wrap request body readers with it.
type LocalFileError struct {
	Path string
	Err  error
	// Reason, when set, is what a person reads: one sentence saying what happened to
	// the file and what to do. Without it, one is chosen from Err (Sentence).
	Reason string
}

func (e *LocalFileError) Error() string { return "read " + e.Path + ": " + e.Err.Error() }
func (e *LocalFileError) Unwrap() error { return e.Err }

// Sentence is what a person reads about the file: what happened and what to do, in one
// sentence; the path and the system's words stay in the log (Error).
func (e *LocalFileError) Sentence() string {
	switch {
	case e.Reason != "":
		return e.Reason
	case errors.Is(e.Err, fs.ErrNotExist):
		return "It was not found: moved or deleted after it was queued; put it back, then retry."
	case errors.Is(e.Err, fs.ErrPermission):
		return "This user may not read it; allow reading it, then retry."
	case errors.Is(e.Err, ErrFileChanged):
		return "It changed while it was being uploaded; retry once it is complete."
	case errors.Is(e.Err, errFileShrank):
		return "It became shorter while it was being uploaded; retry once it is complete."
	}
	return "It could not be read from its disk; check that the disk is still connected, then retry."
}

// Classify turns an error from http.Client.Do or from reading a body into a *Error
// (docs/error-policy.md §6). ctx is the request's own context: once it is done, its cause
// decides between the user cancelling (CancelledRule) and a deadline or the stall
// watchdog (TimeoutRule), whatever error the transport happened to return. An *Error
// anywhere in err's chain is returned unchanged.
func Classify(ctx context.Context, endpoint string, err error) *Error {
	if e, ok := AsError(err); ok {
		return e
	}
	if ctx != nil && ctx.Err() != nil {
		cause := context.Cause(ctx)
		if errors.Is(cause, context.Canceled) || errors.Is(cause, ErrUserCancelled) {
			return withCause(endpoint, CancelledRule, cause)
		}
		return withCause(endpoint, TimeoutRule, cause)
	}
	var local *LocalFileError
	switch {
	case err == nil:
		return withCause(endpoint, InternalRule, errNilError)
	case errors.As(err, &local):
		return withCause(endpoint, LocalFileRule, err)
	case errors.Is(err, ErrUserCancelled):
		return withCause(endpoint, CancelledRule, err)
	case errors.Is(err, ErrStalled), errors.Is(err, context.DeadlineExceeded):
		// A deadline of a context derived inside the call, e.g. the per-request one.
		return withCause(endpoint, TimeoutRule, err)
	case isNetwork(err):
		return withCause(endpoint, NetworkRule, err)
	}
	// Includes a bare context.Canceled whose context is not ours: someone other than
	// the user stopped the request, which is a bug worth one more try.
	return withCause(endpoint, InternalRule, err)
}

var errNilError = errors.New("classify called without an error")

func withCause(endpoint string, r Rule, err error) *Error {
	e := newError(endpoint, r)
	e.Err = err
	return e
}

// networkErrnos are the socket errors that mean the path to the server is broken.
var networkErrnos = []error{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ENETDOWN, syscall.ETIMEDOUT,
	net.ErrClosed,
}

func isNetwork(err error) bool {
	for _, target := range networkErrnos {
		if errors.Is(err, target) {
			return true
		}
	}
	// io.EOF here comes from the transport (the server closed before answering); a
	// body read that ends normally never reaches Classify.
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var (
		netErr    net.Error
		dnsErr    *net.DNSError
		opErr     *net.OpError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &netErr) && netErr.Timeout(),
		errors.As(err, &dnsErr), errors.As(err, &opErr),
		errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &verifyErr),
		errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &certErr):
		return true
	}
	// Some handshake failures are plain errors known only by their text: "remote error:
	// tls: handshake failure", or net/http's name for a TLS record that is plain HTTP
	// (a proxy or portal answering on the HTTPS port).
	text := err.Error()
	return strings.Contains(text, "tls: ") || strings.Contains(text, "server gave HTTP response to HTTPS client")
}
