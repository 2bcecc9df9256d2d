"""The steps of docs/tutorial.md, read from its Markdown so the tutorial test follows it literally.

Rules (written in the tutorial's own introduction too):

- a fenced ``sh`` block is a list of commands, one per line (blank lines and ``#`` comments
  skipped), run in order;
- ``<!-- tutorial: window -->`` just before a block: its one command opens a window and runs
  until closed; the test starts it, waits until the app runs, and closes it;
- ``<!-- tutorial: file PATH -->`` just before a block: the block is written to PATH;
- ``<!-- tutorial: skip -->`` just before a block: shown to the reader, not run.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TUTORIAL", "Step", "read_steps"]

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"

_FENCE = re.compile(r"^```(\S*)\s*$")
_MARK = re.compile(r"^<!--\s*tutorial:\s*(\w+)(?:\s+(.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Step:
    #: ``run`` (a command), ``window`` (a command that opens a window) or ``file``.
    kind: str
    argv: tuple[str, ...] = ()
    path: str = ""
    text: str = ""
    line: int = 0


def read_steps(markdown: str) -> list[Step]:
    steps: list[Step] = []
    mark: tuple[str, str] | None = None
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        found = _MARK.match(line)
        if found:
            mark = (found.group(1), found.group(2) or "")
            i += 1
            continue
        fence = _FENCE.match(line)
        if not fence:
            if line.strip():
                mark = None  # a marker applies only to the block right after it
            i += 1
            continue
        start = i + 1
        end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
        body = lines[start:end]
        kind, arg = mark or ("", "")
        mark = None
        i = end + 1
        if kind == "skip":
            continue
        if kind == "file":
            steps.append(Step("file", path=arg, text="\n".join(body) + "\n", line=start))
            continue
        if fence.group(1) != "sh":
            continue
        commands = [
            (start + k + 1, c) for k, c in enumerate(body) if c.strip() and not c.startswith("#")
        ]
        if kind == "window" and len(commands) != 1:
            raise ValueError(f"tutorial line {start}: a window block holds exactly one command")
        for number, command in commands:
            steps.append(Step(kind or "run", tuple(shlex.split(command)), line=number))
    return steps
