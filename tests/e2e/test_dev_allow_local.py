"""``superapp dev --allow-local``: a local mock API in developer mode only (issue 15, point 3).

Loopback is otherwise refused by the policy, the engine and the egress proxy (DESIGN §6.3);
the exception is explicit, audited, and impossible for ``run``, ``pack`` and ``install``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.protocol import Channel, Notice
from superapp.testing import MiniApp, make_app
from tests.helpers.recorder import Recorder

APP = "com.example.mockapi"
FETCH = """([url]) => fetch(url).then(r => r.text(), e => 'failed: ' + e.name)"""


@pytest.fixture
def mock_api() -> Iterator[Recorder]:
    with Recorder() as rec:
        rec.route("/todos", body='[{"title":"milk"}]')  # the recorder allows any origin
        yield rec


def _superapp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args], env=dict(os.environ), capture_output=True,
        text=True,
    )  # fmt: skip


def test_allow_local_reaches_the_mock_api_in_dev(
    tmp_path: Path, miniapp_factory: Any, mock_api: Recorder
) -> None:
    app: MiniApp = miniapp_factory(make_app(tmp_path, APP), args=["--allow-local", mock_api.origin])
    assert app.page.evaluate(FETCH, [mock_api.url("/todos")]) == '[{"title":"milk"}]'
    assert mock_api.wait_for_hits(1)[0].path == "/todos"
    event = app.wait_for_audit("dev.allow_local")
    assert event["superapp"]["origins"] == [mock_api.origin]
    # Only that origin: another loopback port stays refused, at the engine or the proxy.
    with Recorder() as other:
        assert app.page.evaluate(FETCH, [other.url("/x")]).startswith("failed")
        assert other.connections == 0


def test_without_allow_local_loopback_stays_refused_in_dev(
    tmp_path: Path, miniapp_factory: Any, mock_api: Recorder
) -> None:
    app: MiniApp = miniapp_factory(make_app(tmp_path, APP))
    assert app.page.evaluate(FETCH, [mock_api.url("/todos")]).startswith("failed")
    assert mock_api.connections == 0
    app.wait_for_audit("net.blocked", lambda e: str(mock_api.port) in json.dumps(e))
    assert app.audit("dev.allow_local") == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["run", APP], "--allow-local is for 'superapp dev' only"),
        (["pack", "FOLDER", "--key", "k.key", "--out", "x.sapp"], "--allow-local is for"),
        (["install", "x.sapp"], "--allow-local is for 'superapp dev' only"),
    ],
    ids=["run", "pack", "install"],
)
def test_run_pack_and_install_refuse_allow_local(
    tmp_path: Path, superapp_home: Paths, command: list[str], message: str
) -> None:
    folder = make_app(tmp_path, APP)
    args = [str(folder) if a == "FOLDER" else a for a in command]
    done = _superapp(*args, "--allow-local", "http://127.0.0.1:8080")
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.sapp").exists() and not superapp_home.app_dir(APP).exists()


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:8080", "http://10.0.0.1:8080", "https://127.0.0.1:8080",
     "http://127.0.0.1", "http://127.0.0.1:8080/api"],
    ids=["name", "private", "https", "no-port", "path"],
)  # fmt: skip
def test_dev_refuses_allow_local_that_is_not_a_loopback_origin(
    tmp_path: Path, superapp_home: Paths, origin: str
) -> None:
    done = _superapp("dev", str(make_app(tmp_path, APP)), "--allow-local", origin)
    assert done.returncode == 2 and "http://127.0.0.1:PORT" in done.stderr


def test_runtime_refuses_allow_local_without_developer_mode(
    superapp_home: Paths, tmp_path: Path
) -> None:
    """One layer below the CLI: a runtime started with --allow-local and bound to an installed
    app (no developer folder in its bind) refuses to start and says why over its channel."""
    from superapp.protocol import Bind

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        bind = Bind(
            app_id=APP, bundle_path=str(tmp_path / "app.sapp"),
            app_dir=str(superapp_home.app_dir(APP)), webview_dir=str(tmp_path / "webview"),
        )  # fmt: skip
        Channel(ours).send(bind)  # a cold runtime reads its bind first
        done = subprocess.run(
            [sys.executable, "-m", "superapp.runtime",
             "--control-fd", str(theirs.fileno()), "--parent-pid", str(os.getpid()),
             "--slot-dir", str(tmp_path), "--allow-local", "http://127.0.0.1:8080"],
            pass_fds=[theirs.fileno()], env=dict(os.environ), capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2
        notice = Channel(ours).recv()
    assert isinstance(notice, Notice) and "without a developer folder" in notice.message
