"""Build hostile (or merely test) mini-app folders for ``superapp dev``.

Developer mode skips only the signature check (DESIGN §3), so every guard an attack test
exercises through a dev folder is the one an installed app meets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BOOT = """
window.__results = {};
window.__done = false;
"""


def make_app(
    root: Path,
    app_id: str,
    *,
    script: str = "",
    files: Mapping[str, str] | None = None,
    permissions: Sequence[tuple[str, str]] = (),
    allowed_hosts: Sequence[str] = (),
    allow_http_hosts: Sequence[str] = (),
    body: str = "",
) -> Path:
    """A folder with manifest.json, index.html (loading app.js) and any extra ``files``."""
    return write_test_app(
        root, app_id, head="<script src='app.js'></script>", scripts={"app.js": BOOT + script},
        files=files, permissions=permissions, allowed_hosts=allowed_hosts,
        allow_http_hosts=allow_http_hosts, body=body,
    )  # fmt: skip


def write_test_app(
    root: Path,
    app_id: str,
    *,
    head: str,
    scripts: Mapping[str, str],
    files: Mapping[str, str] | None = None,
    permissions: Sequence[tuple[str, str]] = (),
    allowed_hosts: Sequence[str] = (),
    allow_http_hosts: Sequence[str] = (),
    body: str = "",
    superapp: Mapping[str, Any] | None = None,
) -> Path:
    """The one writer of test app folders (``make_app``, ``make_dual_app``): the manifest
    (``superapp`` adds manifest ``superapp`` fields), index.html with ``head`` and ``body``,
    the ``scripts`` and any extra ``files``."""
    folder = root / app_id
    folder.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "app_id": app_id,
        "name": f"Test {app_id.rsplit('.', 1)[-1]}",
        "version": {"name": "1.0.0", "code": 1},
        "pages": ["index.html"],
        "req_permissions": [{"name": n, "reason": r} for n, r in permissions],
        "superapp": {"allowed_hosts": list(allowed_hosts), **(superapp or {})},
    }
    if allow_http_hosts:
        manifest["superapp"]["allow_http_hosts"] = list(allow_http_hosts)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>t</title>"
        f"{head}</head><body><h1 id='h'>test</h1>{body}</body></html>",
        encoding="utf-8",
    )
    for name, text in {**scripts, **(files or {})}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def call(page: Any, api: str, params: object | None = None) -> dict[str, Any]:
    """callNative from the page; returns {"ok": True, "result": …} or {"ok": False, "code": …}."""
    result: dict[str, Any] = page.evaluate(
        """([api, params]) => window.callNative(api, params).then(
               r => ({ok: true, result: r}),
               e => ({ok: false, code: e.code, message: e.message, isError: e instanceof Error}))""",
        [api, params if params is not None else {}],
    )
    return result


def raw_call(page: Any, request: object) -> dict[str, Any]:
    """Send a raw request text through the relay, bypassing the shim's checks."""
    result: dict[str, Any] = page.evaluate(
        """text => new Promise(resolve => {
               const id = JSON.parse(text).id;
               const on = ev => { const m = JSON.parse(ev.detail);
                 if (m.id === id) { document.removeEventListener('superapp:reply', on); resolve(m); } };
               document.addEventListener('superapp:reply', on);
               document.dispatchEvent(new CustomEvent('superapp:call', {detail: text}));
           })""",
        json.dumps(request),
    )
    return result


def audit_events(paths: Any, action: str | None = None, app_id: str | None = None) -> list[Any]:
    from superapp.audit import AuditLog

    out = []
    for ev in AuditLog(paths.audit_log).events():
        if action is not None and ev["event"]["action"] != action:
            continue
        if app_id is not None and ev.get("superapp", {}).get("app_id") != app_id:
            continue
        out.append(ev)
    return out


def wait_until(condition: Any, *, what: str, timeout: float = 30.0) -> Any:
    """Poll ``condition`` (a state: the audit file, a counter) until it returns something
    truthy; the host writes audit events asynchronously, after they cross the control
    channel, so tests wait for that state rather than for a fixed time."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_for_audit(
    paths: Any, predicate: Any, *, action: str, app_id: str, timeout: float = 30.0
) -> Any:
    """The first audit event for ``app_id`` with ``action`` matching ``predicate``."""

    def find() -> Any:
        return next((ev for ev in audit_events(paths, action, app_id) if predicate(ev)), None)

    try:
        return wait_until(find, what=f"a {action} audit event for {app_id}", timeout=timeout)
    except AssertionError:
        seen = [(e["event"]["action"], e.get("superapp")) for e in audit_events(paths)][-15:]
        raise AssertionError(
            f"no matching {action} audit event for {app_id}; last: {seen}"
        ) from None


def wait_for_budget_stop(
    host: Any, paths: Any, app_id: str, metric: str, *, timeout: float = 90.0
) -> tuple[str, Any]:
    """Wait until the host stopped ``app_id`` by its ``metric`` budget: the host's
    "… terminated" line (the sentence the launcher shows too) and the ``monitor.terminate``
    audit event for that metric. Returns both for the test's own assertions."""
    line: str = host.wait_for_line(rf"{app_id} terminated", timeout=timeout)
    event = wait_for_audit(
        paths,
        lambda e: e["superapp"].get("metric") == metric,
        action="monitor.terminate",
        app_id=app_id,
    )
    return line, event
