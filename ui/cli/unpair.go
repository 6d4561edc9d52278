package cli

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core"
	"github.com/c2c-uploader/c2c-uploader/core/auth"
)

// Unpair is `c2c-uploader unpair`: it revokes the pairing at the API (best effort when
// offline) and deletes the tokens from the keychain. The queue and its history stay.
func Unpair(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	if err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "unpair: %v\n", err)
		return ExitFailed
	}
	st := svc.AuthStatus()
	if err := svc.Unpair(ctx); err != nil {
		fmt.Fprintf(o.Stderr, "unpair: %s\n", userText(err))
		return ExitFailed
	}
	after := svc.AuthStatus()
	if o.JSON {
		newJSONWriter(o.Stdout).write(eventJSON(core.Event{Type: core.EventAuth, Auth: &after}))
	}
	if st.State == auth.Unpaired {
		fmt.Fprintln(o.Stderr, "Not paired; nothing to do.")
	} else {
		fmt.Fprintln(o.Stderr, "Unpaired. The upload history is kept; run `c2c-uploader pair` to connect again.")
	}
	return ExitOK
}
