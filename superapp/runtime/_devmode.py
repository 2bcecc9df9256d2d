"""Developer mode's extras in the runtime (``superapp dev``): live reload and DevTools.

Qt-free: the watcher runs on its own thread and asks the engine (``engine._devtools``) to
reload through a callback. Nothing here widens what the app may do: the folder is served by
the same scheme handler, through the same guards, as an installed bundle.

Live reload: ``watchfiles`` (inotify through Rust's ``notify``; well kept, debounced) reports
changed files under the app's folder; every batch reloads the page once, writes a
``dev.reload`` audit event and one ``superapp: reloaded …`` line on standard output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from superapp.audit import safe_text
from superapp.net import LocalOrigin

__all__ = ["DevOptions", "local_authorities", "start_watcher"]


def local_authorities(origins: tuple[LocalOrigin, ...]) -> tuple[str, ...]:
    """``host:port`` of each origin, as the CSP's ``http://`` sources want them."""
    return tuple(f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}" for ip, port in origins)


@dataclass(frozen=True)
class DevOptions:
    """What ``superapp dev`` asked of this runtime (its ``--watch``/``--devtools`` flags)."""

    #: The app's folder (the one the scheme handler serves).
    folder: Path | None = None
    watch: bool = False
    devtools: bool = False
    #: ``--allow-local``: loopback http origins the page may reach (``net._devlocal``).
    allow_local: tuple[LocalOrigin, ...] = ()
    #: Debounce of the watcher: edits closer together than this are one reload.
    debounce_ms: int = 150


#: Editor droppings that must not reload the page on their own.
_IGNORED_SUFFIXES = (".swp", ".swx", "~", ".tmp")


def _relevant(path: str) -> bool:
    name = Path(path).name
    return not (name.startswith(".#") or name.endswith(_IGNORED_SUFFIXES))


def start_watcher(
    folder: Path,
    options: DevOptions,
    reload: Callable[[], None],
    audit: Callable[[list[str]], None],
    stop: threading.Event,
) -> threading.Thread:
    """Watch ``folder``; on every batch of relevant changes call ``audit`` (the changed names,
    relative to the folder) and ``reload``. Returns the started daemon thread."""
    from watchfiles import watch

    root = folder.resolve()

    def run() -> None:
        for changes in watch(
            root, stop_event=stop, debounce=options.debounce_ms, yield_on_timeout=False
        ):
            names = sorted(
                {str(Path(p).resolve().relative_to(root)) for _kind, p in changes if _relevant(p)}
            )
            if not names:
                continue
            audit(names)
            # File names are the developer's, but still escaped: they reach a terminal.
            shown = ", ".join(safe_text(n) for n in names[:5]) + (" …" if len(names) > 5 else "")
            print(f"superapp: reloaded after changes to {shown}", flush=True)
            reload()

    thread = threading.Thread(target=run, name="dev-watch", daemon=True)
    thread.start()
    return thread
