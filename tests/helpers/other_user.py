"""A request to one of the host's Unix sockets from another user (``nobody``, via setpriv).

The client connects through an inherited descriptor of the run folder, so only the folder's and
the socket's own modes decide whether it gets in; then it sends one well-formed request and
prints the first reply line (or ``{"connect": <error>}``). Needs root and ``setpriv``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["NOBODY", "send_as_nobody"]

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

_CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
try:
    s.connect(f"/proc/self/fd/{sys.argv[1]}/{sys.argv[2]}")
except OSError as err:
    print(json.dumps({"connect": type(err).__name__}))
    sys.exit(0)
try:
    s.sendall(sys.argv[3].encode() + b"\n")
except BrokenPipeError:
    pass  # refused before the request was read: the answer is already there
print(s.makefile("rb").readline().decode().strip())
"""


def send_as_nobody(run: Path, socket_name: str, request: dict[str, Any]) -> dict[str, Any]:
    """``request`` sent as ``nobody`` to ``run/socket_name``: the reply, or how connect failed."""
    fd = os.open(run, os.O_RDONLY | os.O_DIRECTORY)
    try:
        out = subprocess.run(
            [*NOBODY, sys.executable, "-I", "-c", _CLIENT, str(fd), socket_name,
             json.dumps(request)],
            pass_fds=(fd,), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(fd)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result
