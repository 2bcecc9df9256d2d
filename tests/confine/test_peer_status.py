"""``proc_status`` reads a peer that named itself with bytes that are not UTF-8."""

from __future__ import annotations

import subprocess
import sys

from superapp.confine import more_confined_than_self, proc_status

_NAMED = r"""
import ctypes, sys
ctypes.CDLL(None, use_errno=True).prctl(15, b"\xff\xfeevil", 0, 0, 0)  # PR_SET_NAME
print("named", flush=True)
sys.stdin.read()
"""


def test_a_peer_named_with_undecodable_bytes_is_still_read() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _NAMED], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"named\n"
        status = proc_status(child.pid)  # before: UnicodeDecodeError out of the peer check
        assert status["Name"].endswith("evil") and "\ufffd" in status["Name"]
        assert status["State"][:1] in ("S", "R")
        assert more_confined_than_self(child.pid) is False  # same confinement as the test
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait()
        child.stdout.close()
