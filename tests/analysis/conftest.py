"""Lists the analyser's warnings on real libraries at the end of the test run."""

from __future__ import annotations

import pytest

#: Filled by test_real_libraries: (library, finding line) for every non-block finding.
REAL_LIBRARY_NOTES: list[tuple[str, str]] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REAL_LIBRARY_NOTES:
        return
    terminalreporter.section("superapp scan: warnings on real libraries (not blocking)")
    for lib, line in REAL_LIBRARY_NOTES:
        terminalreporter.write_line(f"{lib}: {line}")
