#!/bin/sh
# Run by the .deb and .rpm after install and after removal: menus, "Open with" and icons
# pick up the change at once. Each tool may be missing on a minimal system.
if command -v update-desktop-database >/dev/null 2>&1; then
	update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
	gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
