"""docs/tutorial.md, followed literally: every command of its ``sh`` blocks, in order, from an
empty folder outside the repository to a signed, installed, UI-tested app (issue 15 point 7).

``superapp`` and ``python`` in the tutorial are this interpreter (``-m superapp``) with this
tree on the path; pytest runs started by the tutorial find the plugin through
``PYTEST_PLUGINS`` (the name of its entry point; tests/packaging/test_wheel_plugin.py proves the
entry point itself, from an installed wheel).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from superapp.testing import HostProcess
from tests.conftest import REPO
from tests.docs.tutorial_steps import TUTORIAL, Step, read_steps

pytestmark = [pytest.mark.timeout(900)]


def _argv(step: Step) -> list[str]:
    program, *rest = step.argv
    if program == "superapp":
        return [sys.executable, "-m", "superapp", *rest]
    if program == "python":
        return [sys.executable, *rest]
    raise AssertionError(f"tutorial line {step.line}: {program!r} is not a command this test runs")


def _has_new(env: dict[str, str], cwd: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "superapp", "new", "--help"], env=env, cwd=cwd,
        capture_output=True, text=True,
    )  # fmt: skip
    return "invalid choice: 'new'" not in done.stderr


def test_the_tutorial_works_as_written(tmp_path: Path, display: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"SUPERAPP_CONSENT", "PYTEST_ADDOPTS"}}
    env.update(
        SUPERAPP_HOME=str(tmp_path / "home"),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
        PYTEST_PLUGINS="superapp.testing.plugin",
    )
    assert _has_new(env, work), "superapp new is missing: the tutorial's first step"
    cwd = work
    outputs: dict[str, str] = {}
    for step in read_steps(TUTORIAL.read_text(encoding="utf-8")):
        where = f"tutorial line {step.line}"
        if step.kind == "file":
            target = cwd / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
        elif step.argv[0] == "cd":
            cwd = (cwd / step.argv[1]).resolve()
            assert cwd.is_dir(), where
        elif step.kind == "window":
            host = HostProcess(_argv(step)[3:], env, cwd=cwd)
            try:
                host.wait_for_line(r"running$")
            finally:
                code = host.stop()
            assert code == 0, f"{where}: {host.lines} {host.stderr_lines[-20:]}"
        else:
            done = subprocess.run(
                _argv(step), env=env, cwd=cwd, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{where}: {step.argv}\n{done.stdout}\n{done.stderr}"
            outputs[" ".join(step.argv)] = done.stdout
    assert "com.example.hello" in outputs["superapp list"]
    pytest_runs = [out for command, out in outputs.items() if "pytest" in command]
    assert pytest_runs and all(" passed" in o and "failed" not in o for o in pytest_runs)
    assert "2 passed" in outputs["python -m pytest tests --miniapp ../hello.sapp "
                                 "--miniapp-trust ../keys/publisher.pub"]  # fmt: skip
    assert (work / "hello.sapp").is_file() and (work / "keys" / "publisher.pub").is_file()
