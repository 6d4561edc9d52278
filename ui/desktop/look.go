package desktop

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The window's appearance: the system's light or dark, or one of them always. Like the
// row density it is kept in Fyne's preferences: it is the window's alone.
const (
	prefLook   = "appearance"
	lookSystem = "Follow the system"
	lookLight  = "Light"
	lookDark   = "Dark"
)

// look is the appearance chosen.
func (u *UI) look() string {
	switch l := u.app.Preferences().String(prefLook); l {
	case lookLight, lookDark:
		return l
	}
	return lookSystem
}

// setLook keeps the appearance chosen and applies it.
func (u *UI) setLook(l string) {
	if l == u.look() {
		return
	}
	u.app.Preferences().SetString(prefLook, l)
	u.applyLook()
}

// applyLook puts the chosen appearance in force; following the system leaves the app's
// theme as it is.
func (u *UI) applyLook() {
	switch u.look() {
	case lookLight:
		u.app.Settings().SetTheme(variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantLight})
	case lookDark:
		u.app.Settings().SetTheme(variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantDark})
	default:
		if _, forced := u.app.Settings().Theme().(variantTheme); forced {
			u.app.Settings().SetTheme(theme.DefaultTheme())
		}
	}
}

// variantTheme is a theme in one variant whatever the system's.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}
