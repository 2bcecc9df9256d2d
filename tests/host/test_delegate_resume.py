"""``superapp run APP_ID`` for an app the launcher holds in the background (hidden, suspended,
discarded): the launch endpoint resumes it, the way the launcher's card does, and the caller
holds it from then on like an app it launched (its end stops the app). With the windowless fake
runtime and the real endpoint, supervisor, audit log and Unix socket; states, not timings."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from superapp.core.paths import Paths
from superapp.host import AppState, Supervisor
from superapp.host._delegate import LaunchEndpoint
from superapp.policy import HostPolicy
from superapp.protocol._delegate import launcher_socket
from superapp.testing import audit_events, wait_until
from tests.host.conftest import MakeSupervisor, install_signed
from tests.host.test_discard_resume import APP, READY, SAVED


@pytest.fixture
def supervisor(superapp_home: Paths, make_supervisor: MakeSupervisor) -> Iterator[Supervisor]:
    install_signed(superapp_home, APP)
    yield make_supervisor(READY, policy=HostPolicy(), options={"saved": SAVED})


@pytest.fixture
def endpoint(superapp_home: Paths, supervisor: Supervisor) -> Iterator[LaunchEndpoint]:
    served = LaunchEndpoint(superapp_home, supervisor, supervisor.audit)
    assert served.start()
    yield served
    served.close(drain_s=5)


class _Run:
    """A delegating ``superapp run`` on the wire: one request, then the replies as they come."""

    def __init__(self, paths: Paths) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(str(launcher_socket(paths)))
        self.sock.sendall(json.dumps({"app_id": APP}).encode() + b"\n")
        self.stream = self.sock.makefile("rb")

    def reply(self) -> dict[str, Any]:
        line = self.stream.readline()
        assert line, "the launcher closed without a reply"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> dict[str, Any]:
        """Ctrl-C: half-close; the launcher stops the app and sends its end."""
        self.sock.shutdown(socket.SHUT_WR)
        ended = self.reply()
        self.close()
        return ended

    def close(self) -> None:
        """The process dies: its end closes (the file object holds the socket open too)."""
        self.stream.close()
        self.sock.close()


def _launched(supervisor: Supervisor) -> int:
    app = supervisor.launch(APP)
    assert app.loaded.wait(60)
    return app.pid


def test_run_resumes_an_app_the_launcher_discarded_and_holds_it(
    supervisor: Supervisor, endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    first = _launched(supervisor)
    supervisor.background.hide(APP, cause="test", suspend=True)
    supervisor.background.discard(APP, cause="test")
    assert supervisor.state(APP)[0] is AppState.DISCARDED

    run = _Run(superapp_home)
    launched = run.reply()
    assert launched["code"] == "LAUNCHED" and launched["resumed"] is True, launched
    assert launched["pid"] != first  # a discarded app's runtime ended: a new one, restored
    assert run.reply() == {"code": "RUNNING", "detail": ""}
    assert supervisor.state(APP)[0] is AppState.RUNNING
    restores = audit_events(superapp_home, "fake.restore", APP)
    assert [r["superapp"]["location"] for r in restores] == ["index.html?n=1#b"]
    [lease] = [e for e in audit_events(superapp_home, "launcher.delegate", APP)
               if e["event"]["outcome"] == "success"]  # fmt: skip
    assert lease["event"]["reason"] == "resumed for 'superapp run'"

    # It is this run's now: a second run is refused, the first one's end stops the app.
    again = _Run(superapp_home)
    refused = again.reply()
    assert refused["code"] == "ALREADY_RUNNING", refused
    assert "another 'superapp run'" in refused["detail"]
    again.close()
    assert run.stop() == {"code": "ENDED", "state": "stopped", "detail": ""}
    assert supervisor.get(APP) is None and supervisor.discarded.get(APP) is None


@pytest.mark.parametrize("suspend", [False, True], ids=["hidden", "suspended"])
def test_run_resumes_an_app_the_launcher_holds_in_the_background(
    supervisor: Supervisor, endpoint: LaunchEndpoint, superapp_home: Paths, suspend: bool
) -> None:
    first = _launched(supervisor)
    supervisor.background.hide(APP, cause="test", suspend=suspend)
    wanted = AppState.SUSPENDED if suspend else AppState.HIDDEN
    wait_until(lambda: supervisor.state(APP)[0] is wanted, what=wanted.value)

    run = _Run(superapp_home)
    launched = run.reply()
    assert launched["code"] == "LAUNCHED" and launched["resumed"] is True, launched
    assert launched["pid"] == first  # the same runtime, brought back
    assert run.reply()["code"] == "RUNNING"
    assert supervisor.state(APP)[0] is AppState.RUNNING
    # The caller going (its end closing) stops the app, as for one it launched.
    run.close()
    wait_until(lambda: supervisor.get(APP) is None, what="the app stopped with its run")


def test_run_of_an_app_running_in_the_launchers_foreground_is_already_running(
    supervisor: Supervisor, endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    first = _launched(supervisor)
    run = _Run(superapp_home)
    refused = run.reply()
    run.close()
    assert refused["code"] == "ALREADY_RUNNING", refused
    assert refused["detail"] == f"{APP} is already running in the launcher"
    app = supervisor.get(APP)
    assert app is not None and app.pid == first and app.state is AppState.RUNNING


def test_launch_under_way_when_the_launcher_closes_is_stopped_by_the_close_not_orphaned(
    supervisor: Supervisor,
    endpoint: LaunchEndpoint,
    superapp_home: Paths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request that passed its closing check just before the launcher began to close: the
    close waits for its app to be in the supervisor's list, then stops it with the rest (its
    run gets ``ENDED``, "the launcher closed"), instead of the app starting after the
    shutdown took its list. A request after that point gets ``HOST_EXITING``."""
    import threading

    entered, gate = threading.Event(), threading.Event()
    real_launch = supervisor.launch

    def gated_launch(app_id: str, **kwargs: Any) -> Any:
        entered.set()
        assert gate.wait(60)
        return real_launch(app_id, **kwargs)

    monkeypatch.setattr(supervisor, "launch", gated_launch)
    run = _Run(superapp_home)
    assert entered.wait(60)

    def close() -> None:  # ``Host.close``'s order
        endpoint.stop_accepting()
        supervisor.shutdown()

    closer = threading.Thread(target=close)
    closer.start()
    wait_until(lambda: endpoint._closing, what="the launcher closing")
    late = _Run(superapp_home)  # still connects: the close waits for the launch under way
    refused = late.reply()
    late.close()
    assert refused["code"] == "HOST_EXITING", refused
    gate.set()
    closer.join(60)
    assert not closer.is_alive()
    launched = run.reply()
    assert launched["code"] == "LAUNCHED", launched
    replies = [run.reply()]
    if replies[0]["code"] == "RUNNING":
        replies.append(run.reply())
    assert replies[-1] == {"code": "ENDED", "state": "stopped", "detail": "the launcher closed"}
    run.close()
    assert supervisor.get(APP) is None
    [launch] = audit_events(superapp_home, "app.launched", APP)
    pid = launch["superapp"]["pid"]  # its runtime ended with the close, no orphan
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_run_of_an_app_another_run_holds_in_the_background_is_told_to_resume_it(
    supervisor: Supervisor, endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    """The app is held by a first ``superapp run`` and suspended: a second one is refused, and
    the command's message points at ``superapp resume`` (the real client, its handlers back)."""
    import signal

    from superapp.cli._delegate import open_in_launcher
    from superapp.core.errors import AppStateError

    first = _Run(superapp_home)
    assert first.reply()["code"] == "LAUNCHED"
    assert first.reply()["code"] == "RUNNING"
    supervisor.background.hide(APP, cause="test", suspend=True)
    wait_until(lambda: supervisor.state(APP)[0] is AppState.SUSPENDED, what="suspended")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(AppStateError) as refused:
        open_in_launcher(superapp_home, APP)
    assert str(refused.value) == (
        f"{APP} is already running for another 'superapp run' "
        f"(it is suspended: bring it back with 'superapp resume {APP}')"
    )
    assert {s: signal.getsignal(s) for s in before} == before  # restored on a refusal
    assert supervisor.state(APP)[0] is AppState.SUSPENDED  # the refusal changed nothing
    assert first.stop()["code"] == "ENDED"
