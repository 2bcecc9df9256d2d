"""``superapp dev SRC_DIR``: the developer's loop around one unsigned folder.

    superapp dev DIR [--devtools] [--no-reload] [--fresh] [--allow-local URL]...
                     [--grant CAP]... [--deny CAP]... [--remote-debugging-port PORT]

Only the signature check is skipped (DESIGN §3); everything else is what users get. On top:

- live reload: every saved change under DIR reloads the page (``superapp.runtime._devmode``);
- ``--devtools``: Qt WebEngine's inspector in a window of its own (no debugging port);
- consent: the host's own consent dialog, the window users get, asks for real. ``--grant`` /
  ``--deny`` answer it in advance for scripted runs (``--grant`` is also stored as the user's
  grant, so ``superapp grants --dev`` shows it). ``SUPERAPP_CONSENT`` (deny, allow_once,
  allow_always), when set, answers every prompt without a window, as for ``superapp run``;
- ``--allow-local http://127.0.0.1:PORT``: the page may reach that local origin (a mock API);
  developer mode only (``superapp.net._devlocal``), audited as ``dev.allow_local``;
- state: kept under ``<data>/dev/`` (``Paths.for_dev``), apart from any installed app with
  the same id; ``--fresh`` deletes the dev copy (data key, storage, files, engine profile,
  grants) before starting.

Every prompt, however answered, is shown as one ``superapp: consent-prompt {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from superapp.core.capabilities import CAPABILITIES
from superapp.core.consent import ConsentAnswer
from superapp.core.errors import AppStateError, UsageError
from superapp.core.paths import Paths

if TYPE_CHECKING:  # the host package loads only when a command runs an app
    from superapp.host import ConsentPrompt

__all__ = [
    "DevConsent",
    "cmd_dev",
    "refuse_allow_local",
    "register_dev",
    "run_in_foreground",
]

_CDP_HELP = (
    "open a Chrome DevTools Protocol port on 127.0.0.1 for test automation "
    "(off by default; anyone on this machine can drive the app through it)"
)


def _port(text: str) -> int:
    from superapp.cli._apps import _port as port

    return port(text)


def register_dev(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dev",
        help="run an unsigned folder in developer mode: live reload, DevTools, real consent",
        description="Run SRC_DIR as a mini-app in developer mode. Only the signature check is "
        "skipped; the allowlist, capabilities, consent, storage isolation and monitoring are "
        "what an installed app gets. Saved changes reload the page. Data is kept apart from "
        "an installed app with the same id.",
    )
    p.add_argument("src_dir", type=Path, metavar="SRC_DIR")
    p.add_argument("--remote-debugging-port", type=_port, metavar="PORT", help=_CDP_HELP)
    p.add_argument("--devtools", action="store_true", help="open the page's DevTools window")
    p.add_argument("--no-reload", action="store_true", help="do not reload on file changes")
    p.add_argument(
        "--fresh", action="store_true",
        help="delete this app's developer-mode data and grants before starting",
    )  # fmt: skip
    p.add_argument(
        "--grant", action="append", default=[], metavar="CAP",
        help="answer the consent prompt for CAP with 'Allow always' (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--deny", action="append", default=[], metavar="CAP",
        help="answer the consent prompt for CAP with 'Deny' (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--allow-local", action="append", default=[], metavar="URL", type=_local_origin,
        help="let the page reach a local mock API at URL (http://127.0.0.1:PORT); developer "
        "mode only, audited; 'run', 'pack' and 'install' refuse it (repeatable)",
    )  # fmt: skip
    p.set_defaults(func=cmd_dev)


def _local_origin(text: str) -> str:
    from superapp.net import parse_allow_local

    try:
        parse_allow_local(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


class _DevOnly(argparse.Action):
    """``--allow-local`` on a command that must never have it: a clear refusal, exit 2."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kw: Any) -> None:
        parser.error(
            "--allow-local is for 'superapp dev' only: a packed, installed or run app can "
            "never reach this machine's local services (see docs/testing.md)"
        )


def refuse_allow_local(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` an ``--allow-local`` that refuses with a message (run, pack, install)."""
    parser.add_argument("--allow-local", action=_DevOnly, metavar="URL", help=argparse.SUPPRESS)


def _check_caps(declared: frozenset[str], grant: list[str], deny: list[str]) -> None:
    for cap in [*grant, *deny]:
        if cap not in CAPABILITIES:
            raise UsageError(
                f"unknown capability {cap!r} (one of: {', '.join(sorted(CAPABILITIES))})"
            )
        if cap not in declared:
            raise UsageError(
                f"the manifest does not declare {cap!r}; add it to req_permissions first"
            )
    both = sorted(set(grant) & set(deny))
    if both:
        raise UsageError(f"both --grant and --deny name {', '.join(both)}")


def prepare_dev_state(
    paths: Paths, app_id: str, *, fresh: bool, grant: list[str], deny: list[str]
) -> Paths:
    """The dev copy's paths, wiped if ``fresh``, with ``grant``/``deny`` stored as the
    user's own answers. Audited as ``dev.state``."""
    from superapp.state.grants import GrantStore
    from superapp.storage import destroy_app_data

    dev = paths.for_dev()
    dev.ensure()
    if fresh:
        destroy_app_data(dev, app_id)  # data key first, then storage, files, engine profile
    with GrantStore(dev.registry_db) as store:
        if fresh:
            store.forget_app(app_id)
        for cap in grant:
            store.grant(app_id, cap, source="user")
        for cap in deny:
            # Revoked, whatever an earlier session stored; a consent-needing capability then
            # asks again, and the prompt is answered "deny" (``DevConsent``).
            store.revoke(app_id, cap, source="user")
    from superapp.audit import AuditLog

    AuditLog(paths.audit_log).record(
        "dev.state", app_id=app_id, outcome="success",
        reason="fresh developer-mode state" if fresh else "developer-mode state",
        fresh=fresh, granted=sorted(grant), denied=sorted(deny),
    )  # fmt: skip
    return dev


class DevConsent:
    """Answers a dev app's consent prompts: pre-answers first, then ``SUPERAPP_CONSENT`` if
    set, else the host's dialog (``ask_user``)."""

    def __init__(
        self, grant: list[str], deny: list[str], ask_user: Callable[[ConsentPrompt], object]
    ) -> None:
        self._pre = {c: (ConsentAnswer.ALLOW_ALWAYS, "--grant") for c in grant}
        self._pre |= {c: (ConsentAnswer.DENY, "--deny") for c in deny}
        self._env = os.environ.get("SUPERAPP_CONSENT")
        self._ask_user = ask_user

    def ask(self, prompt: ConsentPrompt) -> ConsentAnswer:
        from superapp.core.consent import as_answer
        from superapp.host import consent_from_env

        if prompt.capability in self._pre:
            answer, by = self._pre[prompt.capability]
        elif self._env is not None:
            return consent_from_env()(prompt)  # prints its own line
        else:
            answer, by = as_answer(self._ask_user(prompt)), "dialog"
        line = dict(prompt.record(), answer=answer.value, answered_by=by)
        print("superapp: consent-prompt " + json.dumps(line), flush=True)
        return answer


def cmd_dev(args: argparse.Namespace) -> int:
    from superapp import bundles
    from superapp.host import running_record

    src: Path = args.src_dir
    if not src.is_dir():
        hint = " (a .sapp bundle is installed with 'superapp install')" if src.is_file() else ""
        raise UsageError(f"not a folder: {src}{hint}")
    manifest = bundles.load_manifest_dir(src)
    app_id = manifest.app_id
    _check_caps(frozenset(manifest.declared_capabilities), args.grant, args.deny)
    paths = Paths.from_env()
    paths.ensure()
    if running_record(paths, app_id) is not None:
        raise AppStateError(f"{app_id} is already running (stop it with 'superapp stop {app_id}')")
    dev = prepare_dev_state(paths, app_id, fresh=args.fresh, grant=args.grant, deny=args.deny)
    flags = [] if args.no_reload else ["--watch"]
    if args.devtools:
        flags.append("--devtools")
    from superapp.audit import safe_text  # here: ``register`` imports this module for run

    for origin in args.allow_local:
        flags += ["--allow-local", origin]
        print(
            f"superapp: developer mode: the page may reach {safe_text(origin)} (--allow-local)",
            flush=True,
        )
    # What the CSP or the engine will refuse, as validate/pack/install say it (issue 15 point 6).
    from superapp.cli._devscan import dev_findings, print_dev_findings, watch_dev_findings

    shown = dev_findings(src)
    print_dev_findings(shown)
    stop_scan = threading.Event()
    if not args.no_reload:
        watch_dev_findings(src, shown, stop_scan)
    try:
        return run_in_foreground(
            dev, app_id, dev_src=src.resolve(), cdp_port=args.remote_debugging_port,
            dev_flags=flags, grant=args.grant, deny=args.deny,
        )  # fmt: skip
    finally:
        stop_scan.set()


def _start_runtime_early(paths: Paths, app_id: str, cdp_port: int | None) -> Any:
    """``superapp run``: the runtime process first (it knows no app yet), so its interpreter
    and engine start while this host sets itself up, not after it (issue 16: no second
    interpreter in series). None if it cannot start: the launch then starts one or says why."""
    from superapp._spawn import early_start_of, start_runtime_process

    # An app that fits the generic plan starts on it (its TCP ports narrowed to its own), so
    # its engine warms while the host sets up and the runtime verifies (docs/pool.md).
    ports, mode = early_start_of(paths.app_bundle(app_id))
    profile = paths.app_webview(app_id) if mode == "persistent" and ports is None else None
    try:
        early = start_runtime_process(
            paths.run, None, cdp_port=cdp_port, engine_profile=profile,
            pooled=ports is not None, connect_ports=ports,
        )  # fmt: skip
    except OSError:
        return None
    from superapp.host._pool import adopt

    return adopt(early, cdp_port=cdp_port, engine_profile=profile, connect_ports=ports)


def run_in_foreground(
    paths: Paths,
    app_id: str,
    *,
    dev_src: Path | None = None,
    cdp_port: int | None = None,
    dev_flags: list[str] | None = None,
    grant: list[str] | None = None,
    deny: list[str] | None = None,
) -> int:
    """A host with no launcher window (``run`` and ``dev``): runs one app until it closes or
    we are signalled; consent prompts are the host's dialog, shown from this main thread."""
    runtime = _start_runtime_early(paths, app_id, cdp_port) if dev_src is None else None
    from superapp.host import AppState, share_confirm_from_env, start_host
    from superapp.host._pool import discard
    from superapp.launcher._dev_prompt import MainJobs, ask_on_main

    jobs = MainJobs()
    consent = DevConsent(grant or [], deny or [], lambda prompt: ask_on_main(jobs, prompt))
    try:
        host = start_host(paths, consent=consent.ask, share_confirm=share_confirm_from_env())
    except BaseException:
        if runtime is not None:
            discard(runtime)
        raise
    if dev_src is not None:  # the page's console and CSP refusals, on stdout (issue 15)
        from superapp.cli._pageout import use_page_output

        use_page_output(host)
    supervisor = host.supervisor

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        def stop() -> None:
            if supervisor.get(app_id) is not None or supervisor.discarded.get(app_id):
                supervisor.stop(app_id)

        threading.Thread(target=stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        app = supervisor.launch(
            app_id, dev_src=dev_src, cdp_port=cdp_port, dev_flags=dev_flags or [],
            runtime=runtime,
        )  # fmt: skip
        mode = ", developer mode" if dev_src is not None else ""
        print(f"superapp: {app_id} starting (pid {app.pid}{mode})", flush=True)

        def announce() -> None:
            if app.loaded.wait():
                print(f"superapp: {app_id} running", flush=True)

        threading.Thread(target=announce, daemon=True).start()
        # Consent dialogs run here, on the main thread; until the app has ended for good (a
        # discarded app's runtime exits, and it comes back on resume).
        jobs.run_until(supervisor.ended(app_id))
    finally:
        host.server.close()
    state, detail = supervisor.state(app_id)
    from superapp.audit import safe_text

    # The detail can carry app-sent text (a runtime's notice, the manifest's name).
    detail = safe_text(detail)
    if state is AppState.CRASHED:
        print(f"superapp: error: {app_id} crashed: {detail}", file=sys.stderr)
        return 1
    print(f"superapp: {app_id} {state.value}" + (f": {detail}" if detail else ""), flush=True)
    return 0
