"""A discarded app's hand-over is page data (ADR 0014): hostile URLs and states are refused or
kept inert, the kill switch forgets a discarded app, and the host survives.

The host judges what the runtime sends (``page_saved``) because a runtime runs the page's code:
these tests drive the host with the windowless fake runtime (``superapp.testing``) sending
exactly the hostile frame, one layer below the page's ``superapp.lifecycle.saveState`` (whose
checks the bridge test below and ``tests/e2e/test_lifecycle.py`` cover in a real window).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.testing import open_test_bridge
from superapp.bundles import install_bundle, remove_app
from superapp.core.errors import AppStateError
from superapp.core.paths import Paths
from superapp.host import AppState, RunningApp, Supervisor
from superapp.host._records import read_record
from superapp.testing import audit_events, wait_until
from tests.host.conftest import (  # noqa: F401 (fixture)
    APP,
    NOTES_APP,
    MakeSupervisor,
    arm_kill_switch,
    install_signed,
    make_supervisor,
    signed_bundle,
)

TIMEOUT = 60.0
READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]
GOOD_URL = f"app://{APP}/index.html#ok"


def _discard(supervisor: Supervisor, app_id: str = APP) -> RunningApp:
    app = supervisor.launch(app_id)
    assert app.loaded.wait(TIMEOUT)
    supervisor.background.hide(app_id, suspend=True)
    supervisor.background.discard(app_id)
    assert supervisor.state(app_id)[0] is AppState.DISCARDED
    assert app.exited.is_set() and supervisor.get(app_id) is None
    return app


def _restored(home: Paths) -> dict[str, Any]:
    [restore] = audit_events(home, "fake.restore", APP)
    fields: dict[str, Any] = restore["superapp"]
    return fields


HOSTILE = [
    # (id, url, state JSON text, what is dropped, the rule named in the audit entry)
    ("oversized", GOOD_URL, json.dumps("x" * 100_000), "state", "PAYLOAD_TOO_LARGE"),
    ("deep", GOOD_URL, "[" * 40 + "]" * 40, "state", "nested deeper"),
    ("not-json", GOOD_URL, "function () { return document.cookie }", "state", "not JSON"),
    ("non-finite", GOOD_URL, '{"a": NaN}', "state", "not plain JSON"),
    ("other-origin", "app://com.example.other/index.html", "1", "url", "URL refused"),
    ("host-path", "file:///etc/passwd", "1", "url", "URL refused"),
    ("dot-dot", f"app://{APP}/../../etc/passwd", "1", "url", "URL refused"),
    ("javascript", "javascript:alert(1)", "1", "url", "URL refused"),
]


@pytest.mark.parametrize(("url", "state", "dropped", "rule"), [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])  # fmt: skip
def test_hostile_saved_state_is_refused(
    superapp_home: Paths,
    make_supervisor: MakeSupervisor,  # noqa: F811 (the fixture imported above)
    url: str,
    state: str,
    dropped: str,
    rule: str,
) -> None:
    supervisor = make_supervisor(READY, options={"saved": {"url": url, "state": state}})
    _discard(supervisor)
    # The denial: that part is not kept; the app is discarded anyway.
    saved = supervisor.discarded.get(APP)
    assert saved is not None
    if dropped == "state":
        assert (saved.state, saved.location) == (None, "index.html#ok")
    else:
        assert (saved.state, saved.location) == ("1", "")
    # The audit entry names the rule and sizes, never the page's text.
    [refused] = [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                 if e["event"]["outcome"] == "failure"]  # fmt: skip
    assert rule in refused["event"]["reason"]
    assert "passwd" not in json.dumps(refused) and "cookie" not in json.dumps(refused)
    # The host survives: resume starts a new runtime, at the entry page or without a state.
    again = supervisor.discarded.resume(APP, "requested")
    assert supervisor.state(APP)[0] is AppState.RUNNING and again.loaded.is_set()
    got = _restored(superapp_home)
    assert (got["location"], got["state"]) == (saved.location, saved.state)


def test_script_and_path_looking_state_is_kept_as_data(
    superapp_home: Paths,
    make_supervisor: MakeSupervisor,  # noqa: F811
) -> None:
    value = {"a": '</script><script>alert(1)</script>', "b": '"-alert(1)-"',
             "c": "/etc/passwd", "d": "\u2028\u2029", "__proto__": {"polluted": True}}  # fmt: skip
    text = json.dumps(value)
    url = f"app://{APP}/a%20b/page.html?q=%3Cscript%3E#frag"
    supervisor = make_supervisor(READY, options={"saved": {"url": url, "state": text}})
    _discard(supervisor)
    supervisor.discarded.resume(APP, "requested")
    got = _restored(superapp_home)
    assert got["location"] == "a%20b/page.html?q=%3Cscript%3E#frag"
    assert json.loads(got["state"]) == value  # byte for byte the same data, parsed not run
    assert not [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                if e["event"]["outcome"] == "failure"]  # fmt: skip


def test_hostile_saved_state_is_refused_by_the_bridge(tmp_path: Path) -> None:
    b = open_test_bridge(tmp_path, APP)
    try:
        deep: Any = 1
        for _ in range(20):
            deep = [deep]
        replies = [
            b.call("lifecycle.saveState", {"state": "x" * 70_000}),
            b.call("lifecycle.saveState", {"state": deep}),
            b.call("lifecycle.saveState", {}),
        ]
        assert [r["error"]["code"] for r in replies] == [
            "PAYLOAD_TOO_LARGE", "INVALID_PARAMS", "INVALID_PARAMS",
        ]  # fmt: skip
        codes = [e["superapp"]["code"] for e in b.audit_events("bridge.denied")]
        assert codes == ["PAYLOAD_TOO_LARGE", "INVALID_PARAMS", "INVALID_PARAMS"]
        # Nothing was kept; a page that was not restored gets nothing back.
        assert b.call("lifecycle.restored", {})["result"] == {"wasDiscarded": False, "state": None}
        ok = b.call("lifecycle.saveState", {"state": {"k": "</script>"}})
        assert "error" not in ok
    finally:
        b.close()


def test_kill_switch_forgets_a_discarded_app(
    superapp_home: Paths,
    tmp_path: Path,
    make_supervisor: MakeSupervisor,  # noqa: F811
) -> None:
    app_id = NOTES_APP
    publisher = install_signed(superapp_home, app_id)
    install_bundle(superapp_home, signed_bundle(publisher, "com.example.other", "Other"))
    kill_switch = arm_kill_switch(superapp_home, tmp_path)
    policy = kill_switch.policy
    saved = {"url": f"app://{app_id}/index.html#draft", "state": '{"secret":"s3"}'}
    supervisor = make_supervisor(READY, policy=policy, options={"saved": saved})
    _discard(supervisor, app_id)
    assert supervisor.discarded.get(app_id) is not None
    # While discarded the host holds its run lock: uninstalling asks for a stop first.
    with pytest.raises(AppStateError, match="stop it first"):
        remove_app(superapp_home, app_id)

    kill_switch.revoke()
    assert supervisor.start_revocation_refresher()
    wait_until(lambda: supervisor.state(app_id)[0] is AppState.TERMINATED,
               what="the discarded app forgotten", timeout=TIMEOUT)  # fmt: skip
    assert "switched off by the platform" in supervisor.state(app_id)[1]
    assert supervisor.discarded.get(app_id) is None
    assert read_record(superapp_home, app_id) is None  # `superapp ps` no longer lists it
    assert audit_events(superapp_home, "app.revoked", app_id)
    [dropped] = [e for e in audit_events(superapp_home, "app.lifecycle", app_id)
                 if e["superapp"].get("saved_state_dropped")]  # fmt: skip
    assert (dropped["superapp"]["from_state"], dropped["superapp"]["to_state"]) == (
        "discarded", "terminated",
    )  # fmt: skip
    # It cannot come back: not by resume, and a launch is refused by the kill switch (audited).
    with pytest.raises(AppStateError, match="not discarded"):
        supervisor.discarded.resume(app_id, "requested")
    with pytest.raises(AppStateError):
        supervisor.launch(app_id)
    assert audit_events(superapp_home, "app.launch_refused", app_id)
    # The host survives and still runs apps; with the lock released, uninstall works.
    assert supervisor.launch("com.example.other").loaded.wait(TIMEOUT)
    remove_app(superapp_home, app_id)
