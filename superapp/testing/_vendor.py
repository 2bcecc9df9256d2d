"""Front-end libraries vendored into test mini-apps, as their users vendor them (issue 15).

The published npm packages (fetched with the ordinary npm client, cached like ``_npm``'s)
are copied into a mini-app folder under ``vendor/<package>/``, with their licence file; the
licence named in each ``package.json`` must be one this project may redistribute in a test
fixture (``LICENCES``), or the copy is refused.

``BUILDS`` names the packages and the files of each that the tests use: the UMD and ES module
builds that work under the app's CSP, and the two quick-start builds that do not (Vue's full
build, standard Alpine), which are the tests of the refusal audit.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from superapp.testing._npm import Library, Unavailable, fetch_all

__all__ = ["BUILDS", "LICENCES", "fetch_builds", "vendor"]

#: SPDX identifiers a vendored test fixture may carry.
LICENCES: Final = frozenset({"MIT", "BSD-3-Clause", "ISC", "Apache-2.0"})

#: package → (version, the files the tests load; a path ending in '/' copies every .js file of
#: that folder, for ES module packages that import their siblings).
BUILDS: Final[Mapping[str, Library]] = {
    "react": Library("react", "18.3.1", ("umd/react.production.min.js",)),
    "react-dom": Library("react-dom", "18.3.1", ("umd/react-dom.production.min.js",)),
    "vue": Library("vue", "3.4.38", ("dist/vue.runtime.global.prod.js", "dist/vue.global.prod.js")),
    "@alpinejs/csp": Library("@alpinejs/csp", "3.14.1", ("dist/cdn.min.js",)),
    "alpinejs": Library("alpinejs", "3.14.1", ("dist/cdn.min.js",)),
    "chart.js": Library("chart.js", "4.4.4", ("dist/chart.umd.js",)),
    "lit": Library("lit", "3.3.1", ("",)),
    "lit-html": Library("lit-html", "3.3.1", ("",)),
    "lit-element": Library("lit-element", "4.2.1", ("",)),
    "@lit/reactive-element": Library("@lit/reactive-element", "2.1.1", ("",)),
    "preact": Library("preact", "10.24.3", ("dist/preact.module.js", "hooks/dist/hooks.module.js")),
}

_LICENCE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "license", "license.md")
#: Folders of a package never copied for a whole-package copy: Node-only and debug builds.
_SKIP = ("node/", "development/", "test/", "src/")


def fetch_builds(timeout: float = 240.0) -> None:
    """``npm pack`` every package of ``BUILDS`` not cached yet. Raises Unavailable."""
    fetch_all(timeout, tuple(BUILDS.values()))


def _licence(tar: tarfile.TarFile, lib: Library) -> tuple[str, bytes]:
    meta = tar.extractfile("package/package.json")
    if meta is None:
        raise Unavailable(f"{lib.spec}: no package.json")
    licence = json.loads(meta.read()).get("license", "")
    if licence not in LICENCES:
        raise ValueError(f"{lib.spec}: licence {licence!r} is not one a test fixture may carry")
    for name in _LICENCE_FILES:
        try:
            fh = tar.extractfile(f"package/{name}")
        except KeyError:
            continue
        if fh is not None:
            return licence, fh.read()
    # Some packages (@alpinejs/csp) declare their licence in package.json only.
    note = f"SPDX-License-Identifier: {licence}\n{lib.spec} declares this licence in its "
    return licence, (note + "package.json and ships no licence text.\n").encode()


def vendor(folder: Path, package: str) -> Path:
    """Copy ``package``'s build files into ``folder/vendor/<package>/`` (paths as in the
    package), with its licence file; returns that folder."""
    lib = BUILDS[package]
    dest = folder / "vendor" / package
    with tarfile.open(lib.tarball, "r:gz") as tar:
        _spdx, text = _licence(tar, lib)
        wanted: list[str] = []
        for path in lib.files:
            if path == "" or path.endswith("/"):
                prefix = "package/" + path
                wanted += [
                    m.name
                    for m in tar.getmembers()
                    if m.isfile()
                    and m.name.startswith(prefix)
                    and m.name.endswith(".js")
                    and not m.name[len("package/") :].startswith(_SKIP)
                ]
            else:
                wanted.append("package/" + path)
        for name in wanted:
            fh = tar.extractfile(name)
            if fh is None:
                raise Unavailable(f"{lib.spec}: {name} is not a regular file")
            target = dest / name[len("package/") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fh.read())
    (dest / "LICENSE").write_bytes(text)
    return dest
