"""A seccomp deny-list through ``ctypes`` on libseccomp (Debian ``libseccomp2``).

Why libseccomp through ``ctypes``: Debian's ``python3-seccomp`` is built for the system
Python, not our virtualenv, and ``pyseccomp`` on PyPI is itself a thin ``ctypes`` wrapper of
the same library with a few users. libseccomp (maintained, in every distribution) resolves
system-call names per architecture and writes the BPF program, including the architecture
check and the x32 guard that a hand-written filter gets wrong; what is left for us is five
calls.

The filter is a deny-list, not an allow-list, on purpose: the runtime *is* Chromium's browser
process, and Chromium's own sandbox must keep working under it — it clones user and PID
namespaces, chroots, and stacks its own (much stricter) seccomp filters on its renderers. Only
calls that neither Python, Qt nor Chromium's browser side use are refused, with ``EPERM``.
``TSYNC`` puts the filter on every thread of the process at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
from collections.abc import Iterable

__all__ = ["DENIED_SYSCALLS", "SeccompError", "SeccompUnavailableError", "deny"]

#: Refused with EPERM in every runtime: tracing and reading other processes' memory, loading
#: code into the kernel, mounting, kernel keyrings, perf counters, io_uring (its operations
#: bypass seccomp), and handle-based opens (a path-less way around Landlock with privilege).
DENIED_SYSCALLS: tuple[str, ...] = (
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "bpf", "perf_event_open", "userfaultfd",
    "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at",
    "acct", "swapon", "swapoff", "reboot", "syslog", "quotactl", "iopl", "ioperm",
    "lookup_dcookie", "nfsservctl", "vhangup", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "sethostname", "setdomainname",
)  # fmt: skip

_ACT_ALLOW = 0x7FFF0000
_ACT_ERRNO = 0x00050000
_ATTR_CTL_TSYNC = 4
_NR_UNKNOWN = -1  # __NR_SCMP_ERROR


class SeccompError(OSError):
    """libseccomp refused a step (the message names it)."""


class SeccompUnavailableError(SeccompError):
    """libseccomp is not installed."""


def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as err:
        raise SeccompUnavailableError(errno.ENOSYS, f"libseccomp not found: {err}") from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add.restype = ctypes.c_int
    lib.seccomp_rule_add.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint)
    lib.seccomp_attr_set.restype = ctypes.c_int
    lib.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
    lib.seccomp_load.restype = ctypes.c_int
    lib.seccomp_load.argtypes = (ctypes.c_void_p,)
    lib.seccomp_release.restype = None
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    return lib


def deny(names: Iterable[str] = DENIED_SYSCALLS) -> list[str]:
    """Load a filter refusing ``names`` with EPERM on every thread; returns the names that
    this architecture does not have (skipped).

    Raises:
        SeccompUnavailableError: no libseccomp.
        SeccompError: the filter could not be built or loaded.
    """
    lib = _lib()
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise SeccompError(errno.ENOMEM, "seccomp_init failed")
    skipped: list[str] = []
    try:
        for name in names:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr == _NR_UNKNOWN:
                skipped.append(name)
                continue
            rc = lib.seccomp_rule_add(ctx, _ACT_ERRNO | errno.EPERM, nr, 0)
            if rc < 0:
                raise SeccompError(-rc, f"seccomp_rule_add({name}) failed")
        rc = lib.seccomp_attr_set(ctx, _ATTR_CTL_TSYNC, 1)
        if rc < 0:
            raise SeccompError(-rc, "seccomp cannot synchronise threads (TSYNC)")
        rc = lib.seccomp_load(ctx)
        if rc < 0:
            raise SeccompError(-rc, f"seccomp_load failed: {errno.errorcode.get(-rc, rc)}")
    finally:
        lib.seccomp_release(ctx)
    return skipped
