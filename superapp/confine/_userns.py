"""A root runtime leaves root: its own user namespace, where it is an ordinary user.

Chromium refuses its sandbox to a process whose effective uid is 0 (the runtime then had to
run the engine with ``--no-sandbox``, DESIGN §6.9). A runtime started by a root host therefore
moves into a new user namespace in which the host's uid 0 is mapped to :data:`INNER_ID`, an
unprivileged id: Chromium sees a normal user and turns its sandbox on (its zygote nests its
own user and PID namespaces inside ours, and stacks its seccomp filters on ours).

What it does not change: outside the namespace the runtime is still uid 0, so file
permissions do not separate it from the host — Landlock does. The capabilities it holds in
its namespace are dropped by ``confine`` straight after. Must run while the process has one
thread (``unshare(CLONE_NEWUSER)`` refuses a threaded process).
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["INNER_ID", "leave_root"]

#: The uid and gid a root runtime has inside its namespace.
INNER_ID = 1000
_CLONE_NEWUSER = 0x10000000
_libc = ctypes.CDLL(None, use_errno=True)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def leave_root() -> str | None:
    """If this process is root, move it into a user namespace as :data:`INNER_ID`.

    Returns None when done or not needed, else why not (the engine's sandbox stays off).
    """
    if os.geteuid() != 0:
        return None
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    if _libc.unshare(_CLONE_NEWUSER) != 0:
        return f"cannot create a user namespace: {os.strerror(ctypes.get_errno())}"
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{INNER_ID} {outer_uid} 1\n")
        _write("/proc/self/gid_map", f"{INNER_ID} {outer_gid} 1\n")
    except OSError as err:
        return f"cannot map the user namespace: {err.strerror}"
    return None
