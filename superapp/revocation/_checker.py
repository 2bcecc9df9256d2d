"""The host side of the kill switch: fetch, verify, persist, audit, answer "is this revoked?".

Persisted state (``<data>/trust/revocation-state.json``, written atomically) holds the last
accepted document as received, its version and digest, and the key set trusted after it.
The version is what rollback protection compares against across restarts; deleting the file
resets it, which is why it lives with the trust store under owner-only permissions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from superapp.audit import AuditLog
from superapp.core.files import atomic_write_text
from superapp.core.paths import Paths
from superapp.policy import HostPolicy, RevocationPolicy
from superapp.revocation._document import Keyset, Revocation, RevocationList, verify_document
from superapp.revocation._errors import FetchError, RevocationError
from superapp.revocation._fetch import fetch_document

__all__ = ["RefreshResult", "RevocationChecker", "RevocationStatus"]

RefreshStatus = Literal[
    "updated", "unchanged", "rejected", "fetch_failed", "store_failed", "disabled"
]


@dataclass(frozen=True)
class RefreshResult:
    """What one ``refresh`` did. ``ok`` means the held list is the source's current one."""

    status: RefreshStatus
    ok: bool
    message: str
    #: Version of the list now held (0: none).
    version: int
    #: The held list is missing or expired (see ``RevocationPolicy.on_expired``).
    stale: bool
    #: ``RevocationError.rule`` when rejected or not fetched.
    rule: str = ""


@dataclass(frozen=True)
class RevocationStatus:
    source: str | None
    version: int
    expires: datetime | None
    stale: bool
    on_expired: Literal["open", "closed"]
    revocations: tuple[Revocation, ...]
    keyset_version: int


@dataclass(frozen=True)
class _State:
    version: int
    digest: str
    keyset: Keyset
    document: str
    body: RevocationList


class RevocationChecker:
    """Thread-safe: ``refresh`` may run on a poller thread while launches ask ``is_revoked``."""

    def __init__(
        self,
        paths: Paths,
        policy: HostPolicy | RevocationPolicy,
        *,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.paths = paths
        self.policy = policy.revocation if isinstance(policy, HostPolicy) else policy
        self.audit = audit or AuditLog(paths.audit_log)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._state = self._load_state()

    @property
    def state_path(self) -> Path:
        return self.paths.trust / "revocation-state.json"

    # --- state ---------------------------------------------------------------------
    def _load_state(self) -> _State | None:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            envelope = json.loads(data["document"])
            return _State(
                version=int(data["version"]),
                digest=str(data["digest"]),
                keyset=Keyset.model_validate(data["keyset"]),
                document=data["document"],
                body=RevocationList.model_validate(envelope["signed"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, ValidationError):
            self.audit.record(
                "revocation.state_corrupt",
                outcome="failure",
                reason="the stored revocation state is unreadable; it will be replaced",
                path=str(self.state_path),
            )
            return None

    def _store_state(self, state: _State) -> None:
        data = {
            "format": 1,
            "version": state.version,
            "digest": state.digest,
            "keyset": state.keyset.model_dump(mode="json"),
            "document": state.document,
            "stored_at": self._clock().isoformat(),
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_text(self.state_path, json.dumps(data))

    def _policy_keyset(self) -> Keyset | None:
        if not self.policy.platform_keys:
            return None
        return Keyset(
            version=self.policy.keyset_version,
            threshold=self.policy.threshold,
            keys=self.policy.platform_keys,
        )

    def trusted_keyset(self) -> Keyset | None:
        """The newer of the policy's key set and the one rotated to on disk."""
        from_policy = self._policy_keyset()
        held = self._state.keyset if self._state else None
        if held is not None and (from_policy is None or held.version > from_policy.version):
            return held
        return from_policy

    def _stale_locked(self) -> bool:
        # With no source the kill switch is off: a list held from before is still enforced,
        # but there is nothing to be stale against (so fail-closed cannot lock every app out).
        if self.policy.source is None:
            return False
        if self._state is None:
            return True
        return self._state.body.expires <= self._clock()

    # --- refresh -------------------------------------------------------------------
    def refresh(self) -> RefreshResult:
        """Fetch, verify, persist and audit the document. Never raises for a bad source."""
        source = self.policy.source
        if source is None:
            return self._result("disabled", True, "no revocation source is configured")
        try:
            raw = fetch_document(
                source,
                timeout=self.policy.fetch_timeout_s,
                max_bytes=self.policy.max_document_bytes,
            )
        except FetchError as err:
            return self._fail("fetch_failed", err, source)
        with self._lock:
            trusted = self.trusted_keyset()
            if trusted is None:  # the policy validator requires keys with a source
                raise RuntimeError("revocation source set without platform keys")
            held = self._state
            try:
                doc = verify_document(
                    raw,
                    trusted=trusted,
                    held_version=held.version if held else 0,
                    held_digest=held.digest if held else None,
                    now=self._clock(),
                    max_bytes=self.policy.max_document_bytes,
                )
            except RevocationError as err:
                return self._fail("rejected", err, source)
            if doc.unchanged and held is not None and held.keyset == doc.keyset:
                status: RefreshStatus = "unchanged"
            else:
                status = "updated"
                new = _State(
                    doc.body.version,
                    doc.digest,
                    doc.keyset,
                    doc.raw.decode("utf-8"),
                    doc.body,
                )
                try:
                    self._store_state(new)
                except OSError as err:
                    return self._fail(
                        "store_failed",
                        RevocationError(f"cannot store the revocation state: {err.strerror}"),
                        source,
                    )
                self._state = new
        rotated = held is not None and doc.keyset.version > held.keyset.version
        self.audit.record(
            "revocation.updated" if status == "updated" else "revocation.checked",
            outcome="success",
            reason=f"revocation list version {doc.body.version} verified",
            source=source,
            version=doc.body.version,
            revocations=len(doc.body.revocations),
            keyset_version=doc.keyset.version,
            rotated=rotated,
        )
        return self._result(status, True, f"revocation list version {doc.body.version} ({status})")

    def _result(
        self, status: RefreshStatus, ok: bool, message: str, rule: str = ""
    ) -> RefreshResult:
        with self._lock:
            version = self._state.version if self._state else 0
            stale = self._stale_locked()
        return RefreshResult(status, ok, message, version, stale, rule)

    def _fail(self, status: RefreshStatus, err: RevocationError, source: str) -> RefreshResult:
        self.audit.record(
            "revocation.rejected" if status == "rejected" else "revocation.fetch_failed",
            outcome="failure",
            reason=str(err),
            source=source,
            rule=err.rule,
        )
        result = self._result(status, False, str(err), err.rule)
        if result.stale:
            self.audit.record(
                "revocation.stale",
                outcome="failure",
                reason=(
                    "no current verified revocation list; policy is fail-" + self.policy.on_expired
                ),
                on_expired=self.policy.on_expired,
            )
        return result

    def run(self, stop: threading.Event, on_result: Callable[[RefreshResult], None]) -> None:
        """Refresh now and then every ``interval_s`` until ``stop`` is set (run on a thread).

        ``on_result`` gets every result; on ``"updated"`` the caller checks its running apps
        with ``is_revoked`` and stops the revoked ones.
        """
        if self.policy.source is None:
            return
        while True:
            on_result(self.refresh())
            if stop.wait(self.policy.interval_s):
                return

    # --- queries -------------------------------------------------------------------
    def is_revoked(
        self,
        app_id: str | None,
        version_code: int | None = None,
        key_id: str | None = None,
        digest: str | None = None,
    ) -> Revocation | None:
        """The first entry revoking this app/version/publisher key/bundle digest, or None.

        With no current verified list (never fetched, or expired) and ``on_expired =
        "closed"``, every app is refused with a ``kind="unverified"`` revocation; with
        ``"open"``, the last known list is still enforced and nothing else is refused.
        """
        with self._lock:
            state = self._state
            stale = self._stale_locked()
        if state is not None:
            for entry in state.body.revocations:
                if entry.matches(app_id, version_code, key_id, digest):
                    return entry
        if stale and self.policy.on_expired == "closed":
            when = (
                f"expired at {state.body.expires.isoformat()}"
                if state is not None
                else "has never been fetched"
            )
            return Revocation(
                kind="unverified",
                reason=f"the revocation list {when} and the policy is fail-closed",
            )
        return None

    def status(self) -> RevocationStatus:
        with self._lock:
            state = self._state
            stale = self._stale_locked()
            keyset = self.trusted_keyset()
        return RevocationStatus(
            source=self.policy.source,
            version=state.version if state else 0,
            expires=state.body.expires if state else None,
            stale=stale,
            on_expired=self.policy.on_expired,
            revocations=state.body.revocations if state else (),
            keyset_version=keyset.version if keyset else 0,
        )
