"""A page imitating the host's consent prompt, and the prompt the host really shows
(issue 12, class 5).

The page can no longer open host-drawn dialogs at all (``test_page_native_ui_attacks``); what
remains is a fake drawn in the page's own pixels. The real prompt is therefore a top-level
window of the host process carrying what the page does not control: the host's badge, the
app's verified name, icon and publisher, plain words for what is shared, and three answers.
These tests read that dialog back from its Qt widgets (a real QDialog, offscreen, in its own
process), and run the whole path end to end in a real window: the runtime asks, the host
shows the prompt (as its structured line under ``superapp dev``), and only "Allow always"
persists a grant.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.bundles import install_samples
from superapp.core.capabilities import CAPABILITIES
from superapp.core.paths import Paths
from superapp.host import DESCRIPTIONS, ConsentPrompt, build_prompt
from superapp.state.grants import GrantStore
from tests.attacks.hostile import call, make_app, wait_for_audit
from tests.e2e.harness import REPO

APP = "com.attacker.consent"

#: Builds the launcher's consent dialog for a prompt given as JSON on argv, lets the test hook
#: answer it, and prints the dialog's own widget texts and the answer.
_DIALOG = """
import json, os, sys
from PySide6.QtWidgets import QApplication
from superapp.host import ConsentPrompt
from superapp.launcher._consent_dialog import ask_in_dialog
app = QApplication(["consent-test"])
fields = json.loads(sys.argv[1])
icon = bytes.fromhex(fields.pop("icon_hex")) if fields.get("icon_hex") else None
fields.pop("icon_hex", None)
answer = ask_in_dialog(ConsentPrompt(**fields, icon_png=icon))
print("answer: " + answer, flush=True)
"""


def _show_dialog(prompt: ConsentPrompt, answer: str) -> tuple[dict[str, Any], str]:
    fields = {
        "app_id": prompt.app_id, "app_name": prompt.app_name, "publisher": prompt.publisher,
        "verified": prompt.verified, "capability": prompt.capability, "reason": prompt.reason,
        "icon_hex": prompt.icon_png.hex() if prompt.icon_png else "",
    }  # fmt: skip
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
        "SUPERAPP_TEST_CONSENT_ANSWER": answer, "PYTHONDONTWRITEBYTECODE": "1",
    }  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", _DIALOG, json.dumps(fields)],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = out.stdout.splitlines()
    shown = json.loads(next(ln for ln in lines if ln.startswith("superapp-ui: "))[13:])
    given = next(ln for ln in lines if ln.startswith("answer: "))[8:]
    return shown, given


def test_every_capability_has_plain_words() -> None:
    assert set(DESCRIPTIONS) == set(CAPABILITIES)
    for cap, words in DESCRIPTIONS.items():
        assert words != cap and len(words.split()) >= 3  # a phrase, not the raw id


@pytest.mark.parametrize("answer", ["allow_once", "allow_always", "deny"])
def test_consent_dialog_is_the_hosts_with_verified_identity_and_three_answers(
    answer: str, superapp_home: Paths
) -> None:
    install_samples(superapp_home, REPO / "miniapps")
    prompt = build_prompt(superapp_home, "dev.superapp.notes", "user:readProfile", "Sign notes")
    assert prompt.verified and prompt.app_name == "Notes" and prompt.icon_png
    shown, given = _show_dialog(prompt, answer)
    assert given == answer
    assert shown["surface"] == "consent-dialog"
    assert shown["top_level"] is True and shown["visible"] is True
    assert shown["title"] == "superapp — permission request"
    assert shown["has_icon"] is True
    labels = shown["labels"]
    assert labels[0] == "superapp · permission request"
    assert "Notes" in labels
    assert f"Published by {prompt.publisher} · dev.superapp.notes" in labels
    assert (
        "Notes wants to see your profile: your display name, email address and picture." in labels
    )
    assert "The app says: “Sign notes”" in labels
    assert not any("user:readProfile" in label for label in labels)
    assert shown["buttons"] == ["Allow once", "Allow always", "Deny"]


def test_hostile_name_and_reason_are_shown_as_plain_text_and_marked_unsigned() -> None:
    hostile = "<b>superapp</b>\x1b[2J"
    prompt = ConsentPrompt(APP, hostile, "", False, "clipboard:read", "<img src=x>")
    shown, given = _show_dialog(prompt, "deny")
    assert given == "deny"
    assert hostile in shown["labels"]  # shown as typed, not interpreted as markup
    assert f"Unsigned app in developer mode · {APP}" in shown["labels"]
    assert "The app says: “<img src=x>”" in shown["labels"]


def _prompt_lines(host: Any) -> list[dict[str, Any]]:
    prefix = "superapp: consent-prompt "
    return [json.loads(ln[len(prefix) :]) for ln in host.lines if ln.startswith(prefix)]


@pytest.mark.parametrize("answer", ["allow_once", "allow_always", "deny"])
def test_only_allow_always_is_remembered(
    answer: str, tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("user:readProfile", "Greet you by name")])
    host, page = open_app("dev", folder, env=dict(host_env, SUPERAPP_CONSENT=answer))
    result = call(page, "user.profile")
    assert result["ok"] is (answer != "deny")
    [shown] = _prompt_lines(host)
    assert shown["headline"] == (
        "Test consent wants to see your profile: your display name, email address and picture."
    )
    assert shown["reason_line"] == "The app says: “Greet you by name”"
    assert shown["publisher_line"] == f"Unsigned app in developer mode · {APP}"
    assert shown["answers"] == ["Allow once", "Allow always", "Deny"]
    assert shown["answer"] == answer
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("capability") == "user:readProfile",
        action="consent.answered", app_id=APP,
    )  # fmt: skip
    store = GrantStore(superapp_home.for_dev().registry_db)  # a dev app's grants: dev state
    try:
        grant = store.get(APP, "user:readProfile")
        assert (grant is not None and grant.state == "granted") is (answer == "allow_always")
    finally:
        store.close()
    assert page.url == f"app://{APP}/index.html"


def test_launcher_asks_in_its_own_top_level_dialog(
    superapp_home: Paths, playwright: Any, host_env: dict[str, str], hosts: list[Any],
    tmp_path: Path,
) -> None:  # fmt: skip
    """The launcher (the host with a window) shows its dialog, not a message box over the app:
    the dialog's widgets are read back once it is on screen, and the test hook clicks
    "Allow always" the way a user would; the grant is then remembered."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from superapp.bundles import TrustStore, install_bundle, pack_dir
    from tests.attacks.hostile import wait_until
    from tests.e2e.launcher_page import LauncherPage, start_launcher

    key = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(key.public_key(), "Profile Co")
    folder = make_app(
        tmp_path, APP, permissions=[("user:readProfile", "Greet you by name")],
        script="window.addEventListener('load', () => callNative('user.profile').catch(() => {}));",
    )  # fmt: skip
    install_bundle(superapp_home, pack_dir(folder, key))
    env = dict(host_env, SUPERAPP_TEST_CONSENT_ANSWER="allow_always")
    host, browser, page = start_launcher(playwright, env, hosts)
    try:
        LauncherPage(page).launch(APP)
        line = host.wait_for_line(r"^superapp-ui: ")
        shown = json.loads(line[len("superapp-ui: ") :])
        assert shown["surface"] == "consent-dialog"
        assert shown["top_level"] is True and shown["visible"] is True
        assert f"Published by Profile Co · {APP}" in shown["labels"]
        assert (
            "Test consent wants to see your profile: your display name, email address and "
            "picture." in shown["labels"]
        )
        assert shown["buttons"] == ["Allow once", "Allow always", "Deny"]

        def granted() -> bool:
            store = GrantStore(superapp_home.registry_db)
            try:
                grant = store.get(APP, "user:readProfile")
                return grant is not None and grant.state == "granted"
            finally:
                store.close()

        wait_until(granted, what="the remembered grant")
    finally:
        browser.close()
