"""``superapp run`` of an id nothing installed, with and without a running launcher: the same
one-line error and exit 2 either way (README, docs/cli.md). With a launcher it is the launcher
that answers ``NOT_INSTALLED`` (audited): the command opens no registry of its own before it
connects, so its start on a delegated launch's path is the connection alone (issue 16,
bench/RESULTS.md). The real CLI in a subprocess; the real launch endpoint in this process."""

from __future__ import annotations

import os
import subprocess
import sys

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import Supervisor
from superapp.host._delegate import LaunchEndpoint
from superapp.testing import audit_events

MISSING = "com.example.never.installed"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SUPERAPP_CONSENT"}
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip


def test_run_of_an_app_not_installed_exits_2_with_or_without_a_launcher(
    superapp_home: Paths,
) -> None:
    alone = _run("run", MISSING)
    assert alone.returncode == 2, alone.stderr
    assert alone.stdout == ""  # no "starting ... on its own host" line for an unknown id
    [error] = alone.stderr.strip().splitlines()
    assert error.startswith("superapp: error: ") and MISSING in error

    supervisor = Supervisor(superapp_home, AuditLog(superapp_home.audit_log))
    endpoint = LaunchEndpoint(superapp_home, supervisor, supervisor.audit)
    assert endpoint.start()
    try:
        delegated = _run("run", MISSING)
    finally:
        endpoint.close(drain_s=5)
        supervisor.shutdown()
    assert delegated.returncode == 2, delegated.stderr
    assert delegated.stdout == ""
    assert delegated.stderr.strip().splitlines() == [error]  # word for word
    [answer] = audit_events(superapp_home, "launcher.delegate")
    assert answer["superapp"]["code"] == "NOT_INSTALLED"
    assert answer["superapp"]["app_id"] == MISSING
