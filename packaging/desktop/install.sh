#!/bin/sh
# Install superapp for the current user, from this unpacked folder. No root, no Python needed.
#
#   ./install.sh      copies the app to ~/.local/opt/superapp, links ~/.local/bin/superapp,
#                     and adds a menu entry and an icon (XDG_DATA_HOME, default ~/.local/share)
#
# Run it again to upgrade. ~/.local/opt/superapp/uninstall.sh removes what this installs
# (your mini-apps and their data stay; see the README).
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
OPT="$HOME/.local/opt/superapp"
BIN="$HOME/.local/bin"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

[ -x "$HERE/superapp" ] || { echo "install.sh: run me from the unpacked superapp folder" >&2; exit 1; }
case "$HERE" in "$OPT"|"$OPT"/*) echo "install.sh: already installed here" >&2; exit 1;; esac

mkdir -p "$HOME/.local/opt" "$BIN" "$APPS" "$ICONS/scalable/apps" "$ICONS/256x256/apps"
# Copy next to the target, then swap: an upgrade never leaves a half-copied app behind.
NEW="$OPT.new.$$"
rm -rf "$NEW"
cp -R "$HERE" "$NEW"
rm -rf "$OPT"
mv "$NEW" "$OPT"

ln -sfn "$OPT/superapp" "$BIN/superapp"
cp "$OPT/share/superapp.svg" "$ICONS/scalable/apps/superapp.svg"
cp "$OPT/share/superapp.png" "$ICONS/256x256/apps/superapp.png"
sed "s|@EXEC@|$OPT/superapp|g" "$OPT/share/superapp.desktop.in" > "$APPS/superapp.desktop"
chmod 0644 "$APPS/superapp.desktop"

echo "superapp installed in $OPT"
case ":$PATH:" in *":$BIN:"*) ;; *) echo "note: add $BIN to your PATH to run 'superapp' from a terminal";; esac
