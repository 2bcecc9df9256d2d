"""``superapp run APP_ID`` with the user's launcher running (issue 16): the launcher's host
opens the app, from its prewarmed pool, and ``superapp run`` waits in the foreground until
the app ends. Real launcher, real runtimes and windows under Xvfb; states are read from the
run records, the audit log, the launcher's own page and the processes' exit codes.

``host_env`` answers consent prompts by ``SUPERAPP_CONSENT``, which the launcher's host does
not honour: a ``superapp run`` with it set starts its own host. The delegating runs here go
without it (``_delegating_env``); the last test shows the variable keeps the old behaviour.
"""

from __future__ import annotations

import json
import signal
import socket
from typing import Any

import psutil
import pytest

from superapp.bundles import install_samples
from superapp.core.paths import Paths
from superapp.host import running_record
from superapp.protocol._delegate import launcher_socket
from superapp.testing import audit_events, wait_until
from tests.e2e.harness import REPO, HostProcess
from tests.e2e.launcher_page import LauncherPage, open_launcher

CONVERTER = "dev.superapp.converter"
NOTES = "dev.superapp.notes"


@pytest.fixture
def samples(superapp_home: Paths) -> Paths:
    install_samples(superapp_home, REPO / "miniapps")
    return superapp_home


def _delegating_env(host_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in host_env.items() if k != "SUPERAPP_CONSENT"}


def _run(args: list[str], env: dict[str, str], hosts: list[HostProcess]) -> HostProcess:
    proc = HostProcess(["run", *args], env)
    hosts.append(proc)
    return proc


def _exit_code(proc: HostProcess) -> int:
    return proc.proc.wait(60)


def _forged(paths: Paths) -> str:
    """A forged request on the real launcher's endpoint: its typed answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(launcher_socket(paths)))
        sock.sendall(b'{"app_id": "' + CONVERTER.encode() + b'", "bundle": "/tmp/x.sapp"}\n')
        code: str = json.loads(sock.makefile("rb").readline())["code"]
        return code


def test_run_opens_in_the_running_launcher_from_its_pool_and_sigterm_stops_it(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    browser, page = open_launcher(playwright, host_env, hosts)
    launcher_pid = hosts[-1].proc.pid
    try:
        launcher = LauncherPage(page)
        # A forged request first: refused, and the launcher still serves what follows.
        assert _forged(samples) == "INVALID_REQUEST"
        env = _delegating_env(host_env)
        run = _run([CONVERTER], env, hosts)
        run.wait_for_line(rf"{CONVERTER} opened in the running launcher")
        run.wait_for_line(rf"{CONVERTER} running$")
        record = running_record(samples, CONVERTER)
        assert record is not None and record.host_pid == launcher_pid
        # The runtime is the launcher's child, claimed from its pool, not one of run's own.
        assert record.runtime_pid in {p.pid for p in hosts[0].descendants()}
        assert record.runtime_pid not in {p.pid for p in run.descendants()}
        [launched] = audit_events(samples, "app.launched", CONVERTER)
        assert launched["superapp"]["pooled"] is True, launched
        assert launched["superapp"]["pid"] == record.runtime_pid
        [lease] = [e for e in audit_events(samples, "launcher.delegate", CONVERTER)
                   if e["event"]["outcome"] == "success"]  # fmt: skip
        assert lease["superapp"]["peer_pid"] == run.proc.pid
        # On the launcher's dashboard like any launched app.
        launcher.wait_state(CONVERTER, "running")

        # A second `superapp run` of it, delegating or on its own host: refused, one runtime.
        again = _run([CONVERTER], env, hosts)
        assert _exit_code(again) == 1
        assert any("already running" in line for line in again.stderr_lines), again.stderr_lines
        own = _run([CONVERTER, "--own-host"], env, hosts)
        assert _exit_code(own) == 1
        assert any("already running" in line for line in own.stderr_lines), own.stderr_lines
        still = running_record(samples, CONVERTER)
        assert still is not None and (still.host_pid, still.runtime_pid) == (
            record.host_pid,
            record.runtime_pid,
        )

        # SIGTERM to the delegating process stops the app in the launcher and ends `run`.
        run.proc.send_signal(signal.SIGTERM)
        assert _exit_code(run) == 0
        assert run.lines[-1] == f"superapp: {CONVERTER} stopped", run.lines
        assert not psutil.pid_exists(record.runtime_pid) or (
            psutil.Process(record.runtime_pid).status() == psutil.STATUS_ZOMBIE
        )
        assert running_record(samples, CONVERTER) is None
        launcher.wait_state(CONVERTER, "stopped")
        assert hosts[0].proc.poll() is None  # the launcher lives on
    finally:
        browser.close()


def test_app_closed_in_the_launcher_ends_run_with_its_status(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        env = _delegating_env(host_env)
        run = _run([NOTES], env, hosts)
        run.wait_for_line(rf"{NOTES} running$")
        launcher.wait_state(NOTES, "running")
        launcher.stop(NOTES)  # the user closes it from the launcher
        assert _exit_code(run) == 0
        assert run.lines[-1] == f"superapp: {NOTES} stopped", run.lines

        # A crash is the run's failure: exit status 1 and the reason on stderr.
        crash = _run([NOTES], env, hosts)
        crash.wait_for_line(rf"{NOTES} running$")
        record = running_record(samples, NOTES)
        assert record is not None and record.host_pid == hosts[0].proc.pid
        psutil.Process(record.runtime_pid).kill()
        assert _exit_code(crash) == 1
        assert any(f"{NOTES} crashed" in line for line in crash.stderr_lines), crash.lines
        launcher.wait_state(NOTES, "crashed")
    finally:
        browser.close()


def test_run_without_a_launcher_or_with_own_host_starts_its_own_host(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    env = _delegating_env(host_env)
    alone = _run([NOTES], env, hosts)
    alone.wait_for_line(rf"{NOTES} running$")
    assert f"superapp: starting {NOTES} on its own host (no launcher is running)" in alone.lines
    record = running_record(samples, NOTES)
    assert record is not None and record.host_pid == alone.proc.pid
    alone.stop()
    assert running_record(samples, NOTES) is None

    browser, _page = open_launcher(playwright, host_env, hosts)
    try:
        own = _run([NOTES, "--own-host"], env, hosts)
        own.wait_for_line(rf"{NOTES} running$")
        assert f"superapp: starting {NOTES} on its own host (--own-host)" in own.lines
        record = running_record(samples, NOTES)
        assert record is not None and record.host_pid == own.proc.pid
        own.stop()
        # SUPERAPP_CONSENT answers prompts without a window: the launcher would not honour it.
        scripted = _run([NOTES], host_env, hosts)
        scripted.wait_for_line(rf"{NOTES} running$")
        assert any("on its own host (SUPERAPP_CONSENT is set" in line for line in scripted.lines), (
            scripted.lines
        )
        record = running_record(samples, NOTES)
        assert record is not None and record.host_pid == scripted.proc.pid
        scripted.stop()
        assert not [
            e
            for e in audit_events(samples, "launcher.delegate")
            if e["event"]["outcome"] == "success"
        ]
    finally:
        browser.close()


def test_run_while_the_launcher_closes_never_starts_a_second_runtime(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    """The launcher closes with a delegated app open: `run` gets the app's end (stopped, "the
    launcher closed"), not silence; a `run` after it starts its own host, as before."""
    browser, _page = open_launcher(playwright, host_env, hosts)
    env = _delegating_env(host_env)
    try:
        run = _run([NOTES], env, hosts)
        run.wait_for_line(rf"{NOTES} running$")
    finally:
        browser.close()
    hosts[0].stop()  # SIGTERM: the launcher closes its window and its host
    assert _exit_code(run) == 0
    assert run.lines[-1] == f"superapp: {NOTES} stopped: the launcher closed", run.lines
    assert not launcher_socket(samples).exists()
    after = _run([NOTES], env, hosts)
    after.wait_for_line(rf"{NOTES} running$")
    assert any("on its own host (no launcher is running)" in line for line in after.lines)
    wait_until(lambda: running_record(samples, NOTES), what="the run record")
    after.stop()


def test_run_resumes_an_app_the_launcher_discarded_and_sigterm_stops_it(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    """An app suspended and discarded in the launcher (through the real host's control
    socket, as `superapp suspend --discard` does): `superapp run` resumes it there and holds
    it like one it opened; SIGTERM stops it."""
    from superapp.host import request_lifecycle

    browser, page = open_launcher(playwright, host_env, hosts)
    launcher_pid = hosts[-1].proc.pid
    try:
        launcher = LauncherPage(page)
        launcher.launch(NOTES)
        launcher.wait_state(NOTES, "running")
        assert request_lifecycle(samples, NOTES, "suspend") == "suspended"
        assert request_lifecycle(samples, NOTES, "discard") == "discarded"
        launcher.wait_state(NOTES, "discarded")

        run = _run([NOTES], _delegating_env(host_env), hosts)
        run.wait_for_line(rf"{NOTES} resumed in the running launcher \(launcher pid {launcher_pid}")
        run.wait_for_line(rf"{NOTES} running$")
        record = running_record(samples, NOTES)
        assert record is not None and record.host_pid == launcher_pid and record.runtime_pid
        launcher.wait_state(NOTES, "running")
        [lease] = [e for e in audit_events(samples, "launcher.delegate", NOTES)
                   if e["event"]["outcome"] == "success"]  # fmt: skip
        assert (
            lease["superapp"]["resumed"] is True and lease["superapp"]["peer_pid"] == run.proc.pid
        )

        run.proc.send_signal(signal.SIGTERM)
        assert _exit_code(run) == 0
        assert run.lines[-1] == f"superapp: {NOTES} stopped", run.lines
        assert running_record(samples, NOTES) is None
        launcher.wait_state(NOTES, "stopped")
        assert hosts[0].proc.poll() is None  # the launcher lives on
    finally:
        browser.close()
