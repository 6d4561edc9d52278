package desktop

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// minPassphrase is the shortest passphrase accepted for a new token file.
const minPassphrase = 8

// askUnlock asks for the passphrase of the token file the pairing is kept in (no
// keychain on this computer). Until it is given, the window does not start a new
// pairing: the one in the file is the one to use.
func (u *UI) askUnlock(failed string) {
	u.awaitingPassphrase = true
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Passphrase")
	items := []*widget.FormItem{
		{Text: "Passphrase", Widget: pass, HintText: "the one chosen when this computer was paired (C2C_TOKEN_PASSPHRASE)"},
	}
	if failed != "" {
		msg := widget.NewLabel("It could not be unlocked: " + failed + " Try again, or pair again.")
		msg.Wrapping = fyne.TextWrapWord
		items = append([]*widget.FormItem{{Text: "", Widget: msg}}, items...)
	}
	d := dialog.NewForm("Unlock the pairing", "Unlock", "Pair again instead", items, func(ok bool) {
		if !ok {
			u.awaitingPassphrase = false
			u.layout()
			return
		}
		secret := pass.Text
		u.p.do("The pairing could not be unlocked", func(ctx context.Context) error {
			err := u.opts.UnlockTokens(ctx, secret)
			fyne.Do(func() {
				if err != nil {
					u.askUnlock(userMessage(err))
					return
				}
				u.awaitingPassphrase = false
				u.layout()
			})
			return nil
		})
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// askNewTokenFile offers to keep the pairing in an encrypted file in the data folder when
// the keychain cannot keep it, so that it survives a restart.
func (u *UI) askNewTokenFile() {
	pass, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pass.Validator = func(s string) error {
		if len([]rune(s)) < minPassphrase {
			return errors.New("at least 8 characters")
		}
		return nil
	}
	again.Validator = func(s string) error {
		if s != pass.Text {
			return errors.New("the two passphrases differ")
		}
		return nil
	}
	items := []*widget.FormItem{
		{Text: "Passphrase", Widget: pass, HintText: "asked for at every start of the app; it cannot be recovered"},
		{Text: "Again", Widget: again},
	}
	d := dialog.NewForm("Keep the pairing in an encrypted file", "Keep it", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		secret := pass.Text
		u.p.do("The pairing could not be kept in a file", func(ctx context.Context) error {
			if err := u.opts.KeepInTokenFile(ctx, secret); err != nil {
				return err
			}
			fyne.Do(func() {
				u.alerts.info("The pairing is kept", "The pairing is kept in an encrypted file in the data folder. The app asks for its passphrase when it starts.")
			})
			return nil
		})
	}, u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// userMessage is an error in the words for a person.
func userMessage(err error) string {
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return u.UserMessage()
	}
	return err.Error()
}
