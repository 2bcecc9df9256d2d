"""Update-policy and on-disk attacks: downgrades, publisher swaps, bundles changed after install.

The launch check (``open_installed``) re-verifies the installed copy every time; each refusal
is audited as ``bundle.verify_failed`` and changes nothing.
"""

from __future__ import annotations

import os
import re

import pytest

from superapp.bundles import (
    BUNDLE_FILE,
    install_bundle,
    open_installed,
    pack_bundle,
)
from superapp.core.errors import BundleError, InstallError, NotInstalledError, SignatureError
from superapp.core.paths import Paths
from superapp.state.registry import get_app
from tests.bundles.builders import Env, app_files, audit_actions, make_env, state_of

APP = "com.example.notes"


@pytest.fixture
def env(superapp_home: Paths) -> Env:
    return make_env(superapp_home)


def _installed_file(env: Env) -> str:
    return str(env.paths.app_bundle(APP) / BUNDLE_FILE)


def test_version_downgrade_is_refused(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=5), env.key))
    before = state_of(env.paths)
    with pytest.raises(
        InstallError, match=r"\(code 3\) is not newer than the installed 1.5 \(code 5\)"
    ):
        install_bundle(env.paths, pack_bundle(app_files(code=3), env.key))
    assert state_of(env.paths) == before
    action, app_id, _ = audit_actions(env.paths)[-1]
    assert (action, app_id) == ("bundle.install_failed", APP)


def test_forced_downgrade_is_installed_and_audited(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=5), env.key))
    app = install_bundle(env.paths, pack_bundle(app_files(code=3), env.key), allow_downgrade=True)
    assert app.version_code == 3
    assert get_app(env.paths, APP).version_code == 3
    assert audit_actions(env.paths)[-1][0] == "bundle.updated"
    assert "downgrade" in audit_actions(env.paths)[-1][2]


def test_same_version_with_different_content_is_refused(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=2), env.key))
    before = state_of(env.paths)
    with pytest.raises(InstallError, match="is not newer"):
        install_bundle(env.paths, pack_bundle(app_files(code=2, body="swapped"), env.key))
    assert state_of(env.paths) == before


def test_reinstalling_the_same_bundle_changes_nothing(env: Env) -> None:
    data = pack_bundle(app_files(code=2), env.key)
    first = install_bundle(env.paths, data)
    before, events = state_of(env.paths), len(audit_actions(env.paths))
    assert install_bundle(env.paths, data) == first
    assert state_of(env.paths) == before
    assert len(audit_actions(env.paths)) == events


def test_update_signed_by_another_publisher_is_refused(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    env.trust.add(env.stranger.public_key(), "Mallory Ltd")  # trusted, but not this app's publisher
    before = state_of(env.paths)
    with pytest.raises(
        InstallError, match=r"installed from publisher 'Example Co'.*signed by 'Mallory Ltd'"
    ):
        install_bundle(env.paths, pack_bundle(app_files(code=2), env.stranger))
    assert state_of(env.paths) == before
    assert audit_actions(env.paths)[-1][0] == "bundle.install_failed"


def test_publisher_change_accepted_when_the_user_says_so(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    env.trust.add(env.stranger.public_key(), "New Owner")
    app = install_bundle(
        env.paths, pack_bundle(app_files(code=2), env.stranger), allow_publisher_change=True
    )
    assert app.publisher_name == "New Owner"
    assert open_installed(env.paths, APP).publisher == "New Owner"


def _launch_refused(env: Env, error: type[Exception], match: str) -> None:
    before = state_of(env.paths)
    with pytest.raises(error, match=match):
        open_installed(env.paths, APP)
    assert state_of(env.paths) == before
    action, app_id, reason = audit_actions(env.paths)[-1]
    assert (action, app_id) == ("bundle.verify_failed", APP)
    assert re.search(match, reason)


def test_bundle_modified_on_disk_after_install_is_refused_at_launch(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    assert open_installed(env.paths, APP).manifest.app_id == APP
    path = _installed_file(env)
    os.chmod(path, 0o644)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[data.index(bytes(range(256))) + 100] ^= 0x20  # one bit of the stored data.bin
    with open(path, "wb") as f:
        f.write(data)
    _launch_refused(env, BundleError, "file 'data.bin' does not match its signed digest")


def test_installed_bundle_swapped_for_older_signed_version_is_refused_at_launch(env: Env) -> None:
    old = pack_bundle(app_files(code=1), env.key)
    install_bundle(env.paths, old)
    install_bundle(env.paths, pack_bundle(app_files(code=2), env.key))
    path = _installed_file(env)
    os.chmod(path, 0o644)
    with open(path, "wb") as f:
        f.write(old)  # validly signed, trusted key — but not what is installed
    _launch_refused(env, BundleError, "not the one that was installed")


def test_launch_is_refused_once_the_publisher_is_no_longer_trusted(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    env.trust.remove(env.trust.list()[0].key_id)
    _launch_refused(env, SignatureError, "which is not trusted")


def test_deleted_installed_bundle_is_refused_at_launch(env: Env) -> None:
    install_bundle(env.paths, pack_bundle(app_files(code=1), env.key))
    os.unlink(_installed_file(env))
    _launch_refused(env, BundleError, "installed bundle file is missing")


def test_installed_bundle_replaced_by_symlink_is_refused_at_launch(env: Env) -> None:
    data = pack_bundle(app_files(code=1), env.key)
    install_bundle(env.paths, data)
    decoy = env.paths.data / "decoy.sapp"
    decoy.write_bytes(data)
    os.unlink(_installed_file(env))
    os.symlink(decoy, _installed_file(env))
    _launch_refused(env, BundleError, "cannot read the installed bundle")


def test_unknown_app_is_not_installed(env: Env) -> None:
    with pytest.raises(NotInstalledError):
        open_installed(env.paths, "com.example.ghost")
