"""The launcher page's bridge: a fixed set of methods, each validating its arguments."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from superapp.errors import SuperappError
from superapp.paths import Paths, is_valid_app_id
from superapp.supervisor import Supervisor

__all__ = ["LauncherApi"]

_log = logging.getLogger("superapp.launcher")
_ICON_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
}
_MAX_ICON = 512 * 1024


def _icon_data_url(path: Path | None) -> str | None:
    if path is None or not path.is_file() or path.stat().st_size > _MAX_ICON:
        return None
    mime = _ICON_TYPES.get(path.suffix.lower())
    if mime is None:
        return None
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def _result(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        out = fn()
    except SuperappError as err:
        return {"ok": False, "error": str(err)}
    except Exception:  # the page gets no traceback; the log does
        _log.exception("launcher action failed")
        return {"ok": False, "error": "internal error (see the host log)"}
    return {"ok": True, **(out or {})}


class LauncherApi:
    """Methods the launcher page may call (pywebview exposes public methods only)."""

    def __init__(
        self, paths: Paths, supervisor: Supervisor, pick_file: Callable[[], str | None]
    ) -> None:
        self._paths = paths
        self._supervisor = supervisor
        self._pick_file = pick_file

    def list_apps(self) -> list[dict[str, Any]]:
        from superapp import registry

        rows = []
        for app in registry.list_apps(self._paths):
            state, detail = self._supervisor.state(app.app_id)
            running = self._supervisor.get(app.app_id)
            rows.append(
                {
                    "app_id": app.app_id,
                    "name": app.name,
                    "version_name": app.version_name,
                    "version_code": app.version_code,
                    "publisher": app.publisher_name,
                    "icon_data_url": _icon_data_url(app.icon_path),
                    "state": state.value,
                    "state_detail": detail,
                    "dev_mode": bool(running and running.dev_src is not None),
                }
            )
        return rows

    def launch(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}
        from superapp import registry

        def go() -> None:
            registry.get_app(self._paths, app_id)
            self._supervisor.launch(app_id)

        return _result(go)

    def stop(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}
        return _result(lambda: self._supervisor.stop(app_id))

    def install_dialog(self) -> dict[str, Any]:
        from superapp import bundles

        def go() -> dict[str, Any]:
            chosen = self._pick_file()
            if not chosen:
                return {"cancelled": True}
            app = bundles.install_bundle(self._paths, Path(chosen).read_bytes())
            return {"app_id": app.app_id}

        return _result(go)

    def grants(self, app_id: object) -> list[dict[str, Any]]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return []
        from superapp import registry
        from superapp.grants import GrantStore

        try:
            app = registry.get_app(self._paths, app_id)
        except SuperappError:
            return []
        declared = sorted(app.declared_capabilities)
        with GrantStore(self._paths.registry_db) as store:
            return [
                {
                    "capability": cap,
                    "granted": store.effective(app_id, cap, declared),
                    "reason": app.capability_reasons.get(cap, "")
                    if hasattr(app, "capability_reasons")
                    else "",
                }
                for cap in declared
            ]

    def revoke_grant(self, app_id: object, capability: object) -> dict[str, Any]:
        if not (
            isinstance(app_id, str) and is_valid_app_id(app_id) and isinstance(capability, str)
        ):
            return {"ok": False, "error": "invalid arguments"}
        from superapp.grants import GrantStore

        def go() -> None:
            with GrantStore(self._paths.registry_db) as store:
                store.revoke(app_id, capability)

        return _result(go)
