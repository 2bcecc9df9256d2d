"""Apps in the background, in real windows (issue 16): hidden → suspended → resumed with the
page as it was, suspend → discard (the process ends) → resume with its URL and state kept, a suspended tree that uses no
CPU, and ``superapp stop`` ending a suspended app cleanly. States are asserted (the host's run
record, the page's events, process states), never timings.

Qt WebEngine refuses to freeze a page while a DevTools client is attached, so each test lets
go of its Playwright connection before the app is hidden and attaches again after resume."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import psutil

from superapp.core.paths import Paths
from superapp.host import running_record
from superapp.host._signals import tree_pids
from superapp.testing import audit_events, make_app, wait_until
from tests.e2e.harness import HostProcess, connect, superapp_cli, wait_gone

APP = "com.example.background"
SCRIPT = """
window.__results.events = [];
superapp.lifecycle.addEventListener("hide", function (e) { __results.events.push("hide"); });
superapp.lifecycle.addEventListener("show", function (e) {
  __results.events.push("show:" + e.wasDiscarded);
});
"""


def _state(paths: Paths) -> str:
    record = running_record(paths, APP)
    return record.state if record is not None else "gone"


def _wait_state(paths: Paths, want: str) -> None:
    wait_until(lambda: _state(paths) == want, what=f"{APP} {want}", timeout=60)


def _statuses(pid: int) -> set[str]:
    """States of the tree's processes; a zombie (a discarded renderer its stopped parent has
    not reaped yet) is not counted: it runs nothing."""
    out = set()
    for p in tree_pids(pid):
        try:
            out.add(psutil.Process(p).status())
        except psutil.Error:
            pass
    return out - {psutil.STATUS_ZOMBIE}


def _cpu(pid: int) -> float:
    total = 0.0
    for p in tree_pids(pid):
        try:
            t = psutil.Process(p).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def _sample_at(paths: Paths) -> float:
    record = running_record(paths, APP)
    return float((record.sample or {}).get("at", 0.0)) if record is not None else 0.0


def _open(open_app: Any, tmp_path: Path, paths: Paths, policy: str) -> tuple[HostProcess, Any]:
    paths.policy_file.parent.mkdir(parents=True, exist_ok=True)
    paths.policy_file.write_text(policy, encoding="utf-8")
    folder = make_app(tmp_path, APP, script=SCRIPT, permissions=[("storage", "Keep a draft")],
                      body="<input id='draft'>")  # fmt: skip
    return open_app("dev", folder)  # type: ignore[no-any-return]


def test_hidden_app_is_suspended_uses_no_cpu_and_resumes_as_it_was(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str], playwright: Any
) -> None:
    policy = "[lifecycle]\nhidden_suspend_after_s = 0\n[monitor]\nsample_interval_s = 0.2\n"
    host, page = _open(open_app, tmp_path, superapp_home, policy)
    page.evaluate("() => { window.__kept = 41; document.getElementById('h').textContent = 'x'; }")
    pid = running_record(superapp_home, APP).runtime_pid  # type: ignore[union-attr]
    page.context.browser.close()

    superapp_cli(host_env, "hide", APP)
    _wait_state(superapp_home, "suspended")
    assert _statuses(pid) == {psutil.STATUS_STOPPED}  # every process of the tree
    # No CPU across two of the host's own monitor rounds (an event window, not a sleep).
    before, at = _cpu(pid), _sample_at(superapp_home)
    wait_until(lambda: _sample_at(superapp_home) > at, what="a monitor round")
    at = _sample_at(superapp_home)
    wait_until(lambda: _sample_at(superapp_home) > at, what="another monitor round")
    assert _cpu(pid) == before
    assert _state(superapp_home) == "suspended"
    ps = superapp_cli(host_env, "ps")
    assert APP in ps and "suspended" in ps

    assert superapp_cli(host_env, "resume", APP).endswith("running")
    assert psutil.STATUS_STOPPED not in _statuses(pid)
    browser, page = connect(playwright, int(host.args[-1]))
    # The same document, its script state and DOM kept, told it was hidden and shown.
    assert page.evaluate("() => [window.__kept, document.getElementById('h').textContent]") == [
        41, "x",
    ]  # fmt: skip
    page.wait_for_function("() => window.__results.events.includes('show:false', 1)")
    events = page.evaluate("() => window.__results.events")
    assert events[-2:] == ["hide", "show:false"], events
    assert page.evaluate("() => [superapp.lifecycle.state, document.visibilityState]") == [
        "shown", "visible",
    ]  # fmt: skip
    browser.close()
    moves = [
        (e["superapp"]["from_state"], e["superapp"]["to_state"])
        for e in audit_events(superapp_home, "app.lifecycle", APP)
    ]
    assert moves == [("running", "hidden"), ("hidden", "suspended"), ("suspended", "running")]
    # The stopped Qt WebEngine tree was compacted, or the kernel's refusal is audited instead.
    [suspended] = [e["superapp"] for e in audit_events(superapp_home, "app.lifecycle", APP)
                   if e["superapp"]["to_state"] == "suspended"]  # fmt: skip
    assert suspended["compacted_mib"] > 0 or "CAP_SYS_NICE" in suspended["compaction_skipped"]


def test_state_survives_suspend_discard_resume(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str], playwright: Any
) -> None:
    # Process-level discard (ADR 0014): the runtime's whole tree ends; resume launches a new
    # runtime at the same in-app URL, and the page gets back what it handed over, once.
    host, page = _open(open_app, tmp_path, superapp_home, "")
    hostile = '</script><script>alert(1)</script> "-alert(1)-" /etc/passwd ../../x'
    page.evaluate(
        """async (hostile) => {
             await superapp.storage.setItem('draft', 'kept in storage');
             superapp.lifecycle.addEventListener('hide', () => {
               superapp.lifecycle.saveState({step: 2, note: hostile, list: [1, 2.5, null]});
             });
             // The hand-over is data: what is not plain JSON or too big is refused here.
             const codes = [];
             for (const bad of [{f: () => 1}, 'x'.repeat(70000)]) {
               try { await superapp.lifecycle.saveState(bad); codes.push('accepted'); }
               catch (e) { codes.push(e.code); }
             }
             window.__results.codes = codes;
             history.pushState(null, '', 'index.html?tab=notes#step-2');
           }""",
        hostile,
    )
    assert page.evaluate("() => window.__results.codes") == ["INVALID_PARAMS", "PAYLOAD_TOO_LARGE"]
    pid = running_record(superapp_home, APP).runtime_pid  # type: ignore[union-attr]
    tree = tree_pids(pid)
    page.context.browser.close()
    assert superapp_cli(host_env, "suspend", APP, "--discard").endswith("discarded")
    # No process of the app is left (zombies excepted: nothing runs in them).
    assert wait_gone(tree) == []
    record = running_record(superapp_home, APP)
    assert record is not None and (record.state, record.runtime_pid) == ("discarded", 0)
    ps = superapp_cli(host_env, "ps")
    assert APP in ps and "discarded" in ps

    assert superapp_cli(host_env, "resume", APP).endswith("running")
    again_pid = running_record(superapp_home, APP).runtime_pid  # type: ignore[union-attr]
    assert again_pid not in (0, pid)
    port = int(host.args[-1])
    browser, again = connect(playwright, port)
    try:
        again.wait_for_function("() => document.readyState === 'complete'")
        kept = again.evaluate(
            """async () => [location.pathname + location.search + location.hash,
                            await superapp.storage.getItem('draft'),
                            await superapp.lifecycle.restored(),
                            await superapp.lifecycle.restored()]"""
        )
        assert kept == [
            "/index.html?tab=notes#step-2",
            "kept in storage",
            {"wasDiscarded": True, "state": {"step": 2, "note": hostile, "list": [1, 2.5, None]}},
            {"wasDiscarded": False, "state": None},  # once
        ]
        # The script-looking text stayed data: nothing ran it.
        assert again.evaluate("() => document.querySelectorAll('script').length") >= 1
    finally:
        browser.close()
    moves = [e["superapp"]["to_state"] for e in audit_events(superapp_home, "app.lifecycle", APP)]
    assert moves == ["hidden", "suspended", "discarded", "starting"]


def test_stop_ends_a_suspended_app_cleanly(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    host, page = _open(open_app, tmp_path, superapp_home, "")
    pid = running_record(superapp_home, APP).runtime_pid  # type: ignore[union-attr]
    tree = tree_pids(pid)
    page.context.browser.close()
    superapp_cli(host_env, "suspend", APP)
    assert _statuses(pid) == {psutil.STATUS_STOPPED}
    superapp_cli(host_env, "stop", APP)
    host.wait_for_line(rf"{APP} stopped$")
    assert host.proc.wait(60) == 0
    [exited] = audit_events(superapp_home, "app.exited", APP)
    assert exited["superapp"]["exit_code"] == 0  # it closed its window, not SIGKILLed
    gone = psutil.wait_procs([psutil.Process(p) for p in tree if psutil.pid_exists(p)], 30)
    assert not gone[1]


def test_host_killed_while_an_app_is_suspended_leaves_no_process(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    # A stopped tree cannot end itself when the host and the runtime are gone: the host's
    # lifeline (superapp.host._lifeline) kills it when the host's pipe closes.
    host, page = _open(open_app, tmp_path, superapp_home, "")
    page.context.browser.close()
    superapp_cli(host_env, "suspend", APP)
    everything = [p.pid for p in host.descendants()]  # the runtime's tree and the lifeline
    assert any("QtWebEngineProcess" in psutil.Process(p).name() for p in everything)
    os.kill(host.proc.pid, signal.SIGKILL)
    host.proc.wait(30)
    assert wait_gone(everything) == []
