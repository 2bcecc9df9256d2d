"""A runtime holds only its own app's key and never opens the registry (issue 14 point 1).

The host derives the app's data key and hands it over in ``bind``; grants and the inbox are
asked of the host. Checked one layer down: the runtime process's memory, environment and
command line (no master key), the control messages the host sent (only the derived key), its
open file descriptors, and a runtime for which the registry, the key folder and the policy
file are made unreadable (an audit hook refuses every open of them and reports it): the app
still works — storage, a consent-granted capability, a revocation that applies to the next
call without a restart — and the report stays empty.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.core.consent import ConsentAnswer
from superapp.core.paths import Paths
from superapp.protocol import Channel
from superapp.state.grants import GrantStore
from superapp.storage import KeyManager
from superapp.testing import call, connect, make_app, wait_for_audit
from tests.attacks._pool import loaded, pooled_host, warm_runtimes
from tests.e2e.harness import REPO, free_port

APP = "com.example.keyless"

#: The real runtime entry point under an audit hook that refuses (PermissionError) and reports
#: every open of the registry, the key folder or the policy file: they are unreadable to it.
_FENCED_RUNTIME = """
import os, sys
data, config, report = sys.argv[1], sys.argv[2], sys.argv[3]
fenced = (os.path.join(data, "registry.sqlite3"), os.path.join(data, "keys"),
          os.path.join(config, "policy.toml"))
fd = os.open(report, os.O_WRONLY | os.O_APPEND)
def hook(event, args):
    if event not in ("open", "sqlite3.connect") or not args:
        return
    if not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.realpath(os.fsdecode(args[0]))
    if path.startswith(fenced):
        os.write(fd, (event + " " + path + "\\n").encode())
        raise PermissionError("fenced by the test: " + path)
sys.addaudithook(hook)
from superapp.runtime._main import main
sys.exit(main(sys.argv[4:]))
"""


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def _master_key(paths: Paths) -> bytes:
    state = json.loads((paths.data / "keys" / "state.json").read_text())
    assert state["masters"][state["current"]] == "file"  # no OS keyring on test machines
    return (paths.data / "keys" / f"master-{state['current']}.key").read_bytes()


def _memory_holds(pid: int, needles: list[bytes]) -> set[bytes]:
    """Which of ``needles`` occur in the readable private memory of ``pid``."""
    found: set[bytes] = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            path = fields[5] if len(fields) > 5 else ""
            if not fields[1].startswith("r") or path.startswith(("/", "[v")):
                continue  # files mapped from disk hold no secret of ours; vvar/vsyscall
            if end - start > 512 * 1024 * 1024:
                continue  # address-space reservations
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            found.update(n for n in needles if n in chunk)
    return found


def _forms(key: bytes) -> list[bytes]:
    return [key, base64.b64encode(key), key.hex().encode()]


def test_runtime_never_holds_the_master_key(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sent: list[bytes] = []
    real_send = Channel.send

    def recording_send(self: Channel, msg: Any) -> None:
        sent.append(msg.model_dump_json().encode())
        real_send(self, msg)

    monkeypatch.setattr(Channel, "send", recording_send)
    folder = make_app(tmp_path, APP, permissions=[("storage", "Notes")])
    with pooled_host(superapp_home) as supervisor:
        warm_runtimes(supervisor)
        # A storage app starts cold (docs/pool.md), locked down to its own folder.
        app = loaded(supervisor.launch(APP, dev_src=folder, cdp_port=free_port()))
        browser, page = connect(playwright, app.cdp_port)  # type: ignore[arg-type]
        assert call(page, "storage.set", {"key": "k", "value": "v"})["ok"] is True
        browser.close()
        master = _master_key(superapp_home)
        data_key = KeyManager(superapp_home).data_key(APP, create=False)
        assert data_key is not None
        found = _memory_holds(app.pid, [*_forms(master), *_forms(data_key)])
        environ = Path(f"/proc/{app.pid}/environ").read_bytes()
        cmdline = Path(f"/proc/{app.pid}/cmdline").read_bytes()
    assert set(_forms(data_key)) & found  # the scan sees the key the runtime does hold...
    assert not found & set(_forms(master))  # ...and the master key is nowhere in it
    for blob in (environ, cmdline):
        assert not any(form in blob for form in _forms(master))
        assert b"keys" + os.sep.encode() not in blob
    binds = [m for m in sent if m.startswith(b'{"type":"bind"')]
    assert len(binds) == 1
    assert json.loads(binds[0])["data_key"] == base64.b64encode(data_key).decode()
    assert not any(form in m for m in sent for form in _forms(master))


def test_runtime_works_with_the_registry_and_keys_unreadable_to_it(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    report = tmp_path / "fenced-opens.txt"
    report.write_text("")
    argv = [sys.executable, "-c", _FENCED_RUNTIME, str(superapp_home.data),
            str(superapp_home.config), str(report)]  # fmt: skip
    folder = make_app(
        tmp_path, APP, permissions=[("storage", "Notes"), ("user:readProfile", "Greet you")]
    )

    asked: list[str] = []

    def allow_always(prompt: Any) -> ConsentAnswer:
        # The user says "always" once; asked again after revoking, they say no.
        asked.append(prompt.capability)
        return ConsentAnswer.ALLOW_ALWAYS if len(asked) == 1 else ConsentAnswer.DENY

    with pooled_host(superapp_home, runtime_argv=argv, consent=allow_always) as supervisor:
        warm_runtimes(supervisor)
        # A storage app starts cold (docs/pool.md): its runtime reads bind first and locks
        # itself down to the app's folder, so the registry and keys are out of its reach too.
        app = loaded(supervisor.launch(APP, dev_src=folder, cdp_port=free_port()))
        assert not app.pooled
        browser, page = connect(playwright, app.cdp_port)  # type: ignore[arg-type]
        assert call(page, "storage.set", {"key": "k", "value": 1})["ok"] is True
        assert call(page, "storage.get", {"key": "k"})["result"] == 1
        assert call(page, "user.profile")["ok"] is True  # asked: "always" (the host records it)
        assert call(page, "user.profile")["ok"] is True  # not asked again
        assert call(page, "share.inbox")["result"] == {"items": []}
        fds = {os.readlink(f"/proc/{app.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{app.pid}/fd")}
        # The user revokes it elsewhere (as `superapp revoke-grant` does): the next call is
        # refused, without a restart.
        with GrantStore(superapp_home.registry_db) as grants:
            grants.revoke(APP, "user:readProfile")
        reply = call(page, "user.profile")
        assert reply["ok"] is False and reply["code"] in ("PERMISSION_DENIED", "CONSENT_DENIED")
        browser.close()
        wait_for_audit(
            superapp_home, lambda e: e["superapp"].get("api") == "user.profile",
            action="bridge.denied", app_id=APP,
        )  # fmt: skip
    assert asked == ["user:readProfile", "user:readProfile"]
    assert report.read_text() == ""  # it never even tried
    registry = str(superapp_home.registry_db)
    assert not [fd for fd in fds if fd.startswith(registry) or "/keys/" in fd]
    assert any(re.search(r"/apps/com\.example\.keyless/storage/", fd) for fd in fds)
