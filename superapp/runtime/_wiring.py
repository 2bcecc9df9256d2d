"""Connects the runtime's Qt layer to the host's pure-Python layers (policy, door, grants).

Everything here is per process and per app: one ``CallContext`` built from the app the
supervisor started us for, one dispatcher, one network policy.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.capabilities import net as net_api
from bridge.capabilities import share as share_api
from bridge.context import CallContext
from bridge.dispatcher import Dispatcher
from bridge.hostui import UI_RESOURCE
from bridge.limits import limits_from_policy
from superapp import protocol as control
from superapp.audit import AuditLog
from superapp.core.consent import ConsentAnswer
from superapp.net import NetDecision, NetPolicy, RequestKind
from superapp.runtime._egressup import start_egress
from superapp.runtime._hostside import HostGrants, host_inbox
from superapp.runtime._workers import parked

if TYPE_CHECKING:
    from superapp.runtime._app import RuntimeApp

__all__ = [
    "ChannelAudit",
    "RuntimeConsent",
    "build_context",
    "build_net_policy",
    "engine_policy",
    "make_dispatcher",
    "open_storage",
    "start_egress",
]

#: How long a consent prompt may stay unanswered before it counts as "no".
CONSENT_TIMEOUT_S = 300.0


class _EnginePolicy:
    """``NetPolicy`` with the interceptor's kind names (strings) mapped to ``RequestKind``."""

    def __init__(self, policy: NetPolicy) -> None:
        self._policy = policy

    def decide(self, url: str, *, kind: str, top_level: bool) -> NetDecision:
        return self._policy.decide(url, kind=RequestKind(kind), top_level=top_level)


def build_net_policy(rt: RuntimeApp) -> NetPolicy:
    """The app's one network policy: the engine's interceptor and ``net.request`` share it."""
    app = rt.app
    policy = NetPolicy.from_manifest(app.app_id, app.allowed_hosts, app.http_hosts)
    dev = rt.dev_options
    if dev is not None and dev.allow_local and app.dev_mode:
        policy = policy.with_dev_local(dev.allow_local)  # superapp dev --allow-local only
    return policy


def engine_policy(policy: NetPolicy) -> _EnginePolicy:
    return _EnginePolicy(policy)


class ChannelAudit(AuditLog):
    """The runtime's audit log: events go to the host, which writes them under the app id
    it launched this process for (a runtime cannot write under another app's name)."""

    def __init__(self, rt: RuntimeApp) -> None:
        super().__init__(rt.paths.audit_log)
        self._rt = rt

    def record(
        self, action: str, *, app_id: str | None = None, outcome: str = "unknown",
        reason: str = "", **fields: Any,
    ) -> dict[str, Any]:  # fmt: skip
        self._rt.audit(action, outcome=outcome, reason=reason, **fields)
        return {"action": action, "outcome": outcome, "reason": reason, **fields}


class _HostQuestions:
    """Questions the runtime asks its host over the control channel, each waiting for its
    answer (matched by request id). Silence until ``timeout_s``, or a closed channel, gives
    ``default``: the refusal."""

    def __init__(self, rt: RuntimeApp, default: str, timeout_s: float = CONSENT_TIMEOUT_S) -> None:
        self._rt = rt
        self._default = default
        self._timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[threading.Event, list[str]]] = {}

    def ask(self, make_request: Callable[[int], Any]) -> str:
        request_id = next(self._ids)
        event, box = threading.Event(), [self._default]
        with self._lock:
            self._waiting[request_id] = (event, box)
        try:
            self._rt.channel.send(make_request(request_id))
            with parked():  # waiting for the user: the worker's slot serves other calls
                event.wait(self._timeout_s)
        except control.ChannelClosedError:
            pass
        finally:
            with self._lock:
                self._waiting.pop(request_id, None)
        return box[0]

    def answer(self, request_id: int, value: str) -> None:
        with self._lock:
            waiting = self._waiting.get(request_id)
        if waiting is not None:
            waiting[1][0] = value
            waiting[0].set()


class RuntimeConsent:
    """The dispatcher's ``ConsentBroker``: asks the host (host-owned UI)."""

    def __init__(self, rt: RuntimeApp) -> None:
        self._questions = _HostQuestions(rt, default="deny")

    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswer:
        answer = self._questions.ask(
            lambda rid: control.ConsentRequest(request_id=rid, capability=capability, reason=reason)
        )
        return ConsentAnswer(answer)

    def answer(self, msg: control.ConsentReply) -> None:
        self._questions.answer(msg.request_id, msg.answer.value)


class RuntimeShare:
    """``share.send``'s broker: the host checks the receiver and asks the user."""

    def __init__(self, rt: RuntimeApp) -> None:
        self._questions = _HostQuestions(rt, default="declined")

    def send(self, to: str, data_json: str) -> Any:
        return self._questions.ask(
            lambda rid: control.ShareRequest(request_id=rid, to=to, data=data_json)
        )

    def answer(self, msg: control.ShareAnswer) -> None:
        self._questions.answer(msg.request_id, msg.outcome)


def build_context(rt: RuntimeApp) -> CallContext:
    app = rt.app
    return CallContext(
        app_id=app.app_id,
        paths=rt.paths,
        audit=ChannelAudit(rt),
        declared=app.declared,
        allowed_hosts=app.allowed_hosts,
        dev_mode=app.dev_mode,
        reasons=dict(app.reasons),
        name=app.name,
        version=app.version_name,
    )


def open_storage(rt: RuntimeApp, ctx: CallContext, ui: Any) -> None:
    """Open the app's store up front (under the policy's storage limits) when it may use one,
    so that a damaged store is found, set aside and reported to the user at launch rather
    than at some later call."""
    if not ({"storage", "files"} & rt.app.declared):
        return
    from superapp.storage import StorageLimits, open_store

    limits = rt.host_policy.limits("storage", StorageLimits)
    key = rt.data_key
    if key is None:
        raise RuntimeError("the host bound this app without its data key")
    store = open_store(rt.paths, rt.app.app_id, limits=limits, audit=ctx.audit, data_key=key)
    ctx.set_resource("storage", store)
    rt.store = store  # its write counter goes to the host in the metrics message
    if store.recovered is not None:
        ui.toast(
            f"{rt.app.name}'s saved data was damaged and has been reset. "
            "The damaged copy was set aside, not deleted."
        )


def make_dispatcher(rt: RuntimeApp, ctx: CallContext, ui: object, policy: NetPolicy) -> Dispatcher:
    ctx.set_resource(UI_RESOURCE, ui)
    ctx.set_resource(net_api.POLICY_RESOURCE, policy)
    from superapp.runtime._env import test_host_map

    # The egress proxy's test-only host map, so net.request reaches the same test servers
    # (empty unless SUPERAPP_TEST_HOSTS is set; the lockdown allows the same ports).
    ctx.set_resource(net_api.TEST_HOSTS_RESOURCE, test_host_map(os.environ))
    ctx.set_resource(share_api.SHARE_RESOURCE, rt.share)
    ctx.set_resource(share_api.INBOX_RESOURCE, host_inbox(rt.requests))
    # Grants are the host's (issue 14): every check asks it; the runtime opens no registry.
    grants = HostGrants(rt.requests, rt.app.app_id)
    return Dispatcher(
        ctx, grants=grants, consent=rt.consent, limits=limits_from_policy(rt.host_policy)
    )
