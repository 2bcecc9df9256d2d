"""The desktop package works for a user without Python: built by ``packaging/build.sh``,
unpacked, installed per-user into a temporary HOME, and run from there — no repository, no
virtualenv, no PYTHONPATH — under Xvfb: the command line, the launcher starting a sample, and
``superapp run`` with the page loaded and its one door answering; nothing left running after;
``uninstall.sh`` takes away everything ``install.sh`` put there.

Slow (a PyInstaller build takes minutes) but part of the README's test command. The archive is
reused within a CI run only when it was built from exactly these sources and dependencies (its
folder is named by their hash), so a stale build is never tested.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp import __version__
from superapp._spawn import RUNTIME_MARKER
from superapp.testing import HostProcess, connect, free_port, wait_gone
from tests.conftest import REPO
from tests.e2e.launcher_page import TIMEOUT_MS, LauncherPage

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(1800)]

NOTES = "dev.superapp.notes"
# Everything the build reads from the repository (packaging/build.sh copies these).
SOURCES = ("pyproject.toml", "README.md", "superapp", "bridge", "assets", "miniapps", "packaging")
CACHE = REPO / "build" / "desktop-artifacts"
BUILD_TOOLS = {"pyinstaller", "pyinstaller-hooks-contrib", "altgraph"}


def _source_key() -> str:
    """A hash of the build's inputs: the sources above and every installed distribution."""
    digest = hashlib.sha256(sys.version.encode())
    for top in SOURCES:
        root = REPO / top
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    # The build tools are pinned in pyproject.toml (hashed above) and installed by the build
    # itself: counting them would make the key change under the first build.
    dists = sorted(
        f"{d.metadata['Name']}=={d.version}"
        for d in metadata.distributions()
        if d.metadata["Name"].lower() not in BUILD_TOOLS
    )
    digest.update("\n".join(dists).encode())
    return digest.hexdigest()[:16]


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert out.returncode == 0, f"{cmd}: {out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def archive() -> Path:
    """The .tar.gz for these sources: built now, or earlier in this run from the same inputs."""
    out = CACHE / _source_key()
    found = sorted(out.glob("superapp-*-linux-*.tar.gz"))
    if found:
        return found[0]
    if CACHE.exists():  # other keys are stale builds: never reused, so never kept
        shutil.rmtree(CACHE)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["SUPERAPP_VENV"] = sys.prefix
    _run(["bash", str(REPO / "packaging" / "build.sh"), str(out)], env=env, cwd=REPO)
    (built,) = out.glob("superapp-*-linux-*.tar.gz")
    return built


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@dataclass(frozen=True)
class Installed:
    home: Path
    elsewhere: Path
    state: Path
    display: str
    installed: frozenset[Path]

    @property
    def opt(self) -> Path:
        return self.home / ".local" / "opt" / "superapp"

    @property
    def exe(self) -> Path:
        return self.home / ".local" / "bin" / "superapp"

    def env(self) -> dict[str, str]:
        # A desktop session's environment, not the test's: no PYTHONPATH, no virtualenv.
        env = {
            "HOME": str(self.home),
            "PATH": f"{self.home / '.local' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "SUPERAPP_HOME": str(self.state),
            "LANG": "C.UTF-8",
        }
        if self.display == "offscreen":
            env["QT_QPA_PLATFORM"] = "offscreen"
        else:
            env["DISPLAY"] = self.display
        return env


@pytest.fixture(scope="module")
def installed(
    archive: Path, display: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("desktop")
    assert REPO not in base.parents
    home, unpacked, elsewhere, state = (base / n for n in ("home", "unpacked", "cwd", "state"))
    for folder in (home, unpacked, elsewhere):
        folder.mkdir()
    _run(["tar", "-xzf", str(archive), "-C", str(unpacked)])
    (top,) = unpacked.iterdir()
    before = _files(home)
    _run(["sh", str(top / "install.sh")], env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
         cwd=elsewhere)  # fmt: skip
    yield Installed(home, elsewhere, state, display, frozenset(_files(home) - before))


def test_package_carries_the_engine_and_the_package_data(installed: Installed) -> None:
    internal = installed.opt / "_internal"
    qt = internal / "PySide6" / "Qt"
    for needed in (
        qt / "libexec" / "QtWebEngineProcess",
        qt / "resources" / "qtwebengine_resources.pak",
        qt / "resources" / "icudtl.dat",
        qt / "translations" / "qtwebengine_locales" / "en-US.pak",
        internal / "superapp" / "assets" / "shim.js",
        internal / "superapp" / "assets" / "launcher" / "index.html",
        internal / "superapp" / "bundles" / "manifest.schema.json",
        internal / "superapp" / "analysis" / "denylist.txt",
        internal / "superapp" / "samples" / "notes" / "manifest.json",
    ):
        assert needed.is_file(), needed
    # No Python of ours is needed: the tests, the harness and the build tools stay out.
    assert not (internal / "pytest").exists()
    assert not (internal / "superapp" / "testing").exists()
    assert not (internal / "PyInstaller").exists()


def test_install_adds_a_menu_entry_an_icon_and_a_command(installed: Installed) -> None:
    assert installed.exe.is_symlink()
    assert installed.exe.resolve() == (installed.opt / "superapp").resolve()
    entry_path = installed.home / ".local" / "share" / "applications" / "superapp.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(entry_path, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"] == f'"{installed.opt / "superapp"}"'
    assert Path(desktop["TryExec"]) == installed.opt / "superapp"
    icons = installed.home / ".local" / "share" / "icons" / "hicolor"
    assert desktop["Icon"] == "superapp"
    assert (icons / "scalable" / "apps" / "superapp.svg").read_text().startswith("<svg")
    assert (icons / "256x256" / "apps" / "superapp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if shutil.which("desktop-file-validate"):
        _run(["desktop-file-validate", str(entry_path)])


def _engine_processes(host: HostProcess) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The host's runtimes and Qt WebEngine helpers (by their command lines)."""
    runtimes, engines = [], []
    for proc in host.descendants():
        try:
            cmdline = proc.cmdline()
        except psutil.NoSuchProcess:
            continue
        if cmdline[1:2] == [RUNTIME_MARKER]:
            runtimes.append(proc)
        elif cmdline and cmdline[0].endswith("/QtWebEngineProcess"):
            engines.append(proc)
    return runtimes, engines


def _left_behind(installed: Installed, pids: set[int]) -> list[str]:
    alive = wait_gone(sorted(pids))
    # Also anything at all still running from the installed folder, whoever its parent is now.
    for proc in psutil.process_iter(["pid", "exe", "status"]):
        exe = proc.info["exe"] or ""
        if exe.startswith(str(installed.opt)) and proc.info["status"] != psutil.STATUS_ZOMBIE:
            alive.append(proc.pid)
    return [f"{pid}" for pid in sorted(set(alive))]


def test_installed_package_runs_the_launcher_and_a_sample(
    installed: Installed, playwright: Any
) -> None:
    env = installed.env()
    exe = shutil.which("superapp", path=env["PATH"])
    assert exe == str(installed.exe)
    cli = {"env": env, "cwd": installed.elsewhere}
    assert _run([exe, "--version"], **cli).stdout.strip() == f"superapp {__version__}"
    _run([exe, "samples", "install"], **cli)
    assert NOTES in _run([exe, "list", "--json"], **cli).stdout

    started: set[int] = set()
    port = free_port()
    launcher = HostProcess(["launcher", "--remote-debugging-port", str(port)], env,
                           command=[exe], cwd=installed.elsewhere)  # fmt: skip
    try:
        launcher.wait_for_line(r"launcher running$")
        browser, page = connect(playwright, port)
        try:
            view = LauncherPage(page)
            assert NOTES in view.app_ids()
            view.launch(NOTES)
            view.wait_state(NOTES, "running")
        finally:
            browser.close()
        runtimes, engines = _engine_processes(launcher)
        # The runtime is the frozen executable itself (no Python found on PATH), and the
        # engine's helper processes come from the package.
        # (The launcher also keeps a prewarmed runtime: every one is the package's.)
        assert runtimes
        assert {r.exe() for r in runtimes} == {str((installed.opt / "superapp").resolve())}
        assert engines and all(e.exe().startswith(str(installed.opt)) for e in engines)
        started |= {launcher.proc.pid} | {p.pid for p in launcher.descendants()}
    finally:
        launcher.stop()

    port = free_port()
    run = HostProcess(["run", NOTES, "--remote-debugging-port", str(port)], env,
                      command=[exe], cwd=installed.elsewhere)  # fmt: skip
    try:
        run.wait_for_line(rf"{NOTES} running$")
        browser, page = connect(playwright, port)
        try:
            page.wait_for_function("() => document.readyState === 'complete'", timeout=TIMEOUT_MS)
            page.get_by_test_id("notes-app").wait_for(timeout=TIMEOUT_MS)
            info = page.evaluate("() => window.callNative('app.info', {})")
            assert info["appId"] == NOTES
            assert info["hostVersion"] == __version__
        finally:
            browser.close()
        started |= {run.proc.pid} | {p.pid for p in run.descendants()}
    finally:
        run.stop()

    assert _left_behind(installed, started) == []


def test_frozen_package_operates_a_repository_and_its_store(
    installed: Installed, tmp_path: Path
) -> None:
    """python-tuf and securesystemslib are in the package: the frozen executable signs a new
    repository (Ed25519 through securesystemslib, metadata through tuf.api) and a host of it
    lists the store over HTTP (ngclient's whole client workflow, urllib3 fetcher)."""
    from superapp.testing._fleet import StaticServer

    home = tmp_path / "fleet-host"
    env = {**installed.env(), "SUPERAPP_HOME": str(home)}
    cli = {"env": env, "cwd": installed.elsewhere}
    exe = str(installed.exe)
    assert "rotate-root" in _run([exe, "repo", "--help"], **cli).stdout
    repo, keys = tmp_path / "repo", tmp_path / "keys"
    _run([exe, "repo", "init", str(repo), "--keys", str(keys)], **cli)
    _run([exe, "repo", "keygen", str(keys / "acme.pem")], **cli)
    _run([exe, "repo", "add-publisher", str(repo), "--keys", str(keys), "acme",
          "--key", str(keys / "acme.pem"), "--app", "com.acme.*"], **cli)  # fmt: skip
    assert '"acme"' in _run([exe, "repo", "status", str(repo)], **cli).stdout
    with StaticServer(repo) as server:
        (home / "config").mkdir(parents=True)
        (home / "config" / "policy.toml").write_text(
            f'[fleet]\nrepository = "{server.url}"\nroot = "{repo / "metadata" / "1.root.json"}"\n',
            encoding="utf-8",
        )
        _run([exe, "store", "list"], **cli)
        assert server.stats.by_path.get("metadata/timestamp.json") == 1
    assert (home / "data" / "fleet" / "state.json").exists()


def test_uninstall_removes_everything_install_put_there(installed: Installed) -> None:
    assert installed.installed, "install.sh installed nothing"
    _run(["sh", str(installed.opt / "uninstall.sh")],
         env={"HOME": str(installed.home), "PATH": "/usr/bin:/bin"}, cwd=installed.elsewhere)  # fmt: skip
    assert [p for p in installed.installed if p.exists() or p.is_symlink()] == []
    assert not installed.opt.exists()
