"""Connects the runtime's Qt layer to the host's pure-Python layers (policy, door, grants)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from superapp.runtime._app import LoadedApp, RuntimeApp

__all__ = ["grant_checker", "make_dispatch", "net_policy", "patch_pywebview"]

#: Chromium switches pywebview's Qt backend adds that we must not have. The fake media UI
#: auto-accepts camera/microphone prompts, which would bypass our permission hook.
_FORBIDDEN_FLAGS = frozenset({"--use-fake-ui-for-media-stream"})


def patch_pywebview() -> None:
    """Load pywebview's Qt backend and stop it from weakening the engine's configuration."""
    import webview.platforms.qt as qt_backend
    from webview import util

    def environ_append(key: str, *values: str, sep: str = " ") -> None:
        util.environ_append(key, *[v for v in values if v not in _FORBIDDEN_FLAGS], sep=sep)

    qt_backend.environ_append = environ_append


@dataclass(frozen=True)
class _Verdict:
    allowed: bool
    rule: str
    reason: str


class _OwnOriginOnly:
    def __init__(self, app_id: str) -> None:
        self._prefix = f"app://{app_id}/"

    def decide(self, url: str, *, kind: str, top_level: bool) -> _Verdict:
        if url.startswith(self._prefix) or url == f"app://{self._prefix[6:-1]}":
            return _Verdict(True, "own-origin", "")
        if url == "about:blank" and not top_level:
            return _Verdict(True, "about-blank", "")
        return _Verdict(False, "not-allowlisted", "not the app's origin or an allowed host")


def net_policy(app: LoadedApp) -> Any:
    return _OwnOriginOnly(app.app_id)


def make_dispatch(rt: RuntimeApp) -> Callable[[str], str]:
    def dispatch(raw: str) -> str:
        try:
            req_id = json.loads(raw).get("id")
        except (ValueError, AttributeError):
            req_id = None
        return json.dumps(
            {"id": req_id, "ok": False, "error": {"code": "UNKNOWN_API", "message": "no such api"}}
        )

    return dispatch


def grant_checker(rt: RuntimeApp) -> Callable[[str], bool]:
    return lambda capability: False
