"""``superapp dev``: live reload, the real consent prompt answered through the plugin, dev
state apart from the installed app of the same id (issue 15, point 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.testing import MiniApp, make_app, wait_until

APP = "com.example.devloop"


def _superapp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args], env=env, capture_output=True, text=True
    )


def test_saving_a_file_reloads_the_page(tmp_path: Path, miniapp_factory: Any) -> None:
    folder = make_app(tmp_path, APP, body="<p id='v'>one</p>")
    app: MiniApp = miniapp_factory(folder)
    assert app.page.text_content("#v") == "one"
    page = (folder / "index.html").read_text(encoding="utf-8")
    with app.expect_reload():  # the page's own load event, no sleeping
        (folder / "index.html").write_text(page.replace(">one<", ">two<"), encoding="utf-8")
    assert app.page.text_content("#v") == "two"
    assert app.call("app.info")["ok"] is True  # the door works in the reloaded document
    event = app.wait_for_audit("dev.reload")
    assert event["superapp"]["files"] == ["index.html"]
    app.host.wait_for_line(r"^superapp: reloaded after changes to index\.html$")


def _cmdline(proc: Any) -> list[str]:
    try:
        return list(proc.cmdline())
    except Exception:  # psutil: gone or a zombie (an engine helper that already exited)
        return []


def test_no_reload_leaves_the_page_alone(tmp_path: Path, miniapp_factory: Any) -> None:
    folder = make_app(tmp_path, APP, body="<p id='v'>one</p>")
    app: MiniApp = miniapp_factory(folder, args=["--no-reload"])
    (folder / "app.js").write_text("window.__changed = 1;", encoding="utf-8")
    # The runtime was not asked to watch: its command line has no --watch.
    runtime = next(c for p in app.host.descendants() if "--slot-dir" in (c := _cmdline(p)))
    assert "--watch" not in runtime
    assert app.audit("dev.reload") == []


def test_consent_prompt_in_dev_is_the_host_dialog_and_the_grant_shows(
    tmp_path: Path, miniapp_factory: Any
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("user:readProfile", "Greet you by name")])
    app: MiniApp = miniapp_factory(folder)
    reply, shown = app.call_with_consent("user.profile", {}, "allow_always")
    assert reply["ok"] is True, reply
    assert shown["surface"] == "consent-dialog" and shown["top_level"] and shown["visible"]
    assert "Unsigned app in developer mode · " + APP in shown["labels"]
    assert "The app says: “Greet you by name”" in shown["labels"]
    assert shown["buttons"] == ["Allow once", "Allow always", "Deny"]
    prompt = app.host.wait_for_line(r"^superapp: consent-prompt ")
    assert json.loads(prompt.split(" ", 2)[2])["answered_by"] == "dialog"
    rows = {r["capability"]: r for r in app.grants()}  # superapp grants --dev APP --json
    assert rows["user:readProfile"]["state"] == "granted"
    assert rows["user:readProfile"]["source"] == "consent"
    # Remembered: the next call asks nobody.
    assert app.call("user.profile")["ok"] is True
    assert app.host.lines.count(prompt) == 1


def test_deny_in_the_dialog_is_consent_denied(tmp_path: Path, miniapp_factory: Any) -> None:
    folder = make_app(tmp_path, APP, permissions=[("user:readProfile", "Greet you by name")])
    app: MiniApp = miniapp_factory(folder)
    reply, _shown = app.call_with_consent("user.profile", {}, "deny")
    assert reply["ok"] is False and reply["code"] == "CONSENT_DENIED"
    app.wait_for_audit("bridge.denied", lambda e: e["superapp"].get("code") == "CONSENT_DENIED")


def test_grant_and_deny_flags_pre_answer_the_prompt(tmp_path: Path, miniapp_factory: Any) -> None:
    folder = make_app(
        tmp_path, APP,
        permissions=[("user:readProfile", "Greet you"), ("clipboard:read", "Paste")],
    )  # fmt: skip
    app: MiniApp = miniapp_factory(folder, grant=["user:readProfile"], deny=["clipboard:read"])
    assert app.call("user.profile")["ok"] is True
    denied = app.call("clipboard.readText")
    assert denied["ok"] is False and denied["code"] == "CONSENT_DENIED"
    line = app.host.wait_for_line(r"^superapp: consent-prompt ")
    record = json.loads(line.split(" ", 2)[2])
    assert (record["capability"], record["answer"], record["answered_by"]) == (
        "clipboard:read", "deny", "--deny",
    )  # fmt: skip
    assert {r["capability"]: r["state"] for r in app.grants()}["user:readProfile"] == "granted"
    assert not [
        line for line in app.host.lines if line.startswith('superapp-ui: {"surface": "consent')
    ]


def test_dev_and_installed_state_of_one_id_stay_apart(tmp_path: Path, miniapp_factory: Any) -> None:
    folder = make_app(
        tmp_path, APP, permissions=[("storage", "Keep a note"), ("user:readProfile", "Greet")]
    )
    dev: MiniApp = miniapp_factory(folder, keep_state=True, grant=["user:readProfile"])
    assert dev.call("storage.set", {"key": "who", "value": "dev"})["ok"] is True
    env = dev.env
    dev.close()

    keys = tmp_path / "keys"
    _superapp(env, "keygen", "--out", str(keys)).check_returncode()
    sapp = tmp_path / "app.sapp"
    packed = _superapp(
        env, "pack", str(folder), "--key", str(keys / "publisher.key"), "--out", str(sapp)
    )
    assert packed.returncode == 0, packed.stderr
    installed: MiniApp = miniapp_factory(sapp, keep_state=True, trust=keys / "publisher.pub")
    assert installed.home == dev.home
    assert installed.call("storage.get", {"key": "who"}) == {"ok": True, "result": None}
    assert installed.call("storage.set", {"key": "who", "value": "installed"})["ok"] is True
    assert installed.stored("who") == "installed" and dev.stored("who") == "dev"
    installed_grants = {r["capability"]: r["state"] for r in installed.grants()}
    assert installed_grants["user:readProfile"] == "ask"  # the dev grant did not leak
    installed.close()

    again: MiniApp = miniapp_factory(folder, keep_state=True)
    assert again.call("storage.get", {"key": "who"}) == {"ok": True, "result": "dev"}
    again.close()
    fresh: MiniApp = miniapp_factory(folder, keep_state=True, args=["--fresh"])
    assert fresh.call("storage.get", {"key": "who"}) == {"ok": True, "result": None}
    assert "user:readProfile" not in {r["capability"] for r in fresh.grants()}
    assert fresh.wait_for_audit("dev.state", lambda e: e["superapp"]["fresh"] is True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grant", "camera"], "unknown capability 'camera'"),
        (["--grant", "notifications"], "does not declare 'notifications'"),
        (["--grant", "storage", "--deny", "storage"], "both --grant and --deny name storage"),
    ],
    ids=["unknown", "undeclared", "both"],
)
def test_bad_grant_flags_are_refused(
    tmp_path: Path, superapp_home: Any, args: list[str], message: str
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("storage", "Keep")])
    done = _superapp(dict(os.environ), "dev", str(folder), *args)  # no window opens
    assert done.returncode == 2 and message in done.stderr
    assert not superapp_home.for_dev().app_dir(APP).exists()


def test_devtools_opens_the_inspector_on_the_apps_page(
    tmp_path: Path, miniapp_factory: Any
) -> None:
    app: MiniApp = miniapp_factory(make_app(tmp_path, APP), devtools=True)
    cdp = app.browser.new_browser_cdp_session()
    targets = cdp.send("Target.getTargets")["targetInfos"]
    tools = [t for t in targets if t["url"].startswith("devtools://devtools/")]
    apps = [t for t in targets if t["url"].startswith(f"app://{APP}/")]
    assert len(tools) == 1 and len(apps) == 1
    # Its own profile: outside the app's interceptor, storage and cookies.
    assert tools[0]["browserContextId"] != apps[0]["browserContextId"]
    assert app.page.url.startswith(f"app://{APP}/") and app.call("app.info")["ok"] is True


def test_page_console_is_on_its_own_stream_escaped(tmp_path: Path, miniapp_factory: Any) -> None:
    app: MiniApp = miniapp_factory(make_app(tmp_path, APP))
    app.page.evaluate("() => console.log('hello\\u001b[2J\\nforged line')")
    line = app.host.wait_for_line(r"hello")  # superapp.cli._pageout's line, on stdout
    assert "\x1b" not in line and "forged line" in line
    assert not any(text.startswith("forged line") for text in app.host.lines)
    assert not any("hello" in text for text in app.host.stderr_lines)


def test_deny_overrides_a_grant_an_earlier_session_stored(
    tmp_path: Path, miniapp_factory: Any
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("user:readProfile", "Greet you")])
    first: MiniApp = miniapp_factory(folder, keep_state=True, grant=["user:readProfile"])
    assert first.call("user.profile")["ok"] is True
    first.close()
    second: MiniApp = miniapp_factory(folder, keep_state=True, deny=["user:readProfile"])
    assert second.call("user.profile")["code"] == "CONSENT_DENIED"
    assert {r["capability"]: r["state"] for r in second.grants()}["user:readProfile"] == "revoked"


def test_dev_prints_what_the_csp_will_refuse_at_start_and_after_a_change(
    tmp_path: Path, miniapp_factory: Any
) -> None:
    # The analyser's "will not run here" lines, as validate/pack/install print them, on the
    # developer's terminal (stderr) from the real `superapp dev` (issue 15 point 6).
    folder = make_app(tmp_path, APP, body="<script>window.inline = 1;</script>")
    app: MiniApp = miniapp_factory(folder)
    started: list[str] = wait_until(
        lambda: [line for line in app.host.stderr_lines if "SA701" in line],
        what="the inline script's warning at start",
    )
    assert len(started) == 1 and "inline <script> will not run here" in started[0]
    assert started[0].startswith("superapp: warning: index.html:")
    assert any("1 warning(s)" in line for line in app.host.stderr_lines)
    assert not any("SA701" in line for line in app.host.lines)  # not mixed into stdout
    page = (folder / "index.html").read_text(encoding="utf-8")
    with app.expect_reload():
        (folder / "index.html").write_text(
            page.replace("<body>", "<body><button onclick='go()'>b</button>"), encoding="utf-8"
        )
    wait_until(
        lambda: any("SA702" in line for line in app.host.stderr_lines),
        what="the inline handler's warning after the change",
    )
    assert any("2 warning(s)" in line for line in app.host.stderr_lines)
