"""Every limit the bridge enforces, in one frozen object with documented defaults.

The host policy may build a different ``BridgeLimits`` (``dataclasses.replace``); nothing in
the dispatcher uses a literal limit of its own.

Rate classes group APIs of similar cost. Each API gets its *own* token bucket per app, with
the capacity and refill rate of its class, so a flood of one API cannot starve another, and
one app's flood never touches another app's buckets (each runtime process has its own
dispatcher, and the buckets are keyed by app id as well).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

from bridge.ports import BridgePolicy
from superapp.core.errors import PolicyError

__all__ = [
    "DEFAULT_LIMITS",
    "RATE_CLASSES",
    "BridgeLimits",
    "RateClass",
    "RateLimit",
    "limits_from_policy",
]

#: ``cheap``: pure reads of in-memory state (app.info).
#: ``ui``: things the user sees in the app's own window (toast, close).
#: ``notify``: system notifications, which reach outside the window: kept scarce.
#: ``clipboard``: the system clipboard.
#: ``consent``: APIs that may put a prompt in front of the user or read personal data.
#: ``io``: storage and files.
#: ``net``: host-proxied HTTP.
RateClass = Literal["cheap", "ui", "notify", "clipboard", "consent", "io", "net"]

RATE_CLASSES: tuple[RateClass, ...] = (
    "cheap",
    "ui",
    "notify",
    "clipboard",
    "consent",
    "io",
    "net",
)


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: up to ``burst`` calls at once, refilled at ``per_second``."""

    burst: float
    per_second: float

    def __post_init__(self) -> None:
        if not (self.burst >= 1 and self.per_second > 0):
            raise ValueError("a rate limit needs burst >= 1 and per_second > 0")


def _default_rates() -> Mapping[RateClass, RateLimit]:
    return MappingProxyType(
        {
            "cheap": RateLimit(burst=200, per_second=100),
            "ui": RateLimit(burst=20, per_second=5),
            "notify": RateLimit(burst=5, per_second=0.5),
            "clipboard": RateLimit(burst=20, per_second=5),
            "consent": RateLimit(burst=10, per_second=2),
            "io": RateLimit(burst=500, per_second=200),
            "net": RateLimit(burst=50, per_second=10),
        }
    )


@dataclass(frozen=True)
class BridgeLimits:
    #: Largest request text accepted, in UTF-8 bytes (checked before anything is decoded).
    max_request_bytes: int = 1024 * 1024
    #: Largest reply text sent back, in UTF-8 bytes (a bigger result is PAYLOAD_TOO_LARGE).
    max_reply_bytes: int = 4 * 1024 * 1024
    #: Deepest nesting of arrays/objects in a request (the envelope counts as one level).
    max_depth: int = 32
    #: Largest request ``id`` (JavaScript's Number.MAX_SAFE_INTEGER, so ids round-trip).
    max_id: int = 2**53 - 1
    #: Per-API token buckets, by rate class.
    rates: Mapping[RateClass, RateLimit] = field(default_factory=_default_rates)
    #: One bucket per app that *every* call spends from first, before the size limit, the
    #: decoder or the table are consulted: calls refused early (oversize, undecodable, unknown
    #: api, invalid params) meet a limiter too, so a flood of them is RATE_LIMITED.
    calls: RateLimit = RateLimit(burst=1000, per_second=500)
    #: Consent prompts one app may cause, per capability (prompt bombing is refused with
    #: RATE_LIMITED before the user is asked again).
    consent_prompts: RateLimit = RateLimit(burst=3, per_second=1 / 20)
    #: Calls that may wait on one capability's open consent prompt (the one that opened it
    #: included); more get RATE_LIMITED at once instead of tying up the app's workers.
    consent_max_waiters: int = 4
    #: After the user says "deny", the same capability is denied without asking for this long.
    consent_deny_cooldown_s: float = 60.0
    #: Denials written to the audit log per (api, code) before further identical denials are
    #: counted instead of written; the next written event carries the count (``suppressed``).
    audit_denials: RateLimit = RateLimit(burst=20, per_second=5)
    #: Longest text for ui.toast / clipboard.writeText / notifications (characters).
    max_toast_chars: int = 200
    max_clipboard_chars: int = 1024 * 1024
    max_notification_title_chars: int = 128
    max_notification_body_chars: int = 1024

    def __post_init__(self) -> None:
        missing = [name for name in RATE_CLASSES if name not in self.rates]
        if missing:
            raise ValueError(f"rate limits missing for classes: {', '.join(missing)}")
        sizes = {
            "max_request_bytes": self.max_request_bytes,
            "max_reply_bytes": self.max_reply_bytes,
            "max_depth": self.max_depth,
            "max_id": self.max_id,
        }
        for name, value in sizes.items():
            if value < 1:
                raise ValueError(f"{name} must be positive")


DEFAULT_LIMITS = BridgeLimits()


def limits_from_policy(policy: BridgePolicy) -> BridgeLimits:
    """The bridge's limits with the host policy's ``[bridge]`` and ``[bridge_rates.*]`` applied.

    Raises:
        PolicyError: an unknown key, a bad value or an unknown rate class, naming it.
    """
    limits = policy.limits("bridge", BridgeLimits)
    if not policy.bridge_rates:
        return limits
    rates = dict(limits.rates)
    for name, override in policy.bridge_rates.items():
        if name not in RATE_CLASSES:
            raise PolicyError(
                f"policy: bridge_rates.{name}: unknown rate class "
                f"(one of {', '.join(RATE_CLASSES)})"
            )
        rates[name] = RateLimit(burst=override.burst, per_second=override.per_second)
    return replace(limits, rates=MappingProxyType(rates))
