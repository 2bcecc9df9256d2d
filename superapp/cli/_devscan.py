"""``superapp dev``: the analyser's warnings for the folder, on standard error (issue 15 point 6).

``validate``, ``pack`` and ``install`` print what the app's CSP or the engine will refuse ("will
not run here", with the fix); ``dev`` prints the same lines when it starts, and again after a
saved change alters them, so a developer who never runs ``validate`` still reads why an inline
``<script>`` does nothing. The scan is ``validate``'s (``validate_dir``: the files ``pack``
collects, the manifest's ``allowed_hosts``); every line is escaped (``finding_line``) because it
quotes the folder's code. A folder mid-edit (a broken manifest, a file too large) prints nothing
here: ``validate`` explains those, and the runtime's own reload still happens.

The watcher is ``watchfiles``, like the runtime's live reload, but in this process: the runtime
is confined and holds no analyser, and a scan of a few hundred kilobytes is milliseconds.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TextIO

from superapp.cli._findings import finding_line
from superapp.core.errors import SuperappError

__all__ = ["dev_findings", "print_dev_findings", "watch_dev_findings"]

#: Debounce of the watcher (as the runtime's reload: one scan per burst of saves).
_DEBOUNCE_MS = 150


def dev_findings(src: Path) -> list[str]:
    """The escaped warning and error lines the analyser has for the folder ``src``."""
    from superapp.cli._validate import validate_dir

    report = validate_dir(src).report
    if report is None:
        return []
    return [finding_line(f) for f in report.findings if f.severity in ("block", "warn")]


def print_dev_findings(lines: list[str], stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stderr
    for line in lines:
        print(f"superapp: {line}", file=out)
    if lines:
        print(
            f"superapp: {len(lines)} warning(s): the code above will not work as written "
            "(docs/rules.md; 'superapp validate' shows them again)",
            file=out,
            flush=True,
        )


def watch_dev_findings(src: Path, shown: list[str], stop: threading.Event) -> threading.Thread:
    """Rescan ``src`` after every batch of saved changes; print the lines when they differ
    from the last ones printed (``shown``, what ``dev`` printed at start)."""
    from watchfiles import watch

    last = list(shown)

    def run() -> None:
        nonlocal last
        for _changes in watch(
            src.resolve(), stop_event=stop, debounce=_DEBOUNCE_MS, yield_on_timeout=False
        ):
            try:
                lines = dev_findings(src)
            except (OSError, SuperappError):  # the folder moved or went mid-edit: wait for more
                lines = last
            if lines != last:
                if not lines:
                    print("superapp: the analyser has no more warnings", file=sys.stderr)
                print_dev_findings(lines)
                last = lines

    thread = threading.Thread(target=run, name="dev-scan", daemon=True)
    thread.start()
    return thread
