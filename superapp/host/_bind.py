"""What the host hands a runtime when it binds it to an app, and what it answers after
(issue 14 point 1, issue 16 point 1).

The host is the one owner of the state a runtime needs: it derives the app's data key from the
master key (the runtime never sees the master key), records the manifest's consent-free grants
and reads the app's grants and inbox from ``registry.sqlite3`` (the runtime never opens it).
Everything is looked up under the app id the host launched on that channel, never a name the
runtime sends.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal

from superapp._spawn import engine_storage_of as peek_engine_storage
from superapp.bundles import BUNDLE_FILE
from superapp.core.paths import Paths
from superapp.host._app import RunningApp
from superapp.host._grantanswers import GrantAnswers, rows_of
from superapp.policy import HostPolicy
from superapp.protocol import (
    Bind,
    ChannelClosedError,
    GrantRow,
    GrantsQuery,
    GrantsReply,
    InboxItem,
    InboxQuery,
    InboxReply,
)

__all__ = [
    "INBOX_ITEMS_PER_REPLY",
    "answer_grants",
    "answer_inbox",
    "build_bind",
    "declared_capabilities",
    "engine_storage_of",
    "grant_rows",
]

#: Items per ``inbox_reply``: each may be ``max_payload_bytes`` (64 KiB) of JSON, and a control
#: message is capped at 256 KiB; the page's ``share.inbox`` simply calls again for more.
INBOX_ITEMS_PER_REPLY = 3
#: Capabilities whose APIs open the app's store: only such apps are handed a data key.
_KEYED = frozenset({"storage", "files"})


def grant_rows(paths: Paths, app_id: str) -> dict[str, GrantRow]:
    from superapp.state.grants import GrantStore

    with GrantStore(paths.registry_db) as store:
        return rows_of(store, app_id)


def declared_capabilities(paths: Paths, app_id: str, dev_src: Path | None) -> frozenset[str]:
    try:
        return _declared(paths, app_id, dev_src)[0]
    except Exception:  # uninstalled meanwhile: nothing is declared
        return frozenset()


def _declared(paths: Paths, app_id: str, dev_src: Path | None) -> tuple[frozenset[str], str, str]:
    """Declared capabilities and the recorded digests: the registry's row, or for developer
    mode the folder's manifest (the runtime reads and checks it again)."""
    if dev_src is not None:
        from superapp.bundles import load_manifest_dir

        try:
            manifest = load_manifest_dir(dev_src)
        except Exception:  # the runtime reports the manifest's error to the user
            return frozenset(), "", ""
        return frozenset(manifest.declared_capabilities), "", ""
    from superapp.core.errors import NotInstalledError
    from superapp.state import registry

    try:
        row = registry.get_app(paths, app_id)
    except NotInstalledError:
        # The runtime finds no bundle and reports it to the user, as it always has.
        return frozenset(), "", ""
    return row.declared_capabilities, row.signed_digest, row.digest


def build_bind(paths: Paths, policy: HostPolicy, app_id: str, dev_src: Path | None) -> Bind:
    """The ``bind`` message for ``app_id`` (see ``superapp.protocol._bind``).

    Raises:
        KeyManagementError: the app needs a data key and the master key is unavailable.
    """
    from superapp.state.grants import GrantStore
    from superapp.storage import KeyManager, StorageLimits

    declared, signed_digest, digest = _declared(paths, app_id, dev_src)
    data_key = None
    if declared & _KEYED:
        limits = policy.limits("storage", StorageLimits)
        key = KeyManager(paths, backend=limits.key_backend).data_key(app_id, create=True)
        data_key = base64.b64encode(key).decode("ascii") if key is not None else None
    with GrantStore(paths.registry_db) as store:
        store.sync_declared(app_id, declared)
    bundle = None if dev_src is not None else str(paths.app_bundle(app_id) / BUNDLE_FILE)
    return Bind(
        app_id=app_id,
        dev_src=str(dev_src) if dev_src is not None else None,
        bundle_path=bundle,
        signed_digest=signed_digest,
        digest=digest,
        app_dir=str(paths.app_dir(app_id)),
        engine_storage=engine_storage_of(paths, app_id, dev_src),
        webview_dir=str(paths.app_webview(app_id)),
        data_key=data_key,
        policy=policy.model_dump(mode="json"),
        grants=grant_rows(paths, app_id),
    )


def engine_storage_of(
    paths: Paths, app_id: str, dev_src: Path | None
) -> Literal["memory", "persistent"]:
    """The manifest's ``superapp.engine_storage``, peeked (``superapp._spawn``)."""
    bundle_dir = None if dev_src is not None else paths.app_bundle(app_id)
    return peek_engine_storage(bundle_dir, dev_src)


def answer_grants(answers: GrantAnswers, app: RunningApp, msg: GrantsQuery) -> None:
    """Read now, on the host's kept-open connection (``_grantanswers``); an unreadable
    registry answers every capability revoked."""
    rows = answers.rows(app.app_id)
    try:
        app.channel.send(GrantsReply(request_id=msg.request_id, grants=rows))
    except ChannelClosedError:
        pass


def answer_inbox(paths: Paths, app: RunningApp, msg: InboxQuery) -> None:
    from superapp.state import inbox

    items = [
        InboxItem(from_app=m.from_app, data=m.data, sent_at=m.sent_at)
        for m in inbox.take(paths, app.app_id, limit=INBOX_ITEMS_PER_REPLY)
    ]
    try:
        app.channel.send(InboxReply(request_id=msg.request_id, items=items))
    except ChannelClosedError:
        pass
