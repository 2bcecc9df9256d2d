"""Landlock through ``ctypes`` (Linux >= 5.13): three system calls and their structures.

Why our own module rather than a binding: the one PyPI binding (``landlock``) covers the
filesystem only (no TCP rules, no ABI 6 scoping) and sees few releases; the kernel interface
is three calls with stable numbers (the same on every architecture, they were added after the
syscall tables were unified), so ~150 lines with tests are less to trust than a dependency.

Landlock applies to the *calling thread* and the threads and processes it creates afterwards.
This kernel (ABI 7) has no flag to apply it to sibling threads, so :func:`restrict_self` must
run while the process has one thread; ``superapp.confine`` checks that before calling it.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FS_READ",
    "FS_READ_WRITE",
    "LandlockError",
    "Ruleset",
    "abi_version",
]

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2

# Filesystem rights (uapi/linux/landlock.h), by the ABI that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
# IOCTL_DEV (ABI 5) is deliberately not handled: the engine's ioctls on /dev/null, ttys and
# GPU nodes would each need a rule, and device ioctls are seccomp's and the sandbox's job.

_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
FS_READ = EXECUTE | READ_FILE | READ_DIR
FS_READ_WRITE = (
    FS_READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK
    | MAKE_FIFO | MAKE_SYM | REFER | TRUNCATE
)  # fmt: skip
_FS_V1 = (1 << 13) - 1

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6


class LandlockError(OSError):
    """A Landlock call failed (the message names the call and the path or port)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is __attribute__((packed)): 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _NetPortAttr(ctypes.Structure):
    _fields_ = (("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64))


_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long


def abi_version() -> int:
    """The kernel's Landlock ABI (0: none, or disabled at boot)."""
    res = _syscall(
        _SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    if res < 0:
        return 0
    return int(res)


@dataclass(frozen=True)
class Handled:
    """What a ruleset restricts, cut to what ``abi`` knows."""

    fs: int
    net: int
    scoped: int

    @classmethod
    def for_abi(
        cls, abi: int, *, fs: bool, net: bool, scope: bool, abstract_unix: bool = True
    ) -> Handled:
        fs_bits = _FS_V1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
        return cls(
            fs=fs_bits if fs and abi >= 1 else 0,
            net=(NET_BIND_TCP | NET_CONNECT_TCP) if net and abi >= 4 else 0,
            scoped=(
                (SCOPE_SIGNAL | (SCOPE_ABSTRACT_UNIX_SOCKET if abstract_unix else 0))
                if scope and abi >= 6
                else 0
            ),
        )


class Ruleset:
    """One Landlock ruleset: add rules, then :meth:`restrict_self` (closes it)."""

    def __init__(self, handled: Handled) -> None:
        self.handled = handled
        attr = _RulesetAttr(handled.fs, handled.net, handled.scoped)
        fd = _syscall(
            _SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
            ctypes.c_uint32(0),
        )  # fmt: skip
        if fd < 0:
            raise _error("landlock_create_ruleset")
        self._fd = int(fd)

    def allow_path(self, path: Path, access: int) -> bool:
        """Allow ``access`` beneath ``path``; False (no rule) when it does not exist."""
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            if not os.path.isdir(path):
                access &= _FILE_ONLY  # files take file rights only (EINVAL otherwise)
            attr = _PathBeneathAttr(access & self.handled.fs, pfd)
            self._add(_RULE_PATH_BENEATH, ctypes.byref(attr), f"path {path}")
        finally:
            os.close(pfd)
        return True

    def allow_ports(self, ports: Iterable[int], access: int) -> None:
        for port in sorted(set(ports)):
            attr = _NetPortAttr(access & self.handled.net, port)
            self._add(_RULE_NET_PORT, ctypes.byref(attr), f"port {port}")

    def _add(self, rule_type: int, attr: object, what: str) -> None:
        res = _syscall(
            _SYS_ADD_RULE, ctypes.c_int(self._fd), ctypes.c_int(rule_type), attr,
            ctypes.c_uint32(0),
        )  # fmt: skip
        if res < 0:
            raise _error(f"landlock_add_rule ({what})")

    def restrict_self(self) -> None:
        """Enforce on this thread and everything it starts from now on (needs no_new_privs)."""
        try:
            if _syscall(_SYS_RESTRICT_SELF, ctypes.c_int(self._fd), ctypes.c_uint32(0)) < 0:
                raise _error("landlock_restrict_self")
        finally:
            self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _error(call: str) -> LandlockError:
    code = ctypes.get_errno()
    return LandlockError(code, f"{call}: {os.strerror(code) or errno.errorcode.get(code, code)}")
