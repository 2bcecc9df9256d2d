"""Pytest fixtures for the recording server.

Use them anywhere by listing this module in the root conftest's ``pytest_plugins``
(``"tests.helpers.fixtures"``), or import the two names into a directory's conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.helpers.recorder import Recorder

__all__ = ["recorder", "recorder_factory"]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A started recording server on 127.0.0.1 (HTTP + WebSocket), closed after the test."""
    with Recorder() as rec:
        yield rec


@pytest.fixture
def recorder_factory() -> Iterator[Callable[..., Recorder]]:
    """Start more recorders (``recorder_factory(ssl_context=...)``); all closed at the end."""
    started: list[Recorder] = []

    def make(**kwargs: object) -> Recorder:
        rec = Recorder(**kwargs).start()  # type: ignore[arg-type]
        started.append(rec)
        return rec

    yield make
    for rec in started:
        rec.close()
