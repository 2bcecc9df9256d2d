"""The named profile a generic runtime opens for a ``persistent`` app at bind
(``superapp.runtime.engine._prewarm.persistent_profile``, docs/pool.md): on disk in the folder
the host moved into the slot and nowhere else, hardened as an off-the-record one, and flushed
when the engine shuts down — a cookie set just before is in the folder's files afterwards
(read as bytes, one layer below the engine), so the host's move home after the process exits
carries it. The same through a real pooled runtime and its stop:
``tests/attacks/test_pooled_engine_profile.py``. (Measured while writing this: deleting the
profile and ending the process at once lost such a cookie; Chromium closes a deleted profile
asynchronously. The runtime does not do that: its profile goes with the engine's shutdown.) (An ``app://`` page cannot set cookies: the cookie is set through
the profile's cookie store, as an allowlisted host's ``Set-Cookie`` would be.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys
from pathlib import Path
from PySide6.QtCore import QByteArray, QDateTime, QTimer, QUrl
from PySide6.QtNetwork import QNetworkCookie
from PySide6.QtWidgets import QApplication, QWidget
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from superapp.runtime.engine._prewarm import persistent_profile
app = QApplication(["probe", "--webEngineArgs", "--no-sandbox"])
folder = Path(sys.argv[1])
view = QWidget()
profile = persistent_profile(view, folder)
print(profile.isOffTheRecord(), profile.persistentStoragePath() == str(folder),
      profile.cachePath() == str(folder / "cache"))
print(profile.persistentPermissionsPolicy()
      == QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime,
      profile.settings().testAttribute(
          QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard))
cookie = QNetworkCookie(QByteArray(b"probecookie"), QByteArray(sys.argv[2].encode()))
cookie.setDomain("example.org")
cookie.setPath("/")
cookie.setExpirationDate(QDateTime.currentDateTime().addDays(1))
page = QWebEnginePage(profile, view)  # the profile's network context (and cookie store) is up
def added(c):
    if bytes(c.name().data()) == b"probecookie":
        # Set just before the engine goes: the application ends at once, and the profile
        # goes with the engine's shutdown (as when the runtime's GUI loop ends).
        QTimer.singleShot(0, app.quit)
profile.cookieStore().cookieAdded.connect(added)
page.loadFinished.connect(
    lambda ok: profile.cookieStore().setCookie(cookie, QUrl("https://example.org/")))
page.setHtml("<p>probe</p>")
app.exec()
"""


def test_persistent_profile_is_in_its_folder_hardened_and_flushed_when_it_goes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "slot" / "app" / "webview"
    folder.parent.mkdir(parents=True)
    env = {
        "QT_QPA_PLATFORM": "offscreen",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "QT_API": "pyside6",
    }
    if "DISPLAY" in os.environ:
        env["DISPLAY"] = os.environ["DISPLAY"]
    marker = "ck5e1f0a9b"
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder), marker],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split() == ["False", "True", "True", "True", "False"], out.stdout
    hits = [
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and marker.encode() in p.read_bytes()
    ]
    assert [h for h in hits if "Cookies" in h.name], hits
    # Nothing of the profile outside its folder (the engine's data and cache roots).
    for root in (tmp_path / "data", tmp_path / "cache", tmp_path / "home"):
        assert not [p for p in root.rglob("*") if p.is_file() and marker.encode() in p.read_bytes()]
