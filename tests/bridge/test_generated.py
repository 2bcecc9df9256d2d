"""assets/superapp.d.ts and docs/api.md are generated from the table and must be current."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import gen
from bridge.table import API_TABLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "render"),
    [(gen.DTS_PATH, gen.render_dts), (gen.API_MD_PATH, gen.render_api_md)],
    ids=["d.ts", "api.md"],
)
def test_generated_file_is_current(path: Path, render: object) -> None:
    assert callable(render)
    assert (ROOT / path).read_text(encoding="utf-8") == render(), (
        f"{path} is stale: run python -m bridge.gen"
    )


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gen.main(["--root", str(tmp_path)]) == 0
    assert gen.main(["--root", str(tmp_path), "--check"]) == 0
    (tmp_path / gen.DTS_PATH).write_text("// edited by hand\n", encoding="utf-8")
    assert gen.main(["--root", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_every_api_is_documented_with_its_guard() -> None:
    dts = gen.render_dts()
    md = gen.render_api_md()
    for name, spec in API_TABLE.items():
        assert f'"{name}": {{ params:' in dts
        assert f"### `{name}`" in md
        section = md.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        guard = "none" if spec.capability is None else f"`{spec.capability}`"
        assert f"- Capability: {guard}" in section
