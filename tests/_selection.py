"""Which tests open windows, and a guard that keeps the logic-only selection windowless.

Every test that needs a window asks (directly or through another fixture) for the session's
``display`` fixture; those tests get the ``e2e`` marker at collection, so ``-m "not e2e"``
selects exactly the tests that need no screen. When a run's ``-m`` expression leaves every
e2e test out, the run is *windowless*: the environment names a Qt platform that does not exist
and no X or Wayland display, so a window opened by mistake fails loudly instead of passing
unseen, and the ``display`` fixture refuses to start Xvfb.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from _pytest.mark.expression import Expression

__all__ = ["WINDOWLESS_PLATFORM", "excludes_e2e", "is_windowless", "make_windowless"]

#: Not a Qt platform plugin: QGuiApplication aborts with "could not find the Qt platform plugin".
WINDOWLESS_PLATFORM = "superapp-windowless-test-run"


def excludes_e2e(markexpr: str) -> bool:
    """Whether a ``-m`` expression deselects a test that carries only the ``e2e`` marker."""
    if not markexpr.strip():
        return False
    return not Expression.compile(markexpr).evaluate(lambda name: name == "e2e")


def make_windowless(env: MutableMapping[str, str]) -> None:
    env["QT_QPA_PLATFORM"] = WINDOWLESS_PLATFORM
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)


def is_windowless(env: MutableMapping[str, str] = os.environ) -> bool:
    return env.get("QT_QPA_PLATFORM") == WINDOWLESS_PLATFORM
