"""What stands in front of the dispatcher in the runtime, Qt-free: error replies the runtime
writes itself, and the revocation gate.

When the platform revokes a running app, the host sends ``terminate`` with ``revoked=True``
and the runtime closes its window; a call the page makes in between must not run. The gate
answers it ``REVOKED`` (the wire code the API documents for this) and audits it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["RevocationGate", "error_reply"]

REVOKED_MESSAGE = "this app was switched off by the platform"


def error_reply(raw: str, code: str, message: str) -> str:
    """An error reply for ``raw`` carrying its id when one can be read."""
    req_id: object = None
    try:
        obj = json.loads(raw)
        if isinstance(obj, dict) and isinstance(obj.get("id"), int):
            req_id = obj["id"]
    except ValueError:
        pass
    return json.dumps({"id": req_id, "ok": False, "error": {"code": code, "message": message}})


class RevocationGate:
    def __init__(self, dispatch: Callable[[str], str], audit: Callable[..., Any]) -> None:
        self._dispatch = dispatch
        self._audit = audit
        self.revoked = False

    def revoke(self) -> None:
        self.revoked = True

    def __call__(self, raw: str) -> str:
        if self.revoked:
            self._audit("bridge.denied", outcome="failure", reason=REVOKED_MESSAGE, code="REVOKED")
            return error_reply(raw, "REVOKED", REVOKED_MESSAGE)
        return self._dispatch(raw)
