"""The runtime's counters for the host's monitor (the ``metrics`` control message).

Qt-free: the real runtime and the windowless fake runtime (``superapp.testing``) send the
same counters from the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["Counted", "runtime_counters"]


class Counted(Protocol):
    @property
    def writes(self) -> int: ...


def runtime_counters(
    guard: Mapping[str, int],
    egress: Mapping[str, int] | None = None,
    store: Counted | None = None,
) -> dict[str, int]:
    """``net.*`` from the request guard, ``egress.*`` from the proxy, and ``storage.writes``
    (committed writes of the app's storage handle) for the ``storage_writes`` budget."""
    counters = dict(guard)
    if egress is not None:
        counters.update({f"egress.{k}": v for k, v in egress.items()})
    if store is not None:
        counters["storage.writes"] = store.writes
    return counters
