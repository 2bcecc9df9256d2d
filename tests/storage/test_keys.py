"""Master key storage (OS keyring or 0600 file), rotation, crypto-shredding at uninstall."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from keyring.backends import fail

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.storage import (
    KeyManagementError,
    KeyManager,
    KeyringLike,
    StorageLimits,
    destroy_app_data,
    open_store,
)

APP, OTHER = "com.example.keys", "com.example.other"


class MemoryKeyring:
    """A keyring that keeps secrets in memory (stands in for the OS keyring). Deliberately not
    a ``KeyringBackend`` subclass: those join keyring's process-wide backend discovery."""

    priority = 5.0

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.secrets[(service, username)]


def _no_keyring() -> KeyringLike:
    """keyring's own "no backend" keyring, as on this project's build machine."""
    backend: KeyringLike = fail.Keyring()  # type: ignore[no-untyped-call]
    return backend


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_without_a_keyring_the_master_key_is_an_owner_only_file(paths: Paths) -> None:
    keys = KeyManager(paths, keyring_backend=_no_keyring())
    with open_store(paths, APP, keys=keys) as store:
        store.kv.set("k", "v")
    info = keys.describe()
    assert info["backend"] == "file"
    master = paths.data / "keys" / f"master-{info['master_id']}.key"
    assert info["location"] == str(master)
    assert _mode(master) == 0o600
    assert _mode(paths.data / "keys") == 0o700
    assert _mode(paths.data / "keys" / "apps" / f"{APP}.key") == 0o600


def test_with_a_keyring_the_master_key_never_touches_the_disk(paths: Paths) -> None:
    ring = MemoryKeyring()
    keys = KeyManager(paths, keyring_backend=ring)
    with open_store(paths, APP, keys=keys) as store:
        store.kv.set("k", "v")
    info = keys.describe()
    assert info["backend"] == "keyring"
    assert list(ring.secrets) == [(keys._service, f"master-key:{info['master_id']}")]
    assert not list((paths.data / "keys").glob("master-*"))
    with open_store(paths, APP, keys=KeyManager(paths, keyring_backend=ring)) as store:
        assert store.kv.get("k") == "v"


def test_keyring_that_disappears_fails_closed_without_a_new_key(paths: Paths) -> None:
    ring = MemoryKeyring()
    with open_store(paths, APP, keys=KeyManager(paths, keyring_backend=ring)) as store:
        store.kv.set("k", "v")
    state_before = (paths.data / "keys" / "state.json").read_bytes()
    with pytest.raises(KeyManagementError, match="keyring"):
        open_store(paths, APP, keys=KeyManager(paths, keyring_backend=_no_keyring()))
    assert (paths.data / "keys" / "state.json").read_bytes() == state_before
    with open_store(paths, APP, keys=KeyManager(paths, keyring_backend=ring)) as store:
        assert store.recovered is None and store.kv.get("k") == "v"


def test_policy_demanding_a_keyring_refuses_the_file_fallback(paths: Paths) -> None:
    keys = KeyManager(paths, backend="keyring", keyring_backend=_no_keyring())
    with pytest.raises(KeyManagementError, match="no usable keyring"):
        keys.data_key(APP, create=True)
    assert not (paths.data / "keys" / "state.json").exists()


def test_rotation_rewraps_every_data_key_and_destroys_the_old_master(paths: Paths) -> None:
    keys = KeyManager(paths, keyring_backend=_no_keyring())
    for app in (APP, OTHER):
        with open_store(paths, app, keys=keys) as store:
            store.kv.set("k", app)
    old = keys.describe()["master_id"]
    wrapped_before = (paths.data / "keys" / "apps" / f"{APP}.key").read_bytes()
    report = keys.rotate_master()
    assert report.old_ids == (old,) and report.rewrapped == 2 and report.new_id != old
    assert not (paths.data / "keys" / f"master-{old}.key").exists()
    assert (paths.data / "keys" / "apps" / f"{APP}.key").read_bytes() != wrapped_before
    for app in (APP, OTHER):
        with open_store(paths, app, keys=keys) as store:
            assert store.recovered is None and store.kv.get("k") == app


def test_rotation_moves_the_master_into_a_keyring_that_appeared(paths: Paths) -> None:
    with open_store(paths, APP, keys=KeyManager(paths, keyring_backend=_no_keyring())) as s:
        s.kv.set("k", "v")
    ring = MemoryKeyring()
    keys = KeyManager(paths, keyring_backend=ring)
    assert keys.describe()["backend"] == "file"  # no silent switch before rotation
    report = keys.rotate_master()
    assert report.backend == "keyring"
    assert not list((paths.data / "keys").glob("master-*"))
    with open_store(paths, APP, keys=keys) as store:
        assert store.kv.get("k") == "v"


def test_rotation_interrupted_midway_leaves_every_key_openable_and_resumes(paths: Paths) -> None:
    keys = KeyManager(paths, keyring_backend=_no_keyring())
    for app in (APP, OTHER):
        with open_store(paths, app, keys=keys) as store:
            store.kv.set("k", app)
    # OTHER's wrapped key sorts second; damage it so the rotation stops after re-wrapping APP.
    other_key = paths.data / "keys" / "apps" / f"{OTHER}.key"
    good = other_key.read_bytes()
    other_key.write_bytes(b"{}")
    with pytest.raises(KeyManagementError):
        keys.rotate_master()
    other_key.write_bytes(good)
    state = json.loads((paths.data / "keys" / "state.json").read_bytes())
    assert len(state["masters"]) == 2  # the old master is kept while a key still names it
    for app in (APP, OTHER):
        with open_store(paths, app, keys=keys) as store:
            assert store.recovered is None and store.kv.get("k") == app
    report = keys.rotate_master()
    assert len(report.old_ids) == 2
    state = json.loads((paths.data / "keys" / "state.json").read_bytes())
    assert list(state["masters"]) == [report.new_id]


def test_wrapped_key_moved_to_another_app_does_not_unwrap(paths: Paths) -> None:
    keys = KeyManager(paths, keyring_backend=_no_keyring())
    keys.data_key(APP, create=True)
    doc = json.loads((paths.data / "keys" / "apps" / f"{APP}.key").read_bytes())
    doc["app_id"] = OTHER
    (paths.data / "keys" / "apps" / f"{OTHER}.key").write_text(json.dumps(doc))
    with pytest.raises(KeyManagementError, match="fails to unwrap"):
        keys.data_key(OTHER, create=False)


def test_uninstall_shreds_the_key_so_old_ciphertext_never_opens_again(
    paths: Paths, audit: AuditLog, tmp_path: Path
) -> None:
    with open_store(paths, APP) as store:
        store.kv.set("diary", "dear diary")
        store.files.write("photo.jpg", b"\xff\xd8 jpeg")
    backup = tmp_path / "backup"
    shutil.copytree(paths.app_dir(APP), backup)  # what a disk snapshot would keep
    key_file = paths.data / "keys" / "apps" / f"{APP}.key"
    destroy_app_data(paths, APP)
    assert not key_file.exists()
    for sub in ("storage", "files", "cache", "webview"):
        assert not (paths.app_dir(APP) / sub).exists()
    assert [e["event"]["action"] for e in audit.events()][-1] == "storage.destroyed"
    # Reinstall, then restore the old ciphertext: it cannot be opened with the new key.
    shutil.copytree(backup / "storage", paths.app_storage(APP))
    with open_store(paths, APP, limits=StorageLimits()) as store:
        assert store.recovered is not None
        assert store.kv.get("diary") is None
