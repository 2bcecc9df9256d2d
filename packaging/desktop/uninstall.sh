#!/bin/sh
# Remove what install.sh installed for the current user: the app folder, the command link,
# the menu entry and the icon. Installed mini-apps and their data are kept; to remove them
# too, delete superapp's data folders (see the README's "Install" section).
set -eu

OPT="$HOME/.local/opt/superapp"
BIN="$HOME/.local/bin"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

# The link is ours only if it points into our folder.
if [ -L "$BIN/superapp" ] && [ "$(readlink "$BIN/superapp")" = "$OPT/superapp" ]; then
  rm -f "$BIN/superapp"
fi
rm -f "$APPS/superapp.desktop" "$ICONS/scalable/apps/superapp.svg" "$ICONS/256x256/apps/superapp.png"
rm -rf "$OPT"

echo "superapp removed from $OPT"
