"""Install, update, remove, samples: the layout, the registry, and atomicity."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from superapp.bundles import (
    BUNDLE_FILE,
    INSTALL_STEPS,
    REMOVE_HOOKS,
    SAMPLE_PUBLISHER,
    InstallContext,
    install_bundle,
    install_samples,
    open_installed,
    pack_bundle,
    remove_app,
)
from superapp.core.errors import AppStateError, BundleError, InstallError, NotInstalledError
from superapp.core.paths import Paths
from superapp.state import registry
from superapp.state.registry import get_app, list_apps
from tests.bundles.builders import Env, app_files, audit_actions, make_env, state_of, write_tree

APP = "com.example.notes"


@pytest.fixture
def env(superapp_home: Paths) -> Env:
    return make_env(superapp_home)


def test_install_writes_signed_file_icon_and_registry_row(env: Env) -> None:
    data = pack_bundle(app_files(code=1), env.key)
    app = install_bundle(env.paths, data)
    folder = env.paths.app_bundle(APP)
    assert (folder / BUNDLE_FILE).read_bytes() == data
    assert app.icon_path == folder / "icon.png"
    assert app.icon_path.read_bytes() == app_files()["icon.png"]
    assert sorted(p.name for p in folder.iterdir()) == ["app.sapp", "icon.png"]
    assert stat.S_IMODE((folder / BUNDLE_FILE).stat().st_mode) == 0o400
    assert (app.name, app.version_name, app.version_code) == ("Notes", "1.1", 1)
    assert app.publisher_name == "Example Co"
    assert app.declared_capabilities == frozenset({"storage"})
    assert list_apps(env.paths) == [app]
    assert get_app(env.paths, APP) == app
    assert app.digest == open_installed(env.paths, APP).digest
    action, app_id, _ = audit_actions(env.paths)[-1]
    assert (action, app_id) == ("bundle.installed", APP)


def test_launch_check_reports_the_file_digest_without_rehashing(env: Env) -> None:
    data = pack_bundle(app_files(code=1), env.key)
    app = install_bundle(env.paths, data)
    bundle = open_installed(env.paths, APP)
    assert bundle.digest == app.digest == hashlib.sha256(data).hexdigest()
    assert bundle.signed_digest == app.signed_digest != ""


def test_registry_row_from_before_signed_digest_falls_back_to_the_file_digest(env: Env) -> None:
    data = pack_bundle(app_files(code=1), env.key)
    install_bundle(env.paths, data)
    with sqlite3.connect(env.paths.registry_db) as conn:
        conn.execute("UPDATE apps SET signed_digest = ''")
    assert open_installed(env.paths, APP).digest == hashlib.sha256(data).hexdigest()
    assert install_bundle(env.paths, data).version_code == 1  # same bundle: still a no-op
    other = pack_bundle(app_files(code=1, body="other"), env.key)
    (env.paths.app_bundle(APP) / BUNDLE_FILE).chmod(0o644)
    (env.paths.app_bundle(APP) / BUNDLE_FILE).write_bytes(other)
    with pytest.raises(BundleError, match="not the one that was installed"):
        open_installed(env.paths, APP)


def test_update_replaces_bundle_and_keeps_first_install_time(env: Env) -> None:
    first = install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    second = install_bundle(env.paths, pack_bundle(app_files(code=2, body="v2"), env.key))
    assert second.version_code == 2
    assert second.installed_at == first.installed_at
    assert open_installed(env.paths, APP).read("index.html").startswith(b"<!doctype html><title>v2")
    assert [p.name for p in env.paths.app_dir(APP).iterdir()] == ["bundle"]  # no leftovers
    assert audit_actions(env.paths)[-1][0] == "bundle.updated"


def test_app_without_icon_has_no_icon_path(env: Env) -> None:
    files = app_files(icons=[])
    del files["icon.png"]
    assert install_bundle(env.paths, pack_bundle(files, env.key)).icon_path is None


def test_failed_commit_leaves_the_previous_install_untouched(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    before = state_of(env.paths)

    def locked(paths: Paths, app: registry.InstalledApp) -> None:
        raise sqlite3.OperationalError("database is locked")  # the disk/DB fault being simulated

    monkeypatch.setattr(registry, "put_app", locked)
    with pytest.raises(InstallError, match="cannot record the install in the registry"):
        install_bundle(env.paths, pack_bundle(app_files(code=2), env.key))
    monkeypatch.undo()
    assert state_of(env.paths) == before
    assert audit_actions(env.paths)[-1][:2] == ("bundle.install_failed", APP)
    assert open_installed(env.paths, APP).manifest.version.code == 1


def test_failed_first_install_leaves_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(paths: Paths, app: registry.InstalledApp) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(registry, "put_app", locked)
    with pytest.raises(InstallError, match="database is locked"):
        install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    monkeypatch.undo()
    assert not env.paths.app_dir(APP).exists()
    assert list_apps(env.paths) == []


def test_an_inserted_scan_step_can_block_an_install(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    def scan(ctx: InstallContext) -> None:
        for name, content in ctx.verified.files.items():
            if b"eval(" in content:
                raise InstallError(f"static analysis: {name} calls eval")

    monkeypatch.setattr("superapp.bundles._install.INSTALL_STEPS", list(INSTALL_STEPS))
    from superapp.bundles import _install

    _install.INSTALL_STEPS.insert(1, ("scan", scan))
    files = {**app_files(), "js/app.js": b"eval(location.hash)"}
    with pytest.raises(InstallError, match=r"js/app\.js calls eval"):
        install_bundle(env.paths, pack_bundle(files, env.key))
    assert list_apps(env.paths) == []
    action, app_id, _ = audit_actions(env.paths)[-1]
    assert (action, app_id) == ("bundle.install_failed", APP)


def test_remove_wipes_the_whole_app_folder_and_row(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(), env.key))
    for sub in ("storage", "files/docs", "cache", "webview"):
        (env.paths.app_dir(APP) / sub).mkdir(parents=True)
    (env.paths.app_dir(APP) / "files" / "docs" / "note.txt").write_text("secret")
    remove_app(env.paths, APP)
    assert not env.paths.app_dir(APP).exists()
    assert [p.name for p in env.paths.apps.iterdir() if p.name != ".lock"] == []
    with pytest.raises(NotInstalledError):
        get_app(env.paths, APP)
    assert audit_actions(env.paths)[-1][:2] == ("bundle.removed", APP)
    with pytest.raises(NotInstalledError):
        remove_app(env.paths, APP)


def test_remove_hooks_run_first_and_can_refuse(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    install_bundle(env.paths, pack_bundle(app_files(), env.key))
    called: list[str] = []

    def refuse(paths: Paths, app_id: str) -> None:
        called.append(app_id)
        raise AppStateError(f"{app_id} is running; stop it first")

    defaults = list(REMOVE_HOOKS)
    monkeypatch.setattr("superapp.bundles._install.REMOVE_HOOKS", [refuse])
    before = state_of(env.paths)
    with pytest.raises(AppStateError, match="is running"):
        remove_app(env.paths, APP)
    assert called == [APP]
    assert state_of(env.paths) == before
    assert audit_actions(env.paths)[-1][:2] == ("bundle.remove_failed", APP)
    assert defaults == REMOVE_HOOKS  # the module default is untouched


def test_registry_shares_its_file_with_other_tables(env: Env) -> None:
    from superapp.state.grants import GrantStore

    install_bundle(env.paths, pack_bundle(app_files(), env.key))
    with GrantStore(env.paths.registry_db) as store:
        store.grant(APP, "storage")
        store.grant("com.example.other", "storage")
    remove_app(env.paths, APP)
    with GrantStore(env.paths.registry_db) as store:
        # The removed app's grants go with it (a reinstall starts with none); others stay.
        assert store.list(APP) == []
        assert [g.capability for g in store.list("com.example.other")] == ["storage"]
    with sqlite3.connect(env.paths.registry_db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- samples -------------------------------------------------------------------------------


def _samples(root: Path, code: int = 1) -> Path:
    write_tree(root / "notes", app_files("com.example.samples.notes", code))
    write_tree(root / "converter", app_files("com.example.samples.converter", code))
    (root / "not-an-app").mkdir(parents=True, exist_ok=True)
    return root


def test_install_samples_signs_with_a_per_machine_key_and_trusts_it(
    superapp_home: Paths, tmp_path: Path
) -> None:
    apps = install_samples(superapp_home, _samples(tmp_path / "miniapps"))
    assert [a.app_id for a in apps] == [
        "com.example.samples.converter",
        "com.example.samples.notes",
    ]
    assert {a.publisher_name for a in apps} == {SAMPLE_PUBLISHER}
    key_file = superapp_home.data / "keys" / "sample-publisher.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for app in apps:
        assert open_installed(superapp_home, app.app_id).publisher == SAMPLE_PUBLISHER


def test_install_samples_again_is_a_no_op_and_updates_on_version_bump(
    superapp_home: Paths, tmp_path: Path
) -> None:
    root = _samples(tmp_path / "miniapps")
    first = install_samples(superapp_home, root)
    events = len(audit_actions(superapp_home))
    assert install_samples(superapp_home, root) == first
    assert len(audit_actions(superapp_home)) == events
    _samples(root, code=2)
    updated = install_samples(superapp_home, root)
    assert [a.version_code for a in updated] == [2, 2]
    assert updated[0].key_id == first[0].key_id


def test_sample_manifests_are_validated(superapp_home: Paths, tmp_path: Path) -> None:
    root = tmp_path / "miniapps"
    files = app_files("com.example.samples.bad")
    files["manifest.json"] = json.dumps({"app_id": "bad"}).encode()
    write_tree(root / "bad", files)
    from superapp.core.errors import ManifestError

    with pytest.raises(ManifestError, match="app_id"):
        install_samples(superapp_home, root)


def test_launch_check_during_updates_never_sees_a_half_installed_app(env: Env) -> None:
    bundles = [pack_bundle(app_files(code=c, body=f"v{c}"), env.key) for c in range(1, 13)]
    install_bundle(env.paths, bundles[0])
    done = threading.Event()
    failures: list[BaseException] = []

    def updater() -> None:
        try:
            for data in bundles[1:]:
                install_bundle(env.paths, data)
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=updater)
    thread.start()
    seen: set[int] = set()
    while not done.is_set():
        seen.add(open_installed(env.paths, APP).manifest.version.code)
    thread.join()
    assert failures == []
    assert open_installed(env.paths, APP).manifest.version.code == 12
    assert seen <= set(range(1, 13))
    assert not [a for a in audit_actions(env.paths) if a[0] == "bundle.verify_failed"]


def test_the_install_steps_and_remove_hooks_are_listed_in_order() -> None:
    # Literal lists in _install.py: nothing is inserted when superapp.bundles is imported.
    from superapp.bundles import _hooks

    assert [name for name, _ in INSTALL_STEPS] == ["verify", "policy", "scan", "commit"]
    assert dict(INSTALL_STEPS)["scan"] is _hooks.step_scan
    assert [_hooks.refuse_while_running, _hooks.destroy_data, _hooks.forget_grants] == REMOVE_HOOKS
