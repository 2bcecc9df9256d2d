"""End-to-end fixtures (a pytest plugin, loaded by tests/conftest.py).

Xvfb, Playwright, host processes with a CDP port, and screenshots on failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests._selection import is_windowless
from tests.e2e.harness import REPO, HostProcess, Xvfb, connect, free_port

ARTIFACTS = REPO / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash.setdefault(_FAILED, False)
        if report.failed:
            item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    if is_windowless():
        raise pytest.UsageError(
            "this run deselects e2e tests (-m), yet a test asked for a window; "
            "tests that open windows get the e2e marker through the display fixture"
        )
    if shutil.which("Xvfb") is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        yield "offscreen"
        return
    server = Xvfb()
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = server.display
    try:
        yield server.display
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def host_env(display: str, superapp_home: Any) -> dict[str, str]:
    env = dict(os.environ)
    env["SUPERAPP_HOME"] = str(superapp_home.data.parent)
    # The repository first; anything the run itself put on the path (the year-ahead run's clock,
    # tests/timetravel) stays behind it.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
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
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        for i, (name, page) in enumerate(pages):
            # The window may be gone (that may be what failed): a missing screenshot is fine.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{name}.png"))
    for browser in browsers:
        with contextlib.suppress(Exception):
            browser.close()
