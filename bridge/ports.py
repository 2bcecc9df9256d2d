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
==================  ===========================================  =============================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol, TypeVar

from superapp.core.consent import ConsentAnswer, ConsentBroker
from superapp.core.ports import AuditSink

__all__ = [
    "AuditSink",
    "BridgePolicy",
    "ConsentAnswer",
    "ConsentBroker",
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
