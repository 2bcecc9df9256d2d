"""Per-app data keys, wrapped by one host master key (docs/adr/0004-master-key-storage.md).

Layout under ``<data>/keys/`` (folder 0700, files 0600)::

    keys/state.json           {"format": 1, "current": ID, "masters": {ID: "keyring"|"file"}}
    keys/master-<ID>.key      a master key, when its backend is "file"
    keys/apps/<app_id>.key    the app's 32-byte data key, AES-256-GCM-wrapped by a master key
    keys/.lock                flock: one key-management writer at a time, across processes

A master key whose backend is "keyring" lives in the OS keyring under the service
``superapp:<digest of the data folder>`` and user ``master-key:<ID>``. ``auto`` uses the keyring
when ``keyring`` finds a real backend (priority >= 1, not the fail backend) and the file
otherwise; the choice is recorded per master in state.json, so a keyring that appears or
disappears later never makes the host mint a new key over existing data: a recorded keyring
master that cannot be read is an error (fail closed), not a reason to start afresh.

Procedures (each under the exclusive lock):

* data key for an app: read ``apps/<app_id>.key``; if absent and creation is asked for, make the
  master key if none exists, draw 32 random bytes, wrap them with associated data naming the app
  and the master id, and write the file atomically (temp + fsync + rename + fsync folder).
* destroy (crypto-shredding): overwrite the wrapped key with random bytes, fsync, unlink, fsync
  the folder. From then on nothing the app stored can be decrypted.
* rotate: (1) store a new master in the preferred backend, (2) record it in state.json as current
  while keeping the old ones listed, (3) re-wrap every data key that names an older master,
  (4) delete the older masters and drop them from state.json. A crash at any point leaves every
  wrapped key openable, because a master leaves state.json only after nothing names it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from superapp.core.files import atomic_write
from superapp.core.paths import Paths, is_valid_app_id
from superapp.storage._crypto import DATA_KEY_BYTES
from superapp.storage._errors import KeyManagementError
from superapp.storage._limits import KeyBackendChoice

__all__ = [
    "Backend",
    "KeyManager",
    "KeyringLike",
    "RotationReport",
    "atomic_write_bytes",
    "fsync_dir",
    "keyring_is_usable",
]

Backend = Literal["keyring", "file"]
_MASTER_BYTES = 32


class KeyringLike(Protocol):
    """What the key manager needs of a keyring backend (``keyring.get_keyring()`` by default).

    A protocol rather than ``keyring.backend.KeyringBackend``: subclassing that registers the
    class with ``keyring``'s process-wide backend discovery.
    """

    @property
    def priority(self) -> float: ...

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


@dataclass(frozen=True)
class RotationReport:
    old_ids: tuple[str, ...]
    new_id: str
    backend: Backend
    rewrapped: int


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``path`` so that it holds either its old bytes or ``data`` (``core.files``)."""
    atomic_write(path, data, mode=mode)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def keyring_is_usable(backend: KeyringLike) -> bool:
    """True when ``backend`` is a real OS keyring (not the fail or an empty chainer backend)."""
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    try:
        return float(backend.priority) >= 1
    except Exception:  # a backend whose priority raises is unusable
        return False


class KeyManager:
    """Creates, unwraps, destroys and re-wraps per-app data keys for one host data folder."""

    def __init__(
        self,
        paths: Paths,
        *,
        backend: KeyBackendChoice = "auto",
        keyring_backend: KeyringLike | None = None,
    ) -> None:
        self._paths = paths
        self._choice: KeyBackendChoice = backend
        self._keyring = keyring_backend
        self._dir = paths.data / "keys"
        digest = hashlib.sha256(str(paths.data).encode()).hexdigest()[:16]
        self._service = f"superapp:{digest}"

    # --- public ------------------------------------------------------------------------
    def data_key(self, app_id: str, *, create: bool) -> bytes | None:
        """The app's data key; made on first use when ``create``; None if absent otherwise.

        Raises:
            KeyManagementError: the master key is unavailable or the wrapped key is damaged.
        """
        path = self._app_key_path(app_id)
        with self._locked(exclusive=False):
            if path.exists():
                return self._unwrap(app_id, path)
        if not create:
            return None
        with self._locked(exclusive=True):
            if path.exists():  # another process made it meanwhile
                return self._unwrap(app_id, path)
            master_id, master = self._current_master(create=True)
            key = secrets.token_bytes(DATA_KEY_BYTES)
            (self._dir / "apps").mkdir(mode=0o700, exist_ok=True)
            atomic_write_bytes(path, self._wrap(app_id, master_id, master, key))
            return key

    def has_data_key(self, app_id: str) -> bool:
        return self._app_key_path(app_id).exists()

    def destroy_data_key(self, app_id: str) -> bool:
        """Crypto-shred the app's data key. True if there was one."""
        path = self._app_key_path(app_id)
        with self._locked(exclusive=True):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            except FileNotFoundError:
                return False
            try:
                size = os.fstat(fd).st_size
                os.write(fd, secrets.token_bytes(max(size, 1)))
                os.fsync(fd)
            finally:
                os.close(fd)
            path.unlink()
            fsync_dir(path.parent)
            return True

    def describe(self) -> dict[str, Any]:
        """Which backend holds the current master key (for ``superapp storage``)."""
        state = self._read_state()
        current = state.get("current") if state else None
        backend = state["masters"].get(current) if state and current else None
        where = None
        if backend == "file":
            where = str(self._master_file(str(current)))
        elif backend == "keyring":
            where = f"{type(self._get_keyring()).__name__} service {self._service!r}"
        try:
            preferred: str = self._preferred_backend()
        except KeyManagementError as err:
            preferred = f"unavailable ({err})"
        return {"backend": backend, "master_id": current, "location": where, "preferred": preferred}

    def rotate_master(self) -> RotationReport:
        """Replace the master key and re-wrap every data key with it (see module docstring)."""
        with self._locked(exclusive=True):
            state = self._read_state()
            if state is None:
                new_id, _ = self._create_master()
                return RotationReport((), new_id, state_backend(self._read_state(), new_id), 0)
            masters: dict[str, Backend] = dict(state["masters"])
            loaded = {mid: self._load_master(mid, be) for mid, be in masters.items()}
            new_backend = self._preferred_backend()
            new_id = secrets.token_hex(8)
            new_master = secrets.token_bytes(_MASTER_BYTES)
            self._store_master(new_id, new_backend, new_master)
            masters[new_id] = new_backend
            self._write_state({"format": 1, "current": new_id, "masters": masters})
            rewrapped = 0
            apps_dir = self._dir / "apps"
            for path in sorted(apps_dir.glob("*.key")) if apps_dir.is_dir() else []:
                app_id = path.name.removesuffix(".key")
                if not is_valid_app_id(app_id):
                    continue
                blob = self._parse_wrapped(app_id, path)
                if blob["master"] == new_id:
                    continue
                key = self._unwrap_with(app_id, blob, loaded)
                atomic_write_bytes(path, self._wrap(app_id, new_id, new_master, key))
                rewrapped += 1
            old_ids = tuple(mid for mid in masters if mid != new_id)
            self._write_state({"format": 1, "current": new_id, "masters": {new_id: new_backend}})
            for mid in old_ids:
                self._delete_master(mid, masters[mid])
            return RotationReport(old_ids, new_id, new_backend, rewrapped)

    # --- masters -----------------------------------------------------------------------
    def _get_keyring(self) -> KeyringLike:
        # ``keyring`` is imported when a master key is touched, not with this module: runtimes
        # import storage and never read a master key, and a host's launch of an app without
        # storage needs none (issue 16, cold launch: ~0.03 s of CPU each).
        import keyring

        return self._keyring if self._keyring is not None else keyring.get_keyring()

    def _preferred_backend(self) -> Backend:
        if self._choice == "file":
            return "file"
        usable = keyring_is_usable(self._get_keyring())
        if self._choice == "keyring" and not usable:
            raise KeyManagementError(
                "policy asks for the OS keyring, but no usable keyring backend was found"
            )
        return "keyring" if usable else "file"

    def _current_master(self, *, create: bool) -> tuple[str, bytes]:
        state = self._read_state()
        if state is None:
            if not create:
                raise KeyManagementError("no master key exists yet")
            return self._create_master()
        current = str(state["current"])
        return current, self._load_master(current, state["masters"][current])

    def _create_master(self) -> tuple[str, bytes]:
        backend = self._preferred_backend()
        mid = secrets.token_hex(8)
        master = secrets.token_bytes(_MASTER_BYTES)
        self._store_master(mid, backend, master)
        self._write_state({"format": 1, "current": mid, "masters": {mid: backend}})
        return mid, master

    def _master_file(self, mid: str) -> Path:
        return self._dir / f"master-{mid}.key"

    def _store_master(self, mid: str, backend: Backend, master: bytes) -> None:
        if backend == "file":
            atomic_write_bytes(self._master_file(mid), master)
            return
        import keyring.errors

        try:
            self._get_keyring().set_password(
                self._service, f"master-key:{mid}", base64.b64encode(master).decode()
            )
        except keyring.errors.KeyringError as err:
            raise KeyManagementError(f"cannot store the master key in the keyring: {err}") from err

    def _load_master(self, mid: str, backend: Backend) -> bytes:
        if backend == "file":
            path = self._master_file(mid)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError as err:
                raise KeyManagementError(f"master key file {path} is unreadable: {err}") from err
            with os.fdopen(fd, "rb") as f:
                data = f.read()
        else:
            import keyring.errors

            try:
                text = self._get_keyring().get_password(self._service, f"master-key:{mid}")
            except keyring.errors.KeyringError as err:
                raise KeyManagementError(f"the OS keyring refused the master key: {err}") from err
            if text is None:
                raise KeyManagementError(
                    f"master key {mid} is missing from the OS keyring ({self._service})"
                )
            data = base64.b64decode(text)
        if len(data) != _MASTER_BYTES:
            raise KeyManagementError(f"master key {mid} is damaged (wrong length)")
        return data

    def _delete_master(self, mid: str, backend: Backend) -> None:
        if backend == "file":
            with contextlib.suppress(FileNotFoundError):
                self._master_file(mid).unlink()
            return
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._get_keyring().delete_password(self._service, f"master-key:{mid}")

    # --- state -------------------------------------------------------------------------
    def _read_state(self) -> dict[str, Any] | None:
        path = self._dir / "state.json"
        try:
            state = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise KeyManagementError(f"key state {path} is unreadable: {err}") from err
        if (
            not isinstance(state, dict)
            or not isinstance(state.get("masters"), dict)
            or state.get("current") not in state["masters"]
            or not all(be in ("keyring", "file") for be in state["masters"].values())
        ):
            raise KeyManagementError(f"key state {path} is damaged")
        return state

    def _write_state(self, state: dict[str, Any]) -> None:
        atomic_write_bytes(self._dir / "state.json", json.dumps(state, sort_keys=True).encode())

    # --- data keys ---------------------------------------------------------------------
    def _app_key_path(self, app_id: str) -> Path:
        if not is_valid_app_id(app_id):
            raise ValueError(f"not a valid app id: {app_id!r}")
        return self._dir / "apps" / f"{app_id}.key"

    @staticmethod
    def _ad(app_id: str, master_id: str) -> bytes:
        return b"superapp/v1 datakey\0" + app_id.encode() + b"\0" + master_id.encode()

    def _wrap(self, app_id: str, master_id: str, master: bytes, key: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        wrapped = AESGCM(master).encrypt(nonce, key, self._ad(app_id, master_id))
        doc = {
            "format": 1,
            "app_id": app_id,
            "master": master_id,
            "nonce": base64.b64encode(nonce).decode(),
            "wrapped": base64.b64encode(wrapped).decode(),
        }
        return json.dumps(doc, sort_keys=True).encode()

    def _parse_wrapped(self, app_id: str, path: Path) -> dict[str, Any]:
        try:
            doc = json.loads(path.read_bytes())
            if not isinstance(doc, dict) or doc.get("app_id") != app_id:
                raise ValueError("names another app")
            if not isinstance(doc.get("master"), str):
                raise ValueError("no master id")
            return doc
        except (OSError, ValueError) as err:
            raise KeyManagementError(f"data key of {app_id} is damaged: {err}") from err

    def _unwrap(self, app_id: str, path: Path) -> bytes:
        doc = self._parse_wrapped(app_id, path)
        state = self._read_state()
        if state is None or doc["master"] not in state["masters"]:
            raise KeyManagementError(f"data key of {app_id} names an unknown master key")
        mid = doc["master"]
        return self._unwrap_with(app_id, doc, {mid: self._load_master(mid, state["masters"][mid])})

    def _unwrap_with(self, app_id: str, doc: dict[str, Any], masters: dict[str, bytes]) -> bytes:
        mid = doc["master"]
        if mid not in masters:
            raise KeyManagementError(f"data key of {app_id} names an unknown master key")
        try:
            key = AESGCM(masters[mid]).decrypt(
                base64.b64decode(doc["nonce"]),
                base64.b64decode(doc["wrapped"]),
                self._ad(app_id, mid),
            )
        except (InvalidTag, ValueError, KeyError, TypeError) as err:
            raise KeyManagementError(f"data key of {app_id} fails to unwrap") from err
        if len(key) != DATA_KEY_BYTES:
            raise KeyManagementError(f"data key of {app_id} has the wrong length")
        return key

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)


def state_backend(state: dict[str, Any] | None, mid: str) -> Backend:
    if state is None:
        raise KeyManagementError("key state vanished during rotation")
    backend: Backend = state["masters"][mid]
    return backend
