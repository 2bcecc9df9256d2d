"""``superapp grants``, ``revoke-grant`` and ``profile`` with a real registry and live bridge."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bridge.testing import open_test_bridge
from superapp.cli import main
from superapp.core.consent import FixedAnswerBroker
from superapp.core.paths import Paths
from superapp.state.grants import GrantStore
from superapp.state.profile import load_profile
from superapp.state.registry import InstalledApp, put_app

APP = "com.example.notes"


def _install(paths: Paths, declared: set[str]) -> None:
    put_app(
        paths,
        InstalledApp(
            app_id=APP,
            name="Notes",
            version_name="1.0.0",
            version_code=1,
            publisher_name="Example",
            key_id="k" * 16,
            installed_at="2026-11-21T00:00:00+00:00",
            updated_at="2026-11-21T00:00:00+00:00",
            digest="0" * 64,
            declared_capabilities=frozenset(declared),
            icon_path=None,
        ),
    )


@pytest.fixture
def paths(home: Path) -> Paths:
    p = Paths.from_env()
    p.ensure()
    return p


def test_grants_lists_declared_capabilities_with_their_state(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(paths, {"storage", "user:readProfile"})
    assert main(["grants", APP, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["capability"], r["state"], r["source"]) for r in rows] == [
        ("storage", "granted", "manifest"),
        ("user:readProfile", "ask", None),
    ]
    assert main(["grants", APP]) == 0
    table = capsys.readouterr().out
    assert "storage" in table
    assert "ask" in table


def test_revoke_grant_applies_to_the_running_apps_next_call(
    paths: Paths, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(paths, {"user:readProfile"})
    broker = FixedAnswerBroker.allow()
    bridge = open_test_bridge(home, APP, declared={"user:readProfile"}, broker=broker)
    try:
        assert bridge.call("user.profile")["ok"] is True  # "allow always"
        broker.answer = FixedAnswerBroker.deny().answer
        assert main(["revoke-grant", APP, "user:readProfile"]) == 0
        assert "revoked user:readProfile" in capsys.readouterr().out
        assert bridge.call("user.profile")["error"]["code"] == "CONSENT_DENIED"
    finally:
        bridge.close()
    with GrantStore(paths.registry_db) as store:
        assert store.state(APP, "user:readProfile") == "revoked"
    events = [e for e in bridge.ctx.audit.events() if e["event"]["action"] == "grant.revoked"]
    assert [(e["superapp"]["app_id"], e["superapp"]["capability"]) for e in events] == [
        (APP, "user:readProfile")
    ]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["revoke-grant", "Not An Id", "storage"], 2, "not a valid app id"),
        (["revoke-grant", APP, "root"], 2, "unknown capability"),
        (["revoke-grant", "com.example.absent", "storage"], 2, "no installed mini-app"),
        (["revoke-grant", APP, "clipboard:read"], 1, "does not declare"),
        (["grants", "com.example.absent"], 2, "no installed mini-app"),
        (["grants", "../etc"], 2, "not a valid app id"),
    ],
    ids=["bad-id", "unknown-cap", "not-installed", "undeclared", "grants-absent", "grants-path"],
)
def test_cli_refuses_bad_input_with_one_line(
    paths: Paths,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    message: str,
) -> None:
    _install(paths, {"storage"})
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    with GrantStore(paths.registry_db) as store:
        assert [g.capability for g in store.list(APP)] == []  # nothing was written


def test_profile_set_and_show(
    paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "me.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    assert (
        main(["profile", "--name", "Ada", "--email", "ada@example.org", "--avatar", str(png)]) == 0
    )
    stored = load_profile(paths)
    assert stored.display_name == "Ada"
    assert stored.avatar == "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    capsys.readouterr()
    assert main(["profile", "--avatar", "none", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {"display_name": "Ada", "email": "ada@example.org", "avatar": None}


def test_profile_rejects_a_bad_email_and_keeps_the_old_profile(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", "--name", "Ada"]) == 0
    assert main(["profile", "--email", "not an email"]) == 2
    assert "--email" in capsys.readouterr().err
    assert load_profile(paths).display_name == "Ada"
    assert load_profile(paths).email is None
