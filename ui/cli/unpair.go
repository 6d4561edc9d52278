package cli

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// Unpair is `c2c-uploader unpair`: it revokes the pairing at the API (best effort when
// offline) and deletes the tokens from the keychain. The queue and its history stay.
func Unpair(ctx context.Context, svc *core.Service, o Options) int {
	o.defaults()
	if _, err := load(ctx, svc, &o); err != nil {
		fmt.Fprintf(o.Stderr, "unpair: %v\n", err)
		return ExitFailed
	}
	st := svc.AuthStatus()
	if o.OtherAPI != "" {
		fmt.Fprintf(o.Stderr, "This data folder is paired with %s, not %s: that is the pairing this ends.\n", o.APIURL, o.OtherAPI)
	}
	res, err := svc.Unpair(ctx)
	if err != nil {
		fmt.Fprintf(o.Stderr, "unpair: %s\n", userText(err))
		return ExitFailed
	}
	after := svc.AuthStatus()
	if o.JSON {
		m := eventJSON(core.Event{Type: core.EventAuth, Auth: &after})
		m["revoked"] = res.Revoked
		m["revocation_pending"] = res.Pending
		newJSONWriter(o.Stdout).write(m)
	}
	switch {
	case st.State == core.Unpaired:
		fmt.Fprintln(o.Stderr, "Not paired; nothing to do.")
	case res.Revoked:
		fmt.Fprintf(o.Stderr, "Unpaired from %s: the project no longer accepts this computer. The upload history is kept; run `c2c-uploader pair` to connect again.\n", o.APIURL)
	case res.Pending:
		fmt.Fprintf(o.Stderr, "Unpaired here, but %s could not be reached (%s), so the project still lists this computer. "+
			"The revocation is kept and sent the next time the app reaches %s; you can also remove the device in the project's C2C Connections.\n",
			o.APIURL, res.Reason, o.APIURL)
	default:
		fmt.Fprintf(o.Stderr, "Unpaired here, but %s could not be reached (%s) and the revocation could not be kept: "+
			"remove this device in the project's C2C Connections to end the pairing there.\n", o.APIURL, res.Reason)
	}
	return ExitOK
}
