"""The host side: python-tuf's ngclient does TUF's client workflow; this module wraps it.

One ``FleetClient.session()`` is one poll, in TUF's order (ngclient ``Updater.refresh``):

1. root: the trusted root on disk (first time: the policy's ``root`` file), then every newer
   ``N.root.json`` the mirror has, each signed by the old and the new root keys;
2. timestamp: signed by the timestamp keys, not older than the one held (rollback), not
   expired (freeze), under ``timestamp_max_length`` bytes (endless data);
3. snapshot: exactly the version and hash the timestamp names (mix-and-match), not older;
4. targets, then (on demand) ``fleet`` and the publisher roles along terminating delegations;
5. a bundle: exactly the length and SHA-256 its publisher's role gives (a swapped or
   arbitrary file on the mirror is refused before it is written anywhere we read).

Nothing is persisted unless it verified. Then ``FleetState`` (the index and revocation list
read from the verified ``fleet`` role, with that role's expiry) is written atomically for
launches to consult without the network. Every refusal is audited as ``fleet.refused`` with
``superapp.rule`` naming the check and the TUF error class.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

from superapp.audit import AuditLog
from superapp.core.errors import FleetError
from superapp.core.files import atomic_write_text
from superapp.core.paths import Paths
from superapp.fleet._model import (
    INDEX_PATH,
    REVOCATIONS_PATH,
    FleetIndex,
    Release,
    Revocation,
    Revocations,
    release_path,
)
from superapp.policy import FleetPolicy

__all__ = ["FleetClient", "FleetSession", "FleetState", "fleet_dir"]

#: Which check each TUF error means (the ``rule`` of the audit entry and the ``FleetError``).
_RULES: tuple[tuple[type[Exception], str], ...] = (
    (tuf_errors.EqualVersionNumberError, "version"),
    (tuf_errors.BadVersionNumberError, "version"),  # rollback, and mix-and-match by version
    (tuf_errors.ExpiredMetadataError, "expired"),  # freeze
    (tuf_errors.UnsignedMetadataError, "signature"),  # threshold, wrong or revoked key
    (tuf_errors.LengthOrHashMismatchError, "hash"),  # mix-and-match, swapped file
    (tuf_errors.DownloadLengthMismatchError, "length"),  # endless data
    (tuf_errors.SlowRetrievalError, "slow"),
    (tuf_errors.DownloadHTTPError, "fetch"),
    (tuf_errors.DownloadError, "fetch"),
    (tuf_errors.RepositoryError, "repository"),
)


def fleet_dir(paths: Paths) -> Path:
    return paths.data / "fleet"


@dataclass(frozen=True)
class FleetState:
    """What the last verified poll said, kept on disk for launches and the store view."""

    index: FleetIndex
    revocations: tuple[Revocation, ...]
    #: When the verified ``fleet`` role expires: past it, the list may be frozen.
    expires: datetime
    checked_at: datetime

    def stale(self, now: datetime) -> bool:
        return self.expires <= now

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": 1,
                "index": self.index.model_dump(mode="json"),
                "revocations": [r.model_dump(mode="json") for r in self.revocations],
                "expires": self.expires.isoformat(),
                "checked_at": self.checked_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FleetState:
        data = json.loads(text)
        return cls(
            FleetIndex.model_validate(data["index"]),
            Revocations.model_validate({"revocations": data["revocations"]}).revocations,
            datetime.fromisoformat(data["expires"]),
            datetime.fromisoformat(data["checked_at"]),
        )


def _rule(err: Exception) -> str:
    for cls, rule in _RULES:
        if isinstance(err, cls):
            return rule
    return "repository"


class FleetSession:
    """One verified view of the repository (one ngclient ``Updater``, one consistent snapshot)."""

    def __init__(
        self, client: FleetClient, updater: Updater, state: FleetState, fetcher: object
    ) -> None:
        self._client = client
        self._updater = updater
        self._fetcher = fetcher
        self.state = state

    def close(self) -> None:
        """Close the fetcher's pooled connections (an aborted download leaves one open)."""
        env = getattr(self._fetcher, "_proxy_env", None)
        for manager in dict(getattr(env, "_pool_managers", {}) or {}).values():
            manager.clear()

    def __enter__(self) -> FleetSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def release(self, app_id: str, version_code: int) -> tuple[TargetFile, Release]:
        """The verified target info of one release, through its publisher's delegation.

        Raises:
            FleetError: not published (or not by the publisher delegated that app id).
        """
        path = release_path(app_id, version_code)
        with self._client.guard("release", app_id=app_id):
            info = self._updater.get_targetinfo(path)
        if info is None:
            raise self._client.refuse(
                f"{path} is not signed by the publisher delegated {app_id}", "not_found", app_id
            )
        try:
            release = Release.model_validate(info.custom)
        except ValidationError as err:
            raise self._client.refuse(
                f"{path} has bad release data: {err.errors()[0]['msg']}", "format", app_id
            ) from None
        if release.app_id != app_id or release.version_code != version_code:
            raise self._client.refuse(f"{path} describes another release", "format", app_id)
        return info, release

    def download(self, info: TargetFile, app_id: str) -> bytes:
        """The bundle bytes, verified against the length and hash its role signed.

        Raises:
            FleetError: the mirror's file is longer, shorter or different.
        """
        folder = fleet_dir(self._client.paths) / "downloads"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            target = Path(tmp) / "bundle.sapp"
            with self._client.guard("download", app_id=app_id):
                self._updater.download_target(info, str(target))
            return target.read_bytes()


class FleetClient:
    """The host's TUF client for the ``[fleet]`` policy. Thread-compatible: one poll at a time."""

    def __init__(
        self,
        paths: Paths,
        policy: FleetPolicy,
        audit: AuditLog,
        *,
        fetcher: FetcherInterface | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if policy.repository is None or policy.root is None:
            raise FleetError("no [fleet] repository is configured in the policy", "disabled")
        self.paths = paths
        self.policy = policy
        self.audit = audit
        self.url = policy.repository.rstrip("/")
        self._fetcher = fetcher
        self._last_fetcher: object = None
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def metadata_dir(self) -> Path:
        return fleet_dir(self.paths) / "metadata"

    @property
    def state_path(self) -> Path:
        return fleet_dir(self.paths) / "state.json"

    # --- errors ----------------------------------------------------------------------------
    def refuse(
        self, message: str, rule: str, app_id: str | None = None, **extra: object
    ) -> FleetError:
        self.audit.record(
            "fleet.refused", app_id=app_id, outcome="failure", reason=message, rule=rule,
            repository=self.url, **extra,
        )  # fmt: skip
        return FleetError(message, rule)

    @contextmanager
    def guard(self, step: str, app_id: str | None = None) -> Iterator[None]:
        """Turn ngclient's errors into an audited ``FleetError`` naming the check."""
        try:
            yield
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as err:
            rule = _rule(err)
            raise self.refuse(
                f"the repository was refused at {step}: {err}", rule, app_id,
                step=step, tuf_error=type(err).__name__,
            ) from None  # fmt: skip
        except OSError as err:
            raise self.refuse(
                f"cannot keep fleet metadata: {err}", "store", app_id, step=step
            ) from None

    # --- a poll ----------------------------------------------------------------------------
    def _updater(self) -> Updater:
        self.metadata_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        bootstrap: bytes | None = None
        if not (self.metadata_dir / "root.json").exists():
            # First use: the trust anchor shipped with the policy. Afterwards the root on disk,
            # which only ever moves forward through roots signed by the previous one.
            try:
                bootstrap = Path(self.policy.root or "").expanduser().read_bytes()
            except OSError as err:
                raise FleetError(
                    f"cannot read the trusted root {self.policy.root}: {err.strerror}", "root"
                ) from None
        fetcher = self._fetcher or Urllib3Fetcher(
            socket_timeout=self.policy.fetch_timeout_s, app_user_agent="superapp-fleet/1"
        )
        self._last_fetcher = fetcher
        with self.guard("root"):
            return Updater(
                str(self.metadata_dir),
                f"{self.url}/metadata/",
                str(fleet_dir(self.paths) / "downloads"),
                f"{self.url}/targets/",
                fetcher=fetcher,
                config=UpdaterConfig(app_user_agent="superapp-fleet/1"),
                bootstrap=bootstrap,
            )

    def session(self) -> FleetSession:
        """Poll the repository: verify everything new, persist the fleet state, audit.

        Raises:
            FleetError: any check failed (audited ``fleet.refused``); nothing was changed.
        """
        updater = self._updater()
        fetcher = self._last_fetcher
        try:
            with self.guard("refresh"):
                updater.refresh()
            with self.guard("fleet"):
                index_info = updater.get_targetinfo(INDEX_PATH)
                revs_info = updater.get_targetinfo(REVOCATIONS_PATH)
        except FleetError:
            FleetSession(self, updater, None, fetcher).close()  # type: ignore[arg-type]
            raise
        if index_info is None or revs_info is None:
            raise self.refuse("the repository has no fleet index or revocation list", "format")
        try:
            index = FleetIndex.model_validate(index_info.custom)
            revs = Revocations.model_validate(revs_info.custom)
        except ValidationError as err:
            raise self.refuse(f"bad fleet data: {err.errors()[0]['msg']}", "format") from None
        fleet_md = updater._trusted_set["fleet"]
        state = FleetState(index, revs.revocations, fleet_md.expires, self._clock())
        old = self.load_state()
        changed = old is None or (old.index, old.revocations) != (state.index, state.revocations)
        if changed or old is None or old.expires != state.expires:
            # Written only when what it says changes (a poll that finds nothing new writes
            # nothing), atomically, after everything in it verified.
            atomic_write_text(self.state_path, state.to_json())
        if changed:
            self.audit.record(
                "fleet.updated", outcome="success",
                reason=(
                    f"verified repository: {len(index.apps)} apps, "
                    f"{len(revs.revocations)} revocations"
                ),
                repository=self.url, apps=len(index.apps), revocations=len(revs.revocations),
            )  # fmt: skip
        return FleetSession(self, updater, state, fetcher)

    def load_state(self) -> FleetState | None:
        """The last verified state on disk (None: never polled, or unreadable)."""
        return self.held_state(self.paths, self.audit)

    @staticmethod
    def held_state(paths: Paths, audit: AuditLog) -> FleetState | None:
        """``load_state`` without a configured repository (launch checks, waiting updates)."""
        try:
            path = fleet_dir(paths) / "state.json"
            return FleetState.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            audit.record(
                "fleet.state_corrupt", outcome="failure",
                reason="the stored fleet state is unreadable; the next poll replaces it",
            )  # fmt: skip
            return None
