"""share.send between two real apps, through the host and the user's confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, install_bundle, pack_dir
from superapp.core.paths import Paths
from tests.attacks.hostile import call, make_app, wait_for_audit

SENDER = "com.example.sender"
RECEIVER = "com.example.receiver"


def _install_receiver(paths: Paths, root: Path, sender: Path | None = None) -> None:
    key = Ed25519PrivateKey.generate()
    TrustStore(paths).add(key.public_key(), "Example Co")
    install_bundle(paths, pack_dir(make_app(root, RECEIVER), key))
    if sender is not None:
        install_bundle(paths, pack_dir(sender, key))


def test_share_reaches_the_receiver_with_the_verified_sender_after_confirmation(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    # Both installed: a developer-mode host knows only its own (dev) apps, so an unsigned
    # folder claiming any id can never write into an installed app's inbox.
    sender_folder = make_app(tmp_path, SENDER, permissions=[("share:send", "Send a recipe")])
    _install_receiver(superapp_home, tmp_path / "signed", sender_folder)
    env = dict(host_env, SUPERAPP_CONSENT="allow")  # the headless host's "user" says yes
    _s, sender = open_app("run", SENDER, env=env)
    _r, receiver = open_app("run", RECEIVER, env=env)

    sent = call(
        sender, "share.send", {"to": RECEIVER, "data": {"recipe": "bread", "from": "forged"}}
    )
    assert sent == {"ok": True, "result": {"delivered": True}}
    got = call(receiver, "share.inbox", {})
    assert got["ok"] is True, got
    assert [(i["fromApp"], i["data"]) for i in got["result"]["items"]] == [
        (SENDER, {"recipe": "bread", "from": "forged"})  # the page cannot choose fromApp
    ]
    wait_for_audit(superapp_home, lambda e: e["superapp"]["to"] == RECEIVER,
                   action="share.send", app_id=SENDER)  # fmt: skip


def test_share_is_refused_when_the_user_declines_or_the_app_lacks_the_capability(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    _install_receiver(superapp_home, tmp_path / "signed")
    undeclared = make_app(tmp_path, "com.example.nocap")
    _h, page = open_app("dev", undeclared)
    assert call(page, "share.send", {"to": RECEIVER, "data": 1})["code"] == "PERMISSION_DENIED"
    declared = make_app(tmp_path, SENDER, permissions=[("share:send", "Send a recipe")])
    _h2, page2 = open_app("dev", declared)  # the headless host's default policy says no
    assert call(page2, "share.send", {"to": RECEIVER, "data": 1})["code"] == "CONSENT_DENIED"
    from superapp.state import inbox as share

    assert share.pending(superapp_home, RECEIVER) == 0


def test_damaged_store_is_set_aside_and_reported_at_launch(
    tmp_path: Path, open_app: Any, superapp_home: Paths, hosts: list[Any]
) -> None:
    folder = make_app(tmp_path, "com.example.keeper", permissions=[("storage", "Keep things")])
    host, page = open_app("dev", folder)
    assert call(page, "storage.set", {"key": "k", "value": "v"})["ok"] is True
    host.stop()
    hosts.remove(host)
    for db in superapp_home.for_dev().app_storage("com.example.keeper").glob("*.sqlite3*"):
        db.write_bytes(b"this is not a database" * 100)

    _host2, page2 = open_app("dev", folder)
    # Found when the runtime opens the store at launch (before the page asks for anything).
    wait_for_audit(superapp_home, lambda e: True, action="storage.recovered",
                   app_id="com.example.keeper")  # fmt: skip
    assert call(page2, "storage.get", {"key": "k"}) == {"ok": True, "result": None}
    assert call(page2, "storage.set", {"key": "k", "value": "again"})["ok"] is True


def test_a_dev_folder_cannot_share_into_an_installed_app(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    """Developer-mode state is apart: an unsigned folder (which may claim any app id) finds
    no installed receiver, and nothing reaches the installed app's inbox."""
    _install_receiver(superapp_home, tmp_path / "signed")
    folder = make_app(tmp_path, SENDER, permissions=[("share:send", "Send a recipe")])
    _h, page = open_app("dev", folder, env=dict(host_env, SUPERAPP_CONSENT="allow"))
    reply = call(page, "share.send", {"to": RECEIVER, "data": 1})
    assert reply["ok"] is False, reply
    wait_for_audit(superapp_home, lambda e: e["event"]["reason"] == "unknown_app",
                   action="share.send", app_id=SENDER)  # fmt: skip
    from superapp.state import inbox as share

    assert share.pending(superapp_home, RECEIVER) == 0
