"""The page's console in developer mode (``superapp.runtime._console``): typed messages, the
engine's inline-refusal sentence left out, and a page printing in a loop held to a budget."""

from __future__ import annotations

from superapp.protocol import Console
from superapp.runtime._console import ConsoleForwarder, ConsoleLimits
from superapp.runtime._cspreport import CspRefusal

ORIGIN = "app://com.example.console"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_console_lines_are_typed_with_the_file_inside_the_app() -> None:
    sent: list[Console] = []
    forwarder = ConsoleForwarder(ORIGIN, sent.append)
    forwarder.console("warning", "careful", 3, ORIGIN + "/js/app.js")
    forwarder.refusal(CspRefusal("inline-script", "index.html", 9, "script-src-elem"))
    assert [(m.stream, m.level, m.source, m.line) for m in sent] == [
        ("console", "warning", "js/app.js", 3),
        ("csp", "error", "index.html", 9),
    ]
    assert sent[0].text == "careful" and sent[1].text.startswith("index.html:9: inline <script>")


def test_engine_sentence_for_inline_refusals_is_left_out_but_eval_stays() -> None:
    sent: list[Console] = []
    forwarder = ConsoleForwarder(ORIGIN, sent.append)
    forwarder.console(
        "error", "Refused to execute inline script because it violates …", 1, ORIGIN + "/index.html"
    )
    forwarder.console(
        "error", "Refused to evaluate a string as JavaScript because …", 2, ORIGIN + "/vue.js"
    )
    assert [m.source for m in sent] == ["vue.js"]


def test_a_page_printing_in_a_loop_is_held_to_the_budget_and_told_what_was_dropped() -> None:
    sent: list[Console] = []
    clock = Clock()
    forwarder = ConsoleForwarder(ORIGIN, sent.append, ConsoleLimits(lines_per_s=10, burst=5), clock)
    for i in range(100):
        forwarder.console("info", f"line {i}", 1, ORIGIN + "/a.js")
    assert len(sent) == 5 and forwarder.dropped == 95
    clock.now += 1.0
    forwarder.console("info", "later", 1, ORIGIN + "/a.js")
    assert [m.text for m in sent[5:]] == [
        "(95 console lines dropped: the page printed too fast)",
        "later",
    ]


def test_long_text_is_cut_to_the_limit() -> None:
    sent: list[Console] = []
    ConsoleForwarder(ORIGIN, sent.append).console(
        "info", "x" * 10_000, 1, "https://other.example/" + "p" * 3000
    )
    assert len(sent[0].text) == 2000 and len(sent[0].source) == 512
