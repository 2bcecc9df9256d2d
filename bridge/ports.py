"""What the bridge needs from its host, as small protocols (``typing.Protocol``).

The bridge depends on ``superapp.core``, ``superapp.state``, ``superapp.storage`` and
``superapp.net`` only (import-linter contract ``bridge-through-ports``); everything else of the
host reaches it through these seams, which the host's own classes satisfy structurally:

==================  ===========================================  =============================
protocol            used for                                     satisfied by (host side)
==================  ===========================================  =============================
``AuditSink``       ``ctx.audit``: denials, consent answers      ``superapp.audit.AuditLog``
``ConsentBroker``   step 6 of the dispatcher: asking the user    the runtime's channel broker,
                                                                 ``superapp.consent.PolicyBroker``
``BridgePolicy``    ``limits_from_policy``: ``[bridge]`` and     ``superapp.policy.HostPolicy``
                    ``[bridge_rates.*]`` of the host policy
==================  ===========================================  =============================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol, TypeVar

from superapp.core.ports import AuditSink

__all__ = [
    "AuditSink",
    "BridgePolicy",
    "ConsentAnswerLike",
    "ConsentBroker",
    "RateOverrideLike",
]

T = TypeVar("T")


class ConsentAnswerLike(Protocol):
    """The user's answer; ``value`` is ``allow_once``, ``allow_always`` or ``deny``.

    Anything else is treated as ``deny`` (fail closed).
    """

    @property
    def value(self) -> str: ...


class ConsentBroker(Protocol):
    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswerLike:
        """Ask the user whether ``app_id`` may use ``capability``.

        ``reason`` is the manifest's own ``req_permissions[].reason`` (signed with the
        bundle), never text supplied by the page at run time.
        """
        ...


class RateOverrideLike(Protocol):
    @property
    def burst(self) -> float: ...

    @property
    def per_second(self) -> float: ...


class BridgePolicy(Protocol):
    @property
    def bridge_rates(self) -> Mapping[str, RateOverrideLike]: ...

    def limits(self, section: Literal["bridge", "storage"], model: type[T]) -> T: ...
