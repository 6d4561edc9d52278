package upload

import (
	"context"
	"errors"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/api"
)

// settle writes the state an attempt ended in (docs/error-policy.md): nothing when it
// ended well (Done is written already) — final is then the Done file —, when a command
// stopped it (the owner applies the command), or when the app is quitting (the journal
// keeps the file as it was; it resumes next time).
func (a *attempt) settle(err error) (final *File, alert *Alert) {
	cause := context.Cause(a.ctx)
	switch {
	case err == nil:
		return &a.f, a.alert
	case errors.Is(cause, errStopped):
		return nil, nil
	case a.ctx.Err() != nil && errors.Is(cause, context.Canceled):
		return nil, nil
	case errors.Is(err, ErrDiskFull):
		// The journal could not record the file's progress, and the engine stopped
		// (it waits for room only while it runs): the journal keeps the file as it was.
		return nil, nil
	}
	if errors.Is(err, ErrLinksUnavailable) {
		// The asset is kept: its links open once the key's store answers.
		a.e.cfg.Logger.Info("waiting for the key that opens the file's upload links", "file", a.f.Name, "err", err)
		if werr := a.write(nil, func(f *File) {
			f.ErrorKind = ""
			f.ErrorMessage = "Waiting for the key that opens its upload links: unlock the token file or the keychain."
			a.retryLater(f)
		}); werr != nil {
			return nil, nil
		}
		return &a.f, nil
	}
	var other *otherProjectError
	if errors.As(err, &other) {
		if werr := a.write(nil, func(f *File) {
			f.State, f.ErrorKind, f.ErrorMessage = Held, heldKind, heldReason(f, other.paired)
		}); werr != nil {
			return nil, nil
		}
		return &a.f, heldAlert([]string{a.f.Name}, other.paired)
	}
	ae := api.Classify(a.ctx, "", err)
	a.e.cfg.Logger.Warn("upload stopped", "file", a.f.Name, "kind", ae.Kind, "err", ae)
	if werr := a.write(nil, func(f *File) {
		f.ErrorKind, f.ErrorMessage = string(ae.Kind), ae.UserMessage()
		if ae.ServerRequestID != "" {
			f.ServerRequestID = ae.ServerRequestID
		}
		switch {
		case ae.Kind == api.KindChannelPaused:
			f.State = Skipped
			alert = &Alert{Kind: AlertChannelPaused, Message: ae.UserMessage(), Files: []string{f.Name}}
		case ae.Kind == api.KindLocalFile, ae.Kind == api.KindUploadRejected, ae.Retry == api.RetryNo:
			// A file that cannot be read fails with its reason; our own bug fails with
			// the code shown; fatal answers stop the file for good.
			f.State = Failed
			alert = alertFor(ae, f.Name)
		default:
			// Two levels of retry: the request's attempts are spent; the file goes back
			// to the queue and resumes from its last finished chunk after a backoff.
			a.retryLater(f)
		}
	}); werr != nil {
		return nil, nil
	}
	return &a.f, alert
}

// retryLater puts f back in the queue after a backoff that grows with its attempts.
func (a *attempt) retryLater(f *File) {
	f.State = Retrying
	f.NextAttempt = time.Now().Add(a.e.cfg.Policy.Backoff(f.Attempts))
	f.Attempts++
}

func alertFor(ae *api.Error, name string) *Alert {
	kinds := map[api.Kind]AlertKind{
		api.KindPaymentRequired:      AlertPaymentRequired,
		api.KindInvalidClient:        AlertClientRejected,
		api.KindInvalidClientVersion: AlertVersionRejected,
	}
	if k, ok := kinds[ae.Kind]; ok {
		return &Alert{Kind: k, Message: ae.UserMessage(), Files: []string{name}}
	}
	return nil
}
