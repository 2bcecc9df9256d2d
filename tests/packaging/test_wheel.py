"""The wheel works when installed: built from this tree, installed into a fresh virtual
environment outside the repository, and run from there with no repository on ``sys.path``.

Slow (a build and an install of every dependency, from pip's cache when warm) but part of the
README's test command: a wheel without its package data cannot start a single mini-app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.testing import HostProcess, connect, free_port
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

SAMPLE = "dev.superapp.notes"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    outside: Path

    @property
    def superapp(self) -> Path:
        return self.venv / "bin" / "superapp"

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        env.update(SUPERAPP_HOME=str(home), PATH=f"{self.venv / 'bin'}:{env.get('PATH', '')}")
        env.update(extra)
        return env


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert out.returncode == 0, f"{cmd}: {out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, a folder outside the repository)."""
    outside = tmp_path_factory.mktemp("wheel")
    assert REPO not in outside.parents
    # Built from a copy of what git would ship (tracked files and untracked ones it does not
    # ignore): setuptools never cleans its build/ folder, so building in the checkout could
    # package modules that were moved or deleted since the last build.
    src = outside / "src"
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    dist = outside / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)])
    (wheel,) = dist.glob("superapp-*.whl")
    return wheel, outside


@pytest.fixture(scope="module")
def installed(built: tuple[Path, Path]) -> Installed:
    wheel, outside = built
    venv = outside / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=outside)
    return Installed(wheel, venv, outside)


def _packages_in_tree() -> set[str]:
    found = set()
    for top in ("superapp", "bridge"):
        for init in (REPO / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(REPO).parts))
    return found | {"superapp.assets", "superapp.samples"}


def test_wheel_carries_every_package_and_the_runtime_files(built: tuple[Path, Path]) -> None:
    names = set(zipfile.ZipFile(built[0]).namelist())
    packages = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("__init__.py")}
    assert packages == _packages_in_tree()
    for needed in (
        "superapp/assets/shim.js",
        "superapp/assets/bridge-isolated.js",
        "superapp/assets/superapp.d.ts",
        "superapp/assets/dual-logic-worker.js",
        "superapp/assets/dual-view-shim.js",
        "superapp/assets/shim-common.js",
        "superapp/assets/shim-call.js",
        "superapp/assets/launcher/index.html",
        "superapp/assets/launcher/launcher.js",
        "superapp/bundles/manifest.schema.json",
        "superapp/analysis/denylist.txt",
        "superapp/templates/default/template.json",
        "superapp/templates/default/test_app.py.tmpl",
        "superapp/templates/dual/template.json",
        "superapp/templates/dual/logic.js.tmpl",
        "superapp/samples/notes/manifest.json",
        "superapp/samples/converter/index.html",
        "superapp/samples/tasks/logic-main.js",
        "superapp/py.typed",
    ):
        assert needed in names, needed
    assert not any(n.startswith("superapp/samples/tools/") for n in names)


def test_installed_wheel_runs_a_sample_in_a_real_window(
    installed: Installed, display: str, playwright: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = installed.env(home)
    exe = str(installed.superapp)
    version = _run([exe, "--version"], env=env, cwd=installed.outside)
    assert version.stdout.startswith("superapp ")
    samples = _run([exe, "samples", "install"], env=env, cwd=installed.outside)
    assert SAMPLE in samples.stdout
    # The code that runs is the installed copy, not this repository.
    where = _run(
        [str(installed.venv / "bin" / "python"), "-c", "import superapp; print(superapp.__file__)"],
        env=env,
        cwd=installed.outside,
    )
    assert str(installed.venv) in where.stdout and str(REPO) not in where.stdout

    port = free_port()
    host = HostProcess(
        ["run", SAMPLE, "--remote-debugging-port", str(port)],
        env,
        command=[exe],
        cwd=installed.outside,
    )
    browser = None
    try:
        host.wait_for_line(rf"{SAMPLE} running$")
        runtimes = [c for c in map(_cmdline, host.descendants()) if "superapp.runtime" in c]
        assert runtimes, "no runtime process"
        assert all(c[0].startswith(str(installed.venv)) for c in runtimes)
        assert all(str(REPO) not in " ".join(c) for c in runtimes)
        browser, page = connect(playwright, port)
        page.wait_for_function("() => document.readyState === 'complete'")
        assert page.url.startswith(f"app://{SAMPLE}/")
        assert page.evaluate("() => typeof window.callNative") == "function"
    finally:
        if browser is not None:
            browser.close()
        pids = [p.pid for p in host.descendants()]
        host.stop()
        assert not [p for p in pids if psutil.pid_exists(p) and _alive(p)]


def _cmdline(proc: psutil.Process) -> list[str]:
    """A process's command line; [] for one that is exiting (engine helpers come and go)."""
    try:
        cmdline: list[str] = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []
    return cmdline


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
