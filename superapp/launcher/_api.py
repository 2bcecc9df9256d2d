"""The launcher page's bridge: a fixed set of methods, each validating its arguments."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from superapp.audit import safe_text
from superapp.core.errors import SuperappError
from superapp.core.paths import Paths, is_valid_app_id
from superapp.host import BACKGROUND_STATES, Supervisor
from superapp.launcher._store_api import StoreApi

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


class _AppsApi:
    """Installed apps: list, launch, stop, install, grants."""

    def __init__(
        self, paths: Paths, supervisor: Supervisor, pick_file: Callable[[], str | None]
    ) -> None:
        self._paths = paths
        self._supervisor = supervisor
        self._pick_file = pick_file

    def list_apps(self) -> list[dict[str, Any]]:
        from superapp.state import registry

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
                    "state_detail": safe_text(detail),
                    "dev_mode": bool(running and running.dev_src is not None),
                    "confinement_warning": _confinement_warning(running),
                }
            )
        return rows

    def launch(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}
        from superapp.state import registry

        def go() -> None:
            registry.get_app(self._paths, app_id)
            if self._supervisor.discarded.get(app_id) is not None:  # its runtime ended
                self._supervisor.discarded.resume(app_id, "resumed from the launcher", wait=False)
                return
            running = self._supervisor.get(app_id)
            if running is not None and running.state in BACKGROUND_STATES:
                self._supervisor.background.resume(app_id, cause="resumed from the launcher")
                return
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
        from superapp.state import registry
        from superapp.state.grants import GrantStore

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
        from superapp.state.grants import GrantStore

        def go() -> None:
            with GrantStore(self._paths.registry_db) as store:
                store.revoke(app_id, capability)

        return _result(go)


#: Audit actions shown as "recent denials" on the dashboard.
_DENIALS = ("bridge.denied", "net.blocked", "nav.blocked", "nav.popup_blocked", "permission.denied")
_MAX_AUDIT_ROWS = 300


def _audit_row(ev: Any) -> dict[str, Any]:
    """One row of the launcher's audit table. The page shows these as text (textContent),
    and every field is ``safe_text`` too: a bidi override or line separator from an app
    cannot reorder or break what the user reads."""
    extra = ev.get("superapp", {})
    event = ev.get("event", {})
    target = extra.get("api") or extra.get("url") or extra.get("metric") or ""
    return {
        "time": safe_text(str(ev.get("@timestamp", ""))[:19].replace("T", " ")),
        "app_id": safe_text(extra.get("app_id") or ""),
        "action": safe_text(event.get("action", "")),
        "outcome": safe_text(event.get("outcome", "")),
        "reason": safe_text(str(event.get("reason", ""))[:300]),
        "target": safe_text(str(target)[:300]),
    }


class _DashboardApi:
    """The launcher's live view: running apps, the audit log, revocations, storage."""

    _paths: Paths
    _supervisor: Supervisor

    def dashboard(self) -> dict[str, Any]:
        monitor = self._supervisor.monitor
        samples = monitor.latest() if monitor is not None else {}
        recent: dict[str, list[dict[str, Any]]] = {}
        for row in self.audit(None, None)[-200:]:
            if row["action"] in _DENIALS and row["app_id"]:
                recent.setdefault(row["app_id"], []).append(row)
        running = []
        for app in self._supervisor.running():
            sample = samples.get(app.app_id)
            running.append(
                {
                    "app_id": app.app_id,
                    "pid": app.pid,
                    "state": app.state.value,
                    "detail": safe_text(app.detail),
                    "cpu_percent": round(sample.cpu_percent, 1) if sample else None,
                    "memory_mb": round(sample.memory_bytes / 1e6) if sample else None,
                    "bridge_calls_per_s": round(sample.bridge_calls_per_s, 1) if sample else None,
                    "net_requests_per_s": round(sample.net_requests_per_s, 1) if sample else None,
                    "recent_denials": recent.get(app.app_id, [])[-5:],
                }
            )
        return {"running": running}

    def audit(self, app_id: object, action: object) -> list[dict[str, Any]]:
        app = app_id if isinstance(app_id, str) and is_valid_app_id(app_id) else None
        prefix = action.strip()[:100] if isinstance(action, str) and action.strip() else None
        rows = [_audit_row(ev) for ev in self._supervisor.audit.query(app_id=app, action=prefix)]
        return rows[-_MAX_AUDIT_ROWS:]

    def revocations(self) -> dict[str, Any]:
        from superapp.revocation import RevocationChecker

        policy = self._supervisor.policy()  # the host's, parsed once
        if policy.revocation.source is None:
            return {"enabled": False, "entries": []}
        status = RevocationChecker(self._paths, policy, audit=self._supervisor.audit).status()
        return {
            "enabled": True,
            "version": status.version,
            "stale": status.stale,
            "expires": status.expires.isoformat() if status.expires else None,
            "entries": [{"kind": r.kind, "what": r.describe()} for r in status.revocations],
        }

    def storage(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}
        from superapp.storage import read_usage

        return _result(lambda: {"usage": read_usage(self._paths, app_id).to_json()})

    def clear_storage(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}
        from superapp.core.errors import AppStateError
        from superapp.storage import clear_app_data

        def go() -> None:
            if self._supervisor.get(app_id) is not None:
                raise AppStateError("stop the app before clearing its data")
            clear_app_data(self._paths, app_id)

        return _result(go)


class LauncherApi(_AppsApi, _DashboardApi, StoreApi):
    """Every method the launcher page may call. pywebview exposes public methods only, and
    this object exists only in the host process: mini-app processes have no js_api at all."""


def _confinement_warning(app: Any) -> str:
    """Shown on a running app's card when an OS-level layer is missing (issue 14)."""
    layers: dict[str, dict[str, str]] = getattr(app, "confinement", None) or {}
    missing = [f"{name} {state['status']}" for name, state in layers.items()
               if state.get("status") != "on"]  # fmt: skip
    if not missing:
        return ""
    return safe_text("OS-level protection incomplete on this system: " + ", ".join(missing))
