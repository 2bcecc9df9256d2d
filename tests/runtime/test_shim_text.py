"""The shims as the engine runs them (``superapp.resources.shim_text``): the pieces they share
are put in, the view's shim never gets callNative's request builder, and no hole is left."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from superapp.resources import asset_text, shim_text

SHIMS = ("shim.js", "dual-view-shim.js", "dual-logic-worker.js")


@pytest.mark.parametrize("name", SHIMS)
def test_every_include_is_filled_in(name: str) -> None:
    text = shim_text(name)
    assert not [line for line in text.splitlines() if line.strip().startswith("@include")]
    assert asset_text("shim-common.js") in text


def test_only_the_two_shims_with_callnative_get_its_request_builder() -> None:
    call = asset_text("shim-call.js")
    assert call in shim_text("shim.js") and call in shim_text("dual-logic-worker.js")
    view = shim_text("dual-view-shim.js")
    assert call not in view and "callText" not in view


def test_a_shim_including_a_piece_it_may_not_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import superapp.resources as resources

    real = resources.asset_text
    monkeypatch.setattr(
        resources,
        "asset_text",
        lambda name: (
            real(name) + "  @include shim-call.js\n" if name == "dual-view-shim.js" else real(name)
        ),
    )
    with pytest.raises(RuntimeError, match="may not"):
        shim_text("dual-view-shim.js")
    with pytest.raises(RuntimeError, match="not a shim"):
        shim_text("launcher/launcher.js")


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the syntax")
@pytest.mark.parametrize("name", SHIMS)
def test_each_assembled_shim_is_valid_javascript(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(shim_text(name).replace("__SUPERAPP_LOGIC_SCRIPTS__", "[]"), encoding="utf-8")
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True)
