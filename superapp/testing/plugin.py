"""The pytest plugin for UI tests of mini-apps (and superapp's own end-to-end tests).

Registered through the ``pytest11`` entry point ``superapp.testing.plugin``, so any project
where superapp is installed gets it. Fixtures:

``miniapp``
    The app's window as a Playwright ``Page``, attached over CDP and ready (the entry page
    loaded, ``callNative`` defined), the app running in an isolated temporary home.
``miniapp_handle``
    The same running app as a :class:`~superapp.testing.MiniApp`: ``.page``, and helpers for
    consent (``answer_consent``, ``call_with_consent``, ``grant``, ``deny``, ``grants``),
    storage (``stored``, and ``storage=`` to seed it), the audit log (``audit``,
    ``wait_for_audit``), toasts (``toasts``, ``wait_for_toast``), ``wait_ready``,
    ``expect_reload``, ``call``, ``cli`` and ``log``.

    Which app: ``@pytest.mark.miniapp("path/to/folder" | "app.sapp", **options)`` (a
    relative path is taken from the test file's folder), else ``--miniapp PATH`` on the
    command line (with ``--miniapp-trust PUBKEY`` for a ``.sapp``), else the
    ``miniapp_source`` fixture (override it in a conftest), else the ``miniapp_path`` ini
    option (from the rootdir), else the nearest folder holding ``manifest.json`` at or above
    the test file. Options: ``grant=[...]``, ``deny=[...]`` (pre-answered consent),
    ``storage={...}`` (seeded before start), ``trust="publisher.pub"`` (for a ``.sapp``),
    ``consent="deny"|"allow_once"|"allow_always"`` (answer every prompt without the dialog),
    ``devtools=True``, ``args=[...]`` (more ``superapp dev``/``run`` options), and
    ``keep_state=True`` (one home shared by every such app of the session).
``miniapp_factory``
    ``miniapp_factory(source, **options) -> MiniApp``: more than one app, or options chosen
    at run time; every app it starts is closed at teardown.
``superapp_home``
    A fresh, isolated ``SUPERAPP_HOME`` for this test (``Paths``); the environment points at it.
``superapp_display`` / ``superapp_playwright``
    The session's X server (Xvfb, else Qt's offscreen platform) and sync Playwright.
``miniapp_source``
    None by default; a conftest returns the app's folder or ``.sapp`` here.
``miniapp_env``
    Extra environment for the hosts the plugin starts (override it in a conftest).

Each app gets fresh state: a home of its own, unless ``keep_state=True``. When a test
fails, every app it started leaves a screenshot in the artifacts folder
(``--superapp-artifacts``, default ``<rootdir>/test-artifacts``) and its host's and runtime's
output in the report.

Playwright's sync API runs an asyncio loop on the main thread for the session; tests that
use asyncio themselves should run their loops on a thread of their own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.testing._harness import start_display
from superapp.testing._miniapp import MiniApp, open_miniapp

__all__ = ["artifacts_dir", "call_failed", "find_app_source", "start_display"]

_STARTED = pytest.StashKey[list[MiniApp]]()
_SHARED_HOME = pytest.StashKey[Path]()
_FAILED = pytest.StashKey[bool]()
#: Lines of each host's output put in a failed test's report.
_LOG_LINES = 200


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("superapp", "superapp mini-app tests")
    group.addoption(
        "--superapp-artifacts", metavar="DIR", default=None,
        help="where failed tests leave screenshots (default: <rootdir>/test-artifacts)",
    )  # fmt: skip
    group.addoption(
        "--miniapp", metavar="PATH", default=None,
        help="run the tests against this app (a folder or a signed .sapp) instead",
    )  # fmt: skip
    group.addoption(
        "--miniapp-trust", metavar="PUBKEY", default=None,
        help="the publisher key to trust before installing a .sapp (superapp trust add)",
    )  # fmt: skip
    parser.addini("miniapp_path", "the mini-app folder or .sapp the miniapp fixture runs")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "miniapp(source, **options): the mini-app (folder or .sapp) the miniapp fixture runs, "
        "and its options (grant, deny, storage, trust, consent, devtools, args, keep_state)",
    )


def artifacts_dir(config: pytest.Config) -> Path:
    chosen = config.getoption("--superapp-artifacts", None)
    return Path(chosen) if chosen else Path(config.rootpath) / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    if report.when == "call" and report.failed:
        started: list[MiniApp] = item.stash.get(_STARTED, [])
        for i, app in enumerate(started):
            folder = artifacts_dir(item.config)
            folder.mkdir(parents=True, exist_ok=True)
            shot = folder / f"{item.name}-{i}-{app.app_id or 'app'}.png"
            # The window may be gone (that may be what failed): a missing screenshot is fine.
            with contextlib.suppress(Exception):
                app.page.screenshot(path=str(shot))
                report.sections.append((f"superapp screenshot {i}", str(shot)))
            tail = "\n".join(app.log.splitlines()[-_LOG_LINES:])
            report.sections.append((f"superapp log {i} ({app.app_id})", tail))
    return report


def call_failed(item: pytest.Item) -> bool:
    """Whether ``item``'s test body failed (for fixtures that keep evidence at teardown)."""
    return item.stash.get(_FAILED, False)


@pytest.fixture(scope="session")
def superapp_display() -> Iterator[str]:
    with start_display() as display:
        yield display


@pytest.fixture(scope="session")
def superapp_playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def superapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """Point all host state at a fresh temporary folder (DESIGN §2)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SUPERAPP_HOME", str(home))
    paths = Paths.from_env()
    paths.ensure()
    yield paths


@pytest.fixture
def miniapp_env() -> dict[str, str]:
    return {}


@pytest.fixture
def miniapp_source() -> Path | str | None:
    """The app the ``miniapp`` fixture runs (a folder or a ``.sapp``); None: look for it."""
    return None


def find_app_source(start: Path, stop: Path) -> Path | None:
    """The nearest folder holding ``manifest.json`` at or above ``start`` (not above ``stop``)."""
    folder = start.resolve()
    stop = stop.resolve()
    while True:
        if (folder / "manifest.json").is_file():
            return folder
        if folder == stop or folder.parent == folder:
            return None
        folder = folder.parent


def _source_for(request: pytest.FixtureRequest, given: str | os.PathLike[str] | None) -> Path:
    test_dir = Path(str(request.node.path)).parent
    if given is None and request.config.getoption("--miniapp", None):
        return Path(request.config.getoption("--miniapp")).resolve()
    if given is None:
        given = request.getfixturevalue("miniapp_source")
    if given is not None:
        path = Path(given)
        return path if path.is_absolute() else test_dir / path
    ini = request.config.getini("miniapp_path")
    if ini:
        return Path(request.config.rootpath) / str(ini)
    found = find_app_source(test_dir, Path(request.config.rootpath))
    if found is None:
        raise pytest.UsageError(
            f"no mini-app for {request.node.nodeid}: mark the test "
            "@pytest.mark.miniapp('path/to/app'), set miniapp_path in the pytest ini, "
            "or put the test below the app's manifest.json"
        )
    return found


@pytest.fixture
def miniapp_factory(
    request: pytest.FixtureRequest,
    superapp_display: str,
    superapp_playwright: Any,
    tmp_path_factory: pytest.TempPathFactory,
    miniapp_env: dict[str, str],
) -> Iterator[Callable[..., MiniApp]]:
    started = request.node.stash.setdefault(_STARTED, [])

    def start(
        source: str | os.PathLike[str] | None = None,
        *,
        keep_state: bool = False,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> MiniApp:
        if not keep_state:
            home = tmp_path_factory.mktemp("superapp-home")
        else:
            stash = request.config.stash
            if _SHARED_HOME not in stash:
                stash[_SHARED_HOME] = tmp_path_factory.mktemp("superapp-shared-home")
            home = stash[_SHARED_HOME]
        trust = request.config.getoption("--miniapp-trust", None)
        if trust and "trust" not in options:
            options["trust"] = Path(trust).resolve()
        app = open_miniapp(
            superapp_playwright, _source_for(request, source), home,
            env={**miniapp_env, **(env or {})}, **options,
        )  # fmt: skip
        started.append(app)
        return app

    yield start
    for app in reversed(started):
        app.close()


@pytest.fixture
def miniapp_handle(
    request: pytest.FixtureRequest, miniapp_factory: Callable[..., MiniApp]
) -> MiniApp:
    marker = request.node.get_closest_marker("miniapp")
    args: tuple[Any, ...] = marker.args if marker else ()
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    return miniapp_factory(*args, **kwargs)


@pytest.fixture
def miniapp(miniapp_handle: MiniApp) -> Any:
    """The app's window: a Playwright ``Page`` (``miniapp_handle`` has the helpers)."""
    return miniapp_handle.page
