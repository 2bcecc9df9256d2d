"""What the host does with a runtime's confinement report: audit every missing layer, keep the
report for ps and the launcher, refuse by policy; and its own check of the engine's sandbox."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.errors import PolicyError
from superapp.core.paths import Paths
from superapp.host import _confinement
from superapp.launcher._api import _confinement_warning
from superapp.policy import parse_policy
from superapp.protocol import Confinement, decode_message

APP = "com.example.host"


def _app(**extra: Any) -> Any:
    fields: dict[str, Any] = {"renderer_pid": None, "pid": os.getpid(), "sandbox": True}
    return SimpleNamespace(app_id=APP, confinement={}, **(fields | extra))


def _events(log: AuditLog, action: str) -> list[dict[str, Any]]:
    return [e for e in log.events() if e["event"]["action"] == action]


def _report(**layers: str) -> Confinement:
    return Confinement.model_validate(
        {"layers": {k: {"status": v, "detail": f"why {k}"} for k, v in layers.items()}}
    )


def test_every_missing_layer_is_audited_and_kept(
    superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    log = AuditLog(superapp_home.audit_log)
    app = _app()
    _confinement.record_confinement(
        log, app, _report(seccomp="on", landlock_fs="partial", landlock_net="unavailable")
    )
    events = _events(log, "confinement.layer_missing")
    assert sorted(e["superapp"]["layer"] for e in events) == ["landlock_fs", "landlock_net"]
    assert {e["event"]["reason"] for e in events} == {"why landlock_fs", "why landlock_net"}
    assert app.confinement["seccomp"] == {"status": "on", "detail": "why seccomp"}
    assert "confinement layer landlock_net is unavailable" in capsys.readouterr().err
    assert "landlock_fs partial" in _confinement_warning(app)


def test_layers_never_reported_count_as_off_at_first_load(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    app = _app()
    _confinement.record_confinement(log, app, _report(seccomp="on"))
    _confinement.on_loaded(log, app)
    assert app.confinement["landlock_fs"]["status"] == "off"
    assert app.confinement["engine_sandbox"]["status"] == "unavailable"  # no renderer named


def test_policy_requires_a_layer(superapp_home: Paths) -> None:
    policy = parse_policy('[confinement]\nrequire = ["landlock_fs"]\n')
    app = _app()
    app.confinement = {"landlock_fs": {"status": "partial", "detail": "old kernel"}}
    reason = _confinement.refusal(policy, app)
    assert reason is not None
    assert "landlock_fs is required but partial" in reason and "old kernel" in reason
    app.confinement["landlock_fs"]["status"] = "on"
    assert _confinement.refusal(policy, app) is None


def test_require_all_names_every_layer() -> None:
    policy = parse_policy("[confinement]\nrequire_all = true\n")
    assert "engine_sandbox" in policy.confinement.required()
    assert "seccomp" in policy.confinement.required()


def test_unknown_layer_in_policy_is_a_clear_error() -> None:
    with pytest.raises(PolicyError, match=r"confinement\.require.*unknown layer 'landlok_fs'"):
        parse_policy('[confinement]\nrequire = ["landlok_fs"]\n')


def test_renderer_without_its_own_filter_is_not_sandboxed(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    app = _app(renderer_pid=os.getpid())  # "renderer" = this process: same filters, same ns
    _confinement.check_engine_sandbox(log, app)
    assert app.confinement["engine_sandbox"]["status"] == "off"
    assert _events(log, "confinement.layer_missing")


def test_confinement_message_round_trips_and_is_bounded() -> None:
    msg = _report(seccomp="on")
    assert decode_message(msg.model_dump_json().encode() + b"\n") == msg
    with pytest.raises(ValueError):
        Confinement.model_validate({"layers": {"x": {"status": "maybe"}}})
    with pytest.raises(ValueError):
        Confinement.model_validate({"layers": {f"l{i}": {"status": "on"} for i in range(17)}})
