"""The launcher's live view (issue 7 item 5) and per-app storage panel (issue 6 item 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, install_bundle, install_samples, pack_dir
from superapp.core.paths import Paths
from tests.attacks.hostile import make_app
from tests.e2e.harness import REPO, HostProcess, superapp_cli
from tests.e2e.launcher_page import TIMEOUT_MS, LauncherPage, open_launcher

NOTES = "dev.superapp.notes"


def test_dashboard_shows_running_apps_the_audit_log_and_revocations(
    superapp_home: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    install_samples(superapp_home, REPO / "miniapps")
    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        launcher.launch(NOTES)
        launcher.wait_state(NOTES, "running")

        page.get_by_test_id("tab-activity").click()
        row = page.get_by_test_id(f"dash-row-{NOTES}")
        # Live figures arrive once the monitor has sampled the app's process tree.
        page.wait_for_function(
            f"""() => {{ const r = document.querySelector('[data-testid="dash-row-{NOTES}"]');
                 return r && / MB$/.test(r.children[2].textContent); }}""",
            timeout=TIMEOUT_MS,
        )
        assert row.is_visible()
        page.get_by_test_id("audit-action").fill("app.launched")
        page.wait_for_function(
            """() => { const rows = document.querySelectorAll('[data-testid="audit-row"]');
                 return rows.length > 0 && Array.from(rows).every(r => r.children[2].textContent === 'app.launched'); }""",
            timeout=TIMEOUT_MS,
        )

        page.get_by_test_id("tab-revoked").click()
        page.get_by_text("kill switch is not configured").wait_for(timeout=TIMEOUT_MS)

        page.get_by_test_id("tab-apps").click()
        page.get_by_test_id(f"permissions-{NOTES}").click()
        page.wait_for_function(
            """() => /KB of \\d+ MB/.test(document.querySelector('[data-testid="storage-usage"]').textContent)""",
            timeout=TIMEOUT_MS,
        )
    finally:
        browser.close()


def test_launcher_shows_why_the_host_stopped_an_app(
    superapp_home: Paths,
    playwright: Any,
    host_env: dict[str, str],
    hosts: list[HostProcess],
    tmp_path: Path,
) -> None:
    key = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(key.public_key(), "Hog Ltd")
    hog = make_app(tmp_path, "com.example.hog", script="setTimeout(() => { for (;;) {} }, 300);")
    install_bundle(superapp_home, pack_dir(hog, key))
    superapp_home.policy_file.write_text(
        "[monitor]\nsample_interval_s = 0.25\n[monitor.cpu]\nlimit = 60\nwarn_after_s = 0\n"
        "throttle_after_s = 3\nterminate_after_s = 6\n",
        encoding="utf-8",
    )
    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        launcher.launch("com.example.hog")
        launcher.wait_state("com.example.hog", "terminated")
        text = launcher.state_text("com.example.hog")
        assert "Stopped by host" in text and "was stopped" in text and "CPU" in text.upper()
    finally:
        browser.close()


def test_launcher_shows_a_suspended_app_and_resumes_it(
    superapp_home: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    install_samples(superapp_home, REPO / "miniapps")
    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        launcher.launch(NOTES)
        launcher.wait_state(NOTES, "running")
        superapp_cli(host_env, "suspend", NOTES)
        launcher.wait_state(NOTES, "suspended")
        assert "Suspended" in launcher.state_text(NOTES)
        resume = page.get_by_test_id(f"launch-{NOTES}")
        assert resume.inner_text() == "Resume" and resume.is_enabled()
        resume.click()
        launcher.wait_state(NOTES, "running")
        assert page.get_by_test_id(f"launch-{NOTES}").inner_text() == "Launch"
    finally:
        browser.close()
