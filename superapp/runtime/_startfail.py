"""A runtime's start failure, said so that a rare one can be diagnosed after the fact.

The host gets one ``cannot start: …`` notice (the app's error and the audit's ``app.crashed``
reason); the runtime's standard error (the host's terminal, a CI log) gets the traceback.
An import failure also says what the import system saw, because a pooled runtime once failed
with ``No module named '_cffi_backend'`` and it never came back in 30+ runs: was a folder of
the import path unreadable (Landlock, permissions), the file absent (an install under way in
the same environment), or only the finder's cached listing stale? The notice carries counts,
no folder names (it is shown in the launcher); standard error names the folders.
"""

from __future__ import annotations

import errno
import logging
import os
import sys

__all__ = ["import_diagnosis", "start_failure"]

_log = logging.getLogger("superapp.runtime")


def start_failure(err: BaseException) -> str:
    """The ``cannot start`` notice for ``err``; its traceback (and, for an import, what each
    folder of the import path holds) goes to standard error first."""
    _log.error("cannot start", exc_info=err)
    text = f"cannot start: {err}"
    if isinstance(err, ImportError) and err.name:
        summary, details = import_diagnosis(err.name)
        for line in details:
            _log.error("import path: %s", line)
        text += f" ({summary})"
    return text


def _matches(names: object, top: str) -> bool:
    if not isinstance(names, set | frozenset | list):
        return False
    return any(isinstance(n, str) and (n == top or n.startswith(top + ".")) for n in names)


def import_diagnosis(name: str) -> tuple[str, list[str]]:
    """A path-free summary and one line per ``sys.path`` folder: readable or why not, whether
    ``name``'s top-level module is there on disk now, and in the finder's cached listing."""
    top = name.partition(".")[0]
    unreadable = on_disk = cached = 0
    details: list[str] = []
    for entry in list(sys.path):
        try:
            here = _matches(os.listdir(entry or "."), top)
        except OSError as err:
            unreadable += 1
            code = errno.errorcode.get(err.errno or 0, str(err.errno))
            details.append(f"{entry!r}: unreadable ({code})")
            continue
        # FileFinder keeps the folder's listing until the folder's mtime changes (a private
        # attribute: read for this diagnosis only, absent on other finders).
        finder = sys.path_importer_cache.get(entry)
        listing = getattr(finder, "_path_cache", None)
        known = _matches(listing, top)
        on_disk += here
        cached += known
        details.append(f"{entry!r}: on disk {here}, in the finder's listing {known}")
    summary = (
        f"import path: {len(details)} folders, {unreadable} unreadable; {top!r} on disk in "
        f"{on_disk}, in a finder's cached listing in {cached}"
    )
    return summary, details
