"""Self-compaction of a runtime before its host stops it (issue 16, docs/lifecycle.md).

Host → runtime: ``lifecycle`` ``freeze`` carries ``page_out`` (``none``, ``file`` or ``all``:
anonymous memory too, when the machine has swap). Runtime → host: the ``window_state`` that
confirms the frozen page carries ``compaction``, what the runtime says it advised about its own
process (``superapp.core.pageout.page_out_self``).

The report is a *claim* from an untrusted process: it only feeds the audit entry of the
suspend. Every field is bounded here (a frame out of bounds closes the channel as any
malformed frame does), and the host checks it against what it asked
(``superapp.host._selfclaim``). Nothing of it decides anything: the host stops the tree
whatever the runtime says.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_CLAIMED_BYTES", "MAX_CLAIMED_RANGES", "PageOut", "SelfCompaction"]

#: What a suspend asks the runtime to page out of its own process.
PageOut = Literal["none", "file", "all"]
#: A 64-bit process's user address space is 128 TiB; no honest claim is larger.
MAX_CLAIMED_BYTES = 2**47
#: Mappings of one process (the kernel's default ``vm.max_map_count`` is 65530).
MAX_CLAIMED_RANGES = 1 << 20


class SelfCompaction(BaseModel):
    """What the runtime says it advised about its own memory before being stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    mode: Literal["file", "all"]
    advised_bytes: Annotated[int, Field(ge=0, le=MAX_CLAIMED_BYTES)]
    ranges: Annotated[int, Field(ge=0, le=MAX_CLAIMED_RANGES)]
    #: errno name of the kernel's first refusal ("" when none): an upper-case word, so it is
    #: inert wherever the audit entry is shown.
    refused: Annotated[str, Field(max_length=16, pattern=r"^(E[A-Z0-9]{1,15})?$")] = ""
