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
