"""``storage.*``: the calling app's encrypted key-value store (capability ``storage``).

Every handler opens the app's store lazily through ``ctx.resource("storage", ...)`` (the
runtime may pre-seed it with a store opened under the policy's ``StorageLimits``), and maps
storage errors to wire errors in ``storage_errors`` — the one place this happens for both
``storage.*`` and ``files.*``. Messages that reach the page name only the app's own key or
relative path; host detail goes to the host log and the audit log.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from bridge.context import CallContext
from bridge.errors import wire_error
from superapp.core.errors import StorageError
from superapp.storage import (
    AppStore,
    InvalidKeyError,
    InvalidPathError,
    InvalidValueError,
    QuotaError,
    StorageLimits,
    UnreadableError,
    ValueTooLargeError,
    open_store,
)

__all__ = [
    "APIS",
    "RESOURCE_KEY",
    "THROTTLE_KEY",
    "AuditThrottle",
    "StorageClear",
    "StorageGet",
    "StorageKeys",
    "StorageRemove",
    "StorageSet",
    "StorageUsage",
    "app_store",
    "clear",
    "get",
    "keys",
    "remove",
    "set_",
    "storage_errors",
    "usage",
]

log = logging.getLogger(__name__)

#: The ``CallContext`` resource key of the app's ``AppStore`` (shared with ``files.*``).
RESOURCE_KEY = "storage"
THROTTLE_KEY = "storage.audit_throttle"


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StorageGet(_Params):
    key: str


class StorageSet(_Params):
    key: str
    value: JsonValue


class StorageRemove(_Params):
    key: str


class StorageKeys(_Params):
    prefix: str = ""


class StorageClear(_Params):
    pass


class StorageUsage(_Params):
    pass


def app_store(ctx: CallContext) -> AppStore:
    """The calling app's store, opened on first use (errors mapped by ``storage_errors``)."""
    return ctx.resource(RESOURCE_KEY, lambda: open_store(ctx.paths, ctx.app_id, audit=ctx.audit))


class AuditThrottle:
    """At most ``audit_burst`` storage audit events at once, refilled at ``audit_per_second``
    (``StorageLimits``); the events held back are counted and reported as ``suppressed`` on the
    next one written, so a page looping over bad paths cannot flood the audit log. The runtime
    may pre-seed ``THROTTLE_KEY`` with one built from the policy's limits."""

    def __init__(self, limits: StorageLimits | None = None) -> None:
        limits = limits or StorageLimits()
        self._burst, self._rate = float(limits.audit_burst), limits.audit_per_second
        self._tokens, self._last = self._burst, time.monotonic()
        self._suppressed = 0
        self._lock = threading.Lock()

    def record(self, ctx: CallContext, action: str, reason: str, **fields: Any) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens < 1:
                self._suppressed += 1
                return
            self._tokens -= 1
            suppressed, self._suppressed = self._suppressed, 0
        if suppressed:
            fields["suppressed"] = suppressed
        ctx.audit.record(action, app_id=ctx.app_id, outcome="failure", reason=reason, **fields)


def _audit(ctx: CallContext, action: str, reason: str, **fields: Any) -> None:
    ctx.resource(THROTTLE_KEY, AuditThrottle).record(ctx, action, reason, **fields)


#: Refusals caused by the page's own request: nothing to log on the host.
_PAGE_ERRORS = (InvalidKeyError, InvalidValueError, ValueTooLargeError, QuotaError)


@contextlib.contextmanager
def storage_errors(ctx: CallContext, api: str) -> Iterator[None]:
    """Audit the storage errors that need it, then map them by the one table.

    The wire code and message come from ``superapp.core.errors.WIRE_CODES``; this adds only
    the audit lines (a refused path, data that failed authentication) and the host log line.
    """
    try:
        yield
    except StorageError as err:
        if isinstance(err, InvalidPathError):
            _audit(ctx, "files.path_refused", str(err), api=api, rule=err.rule)
        elif isinstance(err, UnreadableError):
            _audit(ctx, "storage.unreadable", f"stored data failed authentication: {err}", api=api)
        elif not isinstance(err, _PAGE_ERRORS):
            log.error("storage of %s failed in %s: %s", ctx.app_id, api, err)
        raise wire_error(err) from None


def get(ctx: CallContext, params: StorageGet) -> JsonValue:
    """The value under ``key``, or null."""
    with storage_errors(ctx, "storage.get"):
        value: JsonValue = app_store(ctx).kv.get(params.key)
        return value


def set_(ctx: CallContext, params: StorageSet) -> None:
    """Store ``value`` (any JSON) under ``key``, within the quota."""
    with storage_errors(ctx, "storage.set"):
        app_store(ctx).kv.set(params.key, params.value)


def remove(ctx: CallContext, params: StorageRemove) -> bool:
    """Remove ``key``; true if it existed."""
    with storage_errors(ctx, "storage.remove"):
        return app_store(ctx).kv.remove(params.key)


def keys(ctx: CallContext, params: StorageKeys) -> list[str]:
    """Every key starting with ``prefix``, sorted."""
    with storage_errors(ctx, "storage.keys"):
        return app_store(ctx).kv.keys(params.prefix)


def clear(ctx: CallContext, params: StorageClear) -> int:
    """Remove every key (files stay); the number removed."""
    with storage_errors(ctx, "storage.clear"):
        return app_store(ctx).kv.clear()


def usage(ctx: CallContext, params: StorageUsage) -> dict[str, int]:
    """Bytes used (key-value + files), quota, and counts."""
    with storage_errors(ctx, "storage.usage"):
        return app_store(ctx).usage().to_json()


#: api name -> (params model, handler); the dispatcher's table imports this.
APIS: Mapping[str, tuple[type[BaseModel], Callable[[CallContext, Any], Any]]] = {
    "storage.get": (StorageGet, get),
    "storage.set": (StorageSet, set_),
    "storage.remove": (StorageRemove, remove),
    "storage.keys": (StorageKeys, keys),
    "storage.clear": (StorageClear, clear),
    "storage.usage": (StorageUsage, usage),
}
