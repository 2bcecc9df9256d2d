"""Capability check and consent, for one app (steps 5 and 6 of the dispatcher).

For a call that needs capability ``cap``:

1. ``cap`` not declared by the manifest                       → PERMISSION_DENIED (never asked)
2. effective grant in the grants table (read on every call,
   so a revocation applies to the next call)                   → allowed
3. a pending "allow once" from ``app.requestCapability``      → allowed, and used up
   (void if the user changed the grant since, e.g. revoked it)
4. otherwise the user is asked, one prompt per capability at a time; calls beyond
   ``consent_max_waiters`` waiting on an open prompt                  → RATE_LIMITED
   a. the user said "deny" less than ``consent_deny_cooldown_s`` ago → CONSENT_DENIED
   b. more than ``consent_prompts`` prompts for it                    → RATE_LIMITED
   c. the broker's answer: ALLOW_ALWAYS (persisted) / ALLOW_ONCE → allowed;
      DENY, or the broker failing                                     → CONSENT_DENIED

Every answer is audited (``consent.answered``); the refusals are raised as bridge errors and
audited by the dispatcher like every other denial.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from bridge._ratelimit import TokenBuckets
from bridge.context import CallContext
from bridge.errors import ConsentDeniedError, PermissionDeniedError, RateLimitedError
from bridge.limits import BridgeLimits
from bridge.ports import ConsentAnswer, ConsentBroker, GrantsPort
from superapp.state.grants import Grant, is_effective

__all__ = ["AUTHZ_RESOURCE", "Authorizer", "Scope", "authorizer"]

AUTHZ_RESOURCE = "bridge.authorizer"
Scope = Literal["always", "once"]

_log = logging.getLogger("bridge")


class Authorizer:
    def __init__(
        self,
        ctx: CallContext,
        grants: GrantsPort,
        broker: ConsentBroker,
        limits: BridgeLimits,
        clock: Callable[[], float],
    ) -> None:
        self._ctx = ctx
        self._grants = grants
        self._broker = broker
        self._limits = limits
        self._clock = clock
        self._prompts = TokenBuckets(clock)
        self._lock = threading.Lock()
        self._cap_locks: dict[str, threading.Lock] = {}
        # capability -> the grant row as it was when "allow once" was answered
        self._once: dict[str, Grant | None] = {}
        self._waiters: dict[str, int] = {}
        self._denied_until: dict[str, float] = {}

    def granted(self) -> list[str]:
        """The capabilities in effect right now (declared and granted)."""
        declared = self._ctx.declared
        states = self._grants.states(self._ctx.app_id)
        return sorted(cap for cap in declared if is_effective(cap, declared, states.get(cap)))

    def is_granted(self, capability: str) -> bool:
        """Whether ``capability`` is in effect now, without asking anyone (for the engine's
        web-permission hook, which must answer on the Qt main thread)."""
        return self._grants.effective(self._ctx.app_id, capability, self._ctx.declared)

    def check(self, capability: str) -> None:
        """Allow one call needing ``capability``, or raise the refusal (see module doc)."""
        self._declared(capability)
        grant = self._grants.get(self._ctx.app_id, capability)
        if is_effective(capability, self._ctx.declared, grant.state if grant else None):
            return
        with self._lock:
            if capability in self._once and self._once.pop(capability) == grant:
                return
        self._ask(capability)

    def request(self, capability: str) -> Scope:
        """``app.requestCapability``: make sure ``capability`` is granted, asking if needed.

        An "allow once" answer covers the next call that needs it.
        """
        self._declared(capability)
        grant = self._grants.get(self._ctx.app_id, capability)
        if is_effective(capability, self._ctx.declared, grant.state if grant else None):
            return "always"
        with self._lock:
            if capability in self._once and self._once[capability] == grant:
                return "once"
        scope = self._ask(capability)
        if scope == "once":
            with self._lock:
                self._once[capability] = self._grants.get(self._ctx.app_id, capability)
        return scope

    def _declared(self, capability: str) -> None:
        if capability not in self._ctx.declared:
            raise PermissionDeniedError(
                f"capability {capability!r} is not declared in the app's manifest"
            )

    def _cap_lock(self, capability: str) -> threading.Lock:
        with self._lock:
            return self._cap_locks.setdefault(capability, threading.Lock())

    def _ask(self, capability: str) -> Scope:
        with self._lock:
            waiting = self._waiters.get(capability, 0)
            if waiting >= self._limits.consent_max_waiters:
                raise RateLimitedError(
                    f"a consent prompt for {capability!r} is already waiting for the user"
                )
            self._waiters[capability] = waiting + 1
        try:
            return self._ask_one(capability)
        finally:
            with self._lock:
                self._waiters[capability] -= 1

    def _ask_one(self, capability: str) -> Scope:
        app_id = self._ctx.app_id
        # One prompt per capability at a time: concurrent calls wait for its answer.
        with self._cap_lock(capability):
            if self._grants.effective(app_id, capability, self._ctx.declared):
                return "always"
            if self._clock() < self._denied_until.get(capability, float("-inf")):
                raise ConsentDeniedError(f"the user denied {capability!r}")
            if not self._prompts.take(capability, self._limits.consent_prompts):
                raise RateLimitedError(f"too many consent requests for {capability!r}")
            reason = self._ctx.reasons.get(capability, "")
            try:
                answer = _answer_value(self._broker.ask(app_id, capability, reason))
            except Exception:
                # Fail closed: no answer is a "no". The detail stays in the host log.
                _log.exception("consent broker failed for %s / %s", app_id, capability)
                answer = "deny"
            self._ctx.audit.record(
                "consent.answered",
                app_id=app_id,
                outcome="failure" if answer == "deny" else "success",
                reason=f"user answered {answer} for {capability}",
                capability=capability,
                answer=answer,
            )
            if answer == "allow_always":
                self._grants.grant(app_id, capability, source="consent")
                return "always"
            if answer == "allow_once":
                return "once"
            self._denied_until[capability] = self._clock() + self._limits.consent_deny_cooldown_s
            raise ConsentDeniedError(f"the user denied {capability!r}")


def _answer_value(answer: ConsentAnswer) -> Literal["allow_once", "allow_always", "deny"]:
    """The broker's answer as one of the three values; anything else (a broker that breaks
    the protocol with another object or value) is a "deny"."""
    value = getattr(answer, "value", None)
    if value == "allow_always":
        return "allow_always"
    if value == "allow_once":
        return "allow_once"
    return "deny"


def _no_authorizer() -> Authorizer:
    raise RuntimeError("no Authorizer in this CallContext (only a Dispatcher installs one)")


def authorizer(ctx: CallContext) -> Authorizer:
    return ctx.resource(AUTHZ_RESOURCE, _no_authorizer)
