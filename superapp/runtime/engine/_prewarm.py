"""The app's future page, prepared while the runtime is warm (issue 16, warm launch).

Made while the runtime is still generic, with nothing of any app:

1. a **new off-the-record profile** (no name: nothing on disk), with the app-independent
   hardening ``_qt.harden_profile`` applies on every path (settings, permission policy);
2. an ``AppPage`` on it bound to a spec that refuses everything (every navigation, popup,
   permission and dialog) and belongs to no app.

The page is **not** initialised: it has no frame, no renderer and no document until ``bind``,
when ``_qt.install`` binds it to the app's spec, puts the app's interceptor, ``app:`` handler,
scripts and channel on it and loads the app's page. A renderer started ahead on the page's
initial empty document would not be reused (measured, bench/RESULTS.md "Warm launch
breakdown"): the app's documents carry ``Cross-Origin-Opener-Policy: same-origin``, so Chromium
swaps to a new browsing context group, and a new renderer, at the first navigation. Reuse would
need ``--renderer-process-limit=1``, which would also put a dual-mode app's view and its logic
page (same site) into one process: not made (docs/pool.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWebEngineCore import QWebEngineProfile

from superapp.runtime._guard import RequestGuard
from superapp.runtime._source import BundleSource
from superapp.runtime.engine import _qt

__all__ = ["PROFILE_NAME", "UNBOUND_APP_ID", "PreparedPage", "persistent_profile", "prepare_page"]

_log = logging.getLogger(__name__)
#: The app id of the spec a prepared page holds until ``bind``: not a valid app id (an app id
#: starts with a letter, ``superapp.core.paths.APP_ID_RE``), so no app's origin is "own" to it.
UNBOUND_APP_ID = "-unbound-"
#: The storage name of a ``persistent`` app's profile in a generic runtime. One app per
#: runtime (single use), so one name is enough; its folders are set explicitly (below).
PROFILE_NAME = "superapp-app"


@dataclass(frozen=True)
class _Refused:
    allowed: bool = False
    rule: str = "unbound"
    reason: str = "this runtime is not bound to an app yet"


class _RefuseAll:
    def decide(self, url: str, *, kind: str, top_level: bool) -> _Refused:
        return _Refused()


def _unbound_audit(action: str, **fields: object) -> None:
    # Nothing reaches an unbound page (it loads nothing); if something did, it is refused and
    # the runtime's log says so (there is no app to audit it under).
    _log.warning("unbound page refused %s", action)


def _unbound_spec() -> _qt.WindowSpec:
    """The spec of a page that belongs to no app: it refuses everything."""
    return _qt.WindowSpec(
        app_id=UNBOUND_APP_ID,
        title="",
        entry_page="index.html",
        source=BundleSource({}),
        policy=_RefuseAll(),
        guard=RequestGuard(_unbound_audit),
        dispatch=lambda raw: "",
        is_granted=lambda cap: False,
    )


@dataclass(frozen=True)
class PreparedPage:
    """A profile and a page no app has used (see the module docstring)."""

    profile: QWebEngineProfile
    page: _qt.AppPage


def prepare_page(view: Any) -> PreparedPage:
    """On the GUI thread, while warm: a new off-the-record profile and an unbound ``AppPage``
    on it. ``view``: pywebview's window (``BrowserView``), which holds the profile; its web
    view holds the page (as it holds the page ``install`` makes)."""
    profile = QWebEngineProfile(view)  # no storage name: off the record
    _qt.harden_profile(profile)
    return PreparedPage(profile, _qt.AppPage(profile, view.webview, _unbound_spec()))


def persistent_profile(view: Any, folder: Path) -> QWebEngineProfile:
    """On the GUI thread, at ``bind`` of a ``persistent`` app in a generic runtime: a NAMED
    profile whose storage and cache are ``folder`` (``<slot>/app/webview``, the app's own
    profile folder the host moved into the slot, ``superapp.host._slotmove``), hardened as
    the prepared profile is. ``install`` then puts the app's interceptor, ``app:`` handler and
    permissions on it and keeps its HTTP cache in memory (``_check_engine_storage``).

    The folder was moved in by the host, so it is the app's own (never another's: the host
    moves only the bound app's); nothing is made outside it. Chromium flushes it (cookies,
    localStorage) when the engine shuts down at the end of the GUI loop, before the process
    exits and the host moves the folder home (tests/test_persistent_profile.py). Do not
    delete it and end the process at once: a deleted profile is closed asynchronously, and a
    cookie set just before was measured lost that way."""
    folder.mkdir(mode=0o700, exist_ok=True)
    profile = QWebEngineProfile(PROFILE_NAME, view)
    profile.setPersistentStoragePath(str(folder))
    profile.setCachePath(str(folder / "cache"))
    if profile.isOffTheRecord():
        raise RuntimeError("the app's persistent engine profile came up off the record")
    _qt.harden_profile(profile)
    return profile
