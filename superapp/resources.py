"""Files the host reads at run time, found through :mod:`importlib.resources`.

Everything here is package data, so a wheel installed anywhere (or a frozen desktop build)
finds it without the repository. The editable sources stay where people work on them; the
build maps them into the package (``pyproject.toml``, ADR 0006):

==========================  =====================  =========================================
package                     edited in              holds
==========================  =====================  =========================================
``superapp.assets``         ``assets/``            JS shim, isolated-world relay, ``.d.ts``,
                                                   the launcher page
``superapp.samples``        ``miniapps/``          the sample mini-apps (one folder each)
``superapp.bundles``        (generated)            ``manifest.schema.json``
``superapp.analysis``       ``superapp/analysis``  ``denylist.txt``
``superapp.templates``      ``superapp/templates`` ``superapp new`` templates, one folder each
==========================  =====================  =========================================
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = [
    "asset_bytes",
    "asset_text",
    "manifest_schema_text",
    "samples_root",
    "shim_text",
    "template_names",
    "template_text",
]


def _asset(name: str) -> Traversable:
    node = resources.files("superapp.assets")
    for part in name.split("/"):
        node = node.joinpath(part)
    return node


def asset_text(name: str) -> str:
    """The text of ``assets/<name>`` (``/``-separated), e.g. ``launcher/index.html``."""
    return _asset(name).read_text(encoding="utf-8")


def asset_bytes(name: str) -> bytes:
    return _asset(name).read_bytes()


#: The pieces the shims share, and which shim may include which: the view's shim never gets
#: ``shim-call.js`` (the view has no ``callNative``).
_SHIM_INCLUDES: dict[str, tuple[str, ...]] = {
    "shim.js": ("shim-common.js", "shim-call.js"),
    "dual-logic-worker.js": ("shim-common.js", "shim-call.js"),
    "dual-view-shim.js": ("shim-common.js",),
}
_INCLUDE = "@include "


def shim_text(name: str) -> str:
    """A page or worker shim as the engine runs it: ``assets/<name>`` with each of its
    ``@include <piece>`` lines replaced by that shared piece.

    Raises:
        RuntimeError: ``name`` is not a shim, or it includes a piece it may not (a packaging
            or editing mistake: the engine must never run a shim with a hole in it).
    """
    allowed = _SHIM_INCLUDES.get(name)
    if allowed is None:
        raise RuntimeError(f"{name} is not a shim")
    out = []
    for line in asset_text(name).splitlines(keepends=True):
        piece = line.strip().removeprefix(_INCLUDE) if line.strip().startswith(_INCLUDE) else None
        if piece is None:
            out.append(line)
        elif piece in allowed:
            out.append(asset_text(piece))
        else:
            raise RuntimeError(f"{name} includes {piece!r}, which it may not")
    return "".join(out)


def manifest_schema_text() -> str:
    """The published JSON Schema of ``manifest.json`` (generated from the model)."""
    return resources.files("superapp.bundles").joinpath("manifest.schema.json").read_text("utf-8")


def samples_root() -> Path:
    """The folder holding the sample mini-apps.

    A folder on disk is needed because samples are packed from folders; every way we ship
    (wheel, editable install, PyInstaller one-folder build) keeps package data as real files.

    Raises:
        RuntimeError: the package is imported from somewhere that keeps no real files (a zip).
    """
    root = resources.files("superapp.samples")
    if not isinstance(root, Path):
        raise RuntimeError(f"the sample mini-apps are not on the file system ({root!r})")
    return root


def template_names() -> list[str]:
    """The templates ``superapp new`` offers: folders of ``superapp.templates`` holding a
    ``template.json``."""
    root = resources.files("superapp.templates")
    return sorted(
        node.name
        for node in root.iterdir()
        if node.is_dir() and node.joinpath("template.json").is_file()
    )


def template_text(template: str, name: str) -> str:
    """The text of file ``name`` of ``template`` (``template.json`` or a file it lists)."""
    return resources.files("superapp.templates").joinpath(template, name).read_text("utf-8")
