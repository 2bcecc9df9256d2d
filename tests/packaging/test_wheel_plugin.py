"""The pytest plugin as a mini-app author gets it: the wheel installed in a fresh virtual
environment (with pytest and Playwright, nothing from this repository), ``superapp new`` run
outside the repository, and ``pytest`` run in the new project finds ``superapp.testing.plugin``
through its ``pytest11`` entry point and passes the generated UI test (issue 15)."""

from __future__ import annotations

import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.packaging.test_wheel import Installed, _run, built, installed  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def test_wheel_declares_the_pytest11_entry_point(built: tuple[Path, Path]) -> None:  # noqa: F811
    with zipfile.ZipFile(built[0]) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = whl.read(name).decode()
    assert "[pytest11]" in text
    assert "superapp.testing.plugin = superapp.testing.plugin" in text


def test_generated_app_ui_test_passes_through_the_installed_plugin(
    installed: Installed,  # noqa: F811
    display: str,
    tmp_path: Path,
) -> None:
    exe = str(installed.superapp)
    env = installed.env(tmp_path / "home")
    project = tmp_path / "projects"
    project.mkdir()
    assert REPO not in project.parents
    assert "invalid choice: 'new'" not in _new_help(exe, env, project)
    python = str(installed.venv / "bin" / "python")
    # The same pytest and Playwright as this run (from pip's cache): the project's test tools.
    _run(
        [python, "-m", "pip", "install", "-q", f"pytest=={version('pytest')}",
         f"playwright=={version('playwright')}"],
        cwd=installed.outside, env=env,
    )  # fmt: skip
    _run([exe, "new", "hello"], env=env, cwd=project)
    app = project / "hello"
    done = _run([python, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], env=env, cwd=app)
    # Found through the entry point (pytest lists setuptools plugins by distribution).
    assert "superapp-" in next(line for line in done.stdout.splitlines() if "plugins:" in line)
    assert " passed" in done.stdout and " failed" not in done.stdout, done.stdout


def _new_help(exe: str, env: dict[str, str], cwd: Path) -> str:
    import subprocess

    out = subprocess.run([exe, "new", "--help"], env=env, cwd=cwd, capture_output=True, text=True)
    return out.stdout + out.stderr
