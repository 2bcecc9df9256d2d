"""Suspend by a host that may not compact its apps (no ``CAP_SYS_NICE``, as on a desktop),
in a real window: the kernel refuses the host's own compaction (audited), yet the runtime
paged out its own process before it was stopped, and the same audit entry says so (file-backed
memory; anonymous too when this machine has swap). States and audit entries are asserted,
never memory figures or timings.

As root, the host runs under ``setpriv --bounding-set=-sys_nice`` (root without the one
capability ``process_madvise`` wants); any other user has no ``CAP_SYS_NICE`` to begin with."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from superapp.core.pageout import swap_total
from superapp.core.paths import Paths
from superapp.host import running_record
from superapp.host._signals import tree_pids
from superapp.testing import audit_events, make_app, wait_until
from tests.e2e.harness import HostProcess

APP = "com.example.selfcompact"


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", *args], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, (out.stdout, out.stderr)
    return out.stdout.strip()


def _state(paths: Paths) -> str:
    record = running_record(paths, APP)
    return record.state if record is not None else "gone"


def _without_cap_sys_nice() -> list[str]:
    if os.geteuid() != 0:
        return [sys.executable, "-m", "superapp"]
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: cannot start a host without CAP_SYS_NICE")
    return ["setpriv", "--bounding-set=-sys_nice", sys.executable, "-m", "superapp"]


def test_unprivileged_host_suspend_audits_the_runtimes_own_compaction(
    tmp_path: Path, superapp_home: Paths, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    superapp_home.policy_file.parent.mkdir(parents=True, exist_ok=True)
    superapp_home.policy_file.write_text("[lifecycle]\nhidden_suspend_after_s = 0\n", "utf-8")
    folder = make_app(tmp_path, APP, body="<p>kept</p>")
    host = HostProcess(["dev", str(folder)], host_env, command=_without_cap_sys_nice())
    hosts.append(host)
    host.wait_for_line(r"running$")
    pid = running_record(superapp_home, APP).runtime_pid  # type: ignore[union-attr]

    _cli(host_env, "hide", APP)
    wait_until(lambda: _state(superapp_home) == "suspended", what="suspended", timeout=60)
    statuses = {psutil.Process(p).status() for p in tree_pids(pid)} - {psutil.STATUS_ZOMBIE}
    assert statuses == {psutil.STATUS_STOPPED}  # stopped whatever compaction did
    [entry] = [e["superapp"] for e in audit_events(superapp_home, "app.lifecycle", APP)
               if e["superapp"]["to_state"] == "suspended"]  # fmt: skip
    # The host's own compaction: refused by the kernel, a no-op with its reason.
    assert entry["compacted_mib"] == 0
    assert "EPERM" in entry["compaction_skipped"]
    assert "CAP_SYS_NICE" in entry["compaction_skipped"]
    # The runtime's own, asked for with the freeze and reported before it was stopped.
    assert entry["self_compaction"] == ("all" if swap_total() > 0 else "file")
    assert entry["self_compacted_mib"] > 0
    assert "self_compaction_refused" not in entry

    assert _cli(host_env, "resume", APP).endswith("running")
    assert psutil.STATUS_STOPPED not in {psutil.Process(p).status() for p in tree_pids(pid)}
