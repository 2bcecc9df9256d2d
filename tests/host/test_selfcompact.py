"""Self-compaction at suspend against the real host and the windowless fake runtime on the
real control socket: the ``freeze`` asks the runtime to page out its own process (file-backed
memory; anonymous too on a machine with swap, faked through the host's swap seam), the
runtime does it for real and reports it, and the suspend's audit entry carries the claim next
to the host's own compaction. A lying or malformed claim changes nothing the host does.
States and audit entries are asserted, never memory figures or timings."""

from __future__ import annotations

import json
from typing import Any

import psutil
import pytest

import superapp.host._background as background_mod
from superapp.core.errors import AppStateError
from superapp.host import AppState, RunningApp, Supervisor
from superapp.host._signals import tree_pids
from superapp.policy import parse_policy
from superapp.testing import audit_events, wait_until
from tests.host.conftest import APP, MakeSupervisor

TIMEOUT = 60.0
READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]


def _suspend(supervisor: Supervisor) -> tuple[RunningApp, dict[str, Any]]:
    app = supervisor.launch(APP)
    assert app.loaded.wait(TIMEOUT)
    supervisor.background.hide(APP, suspend=True)
    assert supervisor.state(APP)[0] is AppState.SUSPENDED
    [entry] = [e["superapp"] for e in audit_events(supervisor.paths, "app.lifecycle", APP)
               if e["superapp"]["to_state"] == "suspended"]  # fmt: skip
    return app, entry


def _stopped(app: RunningApp) -> bool:
    return {psutil.Process(p).status() for p in tree_pids(app.pid)} == {psutil.STATUS_STOPPED}


def test_without_swap_the_runtime_pages_out_its_file_memory_and_says_so(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = make_supervisor(READY)
    supervisor.background.swap_total = lambda: 0
    app, entry = _suspend(supervisor)
    assert entry["self_compaction"] == "file" and entry["self_compacted_mib"] > 0
    assert "self_compaction_refused" not in entry
    # The host compacted (or audited why it could not) and stopped the tree either way.
    assert "compacted_mib" in entry and _stopped(app)


def test_with_swap_anonymous_memory_is_asked_for_by_both(
    make_supervisor: MakeSupervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[bool] = []
    real = background_mod.compact_tree

    def spy(pids: Any, *, anon: bool = False) -> Any:
        asked.append(anon)
        return real(pids, anon=anon)

    monkeypatch.setattr(background_mod, "compact_tree", spy)
    supervisor = make_supervisor(READY)
    supervisor.background.swap_total = lambda: 2 * 2**30  # a machine with 2 GiB of swap
    app, entry = _suspend(supervisor)
    assert entry["self_compaction"] == "all" and entry["self_compacted_mib"] > 0
    assert asked == [True] and _stopped(app)


def test_a_claim_of_something_not_asked_is_audited_as_ignored(
    make_supervisor: MakeSupervisor,
) -> None:
    claim = {"mode": "all", "advised_bytes": 2**40, "ranges": 3}
    supervisor = make_supervisor(READY, options={"claim": claim})
    supervisor.background.swap_total = lambda: 0
    app, entry = _suspend(supervisor)
    assert entry["self_compaction"] == "ignored (asked file, claimed all)"
    assert "self_compacted_mib" not in entry and _stopped(app)


def test_a_runtime_that_does_not_report_is_still_suspended(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = make_supervisor(READY, options={"claim": None})
    app, entry = _suspend(supervisor)
    assert entry["self_compaction"] == "not reported" and _stopped(app)


def test_nothing_is_asked_when_the_policy_does_not_stop_suspended_trees(
    make_supervisor: MakeSupervisor,
) -> None:
    policy = parse_policy("[lifecycle]\nstop_processes = false\n")
    supervisor = make_supervisor(READY, policy=policy)
    supervisor.background.swap_total = lambda: 2 * 2**30
    _app, entry = _suspend(supervisor)
    assert "self_compaction" not in entry and "compacted_mib" not in entry


def test_an_out_of_bounds_claim_is_refused_audited_and_the_runtime_stopped(
    make_supervisor: MakeSupervisor,
) -> None:
    frame = {"type": "window_state", "visible": False, "page": "frozen",
             "compaction": {"mode": "file", "advised_bytes": -1, "ranges": 1}}  # fmt: skip
    supervisor = make_supervisor(READY, options={"claim_raw": json.dumps(frame) + "\n"})
    app = supervisor.launch(APP)
    assert app.loaded.wait(TIMEOUT)
    with pytest.raises(AppStateError, match="exited"):
        supervisor.background.hide(APP, suspend=True)
    wait_until(lambda: app.exited.is_set(), what="the runtime stopped", timeout=TIMEOUT)
    [refused] = audit_events(supervisor.paths, "control.refused", APP)
    assert refused["event"]["outcome"] == "failure"
    moves = audit_events(supervisor.paths, "app.lifecycle", APP)
    assert "suspended" not in [e["superapp"]["to_state"] for e in moves]
