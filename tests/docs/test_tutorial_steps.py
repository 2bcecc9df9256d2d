"""The tutorial reads as the test runs it (windowless: the extractor only)."""

from __future__ import annotations

from tests.docs.tutorial_steps import TUTORIAL, Step, read_steps


def test_tutorial_steps_are_the_documented_loop() -> None:
    steps = read_steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = [" ".join(s.argv) for s in steps if s.kind != "file"]
    assert commands[:2] == ["superapp new hello", "cd hello"]
    assert [s.argv for s in steps if s.kind == "window"] == [
        ("superapp", "dev", "."),
        ("superapp", "run", "com.example.hello"),
    ]
    order = [c.split()[1] if c.startswith("superapp") else c for c in commands]
    for before, after in [("new", "validate"), ("validate", "dev"), ("keygen", "pack"),
                          ("pack", "install"), ("install", "run")]:  # fmt: skip
        assert order.index(before) < order.index(after)
    assert [s.path for s in steps if s.kind == "file"] == ["tests/test_saved.py"]
    assert "superapp --version" not in commands  # a skipped block


def test_markers_apply_only_to_the_next_block() -> None:
    text = "<!-- tutorial: skip -->\n\nprose\n\n```sh\nsuperapp list\n```\n"
    assert read_steps(text) == [Step("run", ("superapp", "list"), line=6)]
