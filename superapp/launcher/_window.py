"""The launcher window and the host around it (supervisor, control socket, consent prompts)."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from superapp.core.consent import ConsentAnswer, as_answer
from superapp.core.paths import Paths
from superapp.host import ConsentPrompt, start_host
from superapp.launcher._api import LauncherApi
from superapp.resources import asset_text

if TYPE_CHECKING:
    from superapp.launcher._consent_dialog import MainThread

__all__ = ["build_html", "run_launcher"]

#: An unanswered consent dialog counts as "deny" after this long (the runtime gives up too).
CONSENT_TIMEOUT_S = 300.0
#: The launcher page is trusted but still loads nothing from anywhere: its script and style are
#: inlined, icons are data: URLs, and it can connect nowhere. 'unsafe-eval' is there only because
#: pywebview's own js_api bridge code (injected into this page) builds functions with eval;
#: with no remote content and no connections, there is nothing for an attacker to feed it.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; frame-src 'none'; form-action 'none'"
)


def build_html() -> str:
    html = asset_text("launcher/index.html")
    css = asset_text("launcher/launcher.css")
    js = asset_text("launcher/launcher.js")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
    html = html.replace('<link rel="stylesheet" href="launcher.css">', f"<style>{css}</style>")
    html = html.replace('<script src="launcher.js"></script>', f"<script>{js}</script>")
    return html.replace("<head>", "<head>" + meta, 1)


class _Consent:
    """Asks the user in the launcher's own window (host process; no page can script it)."""

    def __init__(self) -> None:
        self.window: Any = None
        self.main: MainThread | None = None  # made on the GUI thread
        self._lock = threading.Lock()  # one prompt at a time

    def ask(self, prompt: ConsentPrompt) -> ConsentAnswer:
        """The host's own dialog (``_consent_dialog``), a top-level window of this process."""
        main = self.main
        if self.window is None or main is None:
            return ConsentAnswer.DENY
        from superapp.launcher._consent_dialog import ask_in_dialog

        with self._lock:
            return as_answer(main.run(lambda: ask_in_dialog(prompt), "deny", CONSENT_TIMEOUT_S))

    def share(self, sender: str, receiver_name: str, receiver: str) -> bool:
        if self.window is None:
            return False
        message = (
            f"{sender} wants to send data to {receiver_name} ({receiver}).\n\n"
            f"{receiver_name} will see that it came from {sender}. OK sends it; Cancel does not."
        )
        with self._lock:
            return bool(self.window.create_confirmation_dialog("Share between apps?", message))


def run_launcher(paths: Paths, *, cdp_port: int | None = None) -> int:
    os.environ["QT_API"] = "pyside6"
    os.environ.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    if cdp_port is not None:
        os.environ["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{cdp_port}"
    if os.geteuid() == 0:
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    import webview

    consent = _Consent()
    host = start_host(
        paths, consent=consent.ask, share_confirm=consent.share, pool=True, serve_launches=True
    )
    supervisor = host.supervisor
    window: Any = None

    def pick_file() -> str | None:
        chosen = window.create_file_dialog(
            webview.FileDialog.OPEN, file_types=("Mini-app bundles (*.sapp)",)
        )
        return str(chosen[0]) if chosen else None

    api = LauncherApi(paths, supervisor, pick_file)
    window = webview.create_window(
        "superapp", html=build_html(), js_api=api, width=1040, height=720, min_size=(520, 420)
    )
    consent.window = window

    def on_gui_thread(window: Any) -> None:  # pywebview passes the window by this name
        from superapp.launcher._consent_dialog import MainThread

        consent.main = MainThread()

    window.events.before_show += on_gui_thread

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=window.destroy, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    window.events.loaded += lambda: print("superapp: launcher running", flush=True)
    try:
        webview.start(gui="qt", private_mode=True, debug=False)
    finally:
        host.close()
    return 0
