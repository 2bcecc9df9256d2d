"""End-to-end fixtures of our own suite (loaded by tests/conftest.py), on the shipped plugin.

``superapp.testing.plugin`` owns the X server, Playwright, ``superapp_home``, ``miniapp`` and
the screenshots on failure; this module adds the suite's guard (no window in a windowless
run), the repository on the hosts' path, recording servers, and ``open_app``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from superapp.testing.plugin import call_failed, start_display
from tests._selection import is_windowless
from tests.e2e.harness import REPO, HostProcess, connect, free_port

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    if is_windowless():
        raise pytest.UsageError(
            "this run deselects e2e tests (-m), yet a test asked for a window; "
            "tests that open windows get the e2e marker through the display fixture"
        )
    with start_display() as name:
        yield name


@pytest.fixture(scope="session")
def superapp_display(display: str) -> str:
    """The plugin's display is ours (with the windowless guard and the e2e marker)."""
    return display


@pytest.fixture(scope="session")
def playwright(superapp_playwright: Any) -> Any:
    return superapp_playwright


def _repo_first(env: dict[str, str]) -> str:
    # The repository first; anything the run itself put on the path (the year-ahead run's clock,
    # tests/timetravel) stays behind it.
    return os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)


@pytest.fixture
def miniapp_env() -> dict[str, str]:
    """Hosts the plugin starts run this tree's superapp."""
    return {"PYTHONPATH": _repo_first(dict(os.environ))}


@pytest.fixture
def host_env(display: str, superapp_home: Any) -> dict[str, str]:
    env = dict(os.environ)
    env["SUPERAPP_HOME"] = str(superapp_home.data.parent)
    env["PYTHONPATH"] = _repo_first(env)
    # Hosts started by hand answer consent prompts "deny" without a dialog (as they did
    # before `run`/`dev` had one); tests of the dialog use the plugin's miniapp fixture.
    env.setdefault("SUPERAPP_CONSENT", "deny")
    return env


@pytest.fixture
def recorder() -> Iterator[Any]:
    """A recording HTTP/WebSocket server on 127.0.0.1 (see tests/helpers/recorder.py)."""
    from tests.helpers.recorder import Recorder

    with Recorder() as rec:
        yield rec


@dataclass
class NetHosts:
    """Two recording servers the engine reaches by name (the egress proxy's test-only host map):
    ``evil`` as http://evil.test and ``good`` as http://widgets.test."""

    evil: Any
    good: Any
    env: dict[str, str]


@pytest.fixture
def net_hosts(host_env: dict[str, str]) -> Iterator[NetHosts]:
    from tests.helpers.recorder import Recorder

    with Recorder() as evil, Recorder() as good:
        env = dict(host_env, SUPERAPP_TEST_HOSTS=f"evil.test={evil.port},widgets.test={good.port}")
        yield NetHosts(evil, good, env)


@pytest.fixture
def hosts(request: pytest.FixtureRequest) -> Iterator[list[HostProcess]]:
    """Every host process a test starts; all stopped (and their groups swept) at teardown."""
    started: list[HostProcess] = []
    yield started
    for host in started:
        host.stop()


@pytest.fixture
def open_app(
    playwright: Any,
    host_env: dict[str, str],
    hosts: list[HostProcess],
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., tuple[HostProcess, Any]]]:
    """``open_app("run", app_id)`` or ``open_app("dev", folder)`` → (host, Playwright page)."""
    browsers: list[Any] = []
    pages: list[tuple[str, Any]] = []

    def _open(
        command: str, target: str | Path, env: dict[str, str] | None = None
    ) -> tuple[HostProcess, Any]:
        port = free_port()
        host = HostProcess(
            [command, str(target), "--remote-debugging-port", str(port)], env or host_env
        )
        hosts.append(host)
        host.wait_for_line(r"running$")
        browser, page = connect(playwright, port)
        browsers.append(browser)
        pages.append((f"{command}-{Path(str(target)).name}", page))
        return host, page

    yield _open
    if call_failed(request.node):
        ARTIFACTS.mkdir(exist_ok=True)
        for i, (name, page) in enumerate(pages):
            # The window may be gone (that may be what failed): a missing screenshot is fine.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{name}.png"))
    for browser in browsers:
        with contextlib.suppress(Exception):
            browser.close()
