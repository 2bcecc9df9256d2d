"""``pytest -m "not e2e"`` selects exactly the tests that need no window, and opens none."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests._selection import excludes_e2e, is_windowless, make_windowless
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("expr", "excluded"),
    [
        ("not e2e", True),
        ("not e2e and not network", True),
        ("network", True),
        ("", False),
        ("e2e", False),
        ("e2e or network", False),
        ("not network", False),
    ],
    ids=repr,
)
def test_selection_excludes_window_tests(expr: str, excluded: bool) -> None:
    assert excludes_e2e(expr) is excluded


def _collected(markexpr: str) -> set[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            markexpr,
            "tests/e2e",
            "tests/attacks",
            "tests/bundles",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return {line for line in out.stdout.splitlines() if "::" in line}


def test_every_window_test_is_marked_e2e_and_only_those() -> None:
    e2e = _collected("e2e")
    logic = _collected("not e2e")
    assert not e2e & logic
    # Real-window suites are entirely e2e; the pure-Python bundle suite has none.
    assert any(n.startswith("tests/e2e/test_host_runtime.py::") for n in e2e)
    assert not any(n.startswith("tests/e2e/test_host_runtime.py::") for n in logic)
    assert any(n.startswith("tests/attacks/test_network_attacks.py::") for n in e2e)
    assert not any(n.startswith("tests/bundles/") for n in e2e)
    assert any(n.startswith("tests/bundles/") for n in logic)


_OPEN_WINDOW = "from PySide6.QtWidgets import QApplication, QWidget\napp = QApplication([])\nQWidget().show()\nprint('window')"


def test_windowless_run_cannot_open_a_window() -> None:
    env = dict(os.environ, DISPLAY=":0")
    make_windowless(env)
    assert is_windowless(env) and "DISPLAY" not in env
    out = subprocess.run(
        [sys.executable, "-c", _OPEN_WINDOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode != 0
    assert "window" not in out.stdout
    assert "platform plugin" in out.stderr


def test_this_run_is_windowless_exactly_when_it_excludes_e2e(
    request: pytest.FixtureRequest,
) -> None:
    assert is_windowless() is excludes_e2e(request.config.getoption("markexpr") or "")
