"""``.sappignore``: files of an app folder that ``pack`` leaves out (``validate`` and ``dev``'s
folder check read the folder through the same ``collect_files``).

A small, predictable subset of ``.gitignore``, read from the folder's top level only:

* one pattern per line; blank lines and lines starting with ``#`` are ignored;
* ``*`` matches within one path segment, ``?`` one character, ``**`` any number of segments;
* a pattern ending in ``/`` matches folders only (and so everything under them);
* a pattern with a ``/`` elsewhere is anchored at the app folder (``/`` at the start is
  dropped); without one it matches the name at any depth (``*.map``, ``node_modules/``);
* ``!`` (re-including) is refused with a clear message rather than half-supported.

Names starting with ``.`` are always left out (``.git``, ``.sappignore`` itself).
``manifest.json`` cannot be ignored: a bundle without it is no bundle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from superapp.core.errors import BundleError

__all__ = ["IGNORE_FILE", "IgnoreRules", "load_ignore", "parse_ignore"]

IGNORE_FILE: Final = ".sappignore"
_MAX_BYTES: Final = 64 * 1024


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    folders_only: bool
    anchored: bool


@dataclass(frozen=True)
class IgnoreRules:
    """The parsed patterns; ``ignores(rel, is_dir)`` answers for one bundle path."""

    rules: tuple[_Rule, ...] = ()

    def ignores(self, rel: str, *, is_dir: bool) -> bool:
        if rel == "manifest.json":
            return False
        name = rel.rsplit("/", 1)[-1]
        for rule in self.rules:
            if rule.folders_only and not is_dir:
                continue
            target = rel if rule.anchored else name
            if rule.regex.fullmatch(target):
                return True
        return False


def parse_ignore(text: str, source: str = IGNORE_FILE) -> IgnoreRules:
    """Parse ``.sappignore`` text.

    Raises:
        BundleError: a ``!`` pattern, naming the line.
    """
    rules: list[_Rule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise BundleError(
                f"{source}:{number}: '!' patterns (re-including a file) are not supported; "
                "list only what to leave out"
            )
        folders_only = line.endswith("/")
        body = line.rstrip("/")
        anchored = "/" in body
        body = body.lstrip("/")
        if not body:
            continue
        rules.append(_Rule(re.compile(_translate(body)), folders_only, anchored))
    return IgnoreRules(tuple(rules))


def load_ignore(root: Path) -> IgnoreRules:
    """The rules of ``root/.sappignore`` (none when there is no such file).

    Raises:
        BundleError: unreadable, not UTF-8, too large, or holding a ``!`` pattern.
    """
    path = root / IGNORE_FILE
    if path.is_symlink():
        raise BundleError(f"{path}: symlinks are not allowed")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return IgnoreRules()
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise BundleError(f"{path} is larger than {_MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{path} is not UTF-8 text") from None
    return parse_ignore(text, str(path))
