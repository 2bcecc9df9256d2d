"""What a handler gets besides its params: the calling app's identity and its resources.

Handlers are plain functions ``handler(ctx: CallContext, params: Model) -> JSON-able``.
The runtime builds exactly one ``CallContext`` per process, for the one app that process
runs; nothing the page sends can change ``app_id``. Per-app resources (the storage handle,
the HTTP client, the UI seam) are opened lazily through ``ctx.resource(key, factory)`` so each
capability module owns its own, and tests can pre-seed fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from superapp.core.paths import Paths
from superapp.core.ports import AuditSink

__all__ = ["CallContext"]

T = TypeVar("T")


@dataclass
class CallContext:
    app_id: str
    paths: Paths
    audit: AuditSink
    #: Capabilities the manifest declares (the most that can ever be granted).
    declared: frozenset[str] = frozenset()
    #: ``superapp.allowed_hosts`` from the manifest.
    allowed_hosts: tuple[str, ...] = ()
    #: True when side-loaded with ``superapp dev`` (signature check skipped, nothing else).
    dev_mode: bool = False
    #: ``req_permissions[].reason`` by capability: what the consent prompt shows (it comes
    #: from the signed manifest, never from the page).
    reasons: Mapping[str, str] = field(default_factory=dict)
    #: Manifest ``name`` and ``version.name``, reported by ``app.info``.
    name: str = ""
    version: str = ""
    _resources: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def resource(self, key: str, factory: Callable[[], T]) -> T:
        """The per-app resource ``key``, created by ``factory`` on first use."""
        with self._lock:
            if key not in self._resources:
                self._resources[key] = factory()
            value: T = self._resources[key]
            return value

    def set_resource(self, key: str, value: object) -> None:
        """Install a resource up front (the runtime's UI seam, or a fake in tests)."""
        with self._lock:
            self._resources[key] = value

    def close(self) -> None:
        """Close every resource that has a ``close()`` (at runtime exit)."""
        with self._lock:
            resources, self._resources = list(self._resources.values()), {}
        for res in resources:
            closer = getattr(res, "close", None)
            if callable(closer):
                closer()
