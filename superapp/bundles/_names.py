"""Rules for the names of files inside a bundle.

A bundle's files are served from memory and never extracted, but a name still reaches URLs,
the launcher and (for the icon) a file name, so the rules are strict and the same for packing
a folder and for verifying a ``.sapp``:

- a relative POSIX path of ``/``-separated parts; no leading ``/``, no empty, ``.`` or ``..``
  part, no trailing ``/`` (folders are implied, never entries);
- no backslash, no ``:`` (drive letters, NTFS streams), no control characters, no NUL;
- Unicode in NFC form (so ``é`` has one spelling), at most ``max_name_bytes`` UTF-8 bytes and
  ``max_path_depth`` parts;
- the ``META-INF/`` folder is the host's (it holds the signature), whatever its case.

Two names that differ only by case (after Unicode case folding) collide: they would be one file
on a case-insensitive disk and one URL to some servers.
"""

from __future__ import annotations

import unicodedata

from superapp.bundles._limits import BundleLimits

__all__ = ["RESERVED_FOLDER", "collision_key", "name_problem"]

#: The host's folder inside a bundle; app files may not use it (any case).
RESERVED_FOLDER = "META-INF/"


def name_problem(name: str, limits: BundleLimits, *, reserved_ok: bool = False) -> str | None:
    """Return why ``name`` is not an acceptable bundle path, or ``None`` if it is."""
    if not name:
        return "empty name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/"):
        return "absolute path"
    if ":" in name:
        return "':' in name (drive letter or stream)"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return "control character in name"
    if name.endswith("/"):
        return "folder entry"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "empty, '.' or '..' path part"
    if unicodedata.normalize("NFC", name) != name:
        return "name is not in Unicode NFC form"
    if len(name.encode("utf-8", "surrogatepass")) > limits.max_name_bytes:
        return f"name longer than {limits.max_name_bytes} bytes"
    if len(parts) > limits.max_path_depth:
        return f"path deeper than {limits.max_path_depth} parts"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid Unicode"
    if not reserved_ok and name.upper().startswith(RESERVED_FOLDER):
        return f"the {RESERVED_FOLDER} folder is reserved for the host"
    return None


def collision_key(name: str) -> str:
    """The key under which two names count as the same file (case- and form-insensitive)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", name).casefold())
