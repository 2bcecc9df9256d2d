"""A mini-app running for a test: its host process, its Playwright page, and helpers.

``MiniApp`` is what the pytest plugin's ``miniapp`` fixture yields (``plugin.py``); it can
be used without pytest too (``open_miniapp``). Every helper waits on an event or a state
(a line from the host, the audit file, a DOM condition), never for a fixed time.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from superapp.testing._apps import audit_events, call, wait_for_audit, wait_until
from superapp.testing._dualapps import dual_pages
from superapp.testing._harness import DEFAULT_TIMEOUT, HostProcess, connect, free_port

__all__ = [
    "ANSWERS",
    "MiniApp",
    "MiniAppError",
    "open_miniapp",
    "read_storage",
    "run_cli",
    "seed_storage",
]

#: What a consent prompt can be answered with (the dialog's three buttons).
ANSWERS = ("allow_once", "allow_always", "deny")
_UI = "superapp-ui: "


class MiniAppError(AssertionError):
    """The app could not be prepared or started (the message holds the host's own words)."""


@dataclass
class MiniApp:
    """One running mini-app: ``page`` is its window's Playwright ``Page`` (over CDP)."""

    app_id: str
    #: The folder (developer mode) or the ``.sapp`` (installed) it runs from.
    source: Path
    #: ``"dev"`` for a folder, ``"installed"`` for a ``.sapp``.
    mode: str
    #: The isolated home (``SUPERAPP_HOME``) of this app's host.
    home: Path
    env: dict[str, str]
    host: HostProcess
    page: Any
    browser: Any = field(repr=False, default=None)
    #: A dual-mode app (docs/dual.md): ``page`` is its view, ``logic`` its hidden logic page.
    dual: bool = False
    logic: Any = field(repr=False, default=None)
    _ui_seen: int = field(default=0, repr=False)

    # --- state -------------------------------------------------------------------------
    @property
    def host_paths(self) -> Paths:
        """The host's paths (audit log, run records, installed apps)."""
        return Paths.from_env({"SUPERAPP_HOME": str(self.home)})

    @property
    def paths(self) -> Paths:
        """Where this app's data lives: the developer-mode copy for a folder."""
        paths = self.host_paths
        return paths.for_dev() if self.mode == "dev" else paths

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``superapp ARGS`` against this app's home (same interpreter)."""
        return run_cli(self.env, *args, check=check)

    # --- the page ----------------------------------------------------------------------
    def call(self, api: str, params: object | None = None) -> dict[str, Any]:
        """``callNative`` from the page: ``{"ok": True, "result": …}`` or
        ``{"ok": False, "code": …, "message": …}``."""
        return call(self.page, api, params)

    def wait_ready(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until the entry page has loaded and ``window.callNative`` is defined (a dual-mode
        view has no ``callNative``: until ``window.postToLogic`` is)."""
        door = "postToLogic" if self.dual else "callNative"
        self.page.wait_for_function(
            f"() => document.readyState === 'complete' && typeof window.{door} === 'function'",
            timeout=timeout * 1000,
        )

    @contextlib.contextmanager
    def expect_reload(self, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
        """``with app.expect_reload(): edit a file`` waits for the page's next ``load``."""
        with self.page.expect_event("load", timeout=timeout * 1000):
            yield
        self.wait_ready(timeout)

    # --- consent -----------------------------------------------------------------------
    def answer_consent(self, answer: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the host's consent dialog, click ``answer`` on it (``allow_once``,
        ``allow_always`` or ``deny``); returns what the dialog showed (its widgets' texts)."""
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, not {answer!r}")
        shown = self._next_ui("consent-dialog", timeout)
        stdin = self.host.proc.stdin
        if stdin is None:
            raise MiniAppError("this host was started without a pipe to answer on")
        stdin.write(answer + "\n")
        stdin.flush()
        return shown

    def call_with_consent(
        self, api: str, params: object | None, answer: str, timeout: float = DEFAULT_TIMEOUT
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Call ``api`` from the page, answer the consent dialog it raises with ``answer``;
        returns (the call's reply, what the dialog showed)."""
        self.page.evaluate(
            """([api, params]) => { window.__superappPending = window.callNative(api, params)
                 .then(r => ({ok: true, result: r}),
                       e => ({ok: false, code: e.code, message: e.message})); }""",
            [api, params if params is not None else {}],
        )
        shown = self.answer_consent(answer, timeout)
        reply: dict[str, Any] = self.page.evaluate("() => window.__superappPending")
        return reply, shown

    def grant(self, capability: str) -> None:
        """Store ``capability`` as granted by the user (as ``Allow always`` would)."""
        from superapp.state.grants import GrantStore

        with GrantStore(self.paths.registry_db) as store:
            store.grant(self.app_id, capability, source="user")

    def deny(self, capability: str) -> None:
        """Revoke ``capability`` (the user's ``revoke-grant``); a consent-needing one asks
        again on next use, so answer that with ``answer_consent("deny")``."""
        from superapp.state.grants import GrantStore

        with GrantStore(self.paths.registry_db) as store:
            store.revoke(self.app_id, capability, source="user")

    def grants(self) -> list[dict[str, Any]]:
        """``superapp grants [--dev] APP_ID --json``: what the user would see."""
        dev = ["--dev"] if self.mode == "dev" else []
        rows: list[dict[str, Any]] = json.loads(
            self.cli("grants", *dev, self.app_id, "--json").stdout
        )
        return rows

    # --- storage -----------------------------------------------------------------------
    def stored(self, key: str, default: Any = None) -> Any:
        """A value from the app's key-value store, read from disk (not through the page)."""
        return read_storage(self.paths, self.app_id, key, default)

    # --- what the host saw -------------------------------------------------------------
    def audit(self, action: str | None = None) -> list[Any]:
        """This app's audit events so far (optionally of one ``action``)."""
        return audit_events(self.host_paths, action, self.app_id)

    def wait_for_audit(
        self, action: str, predicate: Any = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """The first audit event of ``action`` (matching ``predicate``) for this app."""
        return wait_for_audit(
            self.host_paths, predicate or (lambda _e: True), action=action, app_id=self.app_id,
            timeout=timeout,
        )  # fmt: skip

    def toasts(self) -> list[str]:
        """Texts of the toasts the host has shown over this app's window so far."""
        return [e["text"] for e in self._ui_events() if e.get("surface") == "toast"]

    def wait_for_toast(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Until a toast containing ``text`` has been shown."""
        found: str = wait_until(
            lambda: next((t for t in self.toasts() if text in t), None),
            what=f"a toast with {text!r}", timeout=timeout,
        )  # fmt: skip
        return found

    def notices(self) -> list[str]:
        """What the host told the user in the strip above the app (refused dialogs, …)."""
        return [str(e["text"]) for e in self._ui_events() if e.get("surface") == "host-strip"]

    @property
    def log(self) -> str:
        """The host's and the runtime's output so far (stdout, then stderr)."""
        return "\n".join([*self.host.lines, "--- stderr ---", *self.host.stderr_lines])

    # --- end ---------------------------------------------------------------------------
    def close(self) -> int:
        with contextlib.suppress(Exception):
            if self.browser is not None:
                self.browser.close()
        if self.host.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.host.proc.stdin.close()
        return self.host.stop()

    # --- internals ---------------------------------------------------------------------
    def _ui_events(self) -> list[dict[str, Any]]:
        out = []
        for line in [*self.host.lines, *self.host.stderr_lines]:
            if line.startswith(_UI):
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line[len(_UI) :]))
        return out

    def _next_ui(self, surface: str, timeout: float) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            events = [e for e in self._ui_events() if e.get("surface") == surface]
            if len(events) > self._ui_seen:
                self._ui_seen += 1
                return events[self._ui_seen - 1]
            return None

        found: dict[str, Any] = wait_until(find, what=f"the host's {surface}", timeout=timeout)
        return found


def run_cli(
    env: Mapping[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``superapp ARGS`` with ``env`` (its ``SUPERAPP_HOME``), from this interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "superapp", *args],
        env=dict(env), capture_output=True, text=True, timeout=DEFAULT_TIMEOUT,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise MiniAppError(f"superapp {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def read_storage(paths: Paths, app_id: str, key: str, default: Any = None) -> Any:
    from superapp.storage import open_store

    with open_store(paths, app_id) as store:
        return store.kv.get(key, default)


def seed_storage(paths: Paths, app_id: str, items: Mapping[str, Any]) -> None:
    """Write ``items`` into the app's key-value store before it starts."""
    from superapp.storage import open_store

    paths.ensure()
    with open_store(paths, app_id) as store:
        for key, value in items.items():
            store.kv.set(key, value)


def _installed_mode(paths: Paths, app_id: str) -> str:
    """An installed app's ``superapp.mode``, from its verified installed bundle."""
    from superapp import bundles

    mode: str = bundles.open_installed(paths, app_id).manifest.superapp.mode
    return mode


def open_miniapp(
    playwright: Any,
    source: Path,
    home: Path,
    *,
    grant: Sequence[str] = (),
    deny: Sequence[str] = (),
    storage: Mapping[str, Any] | None = None,
    trust: Path | None = None,
    devtools: bool = False,
    consent: str | None = None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> MiniApp:
    """Start ``source`` (a folder: ``superapp dev``; a ``.sapp``: trusted with ``trust``,
    installed and ``superapp run``) in ``home``, attach Playwright over CDP, wait until ready.

    ``consent``: answer every prompt without the dialog (``SUPERAPP_CONSENT``); by default the
    host's dialog asks and the test answers with :meth:`MiniApp.answer_consent`. ``args``:
    more options for ``superapp dev`` / ``superapp run`` (``--fresh``, ``--allow-local …``).
    """
    from superapp import bundles

    source = Path(source).resolve()
    run_env = dict(os.environ)
    run_env.pop("SUPERAPP_CONSENT", None)
    run_env.update(env or {})
    run_env["SUPERAPP_HOME"] = str(home)
    run_env["SUPERAPP_TEST_CONSENT_ANSWER"] = "stdin"
    run_env["SUPERAPP_UI_LOG"] = "1"  # the runtime's toasts and host strip, as shown
    if consent is not None:
        run_env["SUPERAPP_CONSENT"] = consent
    host_paths = Paths.from_env({"SUPERAPP_HOME": str(home)})
    host_paths.ensure()
    port = free_port()
    dual = False
    if source.is_dir():
        manifest = bundles.load_manifest_dir(source)
        app_id, dual = manifest.app_id, manifest.superapp.mode == "dual"
        if storage:
            seed_storage(host_paths.for_dev(), app_id, storage)
        command = ["dev", str(source), "--remote-debugging-port", str(port)]
        command += [f"--grant={c}" for c in grant] + [f"--deny={c}" for c in deny]
        command += ["--devtools"] if devtools else []
        mode = "dev"
    elif source.suffix == ".sapp" and source.is_file():
        if trust is not None:
            run_cli(run_env, "trust", "add", str(trust), "--name", "test publisher")
        installed = json.loads(run_cli(run_env, "install", str(source), "--json").stdout)
        app_id = installed["app_id"]
        dual = _installed_mode(host_paths, app_id) == "dual"
        if storage:
            seed_storage(host_paths, app_id, storage)
        command = ["run", app_id, "--remote-debugging-port", str(port)]
        mode = "installed"
    else:
        raise MiniAppError(f"not a mini-app folder or a .sapp bundle: {source}")
    host = HostProcess([*command, *args], run_env, stdin=True)
    app = MiniApp(app_id, source, mode, home, run_env, host, None, dual=dual)
    try:
        host.wait_for_line(r"running$", timeout=timeout)
        app.browser, app.page = connect(playwright, port)
        # With --devtools the inspector is a page of the same engine: take the app's own.
        pages = [p for c in app.browser.contexts for p in c.pages]
        app.page = next((p for p in pages if p.url.startswith("app://")), app.page)
        if dual:  # the hidden logic page is a CDP target too: tests drive the view
            app.page, app.logic = dual_pages(app.page, timeout)
        if mode == "installed":
            for cap in grant:
                app.grant(cap)
            for cap in deny:
                app.deny(cap)
        app.wait_ready(timeout)
    except BaseException:
        app.close()
        raise
    return app
