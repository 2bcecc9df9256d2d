"""Commands that run mini-apps: the launcher (default), run, stop, list, dev."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from superapp.core.errors import AppStateError, UsageError
from superapp.core.paths import Paths, is_valid_app_id

__all__ = ["cmd_launcher", "register", "register_launcher_options"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1024 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1024 and 65535, not {value}")
    return value


def _app_id(text: str) -> str:
    if not is_valid_app_id(text):
        raise argparse.ArgumentTypeError(
            f"not a valid app id: {text!r} (expected reverse-DNS like com.example.notes)"
        )
    return text


_CDP_HELP = (
    "open a Chrome DevTools Protocol port on 127.0.0.1 for test automation "
    "(off by default; anyone on this machine can drive the app through it)"
)


def register_launcher_options(parser: argparse.ArgumentParser) -> None:
    """The launcher is the default command; it takes no options on the top-level parser."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from superapp.cli._dev import refuse_allow_local  # --allow-local is dev-only

    p = sub.add_parser("launcher", help="open the launcher window (the default command)")
    p.add_argument("--remote-debugging-port", type=_port, metavar="PORT", help=_CDP_HELP)
    p.set_defaults(func=cmd_launcher)

    p = sub.add_parser("run", help="run an installed mini-app in its own window")
    p.add_argument("app_id", type=_app_id, metavar="APP_ID")
    p.add_argument("--remote-debugging-port", type=_port, metavar="PORT", help=_CDP_HELP)
    p.add_argument(
        "--own-host", action="store_true",
        help="start a host of its own even when the launcher runs (by default the running "
        "launcher opens the app, from its prewarmed runtimes)",
    )  # fmt: skip
    refuse_allow_local(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("stop", help="stop a running mini-app")
    p.add_argument("app_id", type=_app_id, metavar="APP_ID")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("ps", help="running mini-apps with their CPU, memory and request rates")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_ps)

    p = sub.add_parser("list", help="list installed mini-apps and whether they run")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    from superapp.cli._dev import register_dev  # its own module: the developer's loop

    register_dev(sub)


def _paths() -> Paths:
    paths = Paths.from_env()
    paths.ensure()
    return paths


def cmd_launcher(args: argparse.Namespace) -> int:
    from superapp.launcher import run_launcher

    return run_launcher(_paths(), cdp_port=getattr(args, "remote_debugging_port", None))


def _run_foreground(paths: Paths, app_id: str, dev_src: Path | None, cdp_port: int | None) -> int:
    """A host with no launcher window (``superapp dev``'s, shared): ``_dev.run_in_foreground``."""
    from superapp.cli._dev import run_in_foreground

    return run_in_foreground(paths, app_id, dev_src=dev_src, cdp_port=cdp_port)


def cmd_run(args: argparse.Namespace) -> int:
    from superapp.cli._delegate import open_in_launcher, own_host_reason

    paths = _paths()
    # The user's running launcher opens it (a prewarmed runtime) unless told otherwise. It
    # answers NOT_INSTALLED itself (exit 2 too): the registry is opened here only for a host
    # of our own, so nothing but the connection is on a delegated launch's path.
    reason = own_host_reason(args)
    if reason is None:
        status = open_in_launcher(paths, args.app_id)
        if isinstance(status, int):
            return status
        reason = status
    from superapp.state import registry

    registry.get_app(paths, args.app_id)  # NotInstalledError, exit 2
    print(f"superapp: starting {args.app_id} on its own host ({reason})", flush=True)
    return _run_foreground(paths, args.app_id, None, args.remote_debugging_port)


def cmd_stop(args: argparse.Namespace) -> int:
    from superapp.core.errors import NotInstalledError
    from superapp.host import request_stop, running_record
    from superapp.state import registry

    paths = _paths()
    if running_record(paths, args.app_id) is None:
        # An id nothing knows is a usage error (exit 2, as the README promises); an installed
        # app that is not running is a state error (exit 1).
        try:
            registry.get_app(paths, args.app_id)
        except NotInstalledError:
            raise UsageError(
                f"no mini-app with id {args.app_id!r} is running or installed "
                "(see 'superapp ps' and 'superapp list')"
            ) from None
        raise AppStateError(f"{args.app_id} is installed but not running")
    request_stop(paths, args.app_id)
    print(f"superapp: {args.app_id} stopped")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from superapp.host import running_record
    from superapp.state import registry

    paths = _paths()
    rows: list[dict[str, Any]] = []
    for app in registry.list_apps(paths):
        record = running_record(paths, app.app_id)
        rows.append(
            {
                "app_id": app.app_id,
                "name": app.name,
                "version": app.version_name,
                "version_code": app.version_code,
                "publisher": app.publisher_name,
                "running": record is not None,
                # A discarded app (ADR 0014) has a record but no process.
                "pid": record.runtime_pid or None if record else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No mini-apps installed. Try 'superapp samples install' or 'superapp install FILE'.")
        return 0
    from superapp.audit import safe_text

    width = max(len(r["app_id"]) for r in rows)
    for r in rows:
        state = f"running (pid {r['pid']})" if r["running"] else "stopped"
        if r["running"] and r["pid"] is None:
            state = "discarded (no process)"
        name, version, publisher = (safe_text(r[k]) for k in ("name", "version", "publisher"))
        print(f"{r['app_id']:<{width}}  {name} {version}  [{publisher}]  {state}")
    return 0


def cmd_ps(args: argparse.Namespace) -> int:
    from superapp.audit import safe_text
    from superapp.host import running_records

    rows: list[dict[str, Any]] = []
    for record in running_records(_paths()):
        sample = record.sample or {}
        rows.append(
            {
                "app_id": record.app_id,
                "pid": record.runtime_pid or None,  # None: discarded, no process
                "host_pid": record.host_pid,
                "state": record.state,
                "detail": record.detail,
                "cpu_percent": sample.get("cpu_percent"),
                "memory_bytes": sample.get("memory_bytes"),
                "processes": sample.get("processes"),
                "bridge_calls_per_s": sample.get("bridge_calls_per_s"),
                "net_requests_per_s": sample.get("net_requests_per_s"),
                "confinement": record.confinement,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No mini-app is running.")
        return 0
    print(
        f"{'APP':<32} {'PID':>7} {'STATE':<10} {'CPU%':>6} {'MEMORY':>9} {'PROCS':>5} "
        f"{'CALLS/S':>8} {'NET/S':>6}"
    )
    for r in rows:
        mem = f"{r['memory_bytes'] / 1e6:.0f} MB" if r["memory_bytes"] is not None else "-"
        cpu = f"{r['cpu_percent']:.0f}" if r["cpu_percent"] is not None else "-"
        calls = f"{r['bridge_calls_per_s']:.0f}" if r["bridge_calls_per_s"] is not None else "-"
        net = f"{r['net_requests_per_s']:.0f}" if r["net_requests_per_s"] is not None else "-"
        procs = r["processes"] if r["processes"] is not None else "-"
        pid = r["pid"] if r["pid"] is not None else "-"
        state = safe_text(r["state"])[:10]
        print(
            f"{r['app_id']:<32} {pid:>7} {state:<10} {cpu:>6} {mem:>9} {procs:>5} "
            f"{calls:>8} {net:>6}"
        )
        print(f"  confinement: {_confinement_line(r['confinement'])}")
    return 0


def _confinement_line(layers: dict[str, dict[str, str]] | None) -> str:
    """One line for ``superapp ps``: which OS-level layers are missing (issue 14)."""
    from superapp.audit import safe_text

    if not layers:
        return "not reported yet"
    missing = [f"{name} {state.get('status', '?')}" for name, state in layers.items()
               if state.get("status") != "on"]  # fmt: skip
    on = sum(1 for state in layers.values() if state.get("status") == "on")
    if not missing:
        return f"all {on} layers on"
    return safe_text(f"{on} on; WARNING missing: {', '.join(missing)}")
