"""What the bridge needs from its host, as small protocols (``typing.Protocol``).

The bridge depends on ``superapp.core``, ``superapp.state``, ``superapp.storage`` and
``superapp.net`` only (import-linter contract ``bridge-through-ports``); everything else of the
host reaches it through these seams, which the host's own classes satisfy structurally
(``AuditSink`` and ``ConsentBroker`` are drawn in ``superapp.core``, where host and bridge
both import them; the answer is the one ``superapp.core.consent.ConsentAnswer``):

==================  ===========================================  =============================
protocol            used for                                     satisfied by (host side)
==================  ===========================================  =============================
``AuditSink``       ``ctx.audit``: denials, consent answers      ``superapp.audit.AuditLog``
``ConsentBroker``   step 6 of the dispatcher: asking the user    the runtime's channel broker,
                                                                 ``FixedAnswerBroker`` (core)
``BridgePolicy``    ``limits_from_policy``: ``[bridge]`` and     ``superapp.policy.HostPolicy``
                    ``[bridge_rates.*]`` of the host policy
``GrantsPort``      steps 5-6: the app's grants, read per call   ``GrantStore`` (tests, CLI);
                                                                 the runtime's ``HostGrants``
                                                                 (asks the host, issue 14)
==================  ===========================================  =============================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, Protocol, TypeVar

from superapp.core.consent import ConsentAnswer, ConsentBroker
from superapp.core.ports import AuditSink
from superapp.state.grants import Grant, GrantSource, GrantState

__all__ = [
    "AuditSink",
    "BridgePolicy",
    "ConsentAnswer",
    "ConsentBroker",
    "GrantsPort",
    "RateOverrideLike",
]

T = TypeVar("T")


class RateOverrideLike(Protocol):
    @property
    def burst(self) -> float: ...

    @property
    def per_second(self) -> float: ...


class BridgePolicy(Protocol):
    @property
    def bridge_rates(self) -> Mapping[str, RateOverrideLike]: ...

    def limits(self, section: Literal["bridge", "storage"], model: type[T]) -> T: ...


class GrantsPort(Protocol):
    """The grants of apps, as the dispatcher reads them on every call (``GrantStore``'s shape)."""

    def get(self, app_id: str, capability: str) -> Grant | None: ...

    def states(self, app_id: str) -> dict[str, GrantState]: ...

    def effective(self, app_id: str, capability: str, declared: Iterable[str]) -> bool: ...

    def grant(self, app_id: str, capability: str, source: GrantSource = "user") -> None: ...

    def sync_declared(self, app_id: str, declared: Iterable[str]) -> None: ...

    def close(self) -> None: ...
