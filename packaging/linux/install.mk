# C2C Uploader for Linux. This file is the Makefile of the unpacked tar.xz:
#
#   sudo make install        for every user of this computer, under /usr/local
#   make user-install        for you alone, under ~/.local (no root needed)
#   sudo make uninstall      /  make user-uninstall      removes what install put there
#
# PREFIX and DESTDIR work as usual (make install PREFIX=/opt/c2c DESTDIR=/tmp/root).
# The repository's `make install` runs this same file.

PREFIX ?= /usr/local
# This file, for the recursive calls: it is also run from the repository (make uninstall).
SELF   := $(lastword $(MAKEFILE_LIST))
APP_ID := io.github.c2cuploader.C2CUploader
SIZES  := 16 22 24 32 36 48 64 72 96 128 192 256 512

# The files, relative to this folder and to PREFIX alike.
PROGRAM := bin/c2c-uploader
DATA    := share/applications/$(APP_ID).desktop share/metainfo/$(APP_ID).metainfo.xml \
	share/icons/hicolor/scalable/apps/$(APP_ID).svg \
	$(foreach s,$(SIZES),share/icons/hicolor/$(s)x$(s)/apps/$(APP_ID).png)

.PHONY: install uninstall user-install user-uninstall refresh

install:
	install -Dm755 $(PROGRAM) "$(DESTDIR)$(PREFIX)/$(PROGRAM)"
	@for f in $(DATA); do install -Dm644 "$$f" "$(DESTDIR)$(PREFIX)/$$f" || exit 1; done
# Outside /usr the program's folder may not be on the desktop session's PATH (~/.local/bin
# often is not): the menu entry then names the program by its full path.
	@if [ "$(PREFIX)" != /usr ]; then \
		sed -i 's|^Exec=c2c-uploader |Exec="$(PREFIX)/bin/c2c-uploader" |' "$(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop"; \
	fi
	@$(MAKE) --no-print-directory -f $(SELF) refresh
	@echo "installed C2C Uploader under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/$(PROGRAM)"
	@for f in $(DATA); do rm -f "$(DESTDIR)$(PREFIX)/$$f"; done
	@$(MAKE) --no-print-directory -f $(SELF) refresh
	@echo "removed C2C Uploader from $(DESTDIR)$(PREFIX) (your pairing and queue stay in your data folder)"

user-install:
	@$(MAKE) --no-print-directory -f $(SELF) install PREFIX="$(HOME)/.local"

user-uninstall:
	@$(MAKE) --no-print-directory -f $(SELF) uninstall PREFIX="$(HOME)/.local"

# Menus, "Open with" and icons follow at once; each tool may be missing. Nothing to refresh
# in a staging folder (DESTDIR), and an icon cache is only brought up to date, never made:
# a cache nobody keeps would hide icons other programs add later.
refresh:
	@[ -z "$(DESTDIR)" ] || exit 0; \
	update-desktop-database -q "$(PREFIX)/share/applications" 2>/dev/null || true; \
	if [ -f "$(PREFIX)/share/icons/hicolor/icon-theme.cache" ]; then \
		gtk-update-icon-cache -q -t -f "$(PREFIX)/share/icons/hicolor" 2>/dev/null || true; \
	fi
