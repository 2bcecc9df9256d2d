"""``confine``: apply a plan to this process, layer by layer, and say what took.

Order: no_new_privs (Landlock and an unprivileged seccomp filter need it) → capabilities
(all dropped: a root runtime keeps no CAP_SYS_PTRACE, CAP_NET_RAW, CAP_DAC_OVERRIDE …) →
not_dumpable (same-user processes cannot read its /proc memory maps and environment:
Landlock's ptrace rule covers attaching, not those reads — measured) → rlimits →
seccomp (TSYNC: every thread) → Landlock (calling thread and what it starts; so only while
this process has one thread). A layer that this system cannot give is reported
``unavailable`` with the reason and the others still apply: confinement degrades, loudly,
never crashes the runtime. Whether to run anyway is the host's policy.
"""

from __future__ import annotations

import ctypes
import os
import resource

from superapp.confine import _landlock, _seccomp
from superapp.confine._plan import ConfinementPlan, ConfinementReport, LayerResult

__all__ = ["confine", "harden_host", "thread_count"]

_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_PR_SET_NO_NEW_PRIVS = 38
_PR_GET_NO_NEW_PRIVS = 39
_CAP_VERSION_3 = 0x20080522
_CAP_LAST = 63  # probing past the kernel's last capability is harmless (EINVAL)


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


_libc = ctypes.CDLL(None, use_errno=True)


def thread_count() -> int:
    """Threads of this process (Landlock binds only the calling thread on this kernel)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def _no_new_privs() -> LayerResult:
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return LayerResult("no_new_privs", "unavailable", os.strerror(ctypes.get_errno()))
    if _libc.prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        return LayerResult("no_new_privs", "unavailable", "the flag did not stick")
    return LayerResult("no_new_privs", "on", "setuid/file capabilities cannot raise privileges")


def _effective_caps() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def _capabilities() -> LayerResult:
    """Drop every capability: bounding set, ambient, then effective/permitted/inheritable."""
    try:
        held = _effective_caps()
    except (OSError, ValueError) as err:
        return LayerResult("capabilities", "unavailable", f"cannot read them: {err}")
    for cap in range(_CAP_LAST + 1):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EPERM without CAP_SETPCAP: none held
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        return LayerResult("capabilities", "unavailable", os.strerror(ctypes.get_errno()))
    if _effective_caps() != 0:
        return LayerResult("capabilities", "unavailable", "capabilities remain after capset")
    return LayerResult("capabilities", "on", f"dropped {bin(held).count('1')} (none remain)")


def _not_dumpable() -> LayerResult:
    if _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        return LayerResult("not_dumpable", "unavailable", os.strerror(ctypes.get_errno()))
    return LayerResult("not_dumpable", "on", "no core dump; /proc maps and environ owner-only")


def harden_host() -> bool:
    """The host's own part: not dumpable, so a runtime of the same user (which Landlock's
    ptrace rule does not stop from *reading* /proc) cannot read the host's memory maps or
    environment. Returns whether it took."""
    return bool(_libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)


def _rlimits(plan: ConfinementPlan) -> LayerResult:
    limits = plan.rlimits
    wanted = (
        ("core", resource.RLIMIT_CORE, limits.core_bytes),
        ("fsize", resource.RLIMIT_FSIZE, limits.file_bytes),
        ("nproc", resource.RLIMIT_NPROC, limits.nproc),
    )
    failed: list[str] = []
    for name, which, value in wanted:
        try:
            _soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError) as err:
            failed.append(f"{name}: {err}")
    if failed:
        return LayerResult("rlimits", "partial", "; ".join(failed))
    detail = f"core=0 fsize={limits.file_bytes} nproc={limits.nproc}"
    if os.geteuid() == 0 and _effective_caps() != 0:
        return LayerResult("rlimits", "partial", detail + " (root with capabilities ignores nproc)")
    return LayerResult("rlimits", "on", detail)


def _seccomp_layer() -> LayerResult:
    try:
        skipped = _seccomp.deny()
    except _seccomp.SeccompUnavailableError as err:
        return LayerResult("seccomp", "unavailable", str(err))
    except OSError as err:
        return LayerResult("seccomp", "unavailable", f"the filter was refused: {err}")
    count = len(_seccomp.DENIED_SYSCALLS) - len(skipped)
    return LayerResult("seccomp", "on", f"{count} system calls refused (EPERM)")


def _landlock_layers(plan: ConfinementPlan) -> list[LayerResult]:
    names = ("landlock_fs", "landlock_net", "landlock_scope")
    abi = _landlock.abi_version()
    if abi < 1:
        return [LayerResult(n, "unavailable", "the kernel has no Landlock") for n in names]
    threads = thread_count()
    if threads != 1:
        why = f"{threads} threads already run; Landlock would bind only one (ABI {abi})"
        return [LayerResult(n, "unavailable", why) for n in names]
    handled = _landlock.Handled.for_abi(
        abi, fs=True, net=True, scope=True, abstract_unix=plan.scope_abstract_unix
    )
    try:
        ruleset = _landlock.Ruleset(handled)
        try:
            for path in plan.read_paths:
                ruleset.allow_path(path, _landlock.FS_READ)
            for path in plan.write_paths:
                ruleset.allow_path(path, _landlock.FS_READ_WRITE)
            if handled.net:
                ruleset.allow_ports(plan.connect_ports, _landlock.NET_CONNECT_TCP)
                ruleset.allow_ports(plan.bind_ports, _landlock.NET_BIND_TCP)
        except OSError:
            ruleset.close()
            raise
        ruleset.restrict_self()
    except OSError as err:
        return [LayerResult(n, "unavailable", str(err)) for n in names]
    fs_note = plan.notes.get("landlock_fs")
    fs = (
        LayerResult("landlock_fs", "partial", fs_note)
        if fs_note
        else LayerResult("landlock_fs", "on", f"ABI {abi}: {len(plan.write_paths)} writable roots")
    )
    net = (
        LayerResult("landlock_net", "on", f"connect {list(plan.connect_ports)} bind "
                    f"{list(plan.bind_ports)}")
        if handled.net
        else LayerResult("landlock_net", "unavailable", f"Landlock ABI {abi} < 4 (TCP rules)")
    )  # fmt: skip
    scope_note = plan.notes.get("landlock_scope")
    if not handled.scoped:
        scope = LayerResult("landlock_scope", "unavailable", f"Landlock ABI {abi} < 6 (scoping)")
    elif scope_note:
        scope = LayerResult("landlock_scope", "partial", f"signals scoped; {scope_note}")
    else:
        scope = LayerResult("landlock_scope", "on", "signals and abstract Unix sockets stay inside")
    return [fs, net, scope]


def confine(plan: ConfinementPlan) -> ConfinementReport:
    """Lock this process down to ``plan``; irreversible. Never raises for a missing layer:
    the report says which layers are on, partial, or unavailable and why.

    Call it before any thread starts (before Qt, the engine, the egress proxy), or the
    Landlock layers are reported unavailable.
    """
    nnp = _no_new_privs()
    layers = [nnp, _capabilities(), _not_dumpable(), _rlimits(plan), _seccomp_layer()]
    if not plan.landlock:
        layers += [LayerResult(n, "off", "not in this stage") for n in _LANDLOCK]
    elif nnp.status == "on":
        layers += _landlock_layers(plan)
    else:
        why = "needs no_new_privs"
        layers += [LayerResult(n, "unavailable", why) for n in _LANDLOCK]
    return ConfinementReport(tuple(layers))


_LANDLOCK = ("landlock_fs", "landlock_net", "landlock_scope")
