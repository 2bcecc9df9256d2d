"""The engine's compositing choice (issue 16, warm launch): software when there is no GPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from superapp.runtime import _env


def test_no_render_node_means_software(tmp_path: Path) -> None:
    assert _env.software_scene_graph(tmp_path / "missing")
    (tmp_path / "dri").mkdir()
    (tmp_path / "dri" / "card0").touch()  # a display card alone renders nothing
    assert _env.software_scene_graph(tmp_path / "dri")


def test_a_render_node_keeps_the_gpu(tmp_path: Path) -> None:
    (tmp_path / "renderD128").touch()
    assert not _env.software_scene_graph(tmp_path)


@pytest.mark.parametrize("gpu", [False, True])
def test_prepare_environment_sets_the_backend_only_without_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gpu: bool
) -> None:
    dri = tmp_path / "dri"
    dri.mkdir()
    if gpu:
        (dri / "renderD128").touch()
    monkeypatch.setattr(_env, "_DRI", dri)
    # prepare_environment edits the process environment: give it a copy to edit.
    env = {k: v for k, v in os.environ.items() if k != "QT_QUICK_BACKEND"}
    monkeypatch.setattr(os, "environ", env)
    _env.prepare_environment(tmp_path / "slot", cdp_port=None)
    assert env.get("QT_QUICK_BACKEND") == (None if gpu else "software")


def test_an_explicit_backend_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_env, "_DRI", tmp_path / "none")
    env = dict(os.environ, QT_QUICK_BACKEND="rhi")
    monkeypatch.setattr(os, "environ", env)
    _env.prepare_environment(tmp_path / "slot", cdp_port=None)
    assert env["QT_QUICK_BACKEND"] == "rhi"
