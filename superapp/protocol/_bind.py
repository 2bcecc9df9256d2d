"""Binding a generic runtime to one app, and what a bound runtime asks its host (issue 14, 16).

A runtime process starts *generic*: it knows no app. It prepares its engine (interpreter,
imports, Qt WebEngine, its egress proxy refusing everything) and says ``warm``. The host then
sends ``bind``, which carries everything app-specific; a cold launch is a spawn followed at
once by ``bind`` (one code path), a warm launch is a pooled runtime claimed and sent ``bind``.

What ``bind`` carries is the host's word, never the runtime's: the app id (identity), where to
read the bundle and the digest it must have (the runtime verifies it again against the trust
store), the app's *derived* data key (never the storage master key), the network policy, the
engine storage mode and folders, the policy's limits, and the grants as they are now. The
network policy is the verified manifest's (signed content, read by the runtime after it has
verified the bundle), enforced by the runtime's egress proxy, which refuses everything until
the runtime is bound. Grants
and the inbox are then asked of the host (``grants_query`` / ``inbox_query``) — the runtime never
opens ``registry.sqlite3``, and a grant revoked in the launcher or the CLI applies to the next
call as before, because every check asks the host.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from superapp.core.capabilities import CAPABILITIES
from superapp.protocol._discard import Restore

__all__ = [
    "Bind",
    "GrantRow",
    "GrantsQuery",
    "GrantsReply",
    "InboxItem",
    "InboxQuery",
    "InboxReply",
    "Warm",
    "refusing_rows",
]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # see _control


class Warm(_Msg):
    """Runtime → host: the generic engine is up; this runtime can be bound."""

    type: Literal["warm"] = "warm"
    elapsed_ms: float  # from the runtime's start to warm


class Bind(_Msg):
    """Host → runtime, exactly once, first message after spawn or claim."""

    type: Literal["bind"] = "bind"
    app_id: str
    #: Developer mode: serve this folder (signature skipped, nothing else).
    dev_src: str | None = None
    #: Installed app: the ``.sapp`` file to re-verify, and the signature-entry digest (or, for
    #: an old registry row, the whole-file digest) the host recorded at install.
    bundle_path: str | None = None
    signed_digest: str = ""
    digest: str = ""
    #: The app's own folder (storage, files, cache): the one app folder the runtime may touch.
    app_dir: str
    #: ``memory`` (off the record) or ``persistent`` (on disk in ``webview_dir``).
    engine_storage: Literal["memory", "persistent"] = "memory"
    webview_dir: str
    #: The app's data key (32 bytes, base64), derived by the host; None when the app declares
    #: neither ``storage`` nor ``files`` (it gets no key at all).
    data_key: str | None = None
    #: The host policy as the host parsed it (``HostPolicy`` as JSON): bridge and storage limits.
    policy: dict[str, Any] = Field(default_factory=dict)
    #: The app's grants when bound (capability → row); later reads ask the host.
    grants: dict[str, GrantRow] = Field(default_factory=dict)
    #: Resuming a discarded app (ADR 0014): its page's location and handed-over state.
    restore: Restore | None = None


class GrantRow(_Msg):
    state: Literal["granted", "revoked"]
    source: Literal["manifest", "consent", "user"]
    updated_at: float


def refusing_rows() -> dict[str, GrantRow]:
    """The answer when the app's grants cannot be known (registry unreadable or locked, host
    silent): every capability ``revoked``. Never an empty answer, which under the grant rule
    (``superapp.state.grants``) would let a declared consent-free capability through even
    though the user had revoked it."""
    return {
        cap: GrantRow(state="revoked", source="user", updated_at=0.0)
        for cap in sorted(CAPABILITIES)
    }


class GrantsQuery(_Msg):
    """Runtime → host: the app's grants, now (answered under the channel's app id)."""

    type: Literal["grants_query"] = "grants_query"
    request_id: int


class GrantsReply(_Msg):
    type: Literal["grants_reply"] = "grants_reply"
    request_id: int
    grants: dict[str, GrantRow]


class InboxQuery(_Msg):
    """Runtime → host: take the oldest items other apps shared with this one."""

    type: Literal["inbox_query"] = "inbox_query"
    request_id: int


class InboxItem(_Msg):
    from_app: str
    data: Any
    sent_at: float


class InboxReply(_Msg):
    type: Literal["inbox_reply"] = "inbox_reply"
    request_id: int
    items: list[InboxItem]


Bind.model_rebuild()
