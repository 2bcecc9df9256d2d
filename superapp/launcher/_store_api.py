"""The launcher's store view (issue 17): the repository's apps, install, update, roll back.

Every answer is built from verified repository metadata and the registry; text that came from
a manifest is ``safe_text`` (the page shows it with ``textContent``). Updates that declare new
capabilities are not installed from here: they wait and are offered, with the diff, through
the host's consent prompt at the app's next launch.
"""

from __future__ import annotations

import logging
from typing import Any

from superapp.audit import safe_text
from superapp.core.errors import SuperappError
from superapp.core.paths import Paths, is_valid_app_id
from superapp.host import Supervisor

__all__ = ["StoreApi"]

_log = logging.getLogger("superapp.launcher")


class StoreApi:
    _paths: Paths
    _supervisor: Supervisor

    def _store(self) -> Any:
        from superapp.fleet import Store

        return Store(self._paths, self._supervisor.policy(), self._supervisor.audit)

    def _guard(self, fn: Any) -> dict[str, Any]:
        try:
            return {"ok": True, **fn()}
        except SuperappError as err:
            return {"ok": False, "error": safe_text(str(err))}
        except Exception:
            _log.exception("store action failed")
            return {"ok": False, "error": "internal error (see the host log)"}

    def store_list(self) -> dict[str, Any]:
        if self._supervisor.policy().fleet.repository is None:
            return {"ok": True, "enabled": False, "apps": []}

        def go() -> dict[str, Any]:
            store = self._store()
            with store.client.session() as session:
                rows = store.catalog(session)
            return {
                "enabled": True,
                "apps": [
                    {
                        "app_id": app_id,
                        "name": safe_text(name),
                        "installed": have,
                        "available": want,
                    }
                    for app_id, name, have, want in rows
                ],
            }

        return self._guard(go)

    def store_install(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}

        def go() -> dict[str, Any]:
            outcome = self._store().install(app_id, None)
            return {"status": outcome.status, "message": safe_text(outcome.message)}

        return self._guard(go)

    def store_rollback(self, app_id: object) -> dict[str, Any]:
        if not isinstance(app_id, str) or not is_valid_app_id(app_id):
            return {"ok": False, "error": "invalid app id"}

        def go() -> dict[str, Any]:
            outcome = self._store().rollback(app_id)
            return {"status": outcome.status, "message": safe_text(outcome.message)}

        return self._guard(go)
