#!/usr/bin/env bash
# Build the Linux desktop package: a PyInstaller one-folder app (one executable, `superapp`,
# that is both the command line and, when the host starts it with a marker argument, a
# mini-app runtime), a menu entry with its icon, install.sh/uninstall.sh, as one .tar.gz.
#
#   packaging/build.sh [OUT_DIR]      → OUT_DIR/superapp-<version>-linux-<arch>.tar.gz
#                                       (default dist/desktop; the folder itself stays in
#                                       build/desktop/dist/superapp-<version>-linux-<arch>/)
#
# Uses the project's virtualenv (SUPERAPP_VENV, default .venv, made by packaging/setup.sh) and
# installs into it the pinned PyInstaller of pyproject.toml's `package` extra if it is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SUPERAPP_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
OUT="$(mkdir -p "${1:-$ROOT/dist/desktop}" && cd "${1:-$ROOT/dist/desktop}" && pwd)"
WORK="$ROOT/build/desktop"

say() { printf 'superapp build: %s\n' "$*" >&2; }
[ -x "$PY" ] || { say "no virtualenv at $VENV: run packaging/setup.sh test (or set SUPERAPP_VENV)"; exit 1; }

# 1. The build tools: PyInstaller reads binaries with binutils' objdump (a Debian package), and
#    PyInstaller itself is pinned in one place (pyproject.toml, extra `package`).
if ! command -v objdump >/dev/null; then
  say "installing binutils (PyInstaller needs objdump)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
fi
mapfile -t PINS < <(cd "$ROOT" && "$PY" -c '
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["package"]))')
if ! "$PY" - "${PINS[@]}" <<'PYEOF'
import sys
from importlib.metadata import PackageNotFoundError, version
for pin in sys.argv[1:]:
    name, _, want = pin.partition("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
then
  say "installing ${PINS[*]} into $VENV"
  "$PY" -m pip install -q "${PINS[@]}"
fi

VERSION="$(cd "$ROOT" && "$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
NAME="superapp-$VERSION-linux-$(uname -m)"
rm -rf "$WORK"
mkdir -p "$WORK"

# 2. Stage the project as its wheel installs it (package data mapped from assets/ and miniapps/),
#    without dependencies: those are frozen from the virtualenv.
#    Built from a fresh copy of the sources so that nothing stale under build/ gets in.
say "staging the project (wheel layout)"
mkdir -p "$WORK/src"
tar -C "$ROOT" --exclude=__pycache__ -cf - pyproject.toml README.md superapp bridge assets miniapps \
  | tar -C "$WORK/src" -xf -
"$PY" -m pip install -q --no-deps --no-compile --target "$WORK/stage" "$WORK/src"

# 3. Freeze.
say "freezing with PyInstaller (a few minutes)"
(cd "$WORK" && SUPERAPP_STAGE="$WORK/stage" PYTHONPATH="$WORK/stage" \
  "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$WORK/dist" --workpath "$WORK/pyi" "$ROOT/packaging/superapp.spec")
APP="$WORK/dist/$NAME"
mv "$WORK/dist/superapp" "$APP"

# 4. Desktop integration: menu entry template, icon (SVG and a 256 px PNG), install/uninstall.
mkdir -p "$APP/share"
cp "$ROOT/assets/icons/superapp.svg" "$ROOT/packaging/desktop/superapp.desktop.in" "$APP/share/"
QT_QPA_PLATFORM=offscreen "$PY" "$ROOT/packaging/render_icon.py" \
  "$APP/share/superapp.svg" "$APP/share/superapp.png" 256
install -m 0755 "$ROOT/packaging/desktop/install.sh" "$ROOT/packaging/desktop/uninstall.sh" "$APP/"

# 5. Smoke check before packing: the frozen executable answers without any Python around.
env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV "$APP/superapp" --version >/dev/null

# 6. The archive, with one top-level folder.
rm -f "$OUT/$NAME.tar.gz"
tar -C "$WORK/dist" -czf "$OUT/$NAME.tar.gz" "$NAME"
say "folder: $APP ($(du -sh "$APP" | cut -f1))"
say "archive: $OUT/$NAME.tar.gz ($(du -h "$OUT/$NAME.tar.gz" | cut -f1))"
echo "$OUT/$NAME.tar.gz"
