"""Where an app's files come from: a verified bundle held in memory, or a dev folder.

``BundleSource`` serves only bytes that were verified against the signature when the
runtime started, straight from memory, so a file changed on disk after the check is never
served (no time-of-check/time-of-use gap). ``DirSource`` (developer mode) reads a folder and
refuses anything that resolves outside it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from typing import Protocol

__all__ = ["AppSource", "BundleSource", "DirSource", "content_type", "normalise_path"]

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
    ".map": "application/json",
}


def content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def normalise_path(url_path: str, entry_page: str) -> str | None:
    """Map a decoded URL path to a bundle entry name, or ``None`` if it is not a safe name."""
    if "\\" in url_path or "\x00" in url_path:
        return None
    parts = [p for p in url_path.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    return "/".join(parts) if parts else entry_page


class AppSource(Protocol):
    def read(self, name: str) -> bytes | None:
        """The bytes of bundle entry ``name``, or ``None`` when there is no such file."""


class BundleSource:
    def __init__(self, files: dict[str, bytes]) -> None:
        self._files = files

    def read(self, name: str) -> bytes | None:
        return self._files.get(name)


class DirSource:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def read(self, name: str) -> bytes | None:
        path = (self._root / name).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return None
        # A symlink inside the folder pointing elsewhere resolves outside and is refused above.
        return path.read_bytes()
