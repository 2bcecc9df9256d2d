"""A process locked down by the runtime's own ``confine(runtime_plan(...))``, then hostile.

Run as ``python -m tests.confine._child SPEC_JSON``; SPEC names the app, its SUPERAPP_HOME,
the attack and its arguments. The child prints one JSON line with the confinement report,
then one per attack step: ``{"step", "succeeded", "errno", "detail"}``. Nothing here is in the
runtime: the test spawns this process itself (no backdoor in the product).
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from superapp.confine import confine, generic_plan, runtime_plan
from superapp.core.paths import Paths

_PTRACE_ATTACH = 16


def _read(path: str) -> str:
    with open(path, "rb") as f:
        return f"read {len(f.read())} bytes"


def _list(path: str) -> str:
    return f"listed {len(os.listdir(path))} entries"


def _write(path: str) -> str:
    with open(path, "wb") as f:
        f.write(b"written by a confined app")
    return "written"


def _connect_tcp(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        return "connected"


def _connect_unix(path: str, payload: str = "") -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        if payload:
            s.sendall(payload.encode())
            answer = s.makefile("rb").readline()
            if not answer:
                raise ConnectionResetError("connected, but the peer closed without an answer")
            return f"answered: {answer[:80]!r}"
        return "connected"


def _connect_abstract(name: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect("\0" + name)
        return "connected"


def _signal(pid: int, sig: int) -> str:
    os.kill(pid, sig)
    return "signalled"


def _ptrace(pid: int) -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(_PTRACE_ATTACH, pid, None, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return "attached"


def _process_vm_readv(pid: int) -> str:
    class IoVec(ctypes.Structure):
        _fields_ = (("base", ctypes.c_void_p), ("len", ctypes.c_size_t))

    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(16)
    local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 16)
    remote = IoVec(ctypes.c_void_p(0x400000), 16)
    res = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return f"read {res} bytes of its memory"


def _bind_tcp(port: int) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        return "bound"


def _syscall(nr: int, *args: int) -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = ctypes.create_string_buffer(256)  # zeroed struct for calls that take one
    res = libc.syscall(nr, *[params if a == -1 else ctypes.c_long(a) for a in args])
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return f"returned {res}"


STEPS: dict[str, Callable[..., str]] = {
    "syscall": _syscall,
    "read": _read,
    "list": _list,
    "write": _write,
    "connect_tcp": _connect_tcp,
    "connect_unix": _connect_unix,
    "connect_abstract": _connect_abstract,
    "signal": _signal,
    "ptrace": _ptrace,
    "process_vm_readv": _process_vm_readv,
    "bind_tcp": _bind_tcp,
}


def main(argv: list[str]) -> int:
    spec: dict[str, Any] = json.loads(argv[0])
    paths = Paths.from_env({"SUPERAPP_HOME": spec["home"]})
    if spec.get("slot"):  # a pooled runtime: the generic plan, before any app is known
        ports = spec.get("generic_ports")  # a cold launch's narrowed TCP rule
        plan = generic_plan(
            paths, slot=Path(spec["slot"]), egress_port=spec.get("egress_port"), env={},
            ports=tuple(ports) if ports is not None else None,
        )  # fmt: skip
    else:
        plan = runtime_plan(
            paths,
            spec["app_id"],
            egress_port=spec.get("egress_port"),
            net_ports=spec.get("net_ports", ()),
            env={},
        )
    report = confine(plan)
    print(json.dumps({"report": report.to_wire()}), flush=True)
    if spec.get("wait"):  # a victim app: stay confined until the test closes stdin
        sys.stdin.read()
        return 0
    for step, args in spec["steps"]:
        try:
            detail, succeeded, code = STEPS[step](*args), True, 0
        except OSError as err:
            detail, succeeded, code = str(err), False, err.errno or 0
        except Exception as err:  # reported, so a test sees what went wrong
            detail, succeeded, code = f"{type(err).__name__}: {err}", False, 0
        print(json.dumps({"step": step, "succeeded": succeeded, "errno": code,
                          "detail": detail}), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    # SIGPIPE stays ignored (Python's default): a peer that hangs up is a BrokenPipeError to
    # report, not a silent death.
    raise SystemExit(main(sys.argv[1:]))
