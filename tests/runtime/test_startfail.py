"""A runtime's start failure says enough to be diagnosed afterwards (``_startfail``): the
traceback on standard error, and for an import what each folder of the import path held,
with no folder name in the notice (the launcher shows it)."""

from __future__ import annotations

import importlib.machinery
import logging
import sys
from pathlib import Path

import pytest

from superapp.runtime._startfail import start_failure


def _import_error(name: str) -> ImportError:
    try:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    except ImportError as err:
        return err


def test_import_failure_tells_unreadable_folder_from_stale_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    present = tmp_path / "present"
    present.mkdir()
    missing = tmp_path / "missing"  # a folder that cannot be listed (ENOENT; Landlock: EACCES)
    finder = importlib.machinery.FileFinder(
        str(present), (importlib.machinery.SourceFileLoader, [".py"])
    )
    assert finder.find_spec("ghost_mod_x") is None  # listing cached without it
    (present / "ghost_mod_x.py").write_text("")  # then it appears on disk
    monkeypatch.setattr(sys, "path", [str(missing), str(present)])
    monkeypatch.setitem(sys.path_importer_cache, str(present), finder)
    with caplog.at_level(logging.ERROR, logger="superapp.runtime"):
        text = start_failure(_import_error("ghost_mod_x.sub"))
    assert text == (
        "cannot start: No module named 'ghost_mod_x.sub' (import path: 2 folders, 1 unreadable;"
        " 'ghost_mod_x' on disk in 1, in a finder's cached listing in 0)"
    )
    assert str(tmp_path) not in text
    logged = caplog.text
    assert "Traceback" in logged and "ModuleNotFoundError" in logged
    assert f"{str(missing)!r}: unreadable (ENOENT)" in logged
    assert f"{str(present)!r}: on disk True, in the finder's listing False" in logged


def test_other_failures_keep_their_message_and_log_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        raise ValueError("the bundle's digest does not match")
    except ValueError as err:
        with caplog.at_level(logging.ERROR, logger="superapp.runtime"):
            text = start_failure(err)
    assert text == "cannot start: the bundle's digest does not match"
    assert "Traceback" in caplog.text
