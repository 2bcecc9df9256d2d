"""Is a local peer a confined process? For sockets Landlock cannot guard on this kernel.

Landlock ABI 7 does not cover connecting to a *named* Unix socket, so a confined runtime of
the same user can still reach the host's control socket (``<state>/run/host-<pid>.sock``)
by its path. The host therefore looks at who connected (``SO_PEERCRED``'s pid): a process
under more seccomp filters than the host, or with ``no_new_privs`` where the host has none,
was confined below the host — a runtime or one of its children (the flag and the filters are
inherited and can never be dropped) — and is refused.
"""

from __future__ import annotations

__all__ = ["more_confined_than_self", "proc_status"]


def proc_status(pid: int | str) -> dict[str, str]:
    """``/proc/<pid>/status`` as its fields (values stripped). Raises OSError when unreadable.

    Undecodable bytes are replaced: a process names itself (``Name``, ``PR_SET_NAME``), and
    a peer must not turn the host's check of it into a ``UnicodeDecodeError``."""
    out: dict[str, str] = {}
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def more_confined_than_self(pid: int) -> bool:
    """True if ``pid`` is more confined than this process (or cannot be inspected)."""
    try:
        peer, me = proc_status(pid), proc_status("self")
    except OSError:
        return True  # gone or hidden: refuse rather than guess
    if peer.get("NoNewPrivs") == "1" and me.get("NoNewPrivs") != "1":
        return True
    try:
        return int(peer.get("Seccomp_filters", "0")) > int(me.get("Seccomp_filters", "0"))
    except ValueError:
        return True
