// Package assets holds the resources built into the binary: the app icon, drawn for this
// app (icon.svg is the source; icon.png is rendered from it for packaging, with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`).
package assets

import _ "embed"

// IconSVG is the app icon as a vector; the window and the tray use it, sharp at any size.
//
//go:embed icon.svg
var IconSVG []byte

// IconPNG is the icon at 512×512, for packages and platforms that want a bitmap.
//
//go:embed icon.png
var IconPNG []byte
