"""A layer this system cannot give is reported (with why), never crashed on; the others still
apply. Each case runs ``confine`` in a child process: it cannot be undone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from superapp.confine import _landlock, more_confined_than_self
from tests.confine.world import REPO

needs_landlock = pytest.mark.skipif(_landlock.abi_version() < 6, reason="no Landlock ABI 6")


def _report(prelude: str) -> dict[str, dict[str, str]]:
    code = textwrap.dedent(prelude) + textwrap.dedent(
        """
        import json
        from superapp.confine import confine, ConfinementPlan
        from superapp.confine._plan import system_read_paths
        print(json.dumps(confine(ConfinementPlan(read_paths=system_read_paths())).to_wire()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    result: dict[str, dict[str, str]] = json.loads(out.stdout.splitlines()[-1])
    return result


@needs_landlock
def test_every_layer_is_on_on_this_kernel() -> None:
    report = _report("")
    for layer in ("no_new_privs", "capabilities", "not_dumpable", "seccomp", "landlock_fs"):
        assert report[layer]["status"] == "on", report


def test_no_landlock_is_reported_and_the_rest_applies() -> None:
    report = _report("from superapp.confine import _landlock\n_landlock.abi_version = lambda: 0\n")
    for layer in ("landlock_fs", "landlock_net", "landlock_scope"):
        assert report[layer] == {"status": "unavailable", "detail": "the kernel has no Landlock"}
    assert report["seccomp"]["status"] == "on"


def test_an_old_landlock_abi_reports_what_it_lacks() -> None:
    report = _report("from superapp.confine import _landlock\n_landlock.abi_version = lambda: 3\n")
    assert report["landlock_fs"]["status"] == "on"
    assert report["landlock_net"]["status"] == "unavailable"
    assert "< 4" in report["landlock_net"]["detail"]
    assert report["landlock_scope"]["status"] == "unavailable"


def test_no_libseccomp_is_reported_and_the_rest_applies() -> None:
    report = _report(
        """
        from superapp.confine import _seccomp
        def _missing():
            raise _seccomp.SeccompUnavailableError(38, "libseccomp not found: test")
        _seccomp._lib = _missing
        """
    )
    assert report["seccomp"]["status"] == "unavailable"
    assert "libseccomp not found" in report["seccomp"]["detail"]
    assert report["no_new_privs"]["status"] == "on"


@needs_landlock
def test_landlock_after_a_thread_started_is_refused_not_half_applied() -> None:
    report = _report(
        "import threading\nthreading.Thread(target=threading.Event().wait, daemon=True).start()\n"
    )
    assert report["landlock_fs"]["status"] == "unavailable"
    assert "threads already run" in report["landlock_fs"]["detail"]
    assert report["seccomp"]["status"] == "on"  # TSYNC: every thread


def test_generic_stage_leaves_landlock_to_the_app_stage() -> None:
    code = (
        "import json\nfrom superapp.confine import confine, ConfinementPlan\n"
        "print(json.dumps(confine(ConfinementPlan(landlock=False)).to_wire()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
        env={"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert report["landlock_fs"]["status"] == "off"
    assert report["seccomp"]["status"] == "on"


def test_a_confined_peer_is_more_confined_than_its_host() -> None:
    code = (
        "import sys\nfrom superapp.confine import confine, ConfinementPlan\n"
        "confine(ConfinementPlan(landlock=False)); print('ready', flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(REPO)}, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert more_confined_than_self(child.pid) is True
        assert more_confined_than_self(2**22 + 7) is True  # no such process: refused
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(30)
        child.stdout.close()
    assert more_confined_than_self(os.getpid()) is False
