#!/usr/bin/env bash
# One-step set-up for a fresh Debian/Ubuntu machine, then run the launcher or the test suite.
#
#   packaging/setup.sh launch     install what is missing, install the sample mini-apps, open the launcher
#   packaging/setup.sh test [ARGS]  install what is missing, run the whole test suite (pytest ARGS);
#                                   with no ARGS, then the date-sensitive suites a year ahead
#   packaging/setup.sh year-ahead [ARGS]  pytest ARGS (default: the date-sensitive suites) with the
#                                   clock of every Python process moved 365 days ahead
#
# Idempotent: a second run only checks (Debian packages present, virtualenv up to date).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SUPERAPP_VENV:-$ROOT/.venv}"
MODE="${1:-}"
shift || true

# Qt WebEngine's runtime libraries (what its binaries link against), a virtual X server for
# machines without a display, fonts, and the Python tooling. Alternatives are separated by '|'
# (package names differ between Debian and Ubuntu releases).
DEB_PACKAGES=(
  python3 python3-venv python3-pip
  xvfb xauth fonts-dejavu-core
  libegl1 libgl1 libgbm1 libdrm2 libnss3 libnspr4 libglib2.0-0
  libfontconfig1 libfreetype6 libdbus-1-3 "libasound2t64|libasound2" libxkbfile1 libxshmfence1
  libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcomposite1 libxdamage1 libxrandr2 libxtst6
  libxi6 libxext6 libxfixes3 libxrender1 libxcursor1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libxcb-shm0 libxcb-sync1 libxcb-glx0
  # The desktop package's build (PyInstaller reads binaries with objdump) and its menu-entry check.
  binutils desktop-file-utils
  # A runtime's seccomp filter (superapp.confine._seccomp, through ctypes; issue 14).
  libseccomp2
)
# The ordinary npm client: the analyser's false-positive tests fetch real libraries with it.
NPM_PACKAGE="npm"

say() { printf 'superapp setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; exit 1; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_debian_packages() {
  command -v dpkg-query >/dev/null || { say "not a Debian/Ubuntu system: install the Qt WebEngine libraries and Xvfb yourself"; return; }
  local missing=() entry alt found
  for entry in "${DEB_PACKAGES[@]}"; do
    found=""
    IFS='|' read -ra alts <<< "$entry"
    for alt in "${alts[@]}"; do installed "$alt" && { found=1; break; }; done
    [ -n "$found" ] && continue
    if [ "${#alts[@]}" -gt 1 ]; then
      if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
      for alt in "${alts[@]}"; do
        if apt-cache show "$alt" >/dev/null 2>&1; then missing+=("$alt"); break; fi
      done
    else
      missing+=("$entry")
    fi
  done
  if ! command -v npm >/dev/null; then missing+=("$NPM_PACKAGE"); fi
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

ensure_venv() {
  local python="${PYTHON:-python3}"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    say "Python 3.11 or newer is needed (found $("$python" --version 2>&1))"; exit 1; }
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$python" -m venv "$VENV"; }
  local stamp="$VENV/.superapp-installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing superapp and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
    echo "$want" > "$stamp"
  fi
}

# The suites whose code compares times with the real clock, run again with the wall clock of every
# Python process (tests, hosts, runtimes) moved 365 days ahead (time-machine, started from
# tests/timetravel/sitecustomize.py): nothing may depend on today's date. tests/test_clock.py
# checks against the kernel's own clock that the move really happened.
YEAR_AHEAD_SUITES=(
  tests/test_clock.py tests/revocation tests/audit tests/bundles tests/bridge/test_cli_grants.py
  tests/attacks/test_kill_switch.py
)
year_ahead() {  # [PYTEST ARGS]: default, the date-sensitive suites
  # The -W: time-machine is imported at interpreter start, before pytest could rewrite the asserts
  # of its (unused) pytest plugin, and the suite turns warnings into errors.
  say "the date-sensitive suites again, with the clock one year ahead"
  # Through PYTEST_ADDOPTS so that pytest runs started by tests (tests/test_selection.py) get it too.
  PYTHONPATH="$ROOT/tests/timetravel" SUPERAPP_TEST_CLOCK_AHEAD_DAYS=365 \
    PYTEST_ADDOPTS="-W 'ignore:Module already imported so cannot be rewritten; time_machine:pytest.PytestAssertRewriteWarning'" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider "${@:-${YEAR_AHEAD_SUITES[@]}}"
}

case "$MODE" in
  launch)
    ensure_debian_packages
    ensure_venv
    "$VENV/bin/superapp" samples install
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      say "no display: running the launcher on a virtual X server (xvfb-run)"
      exec xvfb-run -a -s "-screen 0 1280x800x24" "$VENV/bin/superapp" "$@"
    fi
    exec "$VENV/bin/superapp" "$@"
    ;;
  test)
    ensure_debian_packages
    ensure_venv
    cd "$ROOT"
    say "lint: ruff, mypy (strict) and the import-layer contracts (pyproject [tool.importlinter])"
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports" --no-logo
    "$VENV/bin/python" -m pytest "$@"
    if [ "$#" -eq 0 ]; then
      year_ahead
    fi
    ;;
  year-ahead)
    ensure_debian_packages
    ensure_venv
    cd "$ROOT"
    year_ahead "$@"
    ;;
  *)
    echo "usage: packaging/setup.sh launch|test|year-ahead [args]" >&2
    exit 2
    ;;
esac
