"""The denylist of known-bad files, by SHA-256 of their exact bytes.

File format (UTF-8 text, one entry per line)::

    # comment lines and blank lines are ignored
    <64 lowercase or uppercase hex digits> [whitespace and a free-text label]

The packaged list (``superapp/analysis/denylist.txt``) is always in force; operators add
entries with a file named in the host policy or ``superapp scan --denylist FILE``. A
malformed line refuses the whole file with its name and line number (a half-read denylist
would silently let known malware through).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from superapp.core.errors import DenylistError

__all__ = ["Denylist", "DenylistError"]

_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64})(?:\s+(?P<label>.*))?$")


@dataclass(frozen=True)
class Denylist:
    #: digest (lowercase hex) → label
    entries: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, digest: object) -> bool:
        return isinstance(digest, str) and digest.lower() in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def label(self, digest: str) -> str:
        return self.entries.get(digest.lower(), "")

    @classmethod
    def parse(cls, text: str, source: str = "<denylist>") -> Denylist:
        entries: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = _LINE.match(line)
            if m is None:
                raise DenylistError(
                    f"{source}:{number}: expected a 64-hex-digit SHA-256 and an optional label"
                )
            entries[m.group("digest").lower()] = (m.group("label") or "").strip()
        return cls(entries)

    @classmethod
    def load(cls, path: Path) -> Denylist:
        """Raises: DenylistError if the file cannot be read or has a malformed line."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise DenylistError(f"cannot read denylist {path}: {err}") from err
        return cls.parse(text, str(path))

    @classmethod
    def packaged(cls) -> Denylist:
        text = resources.files("superapp.analysis").joinpath("denylist.txt").read_text("utf-8")
        return cls.parse(text, "superapp/analysis/denylist.txt")

    @classmethod
    def default(cls, extra_files: Iterable[Path] = ()) -> Denylist:
        """The packaged list merged with each of ``extra_files``."""
        result = cls.packaged()
        for path in extra_files:
            result = result.merged(cls.load(path))
        return result

    def merged(self, other: Denylist) -> Denylist:
        return Denylist({**self.entries, **other.entries})
