"""Wires dual mode into one runtime (``RuntimeApp.run`` calls here for a ``dual`` manifest).

Kept out of ``_app``/``_wiring`` so the single-page path is unchanged: the engine's network
policy without hosts, the engine half (``engine._dual.DualMode``) with its assets, and what
happens when either context's renderer dies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from superapp import protocol as control
from superapp.net import NetPolicy
from superapp.resources import asset_text, shim_text

if TYPE_CHECKING:
    from superapp.runtime._app import RuntimeApp

__all__ = ["CONTEXT_CRASHED_EXIT", "dual_mode", "engine_net_policy", "on_context_crashed"]

#: The runtime's exit code when a context's renderer died (the host reports a crash).
CONTEXT_CRASHED_EXIT = 4


def engine_net_policy(rt: RuntimeApp) -> NetPolicy:
    """The engine's policy in dual mode: the app's own ``app://`` files and nothing else.

    The view has no network by design; the logic's network is ``net.request`` (checked
    against ``allowed_hosts`` by the dispatcher's own policy), never a connection the engine
    makes for it, so the interceptor and the egress proxy allow no host at all."""
    return NetPolicy.from_manifest(rt.app.app_id, (), ())


def on_context_crashed(rt: RuntimeApp, which: str, reason: str) -> None:
    """Either context gone ends the app: audited, told to the host (shown with the exit),
    and the window closed so both stop together."""
    rt.audit("dual.context_crashed", outcome="failure", reason=reason, context=which)
    rt._send(control.Notice(level="error", message=reason))
    rt.exit_code = CONTEXT_CRASHED_EXIT
    if rt.window is not None:
        rt.window.destroy()


def dual_mode(rt: RuntimeApp) -> Any:
    """The engine half for this app (imports the engine: call from ``run`` only)."""
    from superapp.runtime.engine._dual import DualMode

    return DualMode(
        logic_scripts=rt.app.logic,
        view_shim_js=shim_text("dual-view-shim.js"),
        view_relay_js=asset_text("dual-view-relay.js"),
        logic_relay_js=asset_text("dual-logic-relay.js"),
        logic_host_js=asset_text("dual-logic-host.js"),
        worker_shim_js=shim_text("dual-logic-worker.js"),
        on_crash=lambda which, reason: on_context_crashed(rt, which, reason),
    )
