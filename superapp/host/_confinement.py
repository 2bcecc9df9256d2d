"""What the host does with a runtime's confinement report (issue 14, DESIGN §6.9-10).

Every layer that is not fully on is audited (``confinement.layer_missing``, one entry per
layer, with the runtime's reason) and printed as a warning on the host's terminal; the
layers go into the app's run record (``superapp ps``) and the launcher's warning. If the
policy's ``[confinement]`` requires a layer that is missing, the app is stopped with a reason
that names the layer and why it is missing (``confinement.refused``).

The engine's own sandbox (``engine_sandbox``) is checked here, not taken from the runtime:
once the page has loaded, the renderer process named in ``loaded`` must run under a seccomp
filter in a user namespace of its own (``/proc/<pid>/status`` and ``/proc/<pid>/ns/user``).
"""

from __future__ import annotations

import os
import sys

from superapp.audit import AuditLog, safe_text
from superapp.confine import proc_status
from superapp.host._app import RunningApp
from superapp.policy import CONFINEMENT_LAYERS, HostPolicy
from superapp.protocol import Confinement

__all__ = ["check_engine_sandbox", "on_loaded", "record_confinement", "refusal"]


def _warn(app: RunningApp, layer: str, status: str, detail: str) -> None:
    print(
        f"superapp: WARNING: {app.app_id}: confinement layer {layer} is {status}: "
        f"{safe_text(detail)}",
        file=sys.stderr,
    )


def _record_layer(audit: AuditLog, app: RunningApp, layer: str, status: str, detail: str) -> None:
    app.confinement[layer] = {"status": status, "detail": detail}
    if status != "on":
        audit.record(
            "confinement.layer_missing", app_id=app.app_id, outcome="failure",
            reason=detail or status, layer=layer, status=status,
        )  # fmt: skip
        _warn(app, layer, status, detail)


def record_confinement(audit: AuditLog, app: RunningApp, msg: Confinement) -> None:
    for layer, state in msg.layers.items():
        _record_layer(audit, app, layer, state.status, state.detail)


_NO_NAMESPACES = (
    "renderer under Chromium's seccomp-bpf; its namespace layer is off (Landlock keeps /proc "
    "read-only, so Chromium cannot map its namespace's ids): the runtime's Landlock domain "
    "confines the renderer instead"
)


def _filters(fields: dict[str, str]) -> int:
    try:
        return int(fields.get("Seccomp_filters", "1" if fields.get("Seccomp") == "2" else "0"))
    except ValueError:
        return 0


def check_engine_sandbox(audit: AuditLog, app: RunningApp) -> None:
    """Record whether the app's renderer really runs in Chromium's sandbox: its own seccomp
    filter stacked on the runtime's (layer 2) and its own user namespace (layer 1)."""
    pid = app.renderer_pid
    if pid is None:
        status, detail = "unavailable", "the runtime named no renderer process"
    else:
        try:
            renderer, runtime = proc_status(pid), proc_status(app.pid)
            own_ns = os.readlink(f"/proc/{pid}/ns/user") != os.readlink(f"/proc/{app.pid}/ns/user")
        except OSError as err:
            status, detail = "unavailable", f"cannot inspect the renderer: {err.strerror}"
        else:
            seccomp = _filters(renderer) > _filters(runtime)
            if seccomp and own_ns:
                status, detail = "on", "renderer under Chromium's seccomp-bpf in its own namespaces"
            elif seccomp:
                status, detail = "partial", _NO_NAMESPACES
            else:
                status = "off"
                detail = "the renderer runs without Chromium's sandbox" + (
                    " (disabled: the runtime runs as root)" if app.sandbox is False else ""
                )
    _record_layer(audit, app, "engine_sandbox", status, detail)


def on_loaded(audit: AuditLog, app: RunningApp) -> None:
    """At the first load: layers the runtime never reported count as off, and the engine's
    sandbox is checked on the renderer."""
    for layer in CONFINEMENT_LAYERS:
        if layer != "engine_sandbox" and layer not in app.confinement:
            _record_layer(audit, app, layer, "off", "the runtime did not report it")
    check_engine_sandbox(audit, app)


def refusal(policy: HostPolicy, app: RunningApp) -> str | None:
    """The reason to stop ``app`` under ``[confinement]``, or None. ``engine_sandbox`` is
    judged once it has been checked (after the first load)."""
    for layer in policy.confinement.required():
        state = app.confinement.get(layer)
        if state is None:
            continue  # not reported yet (engine_sandbox before the page loads)
        if state["status"] != "on":
            return (
                f"refused by policy: confinement layer {layer} is required but "
                f"{state['status']} on this system ({state['detail'] or 'no reason given'})"
            )
    return None
