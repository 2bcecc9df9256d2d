"""Published builds of widely used front-end libraries, fetched with the ordinary npm client.

Used by the analyser's false-positive test and by ``bench/scan.py``. Tarballs are cached under
``.cache/npm-libs/`` (git-ignored); files are read straight out of each tarball by exact
member name (nothing is extracted to disk).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Run from the repository root (the test suite and bench/ are); SUPERAPP_NPM_CACHE moves it.
CACHE = Path(os.environ.get("SUPERAPP_NPM_CACHE", ".cache/npm-libs")).resolve()


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    #: Paths inside the package (the main browser builds).
    files: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball(self) -> Path:
        return CACHE / f"{self.name.replace('/', '-').lstrip('@')}-{self.version}.tgz"


LIBRARIES: tuple[Library, ...] = (
    Library("react", "18.3.1", ("umd/react.production.min.js", "umd/react.development.js")),
    Library("react-dom", "18.3.1", ("umd/react-dom.production.min.js",)),
    Library("vue", "3.4.38", ("dist/vue.global.js",)),
    Library("lodash", "4.17.21", ("lodash.js",)),
    Library("jquery", "3.7.1", ("dist/jquery.js",)),
    Library("d3", "7.9.0", ("dist/d3.min.js",)),
    Library("moment", "2.30.1", ("moment.js",)),
    Library("axios", "1.7.7", ("dist/axios.js",)),
    Library("chart.js", "4.4.4", ("dist/chart.umd.js",)),
    Library("three", "0.160.0", ("build/three.module.js",)),
    Library("preact", "10.24.3", ("dist/preact.js",)),
    Library("underscore", "1.13.7", ("underscore-umd.js",)),
    Library("dayjs", "1.11.13", ("dayjs.min.js",)),
    Library("rxjs", "7.8.1", ("dist/bundles/rxjs.umd.js",)),
    Library("backbone", "1.6.0", ("backbone.js",)),
    Library("handlebars", "4.7.8", ("dist/handlebars.js",)),
    Library("alpinejs", "3.14.1", ("dist/cdn.js",)),
    Library("angular", "1.8.3", ("angular.js",)),
    Library("bootstrap", "5.3.3", ("dist/js/bootstrap.bundle.js",)),
    Library("leaflet", "1.9.4", ("dist/leaflet-src.js",)),
)


class Unavailable(Exception):
    """npm or the registry cannot be used here; the message says why."""


def fetch_all(timeout: float = 240.0, libraries: Sequence[Library] = LIBRARIES) -> None:
    """``npm pack`` every library not yet cached. Raises Unavailable with the reason."""
    missing = [lib for lib in libraries if not lib.tarball.is_file()]
    if not missing:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("the npm client is not installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [
                npm,
                "pack",
                "--silent",
                "--pack-destination",
                str(CACHE),
                *(lib.spec for lib in missing),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise Unavailable(
            f"npm pack timed out after {timeout:.0f}s (registry unreachable?)"
        ) from err
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise Unavailable(f"npm pack exited with {proc.returncode} (registry unreachable?): {last}")
    still = [lib.spec for lib in libraries if not lib.tarball.is_file()]
    if still:
        raise Unavailable(f"npm pack did not produce {still}")


def read_files(lib: Library) -> dict[str, bytes]:
    """The library's main build files, ``{'name@version/path': bytes}``."""
    out: dict[str, bytes] = {}
    with tarfile.open(lib.tarball, "r:gz") as tar:
        for path in lib.files:
            member = tar.getmember(f"package/{path}")
            fh = tar.extractfile(member)
            if fh is None:
                raise Unavailable(f"{lib.spec}: {path} is not a regular file")
            out[f"{lib.spec}/{path}"] = fh.read()
    return out
