"""A runtime reaches the audit log only through its control channel (issue 13).

The real runtime process (``python -m superapp.runtime``'s ``main``) is started by the real
supervisor on its socketpair for an installed app whose bundle was replaced on disk. Its
launch check fails before any window is shown (the generic engine may be starting meanwhile,
offscreen, so this needs no display). The failure
must arrive as ``bundle.verify_failed`` written by the host under the app id it launched,
while the runtime process never opens the audit log (or its head/rotation files) for
writing: a Python audit hook in the runtime records every such open.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle
from superapp.core.paths import Paths
from superapp.host import StopTimeouts, Supervisor
from superapp.testing import audit_events, wait_for_audit
from tests.host.conftest import signed_bundle

TIMEOUT = 60.0
APP = "com.example.tampered"

#: Runs the real runtime entry point under an audit hook that writes to the report file any
#: open-for-writing of a path whose name starts with the audit log's name.
_WATCHED_RUNTIME = """
import os, sys
watched = os.path.realpath(sys.argv[1])
report = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def hook(event, args):
    if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    mode, flags = args[1], args[2]
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and flags & writes)
    if writing and os.path.realpath(os.fsdecode(args[0])).startswith(watched):
        os.write(report, (os.fsdecode(args[0]) + "\\n").encode())
sys.addaudithook(hook)
from superapp.runtime._main import main
sys.exit(main(sys.argv[3:]))
"""


def _install_then_replace(paths: Paths) -> None:
    publisher = Ed25519PrivateKey.generate()
    TrustStore(paths).add(publisher.public_key(), "Example Co")

    def bundle(body: bytes) -> bytes:
        return signed_bundle(publisher, APP, "Tampered", body)

    install_bundle(paths, bundle(b"<!doctype html><title>installed"))
    installed = next(paths.app_bundle(APP).glob("*.sapp"))
    installed.chmod(0o600)
    # Validly signed by the same trusted publisher, but not the bundle that was installed.
    installed.write_bytes(bundle(b"<!doctype html><title>swapped"))


def test_tampered_bundle_failure_is_written_by_the_host_not_the_runtime(
    superapp_home: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # the runtime's engine, no display
    _install_then_replace(superapp_home)
    report = tmp_path / "runtime-audit-writes.txt"
    report.write_text("", encoding="utf-8")
    watched = str(superapp_home.audit_log)
    argv = [sys.executable, "-c", _WATCHED_RUNTIME, watched, str(report)]
    supervisor = Supervisor(
        superapp_home,
        AuditLog(superapp_home.audit_log),
        runtime_argv=argv,
        timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
    )
    try:
        app = supervisor.launch(APP)
        assert app.exited.wait(TIMEOUT), "the runtime did not exit"
        event = wait_for_audit(
            superapp_home, lambda ev: True, action="bundle.verify_failed", app_id=APP
        )
    finally:
        supervisor.shutdown()
    assert event["event"]["outcome"] == "failure"
    assert "not the one that was installed" in event["event"]["reason"]
    assert app.proc.returncode == 3  # "cannot start", reported to the host
    assert len(audit_events(superapp_home, "bundle.verify_failed", APP)) == 1
    # The hook saw the runtime's other opens (it ran: the entry above came over its
    # channel), and none of them wrote the audit log.
    assert report.read_text(encoding="utf-8") == ""
