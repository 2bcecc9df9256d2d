"""Import maps declared in the manifest (``"superapp": {"importmap": "importmap.json"}``).

Chromium reads an import map only from an inline ``<script type="importmap">``, and an app's
Content-Security-Policy refuses every inline script, so a page cannot carry its own. Instead
the manifest names a JSON file in the bundle (signed with the rest); the host checks it here
(``pack``, ``install``, ``dev``, and again at every launch) and the runtime writes it into
each HTML page it serves, allowed by a nonce fresh per response and pinned to its exact text
by a hash (``superapp.runtime._page``).

Rules, in the order they are checked:

1. the file is at most ``ImportMapLimits.max_bytes`` of UTF-8 JSON, an object with only
   ``imports`` and/or ``scopes`` (``integrity`` and anything else are refused: the bundle's
   signature already covers every file);
2. ``imports`` maps specifiers (non-empty text, no control characters) to targets;
   ``scopes`` maps a scope to such an ``imports`` object;
3. every target and scope is a *relative* URL (``./``, ``../`` or ``/``) that resolves inside
   the bundle, relative to the import map file itself. Absolute URLs are refused: ``data:``,
   ``blob:`` and ``javascript:`` would run code no signature covers, and ``https:`` module
   scripts from anywhere, allowlisted hosts included, are refused by the app's CSP
   (``script-src 'self'``), so such a map could never work;
4. a specifier ending in ``/`` maps to a target ending in ``/`` (the import-map rule); a
   target naming a file must name one in the bundle, a folder target one with files in it
   (checked when the bundle's file list is known).

The runtime emits targets as absolute ``app://<app_id>/…`` URLs, so the same map works for
pages in sub-folders.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from superapp.bundles._limits import DEFAULT_LIMITS
from superapp.bundles._names import name_problem
from superapp.core.errors import ManifestError
from superapp.core.strictjson import refuse_constants

__all__ = ["DEFAULT_IMPORTMAP_LIMITS", "ImportMap", "ImportMapLimits", "parse_import_map"]

_KEYS: Final = frozenset({"imports", "scopes"})


@dataclass(frozen=True)
class ImportMapLimits:
    #: The file's size: a map lists module names, never code.
    max_bytes: int = 64 * 1024
    #: Specifier → target entries, over ``imports`` and every scope together.
    max_entries: int = 1024
    max_scopes: int = 64
    #: Characters of one specifier or target.
    max_text: int = 512


DEFAULT_IMPORTMAP_LIMITS: Final = ImportMapLimits()


@dataclass(frozen=True)
class ImportMap:
    """A checked import map: specifiers → bundle paths (a folder path ends in ``/``)."""

    imports: Mapping[str, str]
    scopes: Mapping[str, Mapping[str, str]]

    def render(self, origin: str) -> str:
        """The map as the script text the runtime injects, targets absolute under ``origin``
        (``app://<app_id>``). ASCII only, and ``<`` escaped, so the text can neither end the
        ``<script>`` element nor be read differently under another encoding."""

        def url(path: str) -> str:
            return f"{origin}/{quote(path, safe='/')}"

        doc: dict[str, Any] = {"imports": {k: url(v) for k, v in self.imports.items()}}
        if self.scopes:
            doc["scopes"] = {
                url(scope): {k: url(v) for k, v in entries.items()}
                for scope, entries in self.scopes.items()
            }
        text = json.dumps(doc, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fail(where: str, message: str) -> ManifestError:
    return ManifestError(f"{where}: {message}")


def _text(value: object, where: str, limits: ImportMapLimits) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, "must be non-empty text")
    if len(value) > limits.max_text:
        raise _fail(where, f"longer than {limits.max_text} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise _fail(where, "control characters are not allowed")
    return value


def _resolve(target: str, base_dir: str, where: str) -> str:
    """``target`` (relative URL) as a bundle path; a folder path keeps its trailing ``/``."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        raise _fail(
            where,
            f"{target!r} is not inside the bundle: only relative URLs ('./x.js', '../x/', "
            "'/x.js') are allowed. data:, blob: and javascript: URLs are refused, and remote "
            "module scripts are refused by the app's CSP (script-src 'self'): vendor the "
            "module into the bundle",
        )
    if parts.query or parts.fragment:
        raise _fail(where, f"{target!r}: no query or fragment (bundle files are static)")
    if not target.startswith(("./", "../", "/")):
        raise _fail(where, f"{target!r} must start with './', '../' or '/'")
    path = unquote(parts.path)
    folder = path.endswith("/")
    joined = path if path.startswith("/") else posixpath.join("/", base_dir, path)
    normal = posixpath.normpath(joined)
    if normal.startswith("//"):  # posixpath keeps a leading '//'
        normal = "/" + normal.lstrip("/")
    # normpath drops '..' past the root silently; count it as leaving the bundle.
    if _escapes(joined):
        raise _fail(where, f"{target!r} leads outside the bundle")
    rel = normal.lstrip("/")
    if not rel:
        if folder:
            return ""  # the bundle's root folder
        raise _fail(where, f"{target!r} names no file")
    problem = name_problem(rel, DEFAULT_LIMITS)
    if problem:
        raise _fail(where, f"{target!r} is not a bundle path: {problem}")
    return rel + "/" if folder else rel


def _escapes(path: str) -> bool:
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _entries(
    value: object, where: str, base_dir: str, limits: ImportMapLimits, files: Collection[str] | None
) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(where, "must be a JSON object of specifier → URL")
    out: dict[str, str] = {}
    for spec, target in value.items():
        at = f"{where}[{spec!r}]"
        _text(spec, at, limits)
        target = _text(target, at, limits)
        path = _resolve(target, base_dir, at)
        if spec.endswith("/") and not path.endswith("/") and path:
            raise _fail(at, f"a specifier ending in '/' needs a target ending in '/' ({target!r})")
        if files is not None:
            _check_exists(path, files, at, target)
        out[spec] = path
    return out


def _check_exists(path: str, files: Collection[str], where: str, target: str) -> None:
    if path == "" or path.endswith("/"):
        if not any(name.startswith(path) for name in files):
            raise _fail(where, f"{target!r}: no file of the bundle is in that folder")
    elif path not in files:
        raise _fail(where, f"{target!r}: file {path!r} is not in the bundle")


def parse_import_map(
    data: bytes,
    map_path: str,
    files: Collection[str] | None = None,
    limits: ImportMapLimits = DEFAULT_IMPORTMAP_LIMITS,
) -> ImportMap:
    """Check the import map file ``map_path`` (its bytes ``data``); see the module's rules.

    ``files``: the bundle's file names, to check that targets exist (``None`` skips that).

    Raises:
        ManifestError: one line naming the file, the entry and the problem.
    """
    where = map_path
    if len(data) > limits.max_bytes:
        raise _fail(where, f"larger than {limits.max_bytes} bytes")
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise _fail(where, f"not a UTF-8 JSON file ({err})") from None
    except RecursionError:
        raise _fail(where, "nested too deeply") from None
    if not isinstance(doc, dict):
        raise _fail(where, "the top level must be a JSON object with 'imports'")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise _fail(
            where, f"unknown key {unknown[0]!r} (an import map here has 'imports' and 'scopes')"
        )
    base_dir = posixpath.dirname(map_path)
    imports = _entries(doc.get("imports", {}), f"{where}: imports", base_dir, limits, files)
    raw_scopes = doc.get("scopes", {})
    if not isinstance(raw_scopes, dict):
        raise _fail(where, "scopes must be a JSON object of scope → imports")
    if len(raw_scopes) > limits.max_scopes:
        raise _fail(where, f"more than {limits.max_scopes} scopes")
    scopes: dict[str, dict[str, str]] = {}
    count = len(imports)
    for scope, entries in raw_scopes.items():
        at = f"{where}: scopes[{scope!r}]"
        key = _resolve(_text(scope, at, limits), base_dir, at)
        scopes[key] = _entries(entries, at, base_dir, limits, files)
        count += len(scopes[key])
    if count > limits.max_entries:
        raise _fail(where, f"more than {limits.max_entries} entries")
    if not imports and not scopes:
        raise _fail(where, "maps nothing ('imports' is empty)")
    return ImportMap(imports, scopes)


_no_constant = refuse_constants()
