"""A revoked app's calls are refused ``REVOKED`` until its window closes (the runtime's gate in
front of the dispatcher; the host's side is tests/host: ``terminate`` carries ``revoked``)."""

from __future__ import annotations

import json
from typing import Any

from superapp.runtime._door import RevocationGate


def test_calls_after_revocation_are_refused_revoked_and_audited() -> None:
    dispatched: list[str] = []
    audited: list[tuple[str, dict[str, Any]]] = []

    def dispatch(raw: str) -> str:
        dispatched.append(raw)
        return json.dumps({"id": 1, "ok": True, "result": None})

    gate = RevocationGate(dispatch, lambda action, **fields: audited.append((action, fields)))
    assert json.loads(gate('{"id":1,"api":"app.info","params":{}}'))["ok"] is True
    gate.revoke()
    reply = json.loads(gate('{"id":2,"api":"storage.set","params":{"key":"k","value":1}}'))
    assert reply == {
        "id": 2,
        "ok": False,
        "error": {"code": "REVOKED", "message": "this app was switched off by the platform"},
    }
    assert len(dispatched) == 1  # the refused call never reached the dispatcher
    assert audited == [
        (
            "bridge.denied",
            {"outcome": "failure", "reason": "this app was switched off by the platform",
             "code": "REVOKED"},
        )
    ]  # fmt: skip
