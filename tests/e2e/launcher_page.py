"""Page object for the launcher window (driven over CDP)."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import HostProcess, connect, free_port

TIMEOUT_MS = 60_000


class LauncherPage:
    def __init__(self, page: Any) -> None:
        self.page = page

    def card(self, app_id: str) -> Any:
        return self.page.get_by_test_id(f"app-card-{app_id}")

    def launch(self, app_id: str) -> None:
        self.page.get_by_test_id(f"launch-{app_id}").click(timeout=TIMEOUT_MS)

    def stop(self, app_id: str) -> None:
        self.page.get_by_test_id(f"stop-{app_id}").click(timeout=TIMEOUT_MS)

    def state(self, app_id: str) -> str:
        value: str = self.page.get_by_test_id(f"state-{app_id}").get_attribute("data-state")
        return value

    def state_text(self, app_id: str) -> str:
        value: str = self.card(app_id).inner_text()
        return value

    def wait_state(self, app_id: str, state: str) -> None:
        self.page.wait_for_selector(
            f'[data-testid="state-{app_id}"][data-state="{state}"]', timeout=TIMEOUT_MS
        )

    def app_ids(self) -> list[str]:
        ids: list[str] = self.page.eval_on_selector_all(
            '[data-testid^="app-card-"]',
            "els => els.map(e => e.dataset.testid.slice('app-card-'.length))",
        )
        return ids


def start_launcher(
    playwright: Any, env: dict[str, str], hosts: list[HostProcess]
) -> tuple[HostProcess, Any, Any]:
    """Start the launcher with a DevTools port (ended by the ``hosts`` fixture), wait until it
    says it runs, and attach: its host process (to read its output), the browser and the
    launcher's page."""
    port = free_port()
    host = HostProcess(["launcher", "--remote-debugging-port", str(port)], env)
    hosts.append(host)
    host.wait_for_line(r"launcher running$")
    browser, page = connect(playwright, port)
    return host, browser, page


def open_launcher(
    playwright: Any, env: dict[str, str], hosts: list[HostProcess]
) -> tuple[Any, Any]:
    """``start_launcher`` for tests that only drive the page: the browser and the page."""
    _host, browser, page = start_launcher(playwright, env, hosts)
    return browser, page
